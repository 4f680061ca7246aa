"""A tolerant reading of the text before the cursor: tags, text, and where the cursor is.

An editor's buffer is usually not well-formed while it is being typed, so no XML parser is
used: start tags, end tags and text are recognised with regular expressions, a start tag
that runs into the next ``<`` (a missing ``>``) ends there, an end tag closes the nearest
open element of its name (and those inside it), and an end tag that matches nothing is
ignored. Comments, processing instructions, CDATA sections and the DOCTYPE are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal

_NAME: Final = r"[:A-Z_a-z\u00C0-\uFFFF][:A-Z_a-z\u00C0-\uFFFF\-.0-9\u00B7]*"
_START: Final = re.compile(rf"<({_NAME})")
_END: Final = re.compile(rf"</\s*({_NAME})?\s*(>)?")
_ATTRIBUTE: Final = re.compile(rf"\s+({_NAME})\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_TAG_END: Final = re.compile(r"\s*(/?)>")
_PARTIAL_NAME: Final = re.compile(rf"\s+({_NAME})?")
_PARTIAL_VALUE: Final = re.compile(rf"\s+({_NAME})\s*=\s*([\"'])([^\"'<]*)")
_NAME_CHARS: Final = re.compile(r"[:A-Z_a-z\u00C0-\uFFFF\-.0-9\u00B7]*")
_ATTRIBUTE_NAMES: Final = re.compile(rf"({_NAME})\s*=")
_SKIPPED: Final = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))


@dataclass(frozen=True)
class Start:
    """A start tag (or an empty-element tag) before the cursor."""

    name: str
    attributes: tuple[tuple[str, str], ...]
    empty: bool


@dataclass(frozen=True)
class End:
    """An end tag before the cursor."""

    name: str


@dataclass(frozen=True)
class Text:
    """A run of character data before the cursor (comments left out)."""

    text: str


Event = Start | End | Text


@dataclass
class Cursor:
    """Where the cursor is: the events before it and what is being typed there.

    ``kind`` is ``element`` after ``<`` and a partial name, ``attribute`` in a start tag
    after its name, ``value`` inside the quotes of an attribute value, None elsewhere.
    ``tag`` is the start tag being typed (its attributes as far as written, on both sides
    of the cursor, the one being typed left out), ``attribute`` the attribute whose value is
    being typed, ``partial`` what is typed of the name or value so far.
    """

    events: list[Event] = field(default_factory=list)
    kind: Literal["element", "attribute", "value"] | None = None
    partial: str = ""
    tag: Start | None = None
    attribute: str = ""


def read_prefix(text: str, offset: int) -> Cursor:
    """Return the events of ``text[:offset]`` and the completion context at *offset*."""
    prefix = text[:offset]
    cursor = Cursor()
    events = cursor.events
    pos, size = 0, len(prefix)
    while pos < size:
        lt = prefix.find("<", pos)
        if lt < 0:
            events.append(Text(prefix[pos:]))
            break
        if lt > pos:
            events.append(Text(prefix[pos:lt]))
        pos = _skip(prefix, lt, events)
        if pos >= 0:
            continue
        if prefix.startswith("</", lt):
            end = _END.match(prefix, lt)
            assert end is not None  # the pattern matches any "</"
            if end.end() == size and end.group(2) is None:
                return cursor  # an end tag being typed
            if end.group(1):
                events.append(End(end.group(1)))
            pos = end.end()
            continue
        start = _START.match(prefix, lt)
        if start is None:
            if lt == size - 1:
                cursor.kind = "element"
                return cursor
            events.append(Text("<"))
            pos = lt + 1
            continue
        if start.end() == size:
            cursor.kind, cursor.partial = "element", start.group(1)
            return cursor
        pos = _start_tag(text, prefix, start, cursor)
        if pos < 0:
            return cursor
    return cursor


def _skip(prefix: str, lt: int, events: list[Event]) -> int:
    """Return where a comment, PI, CDATA section or DOCTYPE at *lt* ends; -1 if none is."""
    for opening, closing in _SKIPPED:
        if prefix.startswith(opening, lt):
            end = prefix.find(closing, lt + len(opening))
            if end < 0:
                return len(prefix)  # the cursor is inside it: nothing to complete
            if opening == "<![CDATA[":
                events.append(Text(prefix[lt + len(opening) : end]))
            return end + len(closing)
    if prefix.startswith("<!", lt):
        bracket, close = prefix.find("[", lt), prefix.find(">", lt)
        if 0 <= bracket < close or (bracket >= 0 and close < 0):
            close = prefix.find("]", bracket)
            close = prefix.find(">", close) if close >= 0 else -1
        return len(prefix) if close < 0 else close + 1
    return -1


def _start_tag(text: str, prefix: str, start: re.Match[str], cursor: Cursor) -> int:
    """Read the start tag matched by *start*; return where it ends, -1 if at the cursor."""
    name = start.group(1)
    attributes: list[tuple[str, str]] = []
    pos, size = start.end(), len(prefix)
    while True:
        attribute = _ATTRIBUTE.match(prefix, pos)
        if attribute is None:
            break
        value = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
        attributes.append((attribute.group(1), value or ""))
        pos = attribute.end()
    end = _TAG_END.match(prefix, pos)
    if end is not None:
        cursor.events.append(Start(name, tuple(attributes), bool(end.group(1))))
        return end.end()
    gt, lt = prefix.find(">", pos), prefix.find("<", pos)
    if gt >= 0 and (lt < 0 or gt < lt):  # something unreadable, then the tag's end
        cursor.events.append(Start(name, tuple(attributes), prefix[gt - 1] == "/"))
        return gt + 1
    if lt >= 0:  # a missing ">": the tag ends where the next one begins
        cursor.events.append(Start(name, tuple(attributes), False))
        return lt
    # The cursor is in this start tag.
    tail = prefix[pos:]
    value = _PARTIAL_VALUE.fullmatch(tail)
    if value is not None:
        cursor.kind, cursor.attribute, cursor.partial = "value", value.group(1), value.group(3)
        after = _rest_of_tag(text, size, value.group(2))
    else:
        partial = _PARTIAL_NAME.fullmatch(tail) or re.search(rf"\s({_NAME})?$", tail)
        if partial is None:
            return -1
        cursor.kind, cursor.partial = "attribute", partial.group(1) or ""
        after = _rest_of_tag(text, size, None)
    present = attributes + [(n, "") for n in _ATTRIBUTE_NAMES.findall(after)]
    skip = cursor.attribute
    cursor.tag = Start(name, tuple((n, v) for n, v in present if n != skip), False)
    return -1


def _rest_of_tag(text: str, offset: int, quote: str | None) -> str:
    """Return the rest of the start tag after the cursor, without the name or value typed."""
    if quote is not None:
        close = text.find(quote, offset)
        offset = len(text) if close < 0 else close + 1
    else:
        match = _NAME_CHARS.match(text, offset)
        offset = match.end() if match else offset
    ends = [i for i in (text.find(">", offset), text.find("<", offset)) if i >= 0]
    return text[offset : min(ends)] if ends else text[offset:]

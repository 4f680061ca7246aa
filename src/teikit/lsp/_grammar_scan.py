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
from typing import Final, Literal, NamedTuple

_NAME: Final = r"[:A-Z_a-z\u00C0-\uFFFF][:A-Z_a-z\u00C0-\uFFFF\-.0-9\u00B7]*"
_START: Final = re.compile(rf"<({_NAME})")
_END: Final = re.compile(rf"</\s*({_NAME})?\s*(>)?")
_ATTRIBUTE: Final = re.compile(rf"\s+({_NAME})\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_TAG_END: Final = re.compile(r"\s*(/?)>")
_PARTIAL_NAME: Final = re.compile(rf"\s+({_NAME})?")
_PARTIAL_VALUE: Final = re.compile(rf"\s+({_NAME})\s*=\s*([\"'])([^\"'<]*)")
_NAME_CHARS: Final = re.compile(r"[:A-Z_a-z\u00C0-\uFFFF\-.0-9\u00B7]*")
_ATTRIBUTE_NAMES: Final = re.compile(rf"({_NAME})\s*=")
_QUOTED: Final = r"(?:\"[^\"<]*\"|'[^'<]*')"
_FAST_START: Final = re.compile(rf"<({_NAME})((?:\s+{_NAME}\s*=\s*{_QUOTED})*)\s*(/?)>")
_FAST_ATTRIBUTE: Final = re.compile(rf"({_NAME})\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_FAST_END: Final = re.compile(rf"</({_NAME})\s*>")
_SKIPPED: Final = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))


class Start(NamedTuple):
    """A start tag (or an empty-element tag) before the cursor."""

    name: str
    attributes: tuple[tuple[str, str], ...]
    empty: bool


class End(NamedTuple):
    """An end tag before the cursor."""

    name: str


class Text(NamedTuple):
    """A run of character data before the cursor, not only whitespace (comments left out)."""

    text: str


Event = Start | End | Text


@dataclass
class Cursor:
    """Where the cursor is: the events before it and what is being typed there.

    ``ends[i]`` is where ``events[i]`` ends in the text, with the whitespace, comments and
    processing instructions after it. ``kind`` is ``element`` after
    ``<`` and a partial name, ``attribute`` in a start tag after its name, ``value`` inside
    the quotes of an attribute value, None elsewhere. ``tag`` is the start tag being typed
    (its attributes as far as written, on both sides of the cursor, the one being typed left
    out), ``attribute`` the attribute whose value is being typed, ``partial`` what is typed of
    the name or value so far.
    """

    events: list[Event] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    kind: Literal["element", "attribute", "value"] | None = None
    partial: str = ""
    tag: Start | None = None
    attribute: str = ""

    def add(self, event: Event, end: int) -> None:
        """Record *event*, which ends at *end*."""
        self.events.append(event)
        self.ends.append(end)


def read_prefix(text: str, offset: int, start: int = 0) -> Cursor:
    """Return the events of ``text[start:offset]`` and the completion context at *offset*.

    *start* must be where a token begins (0, or a ``<`` where reading stopped before).
    """
    prefix = text[:offset]
    cursor = Cursor()
    ends = cursor.ends
    add_event, add_end = cursor.events.append, ends.append
    pos, size = start, len(prefix)
    while pos < size:
        if ends and ends[-1] < pos:
            ends[-1] = pos  # whitespace, comments and PIs after the event belong to it
        if prefix[pos] != "<":
            lt = prefix.find("<", pos)
            run = prefix[pos:] if lt < 0 else prefix[pos:lt]
            pos = size if lt < 0 else lt
            if not run.isspace():
                add_event(Text(run))
                add_end(pos)
            continue
        tag = _FAST_START.match(prefix, pos)
        if tag is not None:
            written = tag.group(2)
            attributes = (
                tuple((n, d or s) for n, d, s in _FAST_ATTRIBUTE.findall(written))
                if written
                else ()
            )
            pos = tag.end()
            add_event(Start(tag.group(1), attributes, bool(tag.group(3))))
            add_end(pos)
            continue
        end = _FAST_END.match(prefix, pos)
        if end is not None:
            pos = end.end()
            add_event(End(end.group(1)))
            add_end(pos)
            continue
        pos = _slow(text, prefix, pos, cursor)
        if pos < 0:
            break
    return cursor


def _slow(text: str, prefix: str, lt: int, cursor: Cursor) -> int:
    """Read the markup at *lt* that is not a plain tag; return where it ends, -1 at the cursor."""
    size = len(prefix)
    pos = _skip(prefix, lt, cursor)
    if pos >= 0:
        return pos
    if prefix.startswith("</", lt):
        end = _END.match(prefix, lt)
        assert end is not None  # the pattern matches any "</"
        if end.end() == size and end.group(2) is None:
            return -1  # an end tag being typed
        if end.group(1):
            cursor.add(End(end.group(1)), end.end())
        return end.end()
    start = _START.match(prefix, lt)
    if start is None:
        if lt == size - 1:
            cursor.kind = "element"
            return -1
        cursor.add(Text("<"), lt + 1)
        return lt + 1
    if start.end() == size:
        cursor.kind, cursor.partial = "element", start.group(1)
        return -1
    return _start_tag(text, prefix, start, cursor)


def _skip(prefix: str, lt: int, cursor: Cursor) -> int:
    """Return where a comment, PI, CDATA section or DOCTYPE at *lt* ends; -1 if none is."""
    for opening, closing in _SKIPPED:
        if prefix.startswith(opening, lt):
            end = prefix.find(closing, lt + len(opening))
            if end < 0:
                return len(prefix)  # the cursor is inside it: nothing to complete
            if opening == "<![CDATA[":
                data = prefix[lt + len(opening) : end]
                if data and not data.isspace():
                    cursor.add(Text(data), end + len(closing))
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
        cursor.add(Start(name, tuple(attributes), bool(end.group(1))), end.end())
        return end.end()
    gt, lt = prefix.find(">", pos), prefix.find("<", pos)
    if gt >= 0 and (lt < 0 or gt < lt):  # something unreadable, then the tag's end
        cursor.add(Start(name, tuple(attributes), prefix[gt - 1] == "/"), gt + 1)
        return gt + 1
    if lt >= 0:  # a missing ">": the tag ends where the next one begins
        cursor.add(Start(name, tuple(attributes), False), lt)
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

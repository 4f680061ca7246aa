"""Where each text node of a parsed document sits in its source, to the character.

lxml knows the line an element starts on, not where ``element.text`` or ``element.tail``
begins. :class:`SourceMap` walks the tree and the source text side by side (document order
is the same in both) and records, for every text node, the span of source characters it
was parsed from. Offsets inside a text node are mapped through character and entity
references and CR LF line ends, so that a match found in ``element.text`` gets the line and
column a text editor shows, and ``annotate`` can insert tags into the untouched source.

Whenever the source and the tree disagree (an internal entity that expands to markup, for
instance) the affected text node has no span, and callers fall back to the element's line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from lxml import etree

__all__ = ["SourceMap", "TextSlot", "decode_source"]

_NAME_START: Final = re.compile(r"<[^\s!?/<>]")
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_REFERENCE: Final = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z_][\w.\-]*);|\r\n|\r")
_QUOTE_OR_CLOSE: Final = re.compile(r"[\"'>]")
_PREDEFINED: Final = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}


def decode_source(data: bytes, encoding: str | None) -> str | None:
    """Return *data* decoded as the parser read it, or ``None`` if it cannot be decoded.

    >>> decode_source(b"\\xef\\xbb\\xbf<a/>", "UTF-8")
    '<a/>'
    """
    name = (encoding or "utf-8").lower()
    if name in ("utf-8", "utf8"):
        name = "utf-8-sig"
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None


@dataclass(frozen=True, slots=True)
class TextSlot:
    """The source span of one text node: ``element.text`` or (``tail``) ``element.tail``."""

    element: etree._Element
    tail: bool
    start: int
    end: int


class SourceMap:
    """Source offsets of the text nodes, start tags and end tags of one document."""

    def __init__(self, source: str, root: etree._Element) -> None:
        self.source = source
        self._slots: dict[tuple[etree._Element, bool], tuple[int, int]] = {}
        #: offset of ``<`` opening each element's start tag
        self.start_tag_start: dict[etree._Element, int] = {}
        #: offset of ``>`` (or of ``/`` in ``/>``) closing each element's start tag
        self.start_tag_end: dict[etree._Element, int] = {}
        #: offset of ``</`` of each element's end tag (absent for empty-element tags)
        self.end_tag_start: dict[etree._Element, int] = {}
        self._line_starts: list[int] = [0]
        self._line_starts.extend(m.end() for m in _LINE_BREAK.finditer(source))
        self.ok = True
        self._cursor = 0
        try:
            self._walk_root(root)
        except (ValueError, IndexError):
            self.ok = False

    # -- the walk ------------------------------------------------------------------------
    def _skip_markup(self, position: int) -> int:
        """Return the offset of the next start tag at or after *position*."""
        source = self.source
        while True:
            position = source.index("<", position)
            if source.startswith("<!--", position):
                position = source.index("-->", position + 4) + 3
            elif source.startswith("<?", position):
                position = source.index("?>", position + 2) + 2
            elif source.startswith("<!DOCTYPE", position):
                position = self._skip_doctype(position)
            elif _NAME_START.match(source, position):
                return position
            else:
                raise ValueError(f"unexpected markup at offset {position}")

    def _skip_doctype(self, position: int) -> int:
        source, depth, quote = self.source, 0, ""
        for index in range(position + 9, len(source)):
            char = source[index]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif char == ">" and depth == 0:
                return index + 1
        raise ValueError("unterminated DOCTYPE")

    def _tag_end(self, position: int) -> int:
        """Return the offset of the ``>`` that closes the tag starting at *position*."""
        source, quote = self.source, ""
        index = position + 1
        while True:
            if quote:
                index = source.index(quote, index) + 1
                quote = ""
                continue
            match = _QUOTE_OR_CLOSE.search(source, index)
            if match is None:
                raise ValueError("unterminated tag")
            if match.group() == ">":
                return match.start()
            quote, index = match.group(), match.end()

    def _text_end(self, position: int) -> int:
        """Return where the character data starting at *position* ends (CDATA included)."""
        source = self.source
        while True:
            index = source.index("<", position)
            if source.startswith("<![CDATA[", index):
                position = source.index("]]>", index) + 3
                continue
            return index

    def _walk_root(self, root: etree._Element) -> None:
        self._cursor = self._skip_markup(0)
        self._walk(root)

    def _walk(self, element: etree._Element) -> None:
        """Match *element* and everything below it with the source, from ``self._cursor``.

        The walk keeps its own stack, so any depth the parser accepts is fine (issue 17).
        """
        source = self.source
        stack: list[tuple[etree._Element, Iterator[etree._Element]]] = []
        if self._open(element):
            stack.append((element, iter(element)))
        while stack:
            parent, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if not source.startswith("</", self._cursor):
                    raise ValueError(f"expected an end tag at offset {self._cursor}")
                self.end_tag_start[parent] = self._cursor
                self._cursor = source.index(">", self._cursor) + 1
                if stack:
                    self._tail(parent)
                continue
            if isinstance(child, etree._Comment):
                self._cursor = source.index("-->", source.index("<!--", self._cursor)) + 3
            elif isinstance(child, etree._ProcessingInstruction):
                self._cursor = source.index("?>", source.index("<?", self._cursor)) + 2
            elif isinstance(child, etree._Entity):
                self._cursor = source.index(";", source.index("&", self._cursor)) + 1
            elif self._open(child):
                stack.append((child, iter(child)))
                continue
            self._tail(child)

    def _open(self, element: etree._Element) -> bool:
        """Match the start tag and text of *element*; return False for an empty-element tag."""
        source = self.source
        start = self._skip_markup(self._cursor)
        close = self._tag_end(start)
        self.start_tag_start[element] = start
        empty = source[close - 1] == "/"
        self.start_tag_end[element] = close - 1 if empty else close
        self._cursor = close + 1
        if empty:
            self._slots[(element, False)] = (self._cursor, self._cursor)
            if len(element):
                raise ValueError("empty-element tag with children")
            return False
        end = self._text_end(self._cursor)
        self._slots[(element, False)] = (self._cursor, end)
        self._cursor = end
        return True

    def _tail(self, element: etree._Element) -> None:
        """Match the tail of *element*, which ends where the next markup starts."""
        end = self._text_end(self._cursor)
        self._slots[(element, True)] = (self._cursor, end)
        self._cursor = end

    # -- queries -------------------------------------------------------------------------
    def slot(self, element: etree._Element, tail: bool) -> tuple[int, int] | None:
        """Return the source span of ``element.text`` (or ``.tail``), ``None`` if unknown."""
        return self._slots.get((element, tail)) if self.ok else None

    def offsets(self, element: etree._Element, tail: bool) -> list[int] | None:
        """Return the source offset of each character of a text node, plus its end offset.

        ``None`` when the node's source cannot be matched with the parsed text.
        """
        if not self.ok:
            return None
        span = self._slots.get((element, tail))
        if span is None:
            return None
        expected = (element.tail if tail else element.text) or ""
        raw = self.source[span[0] : span[1]]
        if raw == expected:  # the common case: no reference, no CR, no CDATA
            return [*range(span[0], span[1] + 1)]
        decoded, offsets = _decode(raw, span[0])
        return offsets if decoded == expected else None

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based ``(line, column)`` of a source *offset* (columns count characters)."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1


def _decode(raw: str, base: int) -> tuple[str, list[int]]:
    """Return the character data of *raw* and the source offset of each decoded character."""
    text: list[str] = []
    offsets: list[int] = []
    position = 0
    while position < len(raw):
        if raw.startswith("<![CDATA[", position):
            end = raw.index("]]>", position)
            for index in range(position + 9, end):
                text.append(raw[index])
                offsets.append(base + index)
            position = end + 3
            continue
        match = _REFERENCE.match(raw, position)
        if match is None:
            text.append(raw[position])
            offsets.append(base + position)
            position += 1
            continue
        token = match.group(1)
        if token is None:  # CR LF or CR: the parser reads a line feed
            char = "\n"
        elif token.startswith("#x"):
            char = chr(int(token[2:], 16))
        elif token.startswith("#"):
            char = chr(int(token[1:]))
        else:
            # an internal entity other than the five predefined ones: its expansion is
            # not known here, so the text cannot be matched (the caller falls back)
            char = _PREDEFINED.get(token, "\x00")
        text.append(char)
        offsets.append(base + position)
        position = match.end()
    offsets.append(base + len(raw))
    return "".join(text), offsets

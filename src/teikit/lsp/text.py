"""Positions in an editor's buffer: lines, UTF-16 columns, and what the cursor is on.

The language server works on the text the editor holds, which may be broken XML. This
module knows nothing of the protocol's classes: offsets are indexes into a ``str``, LSP
positions are ``(line, character)`` pairs counted from 0 in UTF-16 code units (the
protocol's default), teikit's are 1-based lines and character columns.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from teikit.pointers import POINTER_ATTRIBUTES

__all__ = [
    "LineIndex",
    "TagContext",
    "Token",
    "finding_span",
    "id_definitions",
    "pointer_tokens",
    "start_tag_span",
    "tag_at",
]

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_NAME: Final = r"[^\s=/<>\"']+"
_ATTRIBUTE: Final = re.compile(rf"\s+({_NAME})\s*=\s*(\"[^\"]*\"|'[^']*')")
_OPEN_VALUE: Final = re.compile(rf"\s+({_NAME})\s*=\s*([\"'])([^\"']*)$")
_TAG_NAME: Final = re.compile(rf"<({_NAME})")
_LOOK_BACK: Final = 65_536  # a start tag longer than this is not completed
_POINTERS: Final = frozenset(POINTER_ATTRIBUTES)
_POINTER_NAMES: Final = "|".join(sorted(POINTER_ATTRIBUTES, key=len, reverse=True))
_POINTER_VALUE: Final = re.compile(rf"\s({_POINTER_NAMES})\s*=\s*(\"[^\"<]*\"|'[^'<]*')")
_ID_DEFINITION: Final = re.compile(rf"<({_NAME})(?:\s[^<>]*?)?\sxml:id\s*=\s*(\"[^\"]*\"|'[^']*')")
# integrity's "@ref='#kim' points to nothing", rng's 'attribute "foo" not allowed'
_ATTRIBUTE_IN_MESSAGE: Final = re.compile(r"^@([\w:.-]+)='([^']*)'|attribute \"([\w:.-]+)\"")


def _unit_counter(encoding: str) -> Callable[[str], int]:
    """Return how many code units of the position *encoding* a character takes."""
    if encoding == "utf-8":
        return lambda char: len(char.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return lambda char: 1
    return lambda char: 2 if ord(char) > 0xFFFF else 1


# lint's 'untagged name "Li Kenong": propose ...', 'date "3.7" is ambiguous'
_QUOTED_TEXT: Final = re.compile(r'^(?:untagged name |untagged date |date |")"?([^"]+)"')


class LineIndex:
    """Convert between string offsets, LSP positions and teikit's line and column.

    LSP characters are code units of *encoding* (``utf-16``, the protocol's default,
    ``utf-8`` or ``utf-32``, as agreed with the client).

    >>> index = LineIndex("a\\r\\n\U0001d11e b")
    >>> index.position(4), index.offset(1, 3)
    ((1, 2), 5)
    """

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
        self._units = _unit_counter(encoding)
        self._simple = encoding == "utf-32"

    def line_text(self, line: int) -> str:
        """Return line *line* (0-based) without its line end."""
        if not 0 <= line < len(self.starts):
            return ""
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line] : end].rstrip("\r\n")

    def offset(self, line: int, character: int) -> int:
        """Return the offset of the LSP position (*character* in UTF-16 units)."""
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[max(line, 0)]
        text = self.line_text(line)
        if self._simple or text.isascii():
            return start + min(max(character, 0), len(text))
        units = 0
        for index, char in enumerate(text):
            if units >= character:
                return start + index
            units += self._units(char)
        return start + len(text)

    def position(self, offset: int) -> tuple[int, int]:
        """Return the LSP position ``(line, UTF-16 character)`` of *offset*."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self.starts, offset) - 1
        before = self.text[self.starts[line] : offset]
        if self._simple or before.isascii():
            return line, len(before)
        return line, sum(self._units(char) for char in before)

    def offset_of(self, line: int | None, column: int | None) -> int:
        """Return the offset of teikit's 1-based *line* and character *column*."""
        if line is None:
            return 0
        index = min(max(line - 1, 0), len(self.starts) - 1)
        start = self.starts[index]
        if column is None:
            return start
        return start + min(max(column - 1, 0), len(self.line_text(index)))


@dataclass(frozen=True, slots=True)
class TagContext:
    """The start tag the cursor is in: its name, and the attribute value it is in, if any."""

    element: str
    start: int  # offset of ``<``
    attributes: dict[str, str]
    attribute: str | None = None
    #: The value's span (inside the quotes) and the cursor's token in it.
    value_start: int = -1
    value_end: int = -1
    token_start: int = -1
    token_end: int = -1

    @property
    def local_name(self) -> str:
        """Return the element's name without its prefix."""
        return self.element.rpartition(":")[2]


def tag_at(text: str, offset: int) -> TagContext | None:
    """Return the start tag *offset* lies in (after its name), ``None`` outside one."""
    floor = max(0, offset - _LOOK_BACK)
    lt = text.rfind("<", floor, offset)
    if lt < 0 or text.startswith(("</", "<!", "<?"), lt):
        return None
    before = text[lt:offset]
    name = _TAG_NAME.match(before)
    if name is None or name.end() == len(before):
        return None
    rest = before[name.end() :]
    attributes: dict[str, str] = {}
    position = 0
    for match in _ATTRIBUTE.finditer(rest):
        if match.start() != position:
            break
        attributes[match.group(1)] = match.group(2)[1:-1]
        position = match.end()
    tail = rest[position:]
    if ">" in tail:
        return None
    opened = _OPEN_VALUE.search(tail)
    if opened is None:
        if '"' in tail or "'" in tail:  # inside a value we could not read
            return None
        return TagContext(name.group(1), lt, attributes)
    quote = opened.group(2)
    value_start = offset - len(opened.group(3))
    close = text.find(quote, offset)
    newline = text.find("<", offset)
    value_end = close if close >= 0 and (newline < 0 or close < newline) else offset
    token_start = value_start + max(
        opened.group(3).rfind(" "), opened.group(3).rfind("\t"), opened.group(3).rfind("\n")
    )
    token_start += 1
    token_end = offset
    while token_end < value_end and not text[token_end].isspace():
        token_end += 1
    return TagContext(
        name.group(1),
        lt,
        attributes,
        opened.group(1),
        value_start,
        value_end,
        token_start,
        token_end,
    )


@dataclass(frozen=True, slots=True)
class Token:
    """One pointer token in a buffer: the element, the attribute and where the token is."""

    element: str
    attribute: str
    value: str
    start: int
    end: int


def pointer_tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of every pointer attribute value in *text* (found textually)."""
    for match in _POINTER_VALUE.finditer(text):
        lt = text.rfind("<", 0, match.start())
        name = _TAG_NAME.match(text, lt) if lt >= 0 else None
        element = name.group(1) if name is not None else ""
        base = match.start(2) + 1
        for token in re.finditer(r"\S+", match.group(2)[1:-1]):
            yield Token(
                element, match.group(1), token.group(), base + token.start(), base + token.end()
            )


def id_definitions(text: str) -> Iterator[tuple[str, str, int, int]]:
    """Yield ``(element, xml:id, start, end)`` of every ``xml:id`` value in *text*."""
    for match in _ID_DEFINITION.finditer(text):
        yield match.group(1), match.group(2)[1:-1], match.start(2) + 1, match.end(2) - 1


def start_tag_span(text: str, start: int, limit: int = 4096) -> tuple[int, int]:
    """Return the span of the start tag at *start* (``<`` to ``>``), at most *limit* long."""
    quote = ""
    end = min(len(text), start + limit)
    for index in range(start + 1, end):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            return start, index + 1
        elif char == "<":
            return start, index
    return start, end


def finding_span(
    text: str,
    lines: LineIndex,
    line: int | None,
    column: int | None,
    message: str,
    element: str | None = None,
) -> tuple[int, int]:
    """Return the span a finding at *line*:*column* covers: an attribute value or a start tag.

    *element* is the local name of the element the finding is about (from its XPath),
    used to find the start tag on the line when the column is unknown.
    """
    if line is None:
        return 0, 0
    offset = lines.offset_of(line, column)
    if column is None:
        line_text = lines.line_text(line - 1)
        found = -1
        if element:
            found = _find_tag(line_text, element)
        if found < 0:
            found = len(line_text) - len(line_text.lstrip())
        offset += found
    quoted = _QUOTED_TEXT.match(message)
    if quoted is not None and text.startswith(quoted.group(1), offset):  # lint's text
        return offset, offset + len(quoted.group(1))
    if offset < len(text) and text[offset] != "<":  # a column inside a start tag
        lt = text.rfind("<", max(0, offset - 4096), offset + 1)
        if lt >= 0 and ">" not in text[lt:offset]:
            offset = lt
    named = _ATTRIBUTE_IN_MESSAGE.search(message)
    if offset < len(text) and text[offset] == "<":
        tag_start, tag_end = start_tag_span(text, offset)
        if named is not None:
            attribute = named.group(1) or named.group(3)
            value = named.group(2)
            tag = text[tag_start:tag_end]
            for match in _ATTRIBUTE.finditer(tag):
                if match.group(1) == attribute:
                    if value is not None:
                        return tag_start + match.start(2) + 1, tag_start + match.end(2) - 1
                    return tag_start + match.start(1), tag_start + match.end(2)
        return tag_start, tag_end
    end = offset
    while end < len(text) and not text[end].isspace() and end - offset < 200:
        end += 1
    return offset, max(end, offset)


def _find_tag(line_text: str, local_name: str) -> int:
    """Return the column of the start tag ``<[prefix:]local_name`` on *line_text*, or -1."""
    match = re.search(rf"<(?:[\w.-]+:)?{re.escape(local_name)}(?=[\s/>])", line_text)
    return -1 if match is None else match.start()


def is_pointer_attribute(name: str) -> bool:
    """Return whether attribute *name* holds TEI pointers."""
    return name in _POINTERS

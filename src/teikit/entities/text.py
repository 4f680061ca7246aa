"""Plain text of TEI elements: no markup, whitespace normalised, notes left out.

The text of a mention is what a reader sees in the edited text: ``note`` is left out
(an annotation, not the text), in a ``choice`` the editorial reading wins (``corr``,
``reg``, ``expan`` over ``sic``, ``orig``, ``abbr``; TEI Guidelines 3.5.1), text supplied
by the editor (``supplied``, 11.3.1.1) is shown in square brackets as print editions do,
and a word broken by ``<lb break="no"/>`` is joined again.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from typing import Final

from lxml import etree

from teikit.document import readable_path
from teikit.namespaces import TEI_NS

__all__ = [
    "BLOCK_TAGS",
    "CONTAINER_TAGS",
    "ContextFinder",
    "block_of",
    "collect_text",
    "context_of",
    "line_of",
    "normalise_space",
    "readable_path",
]

_SPACE: Final = re.compile(r"[ \t\r\n]+")
# Characters that str.split() treats as whitespace but XML does not.
_OTHER_SPACE: Final = re.compile(
    "[\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_TEI_PREFIX: Final = f"{{{TEI_NS}}}"
_CLARK: Final = re.compile(r"\{[^}]*\}([^/\[]+)")
_NOTE: Final = f"{{{TEI_NS}}}note"
_CHOICE: Final = f"{{{TEI_NS}}}choice"
_SUPPLIED: Final = f"{{{TEI_NS}}}supplied"
_SECONDARY_IN_CHOICE: Final = frozenset(f"{{{TEI_NS}}}{n}" for n in ("sic", "orig", "abbr"))
_BREAKS: Final = frozenset(f"{{{TEI_NS}}}{n}" for n in ("lb", "pb", "cb"))
#: Elements that bound a context snippet: the nearest one above a mention gives its context.
BLOCK_TAGS: Final = frozenset(
    f"{{{TEI_NS}}}{n}"
    for n in (
        "p",
        "ab",
        "head",
        "l",
        "item",
        "cell",
        "note",
        "quote",
        "opener",
        "closer",
        "salute",
        "signed",
        "dateline",
        "address",
        "byline",
        "trailer",
        "label",
        "sp",
        "stage",
        "correspAction",
        "bibl",
        "title",
        "desc",
        "catDesc",
        "respStmt",
        "publicationStmt",
        "editionStmt",
        "seriesStmt",
        "msIdentifier",
        "change",
        "licence",
        "addrLine",
        "docDate",
        "docAuthor",
        "imprint",
    )
)
CONTAINER_TAGS: Final = frozenset(
    f"{{{TEI_NS}}}{n}" for n in ("div", "body", "front", "back", "text", "teiHeader", "TEI")
)
_ELLIPSIS: Final = "…"
# Markers for where a broken word joins and where the mention starts and ends: control
# characters that XML 1.0 text cannot contain, so they never clash with the document's text.
_JOINER: Final = "\x00"
_START: Final = "\x01"
_END: Final = "\x02"
_AROUND_JOINER: Final = re.compile(r"[ \t\r\n]*" + _JOINER + r"[ \t\r\n]*")
_MARKERS: Final = re.compile(f"[{_START}{_END}]")


def normalise_space(text: str) -> str:
    """Collapse runs of XML whitespace to one space and strip both ends.

    Only XML's whitespace (space, tab, CR, LF) counts: a no-break space is text.

    >>> normalise_space("  Kim\\n   Il  Sung ")
    'Kim Il Sung'
    """
    if _OTHER_SPACE.search(text) is None:
        return " ".join(text.split())  # the fast path, equivalent without other spaces
    return _SPACE.sub(" ", text).strip(" ")


def _skipped(child: etree._Element, parent: etree._Element) -> bool:
    if not isinstance(child.tag, str):  # comments and processing instructions
        return True
    if child.tag == _NOTE:
        return True
    return parent.tag == _CHOICE and child.tag in _SECONDARY_IN_CHOICE


def _walk(
    element: etree._Element,
    parts: list[str],
    marks: Container[etree._Element] = (),
    marked: list[etree._Element] | None = None,
) -> None:
    """Append the text of *element* to *parts*, bracketing the text of *marks* with markers.

    The marked elements are appended to *marked* in the order their markers appear. The walk
    keeps its own stack: a document nested as deep as the parser allows never reaches
    Python's recursion limit (issue 17).
    """
    # Each entry: an element whose children are still to be visited, an iterator over
    # them, and what to append after its children (closing markers and its tail).
    if element.text:
        parts.append(element.text)
    stack: list[tuple[etree._Element, Iterator[etree._Element], list[str]]] = [
        (element, iter(element), [])
    ]
    while stack:
        parent, children, after = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            parts.extend(after)
            continue
        if _skipped(child, parent):
            pass
        elif child.tag in _BREAKS and child.get("break") == "no":
            # a word broken across lines: the whitespace on both sides of the break goes
            parts.append(_JOINER)
        else:
            closing: list[str] = []
            if child.tag == _SUPPLIED:
                parts.append("[")
            if marked is not None and child in marks:
                marked.append(child)
                parts.append(_START)
                closing.append(_END)
            if child.tag == _SUPPLIED:
                closing.append("]")
            if child.tail:
                closing.append(child.tail)
            if child.text:
                parts.append(child.text)
            stack.append((child, iter(child), closing))
            continue
        if child.tail:
            parts.append(child.tail)


def _join(parts: list[str]) -> str:
    text = "".join(parts)
    return _AROUND_JOINER.sub("", text) if _JOINER in text else text


def collect_text(element: etree._Element) -> str:
    """Return the normalised text of *element*, without notes and secondary readings.

    >>> from lxml import etree
    >>> collect_text(etree.fromstring(
    ...     '<p xmlns="http://www.tei-c.org/ns/1.0">Kim <note>a note</note> Il\\n Sung</p>'))
    'Kim Il Sung'
    """
    parts: list[str] = []
    _walk(element, parts)
    return normalise_space(_join(parts))


def block_of(element: etree._Element) -> etree._Element:
    """Return the element whose text is the context of *element* (its paragraph, line...)."""
    block = element
    for ancestor in element.iterancestors():
        if ancestor.tag in CONTAINER_TAGS:
            break
        block = ancestor
        if ancestor.tag in BLOCK_TAGS:
            break
    return block


def _shorten_left(text: str, width: int, *, cut: bool = False) -> str:
    """Keep the last *width* characters of *text*, from a word start; *cut*: it was cut."""
    if cut:  # the raw text was cut already: drop the broken word
        text = text.partition(" ")[2]
    if len(text) > width:
        tail = text[-width:]
        space = tail.find(" ")
        text, cut = (tail[space + 1 :] if 0 <= space < width // 2 else tail), True
    return _ELLIPSIS + text if cut and text else text


def _shorten_right(text: str, width: int, *, cut: bool = False) -> str:
    """Keep the first *width* characters of *text*, to a word end; *cut*: it was cut."""
    if cut:
        text = text.rpartition(" ")[0]
    if len(text) > width:
        head = text[:width]
        space = head.rfind(" ")
        text, cut = (head[:space] if space > width // 2 else head), True
    return text + _ELLIPSIS if cut and text else text


class ContextFinder:
    """Cut context snippets around mentions, reading each block's text once.

    *mentions* are the elements that may be asked about (so that one walk over a
    paragraph serves all the mentions in it).
    """

    def __init__(self, mentions: Container[etree._Element], width: int = 60) -> None:
        self.mentions = mentions
        self.width = width
        self._blocks: dict[etree._Element, tuple[str, dict[etree._Element, tuple[int, int]]]] = {}

    def _spans(self, block: etree._Element) -> tuple[str, dict[etree._Element, tuple[int, int]]]:
        """Return the block's normalised text and where each mention in it starts and ends."""
        if block not in self._blocks:
            parts: list[str] = []
            marked: list[etree._Element] = []
            _walk(block, parts, self.mentions, marked)
            # normalise once per block; the markers are not whitespace, so they stay put
            joined = normalise_space(_join(parts))
            pieces: list[str] = []
            spans: dict[etree._Element, tuple[int, int]] = {}
            open_at: list[tuple[etree._Element, int]] = []
            position, last, order = 0, 0, iter(marked)
            for match in _MARKERS.finditer(joined):
                piece = joined[last : match.start()]
                pieces.append(piece)
                position += len(piece)
                last = match.end()
                if match.group() == _START:
                    open_at.append((next(order), position))
                else:
                    element, start = open_at.pop()
                    spans[element] = (start, position)
            pieces.append(joined[last:])
            self._blocks[block] = ("".join(pieces), spans)
        return self._blocks[block]

    def context(self, element: etree._Element, text: str, block: etree._Element) -> str:
        """Return *text* (the mention's text) with up to ``width`` characters on each side."""
        if block is element:
            return text
        full, spans = self._spans(block)
        if element not in spans:  # the mention sits in a left-out part (a sic in a choice)
            return text
        start, end = spans[element]
        window = self.width * 2
        before, after = full[max(0, start - window) : start], full[end : end + window]
        # normalise again: taking the markers out can leave two spaces side by side
        left = _shorten_left(normalise_space(before), self.width, cut=start > window)
        right = _shorten_right(normalise_space(after), self.width, cut=len(full) > end + window)
        # keep the original spacing at the seams: "on yesterday." stays without a space
        left_gap = " " if left and before[-1:] == " " else ""
        right_gap = " " if right and after[:1] == " " else ""
        return f"{left}{left_gap}{text}{right_gap}{right}"

    def clear(self) -> None:
        """Forget the blocks read so far (call between documents)."""
        self._blocks.clear()


def context_of(element: etree._Element, text: str, width: int = 60) -> str:
    """Return *text* with up to *width* characters of its block's text on each side.

    >>> from lxml import etree
    >>> p = etree.fromstring('<p xmlns="http://www.tei-c.org/ns/1.0">To <b>Kim</b>!</p>')
    >>> context_of(p[0], "Kim")
    'To Kim!'
    """
    return ContextFinder({element}, width).context(element, text, block_of(element))


def line_of(element: etree._Element) -> int | None:
    """Return the line *element* starts on (``None`` when lxml does not know it)."""
    line = element.sourceline
    return line if isinstance(line, int) else None

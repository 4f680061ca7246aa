"""Text flattening: the reading text of the model's inline tree, as events or plain text.

:func:`flatten` turns inline content into events every renderer walks; :func:`plain_text`
is the text mention positions count in; :func:`paragraphs` groups blocks as the text
formats write them. The builder normalises a block's whitespace with :func:`normalise`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from teikit.exporters.records import Block, Break, Inline, Node, NoteRef, Span, Text

__all__ = [
    "LINE_CONTAINERS",
    "Paragraph",
    "flatten",
    "paragraphs",
    "plain_text",
    "quote_marks",
]

_WS: Final = re.compile(r"[ \t\r\n]+")
# Quotation marks by language: outer open, outer close, inner open, inner close.
_QUOTES: Final = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u2039\u00a0", "\u00a0\u203a"),
}


def quote_marks(lang: str | None, level: int) -> tuple[str, str]:
    """Return the opening and closing quotation marks for *lang* at nesting *level*.

    >>> quote_marks("de", 0)
    ('„', '“')
    """
    marks = _QUOTES.get((lang or "en").split("-")[0].lower(), _QUOTES["en"])
    return (marks[0], marks[1]) if level % 2 == 0 else (marks[2], marks[3])


def flatten(
    children: Sequence[Inline], lang: str | None = None, level: int = 0
) -> Iterator[tuple[str, Any]]:
    """Yield the reading-text events of inline content, in order.

    Events: ``("text", str)`` document text; ``("mark", str)`` punctuation the renderer
    adds (brackets around editorial additions, quotation marks); ``("open", Span)`` and
    ``("close", Span)``; ``("break", Break)``; ``("note", number)``. Deleted text
    (``del``) is left out: the reading text is the text as finally intended.
    """
    for child in children:
        if isinstance(child, Text):
            if child.text:
                yield "text", child.text
        elif isinstance(child, Break):
            yield "break", child
        elif isinstance(child, NoteRef):
            yield "note", child.number
        elif child.kind == "del":
            continue
        else:
            inner_lang = child.attrs.get("lang", lang)
            yield "open", child
            if child.kind == "supplied":
                yield "mark", "["
                yield from flatten(child.children, inner_lang, level)
                yield "mark", "]"
            elif child.kind == "gap":
                yield "mark", "[\u2026]"
            elif child.kind == "figure":
                yield "mark", "["
                yield from flatten(child.children, inner_lang, level)
                yield "mark", "]"
            elif child.kind == "quote":
                opening, closing = quote_marks(lang, level)
                yield "mark", opening
                yield from flatten(child.children, inner_lang, level + 1)
                yield "mark", closing
            else:
                yield from flatten(child.children, inner_lang, level)
            yield "close", child


def plain_text(
    children: Sequence[Inline],
    lang: str | None = None,
    note_call: Callable[[int], str] | None = None,
    note_offsets: list[tuple[int, int]] | None = None,
) -> tuple[str, dict[str, tuple[int, int]]]:
    """Return the plain reading text of inline content and where each mention lies in it.

    Line breaks become ``\\n``; spaces next to left-out text collapse; *note_call* turns
    a footnote number into its call (left out when ``None``); *note_offsets*, if given,
    receives ``(number, offset)`` for each footnote call.
    """
    out: list[str] = []
    length = 0
    spans: dict[str, tuple[int, int]] = {}
    opened: dict[int, int] = {}
    last = "\n"  # the start of a block counts as the start of a line

    def emit(text: str) -> None:
        nonlocal length, last
        if not text:
            return
        if text[0] == " " and last in " \n":
            text = text[1:]
            if not text:
                return
        out.append(text)
        length += len(text)
        last = text[-1]

    for event, value in flatten(children, lang):
        if event in ("text", "mark"):
            emit(value)
        elif event == "break":
            if value.kind == "lb" and not value.join and length:
                while out and out[-1].endswith(" "):
                    trimmed = out[-1].rstrip(" ")
                    length -= len(out[-1]) - len(trimmed)
                    out[-1] = trimmed
                    if not trimmed:
                        out.pop()
                emit("\n")
        elif event == "note":
            if note_offsets is not None:
                note_offsets.append((value, length))
            if note_call is not None:
                emit(note_call(value))
        elif event == "open":
            opened[id(value)] = length
        elif event == "close" and value.kind == "mention":
            start = opened.get(id(value), length)
            spans[value.attrs["mention"]] = (start, length)
    text = "".join(out)
    stripped = text.rstrip(" \n")
    if len(stripped) != len(text):
        spans = {k: (min(s, len(stripped)), min(e, len(stripped))) for k, (s, e) in spans.items()}
        if note_offsets is not None:
            note_offsets[:] = [(n, min(o, len(stripped))) for n, o in note_offsets]
    # a mention that opens right where a collapsed space was dropped starts after it
    spans = {k: _trim_span(stripped, s, e) for k, (s, e) in spans.items()}
    return stripped, spans


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \n":
        start += 1
    while end > start and text[end - 1] in " \n":
        end -= 1
    return start, end


def normalise(children: list[Inline]) -> None:
    """Normalise the whitespace of a block's inline tree in place (TEI Guidelines 1.3.1.1.4).

    Runs of XML whitespace become one space, also across element boundaries; spaces at
    the start and end of the block and around line breaks go; ``break="no"`` joins words.
    """
    last_text: list[Text | None] = [None]
    at_space = [True]

    def strip_last() -> None:
        node = last_text[0]
        if node is not None:
            node.text = node.text.rstrip(" ")

    def visit(nodes: list[Inline]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                text = _WS.sub(" ", node.text)
                if text.startswith(" ") and at_space[0]:
                    text = text[1:]
                node.text = text
                if text:
                    at_space[0] = text.endswith(" ")
                    last_text[0] = node
            elif isinstance(node, Break):
                if node.join or node.kind == "lb":
                    strip_last()
                    at_space[0] = True
            elif isinstance(node, Span):
                visit(node.children)

    visit(children)
    strip_last()


#: Containers whose blocks are lines of one paragraph (an address, a closer, a stanza).
LINE_CONTAINERS: Final = frozenset({"opener", "closer", "address", "lg", "row", "docTitle"})


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Blocks that the text formats write as one paragraph, one block per line.

    ``kind`` is ``p``, ``head`` (``level`` counts the divisions around it), ``lines``,
    ``list`` (one item per line) or ``row`` (table cells).
    """

    kind: str
    blocks: tuple[Block, ...]
    level: int = 0


def _blocks_in(nodes: Sequence[Node]) -> Iterator[Block]:
    for node in nodes:
        if isinstance(node, Block):
            yield node
        else:
            yield from _blocks_in(node.children)


def paragraphs(nodes: Sequence[Node], level: int = 0) -> Iterator[Paragraph]:
    """Yield the paragraphs of *nodes* in reading order."""
    for node in nodes:
        if isinstance(node, Block):
            yield Paragraph("head" if node.element == "head" else "p", (node,), max(level, 1))
        elif node.element in LINE_CONTAINERS:
            yield Paragraph("row" if node.element == "row" else "lines", tuple(_blocks_in([node])))
        elif node.element == "list":
            yield Paragraph("list", tuple(_blocks_in([node])))
        else:
            headed = any(isinstance(c, Block) and c.element == "head" for c in node.children)
            yield from paragraphs(node.children, level + 1 if headed else level)

"""Markdown exporter: YAML front matter with the header, then the reading text.

The text follows the plain-text rules (``to_text``): paragraphs where the TEI has them,
``lb`` and the lines of an address or closer as hard line breaks (a backslash at the end
of the line), editorial additions in brackets, quotations in quotation marks, deleted
text left out. Italic and bold ``hi``, ``emph``, ``title`` and ``foreign`` become ``*…*``
and ``**…**``; headings ``#``; notes footnotes (``[^1]``, as in GitHub, Pandoc and
most Markdown processors). Characters that Markdown would read as mark-up are escaped,
so no mark-up of the document or of Markdown leaks through.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import IO, Any, Final

from teikit.document import TeiDocument
from teikit.exporters import exporter
from teikit.exporters.flatten import Paragraph, flatten, paragraphs
from teikit.exporters.records import DocumentModel, Inline, Metadata, Span
from teikit.exporters.to_text import single_model
from teikit.recursion import deep_walks

__all__ = ["escape_markdown", "render_markdown", "write_markdown"]

_ESCAPE: Final = re.compile(r"([\\`*_\[\]<>~#|])")
_ENTITY: Final = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# What Markdown reads as block syntax at the start of a line: a block quote, a bullet or an
# ordered-list marker followed by a space, a thematic break or setext underline (CommonMark
# 4.1, 4.3, 5.1, 5.2).
_LINE_START: Final = re.compile(
    r"^([ ]{0,3})(>|-[- \t]*$|[-+](?=[ \t]|$)|=+[ \t]*$|\d{1,9}(?=[.)](?:[ \t]|$)))", re.MULTILINE
)
# Placeholders for emphasis until its neighbours are known: control characters that XML text
# cannot contain. An opening placeholder holds the marker: OPEN "*" OPEN core CLOSE.
_OPEN: Final = "\x03"
_CLOSE: Final = "\x04"
_MARKS: Final = _OPEN + _CLOSE
_EMPHASIS: Final = re.compile(f"{_OPEN}(\\*+){_OPEN}([^{_MARKS}]+){_CLOSE}")
_ITALIC: Final = frozenset({"i", "italic", "it", "italics", "slanted"})
_BOLD: Final = frozenset({"b", "bold", "strong"})
# YAML reads these as line ends or refuses them unescaped.
_YAML_ESCAPES: Final = {
    **{c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)},
    0x2028: "\\u2028",
    0x2029: "\\u2029",
    0xFEFF: "\\ufeff",
}


def escape_markdown(text: str) -> str:
    """Return *text* with the characters Markdown reads as mark-up escaped.

    >>> escape_markdown("a*b* [c] <d>")
    'a\\\\*b\\\\* \\\\[c\\\\] \\\\<d\\\\>'
    """
    return _ENTITY.sub(r"\\&", _ESCAPE.sub(r"\\\1", text))


def _escape_line_starts(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        indent, token = match.group(1), match.group(2)
        if token[0].isdigit():
            return f"{indent}{token}\\"  # "1. " becomes "1\. " (no ordered list)
        return f"{indent}\\{token}"

    return _LINE_START.sub(fix, text)


def _emphasis(span: Span) -> str:
    if span.kind in ("emph", "title"):
        return "*"
    if span.kind == "foreign":
        return "*"
    if span.kind == "hi":
        rends = set((span.attrs.get("rend") or "").replace("-", " ").split())
        if rends & _BOLD:
            return "**"
        if rends & _ITALIC:
            return "*"
    return ""


def _wrap(text: str, marker: str) -> str:
    """Return *text* between emphasis placeholders, with its outer spaces outside them."""
    core = text.strip(" ")
    if not marker or not core or "\n" in core:
        return text
    lead = text[: len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")) :]
    return f"{lead}{_OPEN}{marker}{_OPEN}{core}{_CLOSE}{trail}"


def _is_space(char: str) -> bool:
    return char in " \t\n\r\f" or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _resolve_emphasis(text: str) -> str:
    """Turn emphasis placeholders into ``*``/``**`` where CommonMark reads them as emphasis.

    A delimiter next to punctuation only opens (closes) emphasis when the character on its
    other side is a space or punctuation (CommonMark 6.2, "flanking"); where that fails,
    or next to another emphasis, the text is left plain rather than showing asterisks.
    """

    def resolve(match: re.Match[str]) -> str:
        marker, core = match.group(1), match.group(2)
        start, end = match.span()
        before = text[start - 1] if start else "\n"
        after = text[end] if end < len(text) else "\n"
        if before in _MARKS or after in _MARKS or _is_space(core[0]) or _is_space(core[-1]):
            return core
        if _is_punctuation(core[0]) and not (_is_space(before) or _is_punctuation(before)):
            return core
        if _is_punctuation(core[-1]) and not (_is_space(after) or _is_punctuation(after)):
            return core
        return f"{marker}{core}{marker}"

    return _EMPHASIS.sub(resolve, text)


def _inline_markdown(children: Sequence[Inline], lang: str | None) -> str:
    """Return the Markdown of a block's inline content."""
    stack: list[tuple[list[str], str]] = [([], "")]
    emphasised = 0  # emphasis inside emphasis is left out (one level is what Markdown keeps)
    last = "\n"

    def emit(text: str) -> None:
        nonlocal last
        if not text:
            return
        if text[0] == " " and last in " \n":
            text = text[1:]
            if not text:
                return
        stack[-1][0].append(text)
        last = text[-1]

    for event, value in flatten(children, lang):
        if event == "text":
            if value[0] == " " and last in " \n":
                value = value[1:]
            emit(escape_markdown(value))
        elif event == "mark":
            emit(value)
        elif event == "note":
            emit(f"[^{value}]")
        elif event == "break":
            if value.kind == "lb" and not value.join and any(stack[0][0]):
                while stack[-1][0] and stack[-1][0][-1].endswith(" "):
                    stack[-1][0][-1] = stack[-1][0][-1].rstrip(" ")
                emit("\\\n")
        elif event == "open":
            marker = "" if emphasised else _emphasis(value)
            emphasised += bool(marker)
            stack.append(([], marker))
        elif event == "close":
            parts, marker = stack.pop()
            emphasised -= bool(marker)
            stack[-1][0].append(_wrap("".join(parts), marker))
    text = _resolve_emphasis("".join(stack[0][0])).rstrip(" ")
    while text.endswith("\\\n"):
        text = text[:-2].rstrip(" ")
    # a generated "]" right before "(", "[" or ":" would make a link: escape it
    text = re.sub(r"(?<!\\)\](?=[(\[:])", r"\\]", text)
    return _escape_line_starts(text)


def _paragraph(paragraph: Paragraph) -> str:
    lines = []
    for block in paragraph.blocks:
        text = _inline_markdown(block.children, block.lang)
        if not text:
            continue
        if paragraph.kind == "list":
            text = "- " + text.replace("\n", "\n  ")
        lines.append(text)
    if not lines:
        return ""
    if paragraph.kind == "head":
        return "#" * min(paragraph.level + 1, 6) + " " + " ".join(lines).replace("\\\n", " ")
    if paragraph.kind == "row":
        return " \\| ".join(lines)
    if paragraph.kind == "list":
        return "\n".join(lines)
    return "\\\n".join(lines)


def _yaml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_YAML_ESCAPES)


def _yaml(key: str, value: Any, indent: str = "") -> list[str]:
    if value is None:
        return [f"{indent}{key}: null"]
    if isinstance(value, str):
        return [f"{indent}{key}: {_yaml_string(value)}"]
    if isinstance(value, list):
        if not value:
            return [f"{indent}{key}: []"]
        lines = [f"{indent}{key}:"]
        for item in value:
            if isinstance(item, dict):
                first = True
                for k, v in item.items():
                    sub = _yaml(k, v, indent + "    ")
                    sub[0] = (indent + "  - " if first else indent + "    ") + sub[0].lstrip()
                    lines.extend(sub)
                    first = False
            else:
                lines.append(f"{indent}  - {_yaml_string(str(item))}")
        return lines
    return [f"{indent}{key}: {_yaml_string(str(value))}"]


def front_matter(model: DocumentModel) -> str:
    """Return the YAML front matter of *model* (between ``---`` lines)."""
    metadata: Metadata = model.metadata
    date = metadata.date
    fields: list[tuple[str, Any]] = [
        ("title", metadata.title),
        ("document", model.name),
        ("language", metadata.language),
        ("sender", [p.name for p in metadata.senders]),
        ("recipient", [p.name for p in metadata.recipients]),
        ("place", [p.name for p in metadata.places]),
        ("date", date.iso if date is not None else None),
        ("date_text", date.text if date is not None and date.text else None),
        ("source", metadata.source),
        ("source_type", metadata.source_type),
        ("identifiers", [{"type": i.type, "value": i.value} for i in metadata.identifiers]),
        (
            "responsibility",
            [{"resp": r.resp, "names": list(r.names)} for r in metadata.responsibilities],
        ),
        ("publisher", metadata.publisher),
        ("licence", metadata.licence.text if metadata.licence else None),
        ("licence_url", metadata.licence.url if metadata.licence else None),
        (
            "topics",
            [t.label for t in metadata.topics],
        ),
    ]
    lines = ["---"]
    for key, value in fields:
        lines.extend(_yaml(key, value))
    lines.append("---")
    return "\n".join(lines)


def render_markdown(model: DocumentModel) -> str:
    """Return the Markdown of *model*: front matter, title, reading text, footnotes."""
    parts = [front_matter(model), "# " + escape_markdown(model.metadata.title)]
    parts.extend(filter(None, (_paragraph(p) for p in paragraphs(model.structure))))
    for note in model.notes:
        texts = [text for p in paragraphs(note.blocks) if (text := _paragraph(p))]
        body = "\n\n    ".join(t.replace("\n", "\n    ") for t in texts)
        parts.append(f"[^{note.number}]: {body}".rstrip())
    return "\n\n".join(parts) + "\n"


@exporter(
    "markdown",
    ".md",
    ".markdown",
    kind="document",
    description="the reading text as Markdown with YAML front matter and footnotes",
)
@deep_walks  # the renderer follows the document's nesting (issue 17)
def write_markdown(documents: Iterable[TeiDocument | DocumentModel], stream: IO[str]) -> None:
    """Write one document as Markdown with YAML front matter."""
    stream.write(render_markdown(single_model(documents, "markdown")))

"""Quick fixes and the outline: lint's proposals as edits, new register entries, symbols.

A proposal is applied as ``teikit annotate`` applies it: :func:`teikit.annotate` splices
the markup into the source text, and every other character stays as it was. The server
turns the annotated text back into insertions (annotate only ever inserts), and offers
each proposal's own insertions as the quick fix for its finding, with teikit's
``respStmt`` that ``@resp`` points to when the document does not have it yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lsprotocol import types
from lxml import etree

from teikit.kinds import ELEMENT_OF_KIND, LIST_OF_KIND, NAME_KINDS, entry_of
from teikit.lsp.buffers import Buffer, Files, uri_of
from teikit.lsp.features import _range, expected_kind
from teikit.lsp.text import tag_at
from teikit.namespaces import TEI_NS, XML_ID

if TYPE_CHECKING:
    from teikit.lsp.project import Checker

__all__ = ["Insertion", "Proposals", "code_actions", "insertions", "proposals", "symbols"]

_T: Final = f"{{{TEI_NS}}}"
_ATTRIBUTES: Final = re.compile(r"(?:\s+[\w:.-]+=(?:\"[^\"]*\"|'[^']*'))+")
_RESP_START: Final = re.compile(r"\n[ \t]*<(?:[\w.-]+:)?respStmt xml:id=")
_RESP_END: Final = "respStmt>"
#: The codes lint's proposals are applied for (those ``annotate`` applies).
APPLIED: Final = frozenset({"lint.untagged-name", "lint.untagged-date", "lint.date-without-value"})


@dataclass(frozen=True, slots=True)
class Insertion:
    """Text inserted at an offset of the original; *owner* is the proposal's index, or
    ``None`` for what all proposals share (teikit's ``respStmt``)."""

    offset: int
    text: str
    owner: int | None


def insertions(
    original: str, result: str, points: Sequence[tuple[int, int, str, int]]
) -> list[Insertion]:
    """Return the insertions that make *result* of *original*.

    *points* are ``(offset, priority, what, owner)`` where annotate inserts: ``open`` and
    ``close`` tags, or ``attributes``; one more insertion (the ``respStmt``) may be
    anywhere between them.

    :raises ValueError: *result* is not *original* with such insertions.
    """
    found: list[Insertion] = []
    o = r = 0

    def segment(end: int) -> None:
        nonlocal o, r
        piece = original[o:end]
        if result.startswith(piece, r):
            r += len(piece)
            o = end
            return
        for match in _RESP_START.finditer(result, r):
            same = match.start() - r
            if same > len(piece):
                break
            if result[r : match.start()] != piece[:same]:
                continue
            stop = result.find(_RESP_END, match.end())
            if stop < 0:
                break
            stop += len(_RESP_END)
            if result.startswith(piece[same:], stop):
                found.append(Insertion(o + same, result[match.start() : stop], None))
                r = stop + len(piece) - same
                o = end
                return
        raise ValueError("the annotated text is not the original with insertions")

    for offset, _priority, what, owner in sorted(points, key=lambda p: (p[0], p[1])):
        segment(offset)
        if what == "attributes":
            match = _ATTRIBUTES.match(result, r)
            if match is None:
                raise ValueError("no attributes inserted where expected")
            text = match.group()
        else:
            if not result.startswith("<", r):
                raise ValueError("no tag inserted where expected")
            text = result[r : result.index(">", r) + 1]
        found.append(Insertion(offset, text, owner))
        r += len(text)
    segment(len(original))
    if r != len(result):
        raise ValueError("the annotated text is longer than its insertions")
    return found


@dataclass(frozen=True, slots=True)
class Proposals:
    """Lint's applicable proposals for one version of a buffer, as insertions."""

    version: int
    applied: tuple[Any, ...]  # teikit.linting.Suggestion
    insertions: tuple[Insertion, ...]

    def for_finding(self, code: str, line: int, column: int | None) -> int | None:
        """Return the index of the proposal reported at *line*:*column* with *code*."""
        for index, suggestion in enumerate(self.applied):
            if (suggestion.code, suggestion.line, suggestion.column) == (code, line, column):
                return index
        return None

    def edits(self, buffer: Buffer, owner: int | None) -> list[types.TextEdit]:
        """Return the edits of proposal *owner* (``None``: all of them) and the shared ones."""
        return [
            types.TextEdit(_range(buffer, i.offset, i.offset), i.text)
            for i in self.insertions
            if owner is None or i.owner in (owner, None)
        ]


def proposals(buffer: Buffer, checker: Checker) -> Proposals | None:
    """Return lint's proposals that ``annotate`` would apply to *buffer*, as insertions."""
    import teikit
    from teikit.errors import TeikitError
    from teikit.lsp.project import buffer_bytes

    data = buffer_bytes(buffer.text)
    try:
        _document, corpus, _records = checker.corpus(buffer.name, buffer.path, data)
        annotation = teikit.annotate(
            data,
            corpus=corpus,
            name=buffer.name,
            indexes=checker.settings.indexes,
            config=checker.settings.config,
            keep_valid=False,
        )
    except TeikitError:
        return None
    if annotation.original != buffer.text:  # a byte-order mark, another encoding
        return None
    points: list[tuple[int, int, str, int]] = []
    for index, suggestion in enumerate(annotation.applied):
        span = suggestion.anchor.source_span if suggestion.anchor is not None else None
        if span is None:  # an applied proposal always has its place in the source
            return None
        if suggestion.code == "lint.date-without-value":
            points.append((span[0], 1, "attributes", index))
        else:
            points.append((span[0], 1, "open", index))
            points.append((span[1], 0, "close", index))
    try:
        found = insertions(annotation.original, annotation.text, points)
    except ValueError:
        return None
    return Proposals(buffer.version, annotation.applied, tuple(found))


def _title(suggestion: Any) -> str:
    if suggestion.code == "lint.date-without-value":
        return f'add @{suggestion.attribute}="{suggestion.value}"'
    return f"tag '{suggestion.text}' as {suggestion.markup}"


# -- register entries ----------------------------------------------------------------------
_UNRESOLVED: Final = re.compile(r"^@([\w:.-]+)='#([^'\s#]+)' points to nothing")


def _entry_edit(
    buffer: Buffer, diagnostic: types.Diagnostic, checker: Checker, files: Files
) -> types.CodeAction | None:
    """Return "create a register entry" for an unresolved ``#id`` pointer, if it has a kind."""
    match = _UNRESOLVED.match(diagnostic.message)
    if match is None:
        return None
    ident = match.group(2)
    offset = buffer.lines.offset(diagnostic.range.start.line, diagnostic.range.start.character)
    context = tag_at(buffer.text, offset + 1)
    if context is None or context.attribute is None:
        return None
    kind = expected_kind(context) or NAME_KINDS.get(context.local_name)
    if kind is None:
        return None
    name = _mention_text(buffer.text, context.start)
    list_name = LIST_OF_KIND[kind]
    for register in [*(files.get(r.path) for r in checker.registers() if r.path), buffer]:
        if register is None:
            continue
        end = _list_end(register.text, list_name)
        if end is None:
            continue
        edit = _new_entry(register, end, kind, ident, name)
        return types.CodeAction(
            title=f"create a {kind} entry #{ident} in <{list_name}> of {Path(register.name).name}",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=types.WorkspaceEdit(changes={register.uri: [edit]}),
        )
    return None


def _mention_text(text: str, start: int) -> str:
    close = text.find(">", start)
    end = text.find("<", close)
    if close < 0 or end < 0 or end - close > 200:
        return ""
    return " ".join(text[close + 1 : end].split())


def _list_end(text: str, list_name: str) -> int | None:
    """Return the offset of the last ``</listPerson>`` (any prefix) in *text*."""
    found = None
    for match in re.finditer(rf"</(?:[\w.-]+:)?{list_name}\s*>", text):
        found = match.start()
    return found


def _new_entry(register: Buffer, end: int, kind: str, ident: str, name: str) -> types.TextEdit:
    text = register.text
    line_start = text.rfind("\n", 0, end) + 1
    indent = text[line_start:end] if not text[line_start:end].strip() else ""
    inner = indent + "  "
    entry = {"person": "person", "place": "place", "org": "org", "event": "event"}[kind]
    name_element = ELEMENT_OF_KIND.get(kind, "eventName")
    from xml.sax.saxutils import escape

    added = (
        f'{inner}<{entry} xml:id="{ident}">\n'
        f"{inner}  <{name_element}>{escape(name or ident)}</{name_element}>\n"
        f"{inner}</{entry}>\n"
    )
    at = line_start if not text[line_start:end].strip() else end
    return types.TextEdit(_range(register, at, at), added if at == line_start else "\n" + added)


# -- code actions --------------------------------------------------------------------------
def code_actions(
    buffer: Buffer,
    diagnostics: Iterable[types.Diagnostic],
    checker: Checker,
    files: Files,
    found: Proposals | None,
) -> list[types.CodeAction]:
    """Return the quick fixes for *diagnostics* and "apply all lint proposals"."""
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        code = str(diagnostic.code or "")
        if code in APPLIED and found is not None:
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            index = found.for_finding(code, data.get("line", -1), data.get("column"))
            if index is None:
                continue
            actions.append(
                types.CodeAction(
                    title=_title(found.applied[index]),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=types.WorkspaceEdit(changes={buffer.uri: found.edits(buffer, index)}),
                )
            )
        elif code == "integrity.unresolved-pointer":
            action = _entry_edit(buffer, diagnostic, checker, files)
            if action is not None:
                actions.append(action)
    if found is not None and found.applied:
        actions.append(
            types.CodeAction(
                title=f"apply all {len(found.applied)} lint proposals (teikit annotate)",
                kind=types.CodeActionKind.SourceFixAll,
                edit=types.WorkspaceEdit(changes={buffer.uri: found.edits(buffer, None)}),
            )
        )
    return actions


# -- symbols -------------------------------------------------------------------------------
_DIVISIONS: Final = frozenset(f"{_T}{n}" for n in ("div", *(f"div{i}" for i in range(1, 8))))
_SECTIONS: Final = {
    f"{_T}{n}": n for n in ("teiHeader", "standOff", "text", "front", "body", "back")
}
_LISTS: Final = frozenset(f"{_T}{n}" for n in LIST_OF_KIND.values())


def _span(buffer: Buffer, element: etree._Element, source: Any) -> types.Range:
    if source is not None and element in source.start_tag_start:
        start = source.start_tag_start[element]
        end_tag = source.end_tag_start.get(element)
        end = (
            buffer.text.find(">", end_tag) + 1
            if end_tag is not None
            else source.start_tag_end[element] + 2
        )
        return _range(buffer, start, end)
    line = element.sourceline if isinstance(element.sourceline, int) else 1
    offset = buffer.lines.offset_of(line, None)
    return _range(buffer, offset, offset)


def _division_name(element: etree._Element) -> str:
    head = element.find(f"{_T}head")
    parts = [etree.QName(element).localname]
    for attribute in ("type", "subtype", "n"):
        if element.get(attribute):
            parts.append(f"{attribute}={element.get(attribute)}")
    heading = " ".join(str(t) for t in head.itertext()).split() if head is not None else []
    if heading:
        parts.append(" ".join(heading)[:60])
    elif element.get(XML_ID):
        parts.append(f"#{element.get(XML_ID)}")
    return " ".join(parts)


def symbols(buffer: Buffer, lint_findings: Sequence[Any] = ()) -> list[types.DocumentSymbol]:
    """Return the outline: header, divisions, registers, and lint's proposals."""
    from teikit.entities.register import label_of
    from teikit.linting.source import SourceMap

    document = buffer.tree()
    if document is None:
        return []
    mapped = SourceMap(buffer.text, document.root)
    source = mapped if mapped.ok else None

    def walk(element: etree._Element) -> list[types.DocumentSymbol]:
        found: list[types.DocumentSymbol] = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name: str | None = None
            kind = types.SymbolKind.Namespace
            if child.tag in _SECTIONS:
                name = _SECTIONS[child.tag]
                kind = types.SymbolKind.Module
            elif child.tag in _DIVISIONS:
                name, kind = _division_name(child), types.SymbolKind.Class
            elif child.tag in _LISTS:
                name, kind = etree.QName(child).localname, types.SymbolKind.Array
            elif entry_of(child) is child and child.get(XML_ID):
                name = f"#{child.get(XML_ID)} {label_of(child) or ''}".strip()
                kind = types.SymbolKind.Object
            if name is None:
                found.extend(walk(child))
                continue
            span = _span(buffer, child, source)
            found.append(types.DocumentSymbol(name, kind, span, span, children=walk(child) or None))
        return found

    outline = walk(document.root)
    proposals_found = [d for d in lint_findings if str(d.code).startswith("lint.")]
    if proposals_found:
        first = proposals_found[0].range
        last = proposals_found[-1].range
        children = [
            types.DocumentSymbol(
                d.message[:80], types.SymbolKind.Event, d.range, d.range, detail=str(d.code)
            )
            for d in proposals_found
        ]
        outline.append(
            types.DocumentSymbol(
                f"lint proposals ({len(children)})",
                types.SymbolKind.Package,
                types.Range(first.start, last.end),
                types.Range(first.start, first.end),
                children=children,
            )
        )
    return outline


def register_uri(path: Path) -> str:
    """Return the URI of a register file."""
    return uri_of(path)

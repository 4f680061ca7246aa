"""Completion, hover, definition, references and symbols over one buffer.

Each function takes a :class:`~teikit.lsp.buffers.Buffer`, an offset in its text and the
:class:`~teikit.lsp.project.Checker` (for the registers), and returns the protocol's
records. Pointers are resolved by :class:`teikit.pointers.PointerResolver`, the kinds of
mentions and entries come from :mod:`teikit.kinds`, register entries are read by
:func:`teikit.entities.register.read_entry`: the server says what the command line says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lsprotocol import types
from lxml import etree

from teikit.errors import TeikitError
from teikit.kinds import ENTRY_KINDS, KIND_NAMES, entry_of, mention_kind
from teikit.lsp.buffers import Buffer, Files, uri_of
from teikit.lsp.text import (
    TagContext,
    id_definitions,
    is_pointer_attribute,
    pointer_tokens,
    start_tag_span,
    tag_at,
)
from teikit.namespaces import TEI_NS, XML_ID

if TYPE_CHECKING:
    from teikit.document import TeiDocument
    from teikit.lsp.project import Checker

__all__ = [
    "Target",
    "complete",
    "definition",
    "hover",
    "references",
    "targets",
]

_T: Final = f"{{{TEI_NS}}}"
#: Attributes whose pointers name a mention's entry: candidates are filtered by kind.
_KIND_ATTRIBUTES: Final = frozenset({"ref", "key", "who", "corresp", "sameAs"})
_WHO_KIND: Final = "person"  # @who points to a speaker or an agent: a person


def _range(buffer: Buffer, start: int, end: int) -> types.Range:
    line, character = buffer.lines.position(start)
    end_line, end_character = buffer.lines.position(end)
    return types.Range(types.Position(line, character), types.Position(end_line, end_character))


# -- targets -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """An element a pointer may name: an ``xml:id`` of the document or of a register file."""

    ident: str
    pointer: str  # what is written in the attribute: ``#stalin``
    kind: str | None  # the register entry kind (person, place, org, event), if an entry
    label: str | None  # the entry's canonical name, or a label
    source: str  # the document or register file it is defined in
    element: etree._Element


def _label(element: etree._Element) -> str | None:
    from teikit.entities.register import label_of

    return label_of(element)


def _targets_of(document: TeiDocument, prefix: str = "#") -> Iterator[Target]:
    from teikit.pointers import id_index

    for ident, element in id_index(document.root).items():
        kind = ENTRY_KINDS.get(str(element.tag))
        yield Target(ident, f"{prefix}{ident}", kind, _label(element), document.name, element)


def targets(buffer: Buffer, checker: Checker) -> list[Target]:
    """Return the ids ``#id`` may name from *buffer*: its own, then the registers'."""
    found: dict[str, Target] = {}
    tree = buffer.best_tree()
    if tree is not None:
        for target in _targets_of(tree):
            found.setdefault(target.pointer, target)
    else:  # never well-formed: the ids as written, an entry's first name as its label
        for tag, ident, start, _end in id_definitions(buffer.text):
            local = tag.rpartition(":")[2]
            kind = ENTRY_KINDS.get(f"{_T}{local}")
            label = _written_name(buffer.text, start, local) if kind else None
            element = etree.Element(f"{_T}{local}")
            target = Target(ident, f"#{ident}", kind, label, buffer.name, element)
            found.setdefault(target.pointer, target)
    for register in checker.registers():
        for target in _targets_of(register):
            found.setdefault(target.pointer, target)
    return list(found.values())


_WRITTEN_NAME: Final = re.compile(
    r"<(?:[\w.-]+:)?(?:persName|placeName|orgName|eventName|name)(?:\s[^<>]*)?>([^<]+)<"
)


def _written_name(text: str, start: int, tag: str) -> str | None:
    """Return the first name inside the entry ``<tag>`` whose ``xml:id`` is at *start*."""
    end = text.find(f"{tag}>", start)
    match = _WRITTEN_NAME.search(text, start, end if end >= 0 else start + 4096)
    return " ".join(match.group(1).split()) if match is not None else None


def expected_kind(context: TagContext) -> str | None:
    """Return the entry kind a pointer in *context*'s attribute must name (``persName/@ref``)."""
    if context.attribute not in _KIND_ATTRIBUTES:
        return None
    if context.attribute == "who":
        return _WHO_KIND
    attributes = {k: v for k, v in context.attributes.items() if ":" not in k}
    try:
        element = etree.Element(f"{_T}{context.local_name}", attributes)
    except ValueError:
        return None
    kind = mention_kind(element)
    return kind if kind in ("person", "place", "org", "event") else None


# -- completion ----------------------------------------------------------------------------
def complete(buffer: Buffer, offset: int, checker: Checker) -> list[types.CompletionItem]:
    """Return the completions at *offset*: pointer values, else the schema's names."""
    context = tag_at(buffer.text, offset)
    if context is not None and context.attribute and is_pointer_attribute(context.attribute):
        return _pointer_items(buffer, context, offset, checker)
    return _schema_items(buffer, offset, checker.grammar(buffer.name))


def _pointer_items(
    buffer: Buffer, context: TagContext, offset: int, checker: Checker
) -> list[types.CompletionItem]:
    kind = expected_kind(context)
    replace = _range(buffer, context.token_start, context.token_end)
    items: list[types.CompletionItem] = []
    for target in targets(buffer, checker):
        if kind is not None and target.kind != kind:
            continue
        kind_name = (
            KIND_NAMES[target.kind][0] if target.kind else etree.QName(target.element).localname
        )
        detail = f"{target.label} ({kind_name})" if target.label else kind_name
        items.append(
            types.CompletionItem(
                label=target.pointer,
                kind=types.CompletionItemKind.Reference,
                detail=detail,
                documentation=f"defined in {target.source}",
                filter_text=f"{target.pointer} {target.label or ''}".strip(),
                sort_text=f"{0 if target.kind else 1}{target.pointer}",
                text_edit=types.TextEdit(replace, target.pointer),
            )
        )
    return items


_SCHEMA_KINDS: Final = {
    "element": types.CompletionItemKind.Class,
    "attribute": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.EnumMember,
}


def _schema_items(buffer: Buffer, offset: int, schema: Path | None) -> list[types.CompletionItem]:
    """Return the names or values *schema* (None: TEI All) allows at *offset*."""
    from teikit.lsp.grammar import complete_at

    try:
        found = complete_at(buffer.text, offset, schema)
    except TeikitError:  # the schema cannot be read as RELAX NG: no schema names
        return []
    return [
        types.CompletionItem(
            label=item.label,
            kind=_SCHEMA_KINDS.get(item.kind, types.CompletionItemKind.Text),
            detail=item.kind,
            documentation=item.detail,
        )
        for item in found
    ]


# -- hover ---------------------------------------------------------------------------------
def _pointer_at(buffer: Buffer, offset: int) -> tuple[TagContext, str] | None:
    context = tag_at(buffer.text, offset)
    if context is None or not context.attribute or not is_pointer_attribute(context.attribute):
        return None
    token = buffer.text[context.token_start : context.token_end]
    return (context, token) if token else None


def resolve(buffer: Buffer, token: str, checker: Checker) -> Any:
    """Return the :class:`teikit.pointers.Resolution` of *token* in *buffer*, or ``None``."""
    document = buffer.best_tree()
    if document is None:
        return None
    return checker.resolver().resolve(token, document)


def _entry_markdown(element: etree._Element, source: str) -> str:
    from teikit.entities.register import read_entry
    from teikit.exporters.model import AUTHORITY_URLS

    entry = read_entry(element, source)
    if entry is None:
        label = _label(element) or etree.QName(element).localname
        return f"**{label}** (`<{etree.QName(element).localname}>`)"
    lines = [f"**{entry.canonical_name or entry.id}** ({KIND_NAMES[entry.type][0]}, `#{entry.id}`)"]
    if entry.name_forms:
        lines.append("names: " + "; ".join(entry.name_forms))
    if entry.birth or entry.death:
        lines.append(f"dates: {entry.birth or '?'} – {entry.death or '?'}")
    for authority, value in entry.identifiers:
        url = AUTHORITY_URLS.get(authority, "{}").format(value)
        lines.append(f"{authority}: [{value}]({url})")
    lines.extend(f"id: {other}" for other in entry.other_ids)
    if entry.latitude is not None:
        lines.append(f"coordinates: {entry.latitude}, {entry.longitude}")
    lines.append(f"defined in {source}" + (f", line {entry.line}" if entry.line else ""))
    return "  \n".join(lines)


def hover(buffer: Buffer, offset: int, checker: Checker) -> types.Hover | None:
    """Return the register entry a pointer names, or the value of a ``date``."""
    found = _pointer_at(buffer, offset)
    if found is not None:
        context, token = found
        resolution = resolve(buffer, token, checker)
        if resolution is None:
            return None
        span = _range(buffer, context.token_start, context.token_end)
        if resolution.target is None:
            reason = resolution.reason or resolution.status.value
            return types.Hover(
                types.MarkupContent(types.MarkupKind.Markdown, f"`{token}`: {reason}"), span
            )
        entry = entry_of(resolution.target)
        document = resolution.document
        source = document.name if document is not None else buffer.name
        text = _entry_markdown(entry if entry is not None else resolution.target, source)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), span)
    return _date_hover(buffer, offset)


_DATE_TAG: Final = re.compile(r"<((?:[\w.-]+:)?date)(?=[\s/>])")


def _date_hover(buffer: Buffer, offset: int) -> types.Hover | None:
    from teikit.dates import read_dates

    text = buffer.text
    lt = text.rfind("<", max(0, offset - 4096), offset + 1)
    if lt < 0 or _DATE_TAG.match(text, lt) is None:
        return None
    start, end = start_tag_span(text, lt)
    context = tag_at(text, min(end - 1, len(text)))
    if context is None or offset > end and "<" in text[end:offset]:
        return None
    reading = read_dates(context.attributes)
    lines: list[str] = []
    for name, value in reading.values.items():
        days = ""
        if value.earliest and value.latest and value.earliest != value.latest:
            days = f", {value.earliest} to {value.latest}"
        lines.append(f"@{name}: **{value.value}** ({value.precision} precision{days})")
    lines.extend(f"@{name}: `{raw}` is not a valid date" for name, raw in reading.rejected)
    if not lines:
        lines.append("no machine-readable value (@when, @from, @to, @notBefore, @notAfter)")
    return types.Hover(
        types.MarkupContent(types.MarkupKind.Markdown, "  \n".join(lines)),
        _range(buffer, start, end),
    )


# -- definition and references -------------------------------------------------------------
def _location(buffer: Buffer, element: etree._Element) -> types.Location:
    """Return where *element* starts in *buffer* (its start tag)."""
    ident = element.get(XML_ID)
    line = element.sourceline if isinstance(element.sourceline, int) else 1
    start = buffer.lines.offset_of(line, None)
    text = buffer.text
    if ident is not None:
        match = re.compile(rf"xml:id\s*=\s*[\"']{re.escape(ident)}[\"']").search(text, start)
        if match is not None:
            lt = text.rfind("<", 0, match.start())
            start = lt if lt >= 0 else match.start()
    else:
        lt = text.find("<", start)
        start = lt if lt >= 0 else start
    tag_start, tag_end = start_tag_span(text, start)
    return types.Location(buffer.uri, _range(buffer, tag_start, tag_end))


def definition(
    buffer: Buffer, offset: int, checker: Checker, files: Files
) -> types.Location | None:
    """Return where the pointer at *offset* leads: its target, in this file or another."""
    found = _pointer_at(buffer, offset)
    if found is None:
        return None
    resolution = resolve(buffer, found[1], checker)
    if resolution is None or resolution.target is None or resolution.document is None:
        return None
    document = resolution.document
    current = buffer.best_tree()
    if current is not None and document.tree is current.tree:
        return _location(buffer, resolution.target)
    if document.path is None:
        return None
    other = files.get(document.path)
    return None if other is None else _location(other, resolution.target)


def _target_at(buffer: Buffer, offset: int, checker: Checker) -> tuple[str, Path | None] | None:
    """Return the id under the cursor and the file defining it: a pointer's or an ``xml:id``."""
    context = tag_at(buffer.text, offset)
    if context is None or not context.attribute:
        return None
    token = buffer.text[context.token_start : context.token_end]
    if context.attribute == "xml:id":
        return token, buffer.path
    if is_pointer_attribute(context.attribute):
        resolution = resolve(buffer, token, checker)
        if resolution is not None and resolution.target is not None:
            entry = entry_of(resolution.target)
            element = entry if entry is not None else resolution.target
            ident = element.get(XML_ID)
            document = resolution.document
            if ident is not None and document is not None:
                return ident, document.path
    return None


def references(
    buffer: Buffer,
    offset: int,
    checker: Checker,
    others: Iterable[Buffer],
    include_declaration: bool = True,
) -> list[types.Location]:
    """Return every pointer to the entry at *offset* in *buffer* and in *others*."""
    found = _target_at(buffer, offset, checker)
    if found is None:
        return []
    ident, defined_in = found
    registers = {r.path.resolve() for r in checker.registers() if r.path is not None}
    home = defined_in.resolve() if defined_in is not None else None
    locations: list[types.Location] = []
    seen: set[str] = set()
    for other in (buffer, *others):
        if other.uri in seen:
            continue
        seen.add(other.uri)
        here = other.path.resolve() if other.path is not None else None
        local = here == home or home in registers  # where "#id" names this entry
        for token in pointer_tokens(other.text):
            value = token.value
            if value == f"#{ident}" and local:
                locations.append(types.Location(other.uri, _range(other, token.start, token.end)))
            elif value.endswith(f"#{ident}") and not value.startswith("#") and here is not None:
                target = (here.parent / value.rpartition("#")[0]).resolve()
                if target == home:
                    locations.append(
                        types.Location(other.uri, _range(other, token.start, token.end))
                    )
        if include_declaration and here == home:
            for _tag, defined, start, end in id_definitions(other.text):
                if defined == ident:
                    locations.append(types.Location(other.uri, _range(other, start, end)))
    return locations


def location_of_path(path: Path, files: Files, element: etree._Element) -> types.Location | None:
    """Return where *element* of the file *path* is."""
    other = files.get(path)
    return None if other is None else _location(other, element)


def document_uri(path: Path) -> str:
    """Return the URI of *path* (for edits in register files)."""
    return uri_of(path)

"""Write a :class:`~teikit.entities.propose.RegisterProposal`: TEI for review, or JSON.

The TEI file is valid against TEI All: a ``teiHeader`` saying who proposed it, when and
from which documents; a ``standOff`` with ``listPerson``/``listPlace``/``listOrg`` (one
entry per entity: the preferred name, the variants as ``@type="variant"``, a note on
where it is mentioned); and a ``div type="ref-rewrites"`` whose table gives, for every
mention, the file, line, column, element, text, old pointer and new ``@ref``.

>>> sorted(REGISTER_FORMATS)
['json', 'tei']
>>> register_format(None, Path("proposal.json")).name
'json'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from lxml import etree

from teikit.entities.propose import ProposedEntry, RegisterProposal, Rewrite
from teikit.kinds import ELEMENT_OF_KIND, LIST_OF_KIND
from teikit.namespaces import TEI_NS, XML_ID
from teikit.registry import Registry

__all__ = [
    "REGISTER_FORMATS",
    "RegisterFormat",
    "register_format",
    "write_proposal_json",
    "write_proposal_tei",
]

# kind -> (list element, entry element, name element, plural used in messages)
_TEI_NAMES: Final = {
    kind: (LIST_OF_KIND[kind], kind, element, f"{kind}s")
    for kind, element in ELEMENT_OF_KIND.items()
}
_CELL: Final = f"{{{TEI_NS}}}cell"
_COLUMNS: Final = (
    "entry",
    "document",
    "line",
    "column",
    "element",
    "text",
    "attribute",
    "old value",
    "new @ref",
)


_ROWS: Final = "teikit: rewrite rows"
_TABLE: Final = f"{{{TEI_NS}}}table"


def _sub(
    parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{TEI_NS}}}{name}", attributes)
    element.text = text
    return element


def _mentions_note(entry: ProposedEntry) -> str:
    count = len(entry.rewrites)
    documents = len(entry.documents)
    forms = ", ".join(f"{form} ({n})" for form, n in entry.forms)
    return (
        f"{count} mention{'s' if count != 1 else ''} in {documents} "
        f"document{'s' if documents != 1 else ''}: {forms}."
    )


def _entry(parent: etree._Element, entry: ProposedEntry) -> None:
    _, tag, name_tag, _ = _TEI_NAMES[entry.kind]
    element = _sub(parent, tag)
    element.set(XML_ID, entry.id)
    _sub(element, name_tag, entry.name)
    for variant in entry.variants:
        _sub(element, name_tag, variant, type="variant")
    _sub(element, "note", _mentions_note(entry), type="mentions")


def _row(table: etree._Element, rewrite: Rewrite) -> None:
    row = _sub(table, "row")
    _sub(_sub(row, "cell"), "ref", rewrite.entity_id, target=f"#{rewrite.entity_id}")
    _sub(row, "cell", rewrite.document)
    _sub(row, "cell", "" if rewrite.line is None else str(rewrite.line))
    _sub(row, "cell", "" if rewrite.column is None else str(rewrite.column))
    _sub(_sub(row, "cell"), "gi", rewrite.element)
    _sub(row, "cell", rewrite.text)
    attribute = _sub(row, "cell")
    if rewrite.attribute is not None:
        _sub(attribute, "att", rewrite.attribute)
    old = _sub(row, "cell")
    if rewrite.old is not None:
        _sub(old, "val", rewrite.old)
    _sub(_sub(row, "cell"), "val", rewrite.new)


def proposal_tree(proposal: RegisterProposal, *, rows: bool = True) -> etree._Element:
    """Return the TEI document for review, as an element tree.

    With *rows* false the rewrites table holds its label row and, where the rewrite rows
    go, the placeholder comment :data:`_ROWS` (:func:`write_proposal_tei` streams them).
    """
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})  # type: ignore[dict-item]
    file_desc = _sub(_sub(root, "teiHeader"), "fileDesc")
    _sub(_sub(file_desc, "titleStmt"), "title", "Register proposed by teikit register build")
    when = proposal.date.isoformat()
    publication = _sub(_sub(file_desc, "publicationStmt"), "p", "Proposed by teikit on ")
    _sub(publication, "date", when, when=when).tail = (
        " for review: check each entry, merge or split entries, then add them to a register "
        "and apply the @ref rewrites."
    )
    source_desc = _sub(file_desc, "sourceDesc")
    count = len(proposal.documents)
    sources = _sub(
        source_desc,
        "p",
        f"Proposed from the persons, places and organisations without a register entry in "
        f"{count} document{'s' if count != 1 else ''}"
        + (f" ({len(proposal.failed)} more could not be read)" if proposal.failed else "")
        + (":" if count else "."),
    )
    if proposal.documents:
        documents = _sub(sources, "list")
        for name in proposal.documents:
            _sub(documents, "item", name)
    if proposal.entries:
        stand_off = _sub(root, "standOff")
        for kind, (list_tag, _, _, _) in _TEI_NAMES.items():
            entries = [e for e in proposal.entries if e.kind == kind]
            if entries:
                register = _sub(stand_off, list_tag)
                for entry in entries:
                    _entry(register, entry)
    div = _sub(_sub(_sub(root, "text"), "body"), "div", type="ref-rewrites")
    _sub(div, "head", "@ref rewrites")
    if not proposal.rewrites:
        _sub(div, "p", "No person, place or organisation without a register entry was found.")
        return root
    target = proposal.register_path or "the document itself"
    _sub(
        div,
        "p",
        f"Each row is a mention to point at its proposed entry (new @ref values point into "
        f"{target}). Line and column are those of the start tag; attribute and old value "
        "give the pointer the mention has now, if any.",
    )
    table = _sub(div, "table", rows=str(len(proposal.rewrites) + 1), cols=str(len(_COLUMNS)))
    header = _sub(table, "row", role="label")
    for column in _COLUMNS:
        _sub(header, "cell", column)
    if not rows:
        table.append(etree.Comment(_ROWS))
        return root
    for rewrite in proposal.rewrites:
        _row(table, rewrite)
    return root


def _layout(root: etree._Element, level: int = 0) -> None:
    """Indent *root* by two spaces a level, keeping each cell on one line."""
    etree.indent(root, space="  ", level=level)
    for cell in root.iter(_CELL):  # keep each cell on one line: "<cell><val>#id</val></cell>"
        cell.text = cell.text if len(cell) == 0 else None
        for child in cell:
            child.tail = None


def write_proposal_tei(proposal: RegisterProposal, stream: IO[str]) -> None:
    """Write *proposal* as a TEI document for review.

    The rewrite rows (one a mention, the bulk of a corpus's proposal) are written one at a
    time, so memory holds one row's tree rather than the whole table's (issue 18); the text
    is the same as serialising :func:`proposal_tree` indented.
    """
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = proposal_tree(proposal, rows=False)
    _layout(root)
    text = etree.tostring(root, encoding="unicode")
    before, placeholder, after = text.partition(f"<!--{_ROWS}-->")
    if not placeholder:  # no rewrites, no table
        stream.write(text)
        stream.write("\n")
        return
    indent = before[before.rindex("\n") + 1 :]
    level = len(indent) // 2
    table = next(root.iter(_TABLE))
    declaration = f' xmlns="{TEI_NS}"'
    stream.write(before)
    for n, rewrite in enumerate(proposal.rewrites):
        _row(table, rewrite)
        row = table[-1]
        _layout(row, level)
        # Serialised alone, the row repeats the default namespace the document declares.
        written = etree.tostring(row, encoding="unicode", with_tail=False)
        table.remove(row)
        if n:
            stream.write("\n" + indent)
        stream.write(written.replace(declaration, "", 1))
    stream.write(after)
    stream.write("\n")


def write_proposal_json(proposal: RegisterProposal, stream: IO[str]) -> None:
    """Write *proposal* as JSON: entries and rewrites, for scripts."""
    json.dump(proposal.as_dict(), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


@dataclass(frozen=True, slots=True)
class RegisterFormat:
    """An output format of ``teikit register build``."""

    name: str
    suffixes: tuple[str, ...]
    write: Callable[[RegisterProposal, IO[str]], None]
    #: Whether the new ``@ref`` values can point into the output file itself.
    is_register: bool

    def register_path(self, output: Path) -> Path:
        """Return the register file the rewrites point into when writing to *output*."""
        return output if self.is_register else output.with_suffix(".xml")


#: The output formats by name; the first is the default for an unknown suffix.
#: The output formats of ``teikit register build``, by name.
REGISTER_FORMATS: Final = Registry[RegisterFormat]("register format")
REGISTER_FORMATS.register("tei", RegisterFormat("tei", (".xml", ".tei"), write_proposal_tei, True))
REGISTER_FORMATS.register("json", RegisterFormat("json", (".json",), write_proposal_json, False))


def register_format(name: str | None, path: Path | None = None) -> RegisterFormat:
    """Return the format called *name*, else the one of *path*'s suffix, else TEI.

    :raises UnknownFormatError: no format has that name.
    """
    if name is not None:
        return REGISTER_FORMATS.get(name)
    suffix = path.suffix.lower() if path is not None else ""
    for _, spec in REGISTER_FORMATS.items():
        if suffix in spec.suffixes:
            return spec
    return REGISTER_FORMATS.get("tei")

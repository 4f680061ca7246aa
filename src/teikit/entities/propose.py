"""Propose a register for the mentions that have none (``teikit register build``, issue 7).

A person, place or organisation mention *needs an entry* when it has no pointer, or when
every token of its ``@ref`` (or ``@key``) points to nothing. Mentions whose pointer
resolves, reaches an entry of another kind or is an external URI are left alone.

Mentions are grouped per kind by :func:`grouping_key`: Unicode NFC, whitespace collapsed,
surrounding punctuation stripped, case folded. Nothing fuzzier: "Filippov", "FILIPPOV"
and "[Filippov]" are one entry, "Filipov" is another, and a reviewer merges the rest.
"""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeGuard
from urllib.parse import quote

from lxml import etree

from teikit.diagnostics import Report
from teikit.document import TeiDocument
from teikit.entities.config import MentionTable
from teikit.entities.extract import extract_entities
from teikit.entities.model import Mention, Record, Status
from teikit.errors import DocumentLoadError, InputError
from teikit.indexes import load_indexes
from teikit.kinds import ELEMENT_OF_KIND
from teikit.namespaces import NSMAP
from teikit.pointers import id_index
from teikit.progress import ProgressCallback
from teikit.roots import load_tei

__all__ = [
    "PROPOSED_KINDS",
    "ProposedEntry",
    "RegisterProposal",
    "Rewrite",
    "grouping_key",
    "make_id",
    "propose_register",
]

#: The kinds of entity a register is proposed for, in output order.
PROPOSED_KINDS: Final = tuple(ELEMENT_OF_KIND)

_PLURALS: Final = {kind: f"{kind}s" for kind in PROPOSED_KINDS}  # as --only spells them
PathSource = str | os.PathLike[str] | bytes | TeiDocument

# Markup that is not an element start tag is skipped when start tags are located by text.
_MARKUP: Final = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)"
    r"|<([^\s/>!?][^\s/>]*)",
    re.DOTALL,
)
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
_SLUG_LENGTH: Final = 40
# Latin letters that Unicode does not decompose into an ASCII letter and a mark.
_LATIN: Final = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)


def grouping_key(text: str) -> str:
    """Return the key that groups obvious variants of a name: case, spacing, punctuation.

    NFC, whitespace runs collapsed to one space, punctuation and spaces stripped from both
    ends, case folded; repeated until stable, so that the key of a key is itself.

    >>> grouping_key(" FILIPPOV! ") == grouping_key("Filippov") == "filippov"
    True
    """
    previous = None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFC", " ".join(text.split()))
        start, end = 0, len(text)
        while start < end and _is_edge(text[start]):
            start += 1
        while end > start and _is_edge(text[end - 1]):
            end -= 1
        text = unicodedata.normalize("NFC", text[start:end].casefold())
    return text


def _is_edge(char: str) -> bool:
    """Return whether *char* is stripped from the ends of a name (punctuation, space)."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def make_id(name: str, kind: str, taken: Collection[str]) -> str:
    """Return an ``xml:id`` for *name*: an ASCII slug, prefixed if needed, not in *taken*.

    >>> make_id("Kim Il Sung", "person", {"kim_il_sung"})
    'kim_il_sung_2'
    >>> make_id("38th parallel", "place", set()), make_id("毛泽东", "person", set())
    ('place_38th_parallel', 'person')
    >>> make_id("Großmamma Łukasiewicz", "person", set())
    'grossmamma_lukasiewicz'
    >>> make_id("the control committee proposed by the enemy", "org", set())
    'the_control_committee_proposed_by_the'

    """
    folded = unicodedata.normalize("NFKD", name.translate(_LATIN)).encode("ascii", "ignore")
    slug = _NOT_SLUG.sub("_", folded.decode("ascii").lower()).strip("_")
    if len(slug) > _SLUG_LENGTH:  # cut after a whole word where there is one
        cut = slug.rfind("_", 0, _SLUG_LENGTH + 1)
        slug = slug[: cut if cut > 0 else _SLUG_LENGTH]
    if not slug:
        slug = kind
    elif not slug[0].isalpha():  # an NCName starts with a letter or "_"
        slug = f"{kind}_{slug}"
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}_{number}"
    return candidate


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One mention to point at its proposed entry: where it is and the ``@ref`` to give it."""

    document: str
    #: Line and column (1-based, in characters) of the ``<`` of the start tag.
    line: int | None
    column: int | None
    element: str
    text: str
    #: The attribute holding the pointer now (``ref`` or ``key``), ``None`` without one.
    attribute: str | None
    old: str | None
    new: str
    entity_id: str
    #: The mention's ``xml:id`` or its XPath, as in ``teikit entities``.
    xml_id_or_xpath: str

    def as_dict(self) -> dict[str, Any]:
        """Return the rewrite as a JSON-ready dictionary."""
        return {
            "id": self.entity_id,
            "document": self.document,
            "line": self.line,
            "column": self.column,
            "element": self.element,
            "text": self.text,
            "attribute": self.attribute,
            "old": self.old,
            "new": self.new,
            "xml_id_or_xpath": self.xml_id_or_xpath,
        }


@dataclass(frozen=True, slots=True)
class ProposedEntry:
    """One proposed register entry: a distinct entity and the mentions that name it."""

    id: str
    kind: str
    #: The preferred name: the most frequent form, then not all capitals, then first seen.
    name: str
    #: Every surface form with its count, the preferred one first, then by count.
    forms: tuple[tuple[str, int], ...]
    rewrites: tuple[Rewrite, ...]

    @property
    def variants(self) -> tuple[str, ...]:
        """Return the forms other than the preferred name."""
        return tuple(form for form, _ in self.forms[1:])

    @property
    def documents(self) -> tuple[str, ...]:
        """Return the documents that mention the entity, in input order."""
        return tuple(dict.fromkeys(r.document for r in self.rewrites))

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dictionary (the mentions are the rewrites)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "forms": [{"form": form, "count": count} for form, count in self.forms],
            "mention_count": len(self.rewrites),
            "documents": list(self.documents),
        }


@dataclass(frozen=True, slots=True)
class RegisterProposal:
    """What :func:`propose_register` found: entries, rewrites and the findings of the run."""

    entries: tuple[ProposedEntry, ...]
    #: Every rewrite, in input order of the documents, then in document order.
    rewrites: tuple[Rewrite, ...]
    #: The documents read, and those that could not be read (findings in ``report``).
    documents: tuple[str, ...]
    failed: tuple[str, ...]
    report: Report
    #: The file the new ``@ref`` values point into (``None``: ``#id`` in each document).
    register_path: str | None
    date: datetime.date

    def counts(self) -> dict[str, int]:
        """Return the number of entries of each kind."""
        counts = dict.fromkeys(PROPOSED_KINDS, 0)
        for entry in self.entries:
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
        return counts

    @property
    def mentioning_documents(self) -> tuple[str, ...]:
        """Return the documents with at least one mention to rewrite."""
        return tuple(dict.fromkeys(r.document for r in self.rewrites))

    def summary(self) -> str:
        """Return a one-line summary: entries per kind, mentions and files.

        >>> RegisterProposal((), (), (), (), Report(), None, datetime.date(2026, 1, 1)).summary()
        '0 entries proposed (persons 0, places 0, orgs 0) from 0 mentions in 0 files'
        """
        counts = self.counts()
        kinds = ", ".join(f"{_PLURALS.get(kind, kind)} {n}" for kind, n in counts.items())
        total, mentions = len(self.entries), len(self.rewrites)
        files = len(self.mentioning_documents)
        return (
            f"{total} {'entry' if total == 1 else 'entries'} proposed ({kinds}) from "
            f"{mentions} mention{'' if mentions == 1 else 's'} in "
            f"{files} file{'' if files == 1 else 's'}"
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the proposal as a JSON-ready dictionary (what ``--format json`` writes)."""
        return {
            "generator": "teikit register build",
            "date": self.date.isoformat(),
            "register": self.register_path,
            "documents": list(self.documents),
            "failed": list(self.failed),
            "counts": self.counts(),
            "entries": [entry.as_dict() for entry in self.entries],
            "rewrites": [rewrite.as_dict() for rewrite in self.rewrites],
        }


# -- locating start tags ------------------------------------------------------------------


def _start_tags(data: bytes, encoding: str | None) -> list[tuple[str, int, int]]:
    """Return ``(qualified name, line, column)`` of every element start tag, in order."""
    try:
        text = data.decode(encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return []
    text = text.removeprefix("\ufeff")
    line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
    found: list[tuple[str, int, int]] = []
    line = 0
    for match in _MARKUP.finditer(text):
        name = match.group(1)
        if name is None:
            continue
        offset = match.start()
        while line + 1 < len(line_starts) and line_starts[line + 1] <= offset:
            line += 1
        found.append((name, line + 1, offset - line_starts[line] + 1))
    return found


@dataclass(slots=True)
class _Located:
    """A mention that needs an entry, with where it is and what its file is called."""

    mention: Mention
    line: int | None
    column: int | None
    attribute: str | None
    path: Path | None


@dataclass(slots=True)
class _Current:
    """The document being read, and the mentions of it that need an entry."""

    document: TeiDocument | None = None
    data: bytes | None = None
    pending: list[Mention] = field(default_factory=list)


def _locate(current: _Current) -> list[_Located]:
    """Return the pending mentions of the current document with their start-tag positions."""
    document = current.document
    pending = current.pending
    if document is None:
        return [_Located(m, m.line, None, _attribute(m, None), None) for m in pending]
    data = current.data
    if data is None and document.path is not None:
        try:
            data = document.path.read_bytes()
        except OSError:
            data = None
    elements = list(document.root.iter(etree.Element))
    tags = _start_tags(data, document.tree.docinfo.encoding) if data is not None else []
    # Start tags in the text and elements in the tree are in the same order unless an
    # entity expanded to markup; then only the line lxml knows is given.
    aligned = len(tags) == len(elements) and all(
        name.rpartition(":")[2] == etree.QName(element).localname
        for (name, _, _), element in zip(tags, elements, strict=False)
    )
    position = {element: i for i, element in enumerate(elements)}
    ids = id_index(document.root)
    located: list[_Located] = []
    for mention in pending:
        element = _element_of(mention, document, ids)
        line, column = mention.line, None
        if element is not None and aligned:
            _, line, column = tags[position[element]]
        located.append(_Located(mention, line, column, _attribute(mention, element), document.path))
    return located


def _element_of(
    mention: Mention, document: TeiDocument, ids: dict[str, etree._Element]
) -> etree._Element | None:
    if mention.xml_id:
        return ids.get(mention.xml_id)
    try:
        found = document.root.xpath(mention.xpath, namespaces=NSMAP)
    except etree.XPathError:
        return None
    return found[0] if isinstance(found, list) and found else None  # type: ignore[return-value]


def _attribute(mention: Mention, element: etree._Element | None) -> str | None:
    """Return the attribute that holds the mention's pointer: ``ref``, ``key`` or none."""
    if mention.pointer is None:
        return None
    if element is not None and element.get("ref") is None and element.get("key") is not None:
        return "key"
    return "ref"


def _needs_entry(record: Record, kinds: Collection[str]) -> TypeGuard[Mention]:
    """Return whether *record* is a named mention with no pointer, or only broken ones."""
    return (
        isinstance(record, Mention)
        and record.type in kinds
        and all(target.status is Status.UNRESOLVED for target in record.targets)
        and bool(grouping_key(record.text))  # "<persName/>" or "?" names nothing
    )


# -- the proposal -------------------------------------------------------------------------


def _today() -> datetime.date:
    """Return today's date (UTC), or ``SOURCE_DATE_EPOCH``'s for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        if epoch.isdigit()
        else datetime.datetime.now(datetime.timezone.utc)
    )
    return moment.date()


def _new_ref(entity_id: str, path: Path | None, register: Path | None) -> str:
    """Return ``register.xml#id`` relative to the mention's file, or ``#id`` without one."""
    if register is None:
        return f"#{entity_id}"
    base = (path.parent if path is not None else Path()).absolute()
    relative = os.path.relpath(register.absolute(), base)
    return f"{quote(Path(relative).as_posix(), safe='/')}#{entity_id}"


def _preferred(forms: dict[str, int]) -> list[tuple[str, int]]:
    """Return the forms, the preferred first: most frequent, not all capitals, first seen."""
    order = {form: i for i, form in enumerate(forms)}
    return sorted(forms.items(), key=lambda item: (-item[1], item[0].isupper(), order[item[0]]))


def propose_register(
    sources: Iterable[PathSource],
    *,
    indexes: Iterable[str | os.PathLike[str] | TeiDocument] = (),
    kinds: Collection[str] = PROPOSED_KINDS,
    register_path: str | os.PathLike[str] | None = None,
    text_only: bool = False,
    mentions: MentionTable | None = None,
    date: datetime.date | None = None,
    progress: ProgressCallback | None = None,
) -> RegisterProposal:
    """Propose one register entry per distinct person, place and organisation without one.

    *sources* are read one at a time; *indexes* are register files that ``#id`` pointers
    may resolve into (their mentions are left alone); *kinds* limits the kinds proposed;
    new ``@ref`` values point into *register_path* relative to each document (``#id``
    without it). Generated ids clash with no ``xml:id`` of the sources or indexes. Files
    that cannot be read are findings in ``report`` and named in ``failed``.

    :raises TeikitError: an index file cannot be loaded.

    >>> doc = (b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p>'
    ...        b'<persName>Filippov</persName> <persName>FILIPPOV </persName></p></text></TEI>')
    >>> proposal = propose_register([doc], date=datetime.date(2026, 1, 1))
    >>> [(e.id, e.name, e.variants) for e in proposal.entries]
    [('filippov', 'Filippov', ('FILIPPOV',))]
    >>> [(r.line, r.column, r.new) for r in proposal.rewrites]
    [(1, 51, '#filippov'), (1, 81, '#filippov')]
    """
    loaded = load_indexes(indexes)
    taken: set[str] = set()
    for index in loaded:
        taken.update(id_index(index.root))
    wanted = tuple(kind for kind in PROPOSED_KINDS if kind in set(kinds))
    current = _Current()
    located: list[_Located] = []

    def documents() -> Iterator[PathSource]:
        for source in sources:
            current.document, current.data = None, None
            if isinstance(source, TeiDocument):
                document = source
            else:
                try:
                    document = load_tei(source)
                except (InputError, DocumentLoadError):
                    yield source  # extract_entities reports it as `teikit entities` does
                    continue
                current.data = source if isinstance(source, bytes) else None
            taken.update(id_index(document.root))
            current.document = document
            yield document

    total = len(sources) if isinstance(sources, Sized) else 0

    def done(finished: int, _total: int) -> None:
        located.extend(_locate(current))
        current.pending.clear()
        if progress is not None:
            progress(finished, total)

    extraction = extract_entities(
        documents(),
        types=wanted,
        indexes=loaded,
        text_only=text_only,
        mentions=mentions,
        progress=done,
        corpus=[s for s in sources if isinstance(s, (str, os.PathLike))]
        if isinstance(sources, (list, tuple))
        else None,
    )
    for record in extraction:
        if _needs_entry(record, wanted):
            current.pending.append(record)

    groups: dict[tuple[str, str], list[int]] = {}
    for n, item in enumerate(located):
        groups.setdefault((item.mention.type, grouping_key(item.mention.text)), []).append(n)
    register = Path(register_path) if register_path is not None else None
    entries: list[ProposedEntry] = []
    rewrite_at: dict[int, Rewrite] = {}
    for kind, key in sorted(groups, key=lambda k: (wanted.index(k[0]), k[1])):
        members = groups[kind, key]
        counted: dict[str, int] = {}
        for n in members:
            text = located[n].mention.text
            counted[text] = counted.get(text, 0) + 1
        forms = _preferred(counted)
        entity_id = make_id(forms[0][0], kind, taken)
        taken.add(entity_id)
        for n in members:
            rewrite_at[n] = _rewrite(located[n], entity_id, register)
        rewrites = tuple(rewrite_at[n] for n in members)
        entries.append(ProposedEntry(entity_id, kind, forms[0][0], tuple(forms), rewrites))
    return RegisterProposal(
        entries=tuple(entries),
        rewrites=tuple(rewrite_at[n] for n in sorted(rewrite_at)),
        documents=tuple(n for n in extraction.report.files if n not in extraction.failed),
        failed=tuple(extraction.failed),
        report=extraction.report,
        register_path=os.fspath(register) if register is not None else None,
        date=date or _today(),
    )


def _rewrite(item: _Located, entity_id: str, register: Path | None) -> Rewrite:
    """Return the rewrite that points the located mention at entry *entity_id*."""
    mention = item.mention
    return Rewrite(
        document=mention.document,
        line=item.line,
        column=item.column,
        element=mention.element,
        text=mention.text,
        attribute=item.attribute,
        old=mention.pointer,
        new=_new_ref(entity_id, item.path, register),
        entity_id=entity_id,
        xml_id_or_xpath=mention.xml_id or mention.xpath,
    )

"""Find untagged names and dates in the text of one document: :func:`propose`.

Only running text is read: the ``text`` element (every ``text`` of a ``teiCorpus``), never
the ``teiHeader``, the ``standOff`` or a register list, and never text already inside a
name, a date, an ``rs``, an ``idno``, a number or a measure. Each text node (``element.text``
or ``element.tail``) is matched on its own, so a name broken by an element (``Kim <lb/>Il
Sung``) is not found.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from teikit.dates import DATE_ATTRIBUTES, parse_date
from teikit.document import ElementPaths, TeiDocument, source_line
from teikit.entities.text import collect_text
from teikit.kinds import ELEMENT_OF_KIND, ENTRY_TAGS
from teikit.linting.dates import DateMatch, find_dates, recognise_date
from teikit.linting.model import Anchor, Suggestion
from teikit.linting.names import Candidate, Gazetteer, NameMatch
from teikit.linting.source import SourceMap
from teikit.namespaces import NSMAP, TEI_NS

__all__ = ["ProposalContext", "document_date", "propose"]

_T: Final = f"{{{TEI_NS}}}"
_TEXT: Final = f"{_T}text"
_DATE: Final = f"{_T}date"
# Elements whose content is never searched: names, dates, registers, identifiers, numbers.
_SKIPPED: Final = frozenset(
    f"{_T}{name}"
    for name in (
        "teiHeader",
        "standOff",
        "persName",
        "placeName",
        "orgName",
        "name",
        "rs",
        "geogName",
        "settlement",
        "country",
        "region",
        "bloc",
        "district",
        "eventName",
        "roleName",
        "forename",
        "surname",
        "addName",
        "genName",
        "nameLink",
        "date",
        "time",
        "idno",
        "num",
        "measure",
        "mentioned",  # a word mentioned as a word ("yesterday" is read as...), not used
        "ptr",
        "listPerson",
        "listPlace",
        "listOrg",
        "listEvent",
        "listBibl",
        "listNym",
        "listRelation",
        "egXML",
    )
) | frozenset(ENTRY_TAGS)
#: Elements whose content may hold a name or a date (TEI macro.phraseSeq and
#: macro.paraContent): ``annotate`` inserts markup only into these.
PHRASE_PARENTS: Final = frozenset(
    f"{_T}{name}"
    for name in (
        "p",
        "ab",
        "head",
        "l",
        "item",
        "cell",
        "note",
        "quote",
        "q",
        "said",
        "hi",
        "emph",
        "foreign",
        "soCalled",
        "mentioned",
        "term",
        "label",
        "salute",
        "signed",
        "dateline",
        "addrLine",
        "opener",
        "closer",
        "byline",
        "docAuthor",
        "trailer",
        "add",
        "del",
        "supplied",
        "unclear",
        "corr",
        "sic",
        "reg",
        "orig",
        "abbr",
        "expan",
        "seg",
        "s",
        "ref",
    )
)
_DATE_ATTRIBUTES: Final = tuple(n for a in DATE_ATTRIBUTES for n in (a, f"{a}-iso"))
_DOCUMENT_DATES: Final = (
    etree.XPath(
        "//tei:correspDesc/tei:correspAction[@type='sent']/tei:date/@when", namespaces=NSMAP
    ),
    etree.XPath(
        "//tei:text//tei:opener//tei:date/@when | //tei:text//tei:dateline//tei:date/@when",
        namespaces=NSMAP,
    ),
    # The text's creation, then the source's own date of origin (a manuscript's origDate).
    # Never publicationStmt (the digital edition's date: 2021 for a novel of 1853) nor a
    # bibl's date in sourceDesc (when the source was printed, not when the text speaks).
    etree.XPath("//tei:teiHeader/tei:profileDesc/tei:creation//tei:date/@when", namespaces=NSMAP),
    etree.XPath(
        "//tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:msDesc//tei:origDate/@when",
        namespaces=NSMAP,
    ),
)


def document_date(document: TeiDocument) -> str | None:
    """Return the document's own date, the anchor of relative and yearless dates.

    The first of: the sent date in ``correspDesc``; a date in the text's ``opener`` or
    ``dateline``; ``profileDesc/creation``'s date; the source manuscript's ``origDate``.
    ``None`` when there is none: the edition's publication date is never the anchor.

    >>> from teikit.document import load
    >>> document_date(load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><opener>'
    ...     b'<dateline><date when="1951-07-03">3.7.51</date></dateline>'
    ...     b'</opener></body></text></TEI>'))
    '1951-07-03'
    """
    for xpath in _DOCUMENT_DATES:
        values = xpath(document.root)
        assert isinstance(values, list)
        for value in values:
            parsed = parse_date(str(value))
            if parsed is not None and parsed.precision != "partial":
                return parsed.value
    return None


@dataclass(slots=True)
class ProposalContext:
    """What :func:`propose` needs beyond the document: the gazetteer and the register files."""

    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    #: Names of the ``--index`` documents: ``#id`` pointers resolve into them.
    index_names: frozenset[str] = frozenset()
    #: Clark names of elements whose content is not searched, beyond the built-in ones.
    skipped: frozenset[str] = frozenset()

    def pointer(self, candidate: Candidate, document: TeiDocument) -> str:
        """Return the pointer from *document* to *candidate*'s entry (``#id`` when it can)."""
        sources = candidate.sources
        if not sources or document.name in sources or self.index_names & set(sources):
            return f"#{candidate.entity_id}"
        target = Path(sources[0])
        if document.path is not None:
            relative = os.path.relpath(target, document.path.parent)
            return f"{Path(relative).as_posix()}#{candidate.entity_id}"
        return f"{target.as_posix()}#{candidate.entity_id}"


def _text_nodes(
    element: etree._Element, skipped: frozenset[str] = _SKIPPED
) -> Iterator[tuple[etree._Element, bool, etree._Element]]:
    """Yield ``(owner, is_tail, parent)`` for the searchable text nodes below *element*.

    The walk keeps its own stack, so any depth the parser accepts is fine (issue 17).
    """
    if element.text:
        yield element, False, element
    stack: list[tuple[etree._Element, Iterator[etree._Element]]] = [(element, iter(element))]
    while stack:
        parent, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if len(stack) and parent.tail:  # the tail follows the element's own text
                yield parent, True, stack[-1][0]
            continue
        if isinstance(child.tag, str) and child.tag not in skipped:
            if child.text:
                yield child, False, child
            stack.append((child, iter(child)))
        elif child.tail:
            yield child, True, parent


def _texts(document: TeiDocument) -> Iterator[etree._Element]:
    for text in document.root.iter(_TEXT):
        if next(text.iterancestors(_TEXT), None) is None:
            yield text


class _Proposer:
    def __init__(
        self,
        document: TeiDocument,
        corpus: ProposalContext,
        source: SourceMap | None,
        kinds: Collection[str] | None,
    ) -> None:
        self.document = document
        self.corpus = corpus
        self.source = source
        self.kinds = kinds
        self.paths = ElementPaths()
        self.date = document_date(document)

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def locate(
        self, owner: etree._Element, tail: bool, parent: etree._Element, start: int, end: int
    ) -> tuple[int | None, int | None, tuple[int, int] | None]:
        """Return the line, column and source span of characters ``start:end`` of a node."""
        offsets = self.source.offsets(owner, tail) if self.source is not None else None
        if offsets is None or self.source is None:
            return source_line(parent if tail else owner), None, None
        line, column = self.source.position(offsets[start])
        return line, column, (offsets[start], offsets[end])

    def suggestions(self) -> Iterator[Suggestion]:
        skipped = _SKIPPED | self.corpus.skipped
        for text in _texts(self.document):
            for owner, tail, parent in _text_nodes(text, skipped):
                yield from self._node(owner, tail, parent)
        if self.wants("date"):
            yield from self._date_elements()

    def _node(
        self, owner: etree._Element, tail: bool, parent: etree._Element
    ) -> Iterator[Suggestion]:
        content = (owner.tail if tail else owner.text) or ""
        taken: list[tuple[int, int]] = []
        found: list[Suggestion] = []
        if self.wants("date"):
            for date in find_dates(content, self.date):
                taken.append((date.start, date.end))
                found.append(self._date(date, owner, tail, parent))
        for name in self.corpus.gazetteer.match(content):
            if any(name.start < end and start < name.end for start, end in taken):
                continue
            suggestion = self._name(name, owner, tail, parent)
            if suggestion is not None:
                found.append(suggestion)
        found.sort(key=lambda s: s.anchor.start if s.anchor is not None else 0)
        yield from found

    def _anchor(
        self, owner: etree._Element, tail: bool, parent: etree._Element, start: int, end: int
    ) -> tuple[int | None, int | None, Anchor]:
        line, column, span = self.locate(owner, tail, parent, start, end)
        return line, column, Anchor(owner, tail, start, end, span)

    def _date(
        self, date: DateMatch, owner: etree._Element, tail: bool, parent: etree._Element
    ) -> Suggestion:
        line, column, anchor = self._anchor(owner, tail, parent, date.start, date.end)
        code = {None: "lint.untagged-date", "ambiguous": "lint.ambiguous-date"}.get(
            date.problem, "lint.impossible-date"
        )
        return Suggestion(
            code,
            self.document.name,
            line,
            column,
            date.text,
            "date",
            "date",
            "when",
            date.value,
            date.inference,
            self.paths.path(parent),
            anchor=anchor,
        )

    def _name(
        self, name: NameMatch, owner: etree._Element, tail: bool, parent: etree._Element
    ) -> Suggestion | None:
        candidates = [c for c in name.candidates if self.wants(c.kind)]
        if not candidates:
            return None
        line, column, anchor = self._anchor(owner, tail, parent, name.start, name.end)
        pointers = tuple(self.corpus.pointer(c, self.document) for c in candidates)
        kinds = {c.kind for c in candidates}
        kind = candidates[0].kind if len(kinds) == 1 else "name"
        if len(candidates) > 1:
            return Suggestion(
                "lint.ambiguous-name",
                self.document.name,
                line,
                column,
                name.text,
                kind,
                ELEMENT_OF_KIND.get(kind, "name"),
                "ref",
                None,
                f"{name.origin} of {len(candidates)} entries",
                self.paths.path(parent),
                pointers,
                anchor,
            )
        return Suggestion(
            "lint.untagged-name",
            self.document.name,
            line,
            column,
            name.text,
            kind,
            ELEMENT_OF_KIND[kind],
            "ref",
            pointers[0],
            f"{name.origin} of {pointers[0]}",
            self.paths.path(parent),
            pointers,
            anchor,
        )

    def _date_elements(self) -> Iterator[Suggestion]:
        for element in self.document.root.iter(_DATE):
            if any(element.get(name) is not None for name in _DATE_ATTRIBUTES):
                continue
            if next(element.iterancestors(*ENTRY_TAGS), None) is not None:
                continue
            text = collect_text(element)
            found = recognise_date(text, self.date)
            if found is None:
                value, inference = None, "no date form recognised in the text"
            elif found.value is None:
                value, inference = None, found.inference
            else:
                value, inference = found.value, found.inference
            line = source_line(element)
            column = None
            span = None
            if self.source is not None and element in self.source.start_tag_end:
                close = self.source.start_tag_end[element]
                span = (close, close)
                line, column = self.source.position(self.source.start_tag_start[element])
            yield Suggestion(
                "lint.date-without-value",
                self.document.name,
                line,
                column,
                text,
                "date",
                "date",
                "when",
                value,
                inference,
                self.paths.path(element),
                anchor=Anchor(element, False, -1, -1, span),
            )


def propose(
    document: TeiDocument,
    corpus: ProposalContext | None = None,
    *,
    source: SourceMap | None = None,
    kinds: Collection[str] | None = None,
) -> list[Suggestion]:
    """Return the untagged names and dates of *document* and its ``<date>``s without value.

    *corpus* holds the gazetteer (without one, only dates are found); *source* maps text
    nodes to source positions (without it, findings carry the element's line only);
    *kinds* limits the findings to ``person``, ``place``, ``org`` and ``date``.

    >>> from teikit.document import load
    >>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0">'
    ...            b'<text><p>on 3.7.1951</p></text></TEI>')
    >>> [(s.text, s.value) for s in propose(doc)]
    [('3.7.1951', '1951-07-03')]
    """
    proposer = _Proposer(document, corpus or ProposalContext(), source, kinds)
    return list(proposer.suggestions())

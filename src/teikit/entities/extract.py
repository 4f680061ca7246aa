"""Extract mentions, proposals and register entries from TEI documents, one at a time.

:func:`extract_entities` is the primitive: it reads each source with the hardened loader,
yields typed records in document order and collects what it finds wrong (malformed files,
unresolved pointers, pointers to the wrong kind of entry, invalid dates) as
:class:`~teikit.diagnostics.Diagnostic` records in ``.report``; it raises only when it
cannot run at all (an index file cannot be loaded).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Final, TypeAlias

from lxml import etree

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import ElementPaths, Source, TeiDocument, load
from teikit.entities.config import BUILTIN_RULES, MentionRule, MentionTable
from teikit.entities.dates import date_range
from teikit.entities.model import (
    EntityKind,
    Location,
    Mention,
    Proposal,
    Record,
    Status,
    Target,
)
from teikit.entities.register import iter_register_entries, label_of
from teikit.entities.register import read_entry as _read_entry
from teikit.entities.text import (
    BLOCK_TAGS,
    CONTAINER_TAGS,
    ContextFinder,
    collect_text,
    line_of,
)
from teikit.errors import DocumentLoadError, InputError
from teikit.kinds import ENTRY_KINDS, entry_of, expected_kind
from teikit.namespaces import NSMAP, TEI_NS, XML_ID
from teikit.pointers import PointerResolver, PointerStatus, Resolution
from teikit.roots import require_tei

__all__ = ["EntityOptions", "Extraction", "extract_entities", "load_indexes"]

#: What :func:`extract_entities` accepts as a document.
DocumentSource: TypeAlias = "Source | TeiDocument"
OnDocument = Callable[[str], None]

_HEADER: Final = f"{{{TEI_NS}}}teiHeader"
_QUOTE: Final = f"{{{TEI_NS}}}quote"
_DATE_TYPE: Final = EntityKind.DATE.value
_PROPOSALS: Final = etree.XPath("//*[@type='proposal']")


@dataclass(frozen=True, slots=True)
class EntityOptions:
    """What to extract: a picklable description handed to every worker process."""

    types: frozenset[str] | None = None
    text_only: bool = False
    registers: bool = False
    rules: tuple[MentionRule, ...] = BUILTIN_RULES
    index_paths: tuple[str, ...] = ()
    corpus_paths: tuple[str, ...] = ()

    def wants(self, kind: str) -> bool:
        """Return whether rows of type *kind* are asked for."""
        return self.types is None or kind in self.types


_LOCAL_NAMES: dict[str, str] = {}


def _local(element: etree._Element) -> str:
    """Return the local name of *element* (cached: QName objects are slow to make)."""
    tag = element.tag
    assert isinstance(tag, str)
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = etree.QName(tag).localname
    return name


class _DocumentExtractor:
    """Turn one document at a time into records, reusing compiled XPaths and the resolver."""

    def __init__(self, options: EntityOptions, resolver: PointerResolver) -> None:
        self.options = options
        self.resolver = resolver
        self.paths = ElementPaths()  # renewed for every document
        self.rules = [(rule, rule.compile()) for rule in options.rules]
        # Rules such as tei:persName or tei:rs[@type] are matched by tag during one walk of
        # the tree: each XPath evaluation walks the whole tree again.
        self.by_tag: dict[str, list[tuple[MentionRule, str | None]]] = {}
        self.xpath_rules: list[tuple[MentionRule, etree.XPath]] = []
        for rule, xpath in self.rules:
            test = rule.simple_test()
            if test is None:
                self.xpath_rules.append((rule, xpath))
            else:
                self.by_tag.setdefault(test[0], []).append((rule, test[1]))
        self.rank = {rule: i for i, (rule, _) in enumerate(self.rules)}
        union = " | ".join(xpath.path for _, xpath in self.rules)
        # The union gives document order when proposals or XPath rules are involved.
        self.in_order = etree.XPath(
            " | ".join(filter(None, (_PROPOSALS.path, union))), namespaces=NSMAP
        )
        self.index_trees = {id(index.tree) for index in resolver.indexes}
        self.seen_external: set[tuple[str, str]] = set()
        self.targets: dict[etree._Element, tuple[str | None, str | None, str | None]] = {}
        self.resolutions: dict[str, Resolution] = {}
        self.remote_targets: dict[etree._Element, tuple[str | None, str | None, str | None]] = {}

    # -- resolution ---------------------------------------------------------------------

    def _describe(
        self, resolution: Resolution, document: TeiDocument
    ) -> tuple[str | None, str | None, str | None]:
        """Return ``(entity id, label, entry kind)`` of a resolved pointer's target."""
        target = resolution.target
        assert target is not None
        local = resolution.document is None or resolution.document.tree is document.tree
        cache = self.targets if local else self.remote_targets
        if target not in cache:
            entry = entry_of(target)
            if entry is not None:
                ident = entry.get(XML_ID) or target.get(XML_ID)
                kind = ENTRY_KINDS[entry.tag]
                cache[target] = (ident, label_of(entry), kind)
            else:
                cache[target] = (target.get(XML_ID), label_of(target), None)
        return cache[target]

    def resolve(
        self,
        tokens: list[str],
        document: TeiDocument,
        element: etree._Element,
        attribute: str,
        expected: str | None,
        found: list[Diagnostic],
        records: list[Record],
    ) -> tuple[Target, ...]:
        """Resolve the pointer *tokens* of *element*, noting findings and remote entries."""
        targets: list[Target] = []
        name = _local(element)
        for token in tokens:
            resolution = self.resolutions.get(token)
            if resolution is None:
                resolution = self.resolutions[token] = self.resolver.resolve(token, document)
            if resolution.status is PointerStatus.EXTERNAL:
                targets.append(Target(token, Status.EXTERNAL))
                continue
            if resolution.status is PointerStatus.UNRESOLVED:
                targets.append(Target(token, Status.UNRESOLVED))
                found.append(
                    self._diagnostic(
                        document,
                        element,
                        Severity.ERROR,
                        "entity.unresolved-ref",
                        f"<{name}> @{attribute}={token!r} points to nothing: {resolution.reason}",
                    )
                )
                continue
            ident, label, kind = self._describe(resolution, document)
            source = resolution.document.name if resolution.document is not None else None
            status = Status.RESOLVED
            if expected is not None and kind != expected:
                status = Status.WRONG_KIND
                target = resolution.target
                reached = f"a <{_local(target)}>" if kind is None and target is not None else ""
                reached = reached or f"a {kind} entry"
                found.append(
                    self._diagnostic(
                        document,
                        element,
                        Severity.WARNING,
                        "entity.wrong-kind",
                        f"<{name}> @{attribute}={token!r} points to {reached}, "
                        f"not a {expected} entry",
                    )
                )
            targets.append(Target(token, status, ident, label, source, kind))
            self._note_remote(resolution, document, ident, kind, records)
        return tuple(targets)

    def _note_remote(
        self,
        resolution: Resolution,
        document: TeiDocument,
        ident: str | None,
        kind: str | None,
        records: list[Record],
    ) -> None:
        """Add the entry reached through ``file.xml#id`` to *records* once (register view)."""
        remote = resolution.document
        if not self.options.registers or remote is None or ident is None or kind is None:
            return
        if remote.tree is document.tree or id(remote.tree) in self.index_trees:
            return
        key = (remote.name, ident)
        if key in self.seen_external:
            return
        self.seen_external.add(key)
        target = resolution.target
        assert target is not None
        entry_element = entry_of(target)
        assert entry_element is not None  # kind is not None: the target is in an entry
        entry = _read_entry(entry_element, remote.name)
        if entry is not None and self.options.wants(entry.type):
            records.append(entry)

    # -- documents ------------------------------------------------------------------------

    def _diagnostic(
        self,
        document: TeiDocument,
        element: etree._Element,
        severity: Severity,
        code: str,
        message: str,
    ) -> Diagnostic:
        return Diagnostic(
            severity, code, message, document.name, line_of(element), None, self.paths.path(element)
        )

    def extract(self, document: TeiDocument) -> tuple[list[Record], list[Diagnostic]]:
        """Return the records and findings of one document."""
        try:
            return self._extract(document)
        finally:
            self.targets.clear()
            self.resolutions.clear()
            self.paths = ElementPaths()
            self.resolver.release(document)

    def _extract(self, document: TeiDocument) -> tuple[list[Record], list[Diagnostic]]:
        options = self.options
        found: list[Diagnostic] = list(document.warnings)
        records: list[Record] = []
        if options.registers:
            records.extend(iter_register_entries(document, options.types))
        proposals_wanted = options.wants(EntityKind.PROPOSAL.value)
        proposal_elements = _proposals(document.root) if proposals_wanted else []
        proposal_set = set(proposal_elements)
        ordered, rule_of = self._candidates(document, proposal_set)
        if not ordered:
            return records, found
        contexts = ContextFinder(rule_of)
        entities_in: dict[etree._Element, dict[str, None]] = {p: {} for p in proposal_elements}
        slots: list[Record | etree._Element] = []
        for element in ordered:
            if element in proposal_set:
                slots.append(element)
                continue
            mention, mention_found, enclosing = self._mention(
                document, element, rule_of[element], proposal_set, contexts, records
            )
            if mention is None:
                continue
            if mention.type != _DATE_TYPE:
                for proposal in enclosing:
                    entities_in[proposal].update(dict.fromkeys(mention.entity_ids))
            if options.wants(mention.type):
                slots.append(mention)
                found.extend(mention_found)
        for slot in slots:
            if isinstance(slot, etree._Element):
                records.append(self._proposal(document, slot, entities_in[slot], found, records))
            else:
                records.append(slot)
        return records, found

    def _candidates(
        self, document: TeiDocument, proposals: set[etree._Element]
    ) -> tuple[list[etree._Element], dict[etree._Element, MentionRule]]:
        """Return the proposals and mention elements in document order, with their rules."""
        rule_of: dict[etree._Element, MentionRule] = {}
        ordered: list[etree._Element] = []
        if not self.xpath_rules:  # one walk, no XPath node-set (its limit: issue 18)
            root = document.root
            for element in root.iter(etree.Element) if proposals else root.iter(*self.by_tag):
                if element in proposals:
                    ordered.append(element)
                    continue
                rule = self._match(element, {})
                if rule is not None:
                    rule_of[element] = rule
                    ordered.append(element)
            return ordered, rule_of
        matched = {rule: set(_elements(xpath(document.root))) for rule, xpath in self.xpath_rules}
        for element in _elements(self.in_order(document.root)):
            if element in proposals:
                ordered.append(element)
                continue
            rule = self._match(element, matched)
            if rule is not None:
                rule_of[element] = rule
                ordered.append(element)
        return ordered, rule_of

    def _match(
        self, element: etree._Element, matched: dict[MentionRule, set[etree._Element]]
    ) -> MentionRule | None:
        """Return the first rule of the table that *element* matches."""
        best: MentionRule | None = None
        for rule, attribute in self.by_tag.get(element.tag, ()):
            if attribute is None or element.get(attribute) is not None:
                best = rule
                break
        for rule, members in matched.items():  # in table order
            if element in members:
                if best is None or self.rank[rule] < self.rank[best]:
                    best = rule
                break
        return best

    def _mention(
        self,
        document: TeiDocument,
        element: etree._Element,
        rule: MentionRule,
        proposals: set[etree._Element],
        contexts: ContextFinder,
        records: list[Record],
    ) -> tuple[Mention | None, list[Diagnostic], list[etree._Element]]:
        """Return the mention *element*, its findings and the proposals around it."""
        options = self.options
        kind = rule.type_of(element)
        if not kind:
            return None, [], []
        # One walk up the tree answers: in a register entry? in the header? in which
        # proposals? which block gives the context?
        header, block, enclosing, block_done = False, element, [], False
        for ancestor in element.iterancestors():
            tag = ancestor.tag
            if tag in ENTRY_KINDS:
                return None, [], []  # a register entry's own names are not mentions
            if tag == _HEADER:
                header = True
            if proposals and ancestor in proposals:
                enclosing.append(ancestor)
            if not block_done:
                if tag in CONTAINER_TAGS:
                    block_done = True
                else:
                    block, block_done = ancestor, tag in BLOCK_TAGS
        wanted = options.types is None or kind in options.types
        if not (wanted or enclosing) or (header and options.text_only):
            return None, [], []
        found: list[Diagnostic] = []
        attribute, value = "ref", element.get("ref")
        if value is None and element.get("key") is not None:
            # @key is a plain key, not a pointer: look it up as an xml:id (TEI 13.1.1)
            attribute, value = "key", element.get("key")
        tokens = value.split() if value is not None else []
        if attribute == "key" and tokens and not (":" in tokens[0] or "#" in tokens[0]):
            tokens = [f"#{tokens[0]}"]
        targets = self.resolve(
            tokens, document, element, attribute, expected_kind(kind), found, records
        )
        if attribute == "key":
            targets = tuple(
                Target(value or "", t.status, t.entity_id, t.name, t.source, t.kind)
                for t in targets
            )
        date = None
        if kind == _DATE_TYPE:
            date, rejected = date_range(element)
            for name, raw in rejected:
                found.append(
                    self._diagnostic(
                        document,
                        element,
                        Severity.WARNING,
                        "entity.invalid-date",
                        f"<{_local(element)}> @{name}={raw!r} is not an ISO 8601 date; "
                        "left out of date_start/date_end",
                    )
                )
        proposal = enclosing[0] if enclosing else None
        text = collect_text(element)
        if not text.strip() and kind != _DATE_TYPE:  # an empty <date when="..."/> is fine
            found.append(
                self._diagnostic(
                    document,
                    element,
                    Severity.WARNING,
                    "entity.empty-mention",
                    f"<{_local(element)}> has no text: an empty {kind} mention "
                    "(supply the name or remove the element)",
                )
            )
        xml_id = element.get(XML_ID)
        mention = Mention(
            document=document.name,
            type=kind,
            element=_local(element),
            pointer=value,
            targets=targets,
            text=text,
            line=line_of(element),
            xml_id=xml_id,
            xpath="" if xml_id else self.paths.path(element),
            location=Location.HEADER if header else Location.TEXT,
            proposal_n=proposal.get("n") if proposal is not None else None,
            proposal_id=proposal.get(XML_ID) if proposal is not None else None,
            context=contexts.context(element, text, block),
            date=date,
        )
        return mention, found, enclosing

    def _proposal(
        self,
        document: TeiDocument,
        element: etree._Element,
        entities: dict[str, None],
        found: list[Diagnostic],
        records: list[Record],
    ) -> Proposal:
        ana = element.get("ana")
        topics = self.resolve((ana or "").split(), document, element, "ana", None, found, records)
        quotes = _outer_quotes(element)
        text = " ".join(filter(None, map(collect_text, quotes))) if quotes else ""
        header = next(element.iterancestors(_HEADER), None) is not None
        return Proposal(
            document=document.name,
            element=_local(element),
            number=element.get("n"),
            subtype=element.get("subtype"),
            id=element.get(XML_ID),
            pointer=ana,
            topics=topics,
            text=text or collect_text(element),
            entities=tuple(entities),
            line=line_of(element),
            xpath="" if element.get(XML_ID) else self.paths.path(element),
            location=Location.HEADER if header else Location.TEXT,
        )


def _proposals(root: etree._Element) -> list[etree._Element]:
    """Return the elements with ``@type="proposal"`` in *root*'s document, in document order.

    The same as the XPath ``//*[@type='proposal']``, walked: libxml2 cannot build that
    XPath's node-set for a document of over 10 million nodes (issue 18).
    """
    top = root.getroottree().getroot()
    return [e for e in top.iter(etree.Element) if e.get("type") == "proposal"]


def _elements(result: object) -> list[etree._Element]:
    """Return the elements of an XPath result (rules may select text or attributes too)."""
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, etree._Element)]


def _outer_quotes(element: etree._Element) -> list[etree._Element]:
    """Return the ``quote`` elements inside *element* that are not inside another quote."""
    quotes: list[etree._Element] = []
    for quote in element.iter(_QUOTE):
        if quote is element:
            continue
        if not any(q is not element and q.tag == _QUOTE for q in _ancestors_below(quote, element)):
            quotes.append(quote)
    return quotes


def _ancestors_below(element: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    for ancestor in element.iterancestors():
        if ancestor is top:
            return
        yield ancestor


# -- sources, indexes and the record stream -------------------------------------------------


def load_indexes(paths: Iterable[str | os.PathLike[str] | TeiDocument]) -> list[TeiDocument]:
    """Load register files given with ``--index``.

    :raises TeikitError: an index file cannot be read or is not well-formed (without its
        registers every result would be wrong, so this is not a mere finding).
    """
    return [p if isinstance(p, TeiDocument) else load(p) for p in paths]


def _source_name(source: DocumentSource) -> str:
    if isinstance(source, TeiDocument):
        return source.name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "<bytes>" if isinstance(source, bytes) else str(getattr(source, "name", "<stream>"))


def _load_failure(source: DocumentSource, exc: Exception) -> Diagnostic:
    if isinstance(exc, InputError):
        return exc.diagnostic
    return Diagnostic(Severity.ERROR, "io.unreadable", str(exc), _source_name(source))


def _process(
    extractor: _DocumentExtractor, source: DocumentSource
) -> tuple[str, list[Record], list[Diagnostic], bool]:
    """Return ``(name, records, findings, loaded)`` for one source."""
    name = _source_name(source)
    try:
        document = require_tei(source if isinstance(source, TeiDocument) else load(source))
    except (InputError, DocumentLoadError) as exc:
        return name, [], [_load_failure(source, exc)], False
    records, found = extractor.extract(document)
    return document.name, records, found, True


_WORKER: _DocumentExtractor | None = None


def _init_worker(options: EntityOptions) -> None:
    global _WORKER
    _WORKER = _DocumentExtractor(
        options, PointerResolver(load_indexes(options.index_paths), options.corpus_paths)
    )


def _work(source: Source) -> tuple[str, list[Record], list[Diagnostic], bool]:
    assert _WORKER is not None, "worker not initialised"
    return _process(_WORKER, source)


class Extraction(Iterator[Record]):
    """The records of :func:`extract_entities`, produced lazily, with the findings so far.

    ``report`` fills up while the records are consumed; ``failed`` names the sources
    that could not be read (malformed, unreadable), whose findings are in ``report``.
    """

    def __init__(self, records: Iterator[Record], report: Report, failed: list[str]) -> None:
        self._records = records
        self.report = report
        self.failed = failed

    def __iter__(self) -> Extraction:
        return self

    def __next__(self) -> Record:
        return next(self._records)

    def close(self) -> None:
        """Stop early, releasing worker processes."""
        close = getattr(self._records, "close", None)
        if close is not None:
            close()


def extract_entities(
    sources: Iterable[DocumentSource],
    *,
    types: Collection[str] | None = None,
    indexes: Iterable[str | os.PathLike[str] | TeiDocument] = (),
    text_only: bool = False,
    registers: bool = False,
    mentions: MentionTable | None = None,
    jobs: int = 1,
    on_document: OnDocument | None = None,
    corpus: Iterable[str | os.PathLike[str]] | None = None,
) -> Extraction:
    """Yield the mentions and proposals of *sources*, one document at a time, in order.

    *types* limits the rows (``person``, ``place``, ``org``, ``date``, ``proposal`` or any
    other mention type); *indexes* are register files searched for ``#id`` pointers;
    *registers* also yields the :class:`RegisterEntry` records that :func:`build_register`
    needs; *jobs* > 1 reads documents in that many processes (sources must then be paths
    or bytes) and still yields in input order, while with *jobs* = 1 *sources* is consumed
    lazily, one document at a time; *on_document* is called with each
    document's name when it is done. Findings are collected in the result's ``report``.
    *corpus* are the files of the run, whose root ``xml:id`` a ``#id`` pointer may name
    (default: the paths among *sources* when it is a list or tuple).

    :raises TeikitError: an index file cannot be loaded.

    >>> doc = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p><persName>Mao</persName></p></text></TEI>'
    >>> [m.text for m in extract_entities([doc])]
    ['Mao']
    """
    loaded_indexes = load_indexes(indexes)
    table = mentions or MentionTable()
    options = EntityOptions(
        types=None if types is None else frozenset(str(t) for t in types),
        text_only=text_only,
        registers=registers,
        rules=table.rules,
        index_paths=tuple(os.fspath(i.path) for i in loaded_indexes if i.path is not None),
        corpus_paths=tuple(
            os.fspath(p) for p in (_paths_of(sources) if corpus is None else corpus)
        ),
    )
    report = Report(list(table.diagnostics))
    failed: list[str] = []
    # With one process the sources are read lazily, one at a time: a caller may hand in a
    # generator of loaded documents without holding every tree at once (register build).
    source_list = list(sources) if jobs > 1 else None
    if source_list is not None and len(source_list) > 1:
        if any(
            isinstance(s, TeiDocument) or not isinstance(s, (str, os.PathLike, bytes))
            for s in source_list
        ):
            raise ValueError("with jobs > 1, sources must be paths or bytes")
        if len(options.index_paths) != len(loaded_indexes):
            raise ValueError("with jobs > 1, index documents must have been loaded from files")
        outcomes = _parallel(options, source_list, jobs)  # type: ignore[arg-type]
    else:
        resolver = PointerResolver(loaded_indexes, options.corpus_paths)
        extractor = _DocumentExtractor(options, resolver)
        pending = sources if source_list is None else source_list
        outcomes = (_process(extractor, source) for source in pending)

    def generate() -> Iterator[Record]:
        for name, records, found, loaded in outcomes:
            report.files.append(name)
            report.extend(found)
            if not loaded:
                failed.append(name)
            yield from records
            if on_document is not None:
                on_document(name)

    return Extraction(generate(), report, failed)


def _paths_of(sources: Iterable[DocumentSource]) -> list[str | os.PathLike[str]]:
    """Return the files among *sources* if it is a list or tuple (never consume an iterator)."""
    if not isinstance(sources, (list, tuple)):
        return []
    found: list[str | os.PathLike[str]] = []
    for source in sources:
        if isinstance(source, (str, os.PathLike)):
            found.append(source)
        elif isinstance(source, TeiDocument) and source.path is not None:
            found.append(source.path)
    return found


def _parallel(
    options: EntityOptions, sources: list[Source], jobs: int
) -> Iterator[tuple[str, list[Record], list[Diagnostic], bool]]:
    from teikit.workers import WorkerPool  # the one pool: Ctrl-C is the parent's to handle

    chunk = max(1, min(16, len(sources) // (jobs * 8)))
    yield from WorkerPool(jobs, _init_worker, (options,)).map(_work, sources, chunksize=chunk)

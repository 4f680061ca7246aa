"""The builder of the export model: :func:`build_model` reads one TEI document into records.

One walk over the text (:class:`~teikit.exporters.body.BodyWalker`) resolves pointers as it
goes; :class:`ModelBuilder` runs it after reading the header and turns the drafts it left
(mentions, register entries, proposals, dates) into the records of the
:class:`~teikit.exporters.records.DocumentModel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from lxml import etree

from teikit.document import TeiDocument
from teikit.entities.config import BUILTIN_RULES, MentionRule
from teikit.entities.register import read_entry
from teikit.entities.text import collect_text, line_of
from teikit.exporters.body import BodyWalker
from teikit.exporters.elements import _T, _TEXT, _find, _local
from teikit.exporters.header import read_metadata
from teikit.exporters.records import (
    KIND_ORDER,
    Authority,
    DateEntry,
    DateValue,
    DocumentModel,
    Entity,
    Node,
    TextMention,
    TextProposal,
)
from teikit.exporters.state import _ProposalDraft
from teikit.kinds import ENTRY_KINDS, ENTRY_TAGS
from teikit.namespaces import XML_ID
from teikit.pointers import PointerResolver
from teikit.recursion import deep_walks

__all__ = ["AUTHORITY_URLS", "build_model", "to_models"]

#: How identifiers of an authority file become URLs (``idno type="wikidata"`` and so on).
AUTHORITY_URLS: Final = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "viaf": "https://viaf.org/viaf/{}",
    "gnd": "https://d-nb.info/gnd/{}",
    "geonames": "https://www.geonames.org/{}",
}


class ModelBuilder(BodyWalker):
    """Build one :class:`DocumentModel`: one walk over the text, resolving as it goes."""

    def build(self) -> DocumentModel:
        """Return the model of the document."""
        texts = _find(_TEXT, self.root)
        for text in texts:
            self._reserve_text_ids(text)
        self._collect_target_notes()
        metadata = read_metadata(self)
        self.lang_stack.append(metadata.language)
        structure: list[Node] = []
        for text in texts:
            structure.extend(self.nodes(text))
        # notes whose target is not in the reading text: listed at the end, without a call
        for note in self.pending_notes:
            if note not in self.note_numbers:
                self._note(note, len(self.notes) + 1, None)
        # register entries the document defines are listed even when never mentioned
        for element in self.root.iter(*ENTRY_TAGS):
            self.entity_for(element, None)
        return DocumentModel(
            name=self.document.name,
            path=self.document.path,
            xml_id=self.root.get(XML_ID),
            metadata=metadata,
            structure=structure,
            notes=self.notes,
            mentions=self._mentions(),
            entities=self._entities(),
            proposals=[self._proposal(draft) for draft in self.proposals],
            dates=self._dates(),
            diagnostics=self.diagnostics,
            anchors=frozenset(self.anchors),
        )

    def _mentions(self) -> list[TextMention]:
        mentions = []
        for draft in self.mentions:
            block, start, end, text = self.positions.get(draft.id, ("", 0, 0, ""))
            date = draft.date
            if date is not None:
                date = DateValue(text, date.when, date.start, date.end)
            mentions.append(
                TextMention(
                    draft.id,
                    draft.type,
                    draft.element,
                    text,
                    draft.pointer,
                    draft.status,
                    draft.entities,
                    draft.href,
                    date,
                    block,
                    start,
                    end,
                    draft.line,
                    draft.xpath,
                    draft.proposal,
                    draft.note,
                )
            )
        return mentions

    def _entities(self) -> list[Entity]:
        texts = {d.id: self.positions.get(d.id, ("", 0, 0, ""))[3] for d in self.mentions}
        order = {id(d): n for n, d in enumerate(self.entities.values())}
        drafts = sorted(
            self.entities.values(),
            key=lambda d: (
                _kind_rank(ENTRY_KINDS[d.element.tag]),
                not d.local,
                (line_of(d.element) or 0) if d.local else order[id(d)],
            ),
        )
        entities = []
        for draft in drafts:
            entry = read_entry(draft.element, draft.source)
            if entry is None:  # pragma: no cover - drafts always have an xml:id
                continue
            forms = dict.fromkeys(entry.name_forms)
            for anchor in draft.mentions:
                if texts.get(anchor):
                    forms.setdefault(texts[anchor], None)
            description = tuple(
                text
                for child in draft.element
                if _local(child) in ("note", "occupation", "desc", "roleName", "affiliation")
                and (text := collect_text(child))
            )
            entities.append(
                Entity(
                    key=draft.key,
                    id=entry.id,
                    type=entry.type,
                    name=entry.canonical_name or entry.id,
                    name_forms=tuple(forms),
                    authorities=tuple(
                        Authority(name, value, AUTHORITY_URLS[name].format(value))
                        for name, value in entry.identifiers
                        if name in AUTHORITY_URLS
                    ),
                    other_ids=entry.other_ids,
                    description=description,
                    birth=entry.birth,
                    death=entry.death,
                    latitude=entry.latitude,
                    longitude=entry.longitude,
                    source=entry.source,
                    line=entry.line,
                    mentions=tuple(draft.mentions),
                )
            )
        return entities

    def _proposal(self, draft: _ProposalDraft) -> TextProposal:
        quotes = [
            q
            for q in draft.element.iter(f"{_T}quote")
            if not any(a.tag == f"{_T}quote" for a in _ancestors_below(q, draft.element))
        ]
        text = " ".join(filter(None, map(collect_text, quotes))) or collect_text(draft.element)
        return TextProposal(
            draft.id,
            draft.element.get("n"),
            draft.element.get("subtype"),
            draft.topics,
            text,
            tuple(draft.entities),
        )

    def _dates(self) -> list[DateEntry]:
        by_iso: dict[str, list[str]] = {}
        for draft in self.mentions:
            if draft.date is not None:
                iso = DateValue("", draft.date.when, draft.date.start, draft.date.end).iso
                if iso:
                    by_iso.setdefault(iso, []).append(draft.id)
        return [
            DateEntry(iso, self.claim("date-" + iso.replace("/", "--")), tuple(ids))
            for iso, ids in sorted(by_iso.items())
        ]


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _ancestors_below(element: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    for ancestor in element.iterancestors():
        if ancestor is top:
            return
        yield ancestor


@deep_walks
def build_model(
    document: TeiDocument,
    resolver: PointerResolver | None = None,
    *,
    rules: Sequence[MentionRule] = BUILTIN_RULES,
) -> DocumentModel:
    """Return the export model of *document*, resolving pointers with *resolver*.

    *rules* say what counts as a mention (``teikit.entities``' table). What the model
    found (unresolved pointers, the loader's warnings) is in ``model.diagnostics``.
    """
    own = resolver if resolver is not None else PointerResolver()
    try:
        return ModelBuilder(document, own, rules).build()
    finally:
        own.release(document)


def to_models(
    documents: Iterable[TeiDocument | DocumentModel], resolver: PointerResolver | None = None
) -> list[DocumentModel]:
    """Return models for *documents*, building those that are still TEI documents."""
    return [d if isinstance(d, DocumentModel) else build_model(d, resolver) for d in documents]

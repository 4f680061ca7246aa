"""A corpus: several document models with one register across them (``build_corpus``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from teikit.exporters.records import DocumentModel, Entity

__all__ = ["Corpus", "CorpusEntity", "Occurrence", "build_corpus"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a corpus entity occurs: a document (by index), its key there, its mentions."""

    document: int
    key: str
    mentions: tuple[str, ...]


@dataclass(slots=True)
class CorpusEntity:
    """A register entry across a corpus: one per (defining file, ``xml:id``)."""

    key: str
    entity: Entity
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def mention_count(self) -> int:
        """Return how many mentions in the reading texts point to the entry."""
        return sum(len(o.mentions) for o in self.occurrences)

    @property
    def latitude(self) -> float | None:
        """Return the latitude of a place."""
        return self.entity.latitude

    @property
    def longitude(self) -> float | None:
        """Return the longitude of a place."""
        return self.entity.longitude


@dataclass(slots=True)
class Corpus:
    """Several document models with their corpus-wide register.

    ``pages`` holds the output file name of each document in a folder export.

    The lookups a page makes (:meth:`page_of`, :meth:`of_kind`, :meth:`has_kind`) use
    indexes built once per corpus (issue 18: rebuilt per page, a folder export was
    quadratic); they are rebuilt only when ``pages`` or ``register`` is replaced or resized.
    """

    documents: list[DocumentModel]
    register: list[CorpusEntity]
    pages: list[str] = field(default_factory=list)
    _by_entity: dict[tuple[int, str], CorpusEntity] = field(default_factory=dict)
    _pages_by_id: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _pages_key: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    _kinds: dict[str, list[CorpusEntity]] = field(default_factory=dict, repr=False, compare=False)
    _kinds_key: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    def pages_by_id(self) -> dict[str, str]:
        """Return the output page of each document by its root ``xml:id`` (first one wins)."""
        key = (id(self.pages), len(self.pages), len(self.documents))
        if key != self._pages_key:
            index: dict[str, str] = {}
            for doc, page in zip(self.documents, self.pages, strict=False):
                if doc.xml_id:
                    index.setdefault(doc.xml_id, page)
            self._pages_by_id, self._pages_key = index, key
        return self._pages_by_id

    def _by_kind(self) -> dict[str, list[CorpusEntity]]:
        key = (id(self.register), len(self.register))
        if key != self._kinds_key:
            kinds: dict[str, list[CorpusEntity]] = {}
            for entry in self.register:
                kinds.setdefault(entry.entity.type, []).append(entry)
            for entries in kinds.values():
                entries.sort(key=lambda e: (e.entity.name.casefold(), e.key))
            self._kinds, self._kinds_key = kinds, key
        return self._kinds

    def of_kind(self, kind: str) -> list[CorpusEntity]:
        """Return the corpus entries of *kind*, sorted by name."""
        return list(self._by_kind().get(kind, ()))

    def has_kind(self, kind: str) -> bool:
        """Return whether the register has an entry of *kind*."""
        return kind in self._by_kind()

    def entry_for(self, document: int, key: str) -> CorpusEntity | None:
        """Return the corpus entry of entity *key* in document number *document*."""
        return self._by_entity.get((document, key))

    def document_names(self, entry: CorpusEntity, *, mentioned: bool = True) -> list[str]:
        """Return the names of the documents the entry occurs in (with mentions, by default)."""
        return list(
            dict.fromkeys(
                self.documents[o.document].name
                for o in entry.occurrences
                if o.mentions or not mentioned
            )
        )


def build_corpus(models: Sequence[DocumentModel]) -> Corpus:
    """Return the corpus of *models* with its register, entries keyed by file and id."""
    corpus = Corpus(list(models), [])
    by_source: dict[tuple[str, str], CorpusEntity] = {}
    taken: set[str] = set()
    for number, model in enumerate(models):
        for entity in model.entities:
            key = (entity.source, entity.id)
            entry = by_source.get(key)
            if entry is None:
                anchor, n = entity.id, 1
                while anchor in taken:
                    n += 1
                    anchor = f"{entity.id}-{n}"
                taken.add(anchor)
                entry = by_source[key] = CorpusEntity(anchor, entity)
                corpus.register.append(entry)
            elif entry.entity.latitude is None and entity.latitude is not None:
                entry.entity = entity
            entry.occurrences.append(Occurrence(number, entity.key, entity.mentions))
            corpus._by_entity[(number, entity.key)] = entry
    return corpus

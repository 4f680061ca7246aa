"""Typed records of ``teikit entities``: mentions, proposals and register entries.

Every record turns into a row with :meth:`as_row` (cells in column order) or
:meth:`as_dict`; the column sets are the stable,
documented contract of ``docs/entities.md`` (new columns are only ever appended).
Multi-valued cells are lists in rows; the CSV exporter joins them with ``" | "``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

__all__ = [
    "Cell",
    "MENTION_COLUMNS",
    "REGISTER_COLUMNS",
    "AUTHORITIES",
    "DateRange",
    "EntityKind",
    "Location",
    "Mention",
    "Proposal",
    "Record",
    "RegisterEntry",
    "RegisterRow",
    "Row",
    "Status",
    "Target",
]

#: The value of one cell: text, a number, a list of texts, or nothing.
Cell = str | int | float | list[str] | None
#: One output row, keyed by column name.
Row = dict[str, Cell]


class EntityKind(str, enum.Enum):
    """The built-in kinds of thing ``teikit entities`` reports (``--type`` names)."""

    PERSON = "person"
    PLACE = "place"
    ORG = "org"
    DATE = "date"
    PROPOSAL = "proposal"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """What became of a mention's pointer (the ``status`` column)."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    WRONG_KIND = "wrong-kind"
    EXTERNAL = "external"
    NO_REF = "no-ref"

    def __str__(self) -> str:
        return self.value


# When a mention has several pointers, the row shows the most alarming status.
_STATUS_RANK: Final = {
    Status.UNRESOLVED: 0,
    Status.WRONG_KIND: 1,
    Status.EXTERNAL: 2,
    Status.RESOLVED: 3,
    Status.NO_REF: 4,
}


class Location(str, enum.Enum):
    """Where a mention sits: in the ``teiHeader`` or anywhere else (``text``)."""

    HEADER = "header"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


#: Authority files recognised in ``idno/@type`` and in ``@ref``/``@sameAs`` URIs.
AUTHORITIES: Final = ("wikidata", "viaf", "gnd", "geonames")

#: Columns of the mentions view, in order (``docs/entities.md`` documents each).
MENTION_COLUMNS: Final = (
    "document",
    "type",
    "element",
    "pointer",
    "status",
    "entity_id",
    "canonical_name",
    "text",
    "line",
    "xml_id_or_xpath",
    "location",
    "proposal_n",
    "proposal_id",
    "context",
    "date_start",
    "date_end",
    "date_precision",
    "subtype",
    "topics",
    "entities",
)

#: Columns of the register view (``--register``), in order.
REGISTER_COLUMNS: Final = (
    "id",
    "type",
    "canonical_name",
    "name_forms",
    *AUTHORITIES,
    "other_ids",
    "birth",
    "death",
    "latitude",
    "longitude",
    "mention_count",
    "documents",
    "source",
)


@dataclass(frozen=True, slots=True)
class Target:
    """One pointer token of a mention and what it resolved to."""

    pointer: str
    status: Status
    entity_id: str | None = None
    name: str | None = None
    #: The document that defines the entity (for register entries kept apart by file).
    source: str | None = None
    #: The kind of register entry reached (``person``, ``place``, ``org``) or ``None``.
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class DateRange:
    """A date normalised to ISO 8601: ``start == end`` and ``exact`` for ``@when``."""

    start: str | None
    end: str | None
    precision: str | None  # "exact" | "range" | None when the date has no attribute


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a person, place, organisation, date or other typed name."""

    document: str
    type: str
    element: str
    pointer: str | None
    targets: tuple[Target, ...]
    text: str
    line: int | None
    xml_id: str | None
    xpath: str
    location: Location
    proposal_n: str | None = None
    proposal_id: str | None = None
    context: str = ""
    date: DateRange | None = None

    @property
    def status(self) -> Status:
        """Return the most alarming status of the targets, ``no-ref`` without a pointer."""
        if not self.targets:
            return Status.NO_REF
        return min((t.status for t in self.targets), key=_STATUS_RANK.__getitem__)

    @property
    def entity_ids(self) -> tuple[str, ...]:
        """Return the ids of the entities the pointers reached (resolved or wrong kind)."""
        return tuple(t.entity_id for t in self.targets if t.entity_id is not None)

    def as_row(self) -> tuple[Cell, ...]:
        """Return the mention's cells in the order of :data:`MENTION_COLUMNS`."""
        targets = self.targets
        date = self.date
        return (
            self.document,
            self.type,
            self.element,
            self.pointer,
            self.status.value,
            " ".join(t.entity_id for t in targets if t.entity_id) or None,
            " | ".join(t.name for t in targets if t.name) or None,
            self.text,
            self.line,
            self.xml_id or self.xpath,
            self.location.value,
            self.proposal_n,
            self.proposal_id,
            self.context,
            date.start if date else None,
            date.end if date else None,
            date.precision if date else None,
            None,
            [],
            [],
        )

    def as_dict(self) -> Row:
        """Return the mention as a dictionary keyed by :data:`MENTION_COLUMNS`."""
        return dict(zip(MENTION_COLUMNS, self.as_row(), strict=True))


@dataclass(frozen=True, slots=True)
class Proposal:
    """An element with ``@type="proposal"``: its number, topics, text and entities."""

    document: str
    element: str
    number: str | None
    subtype: str | None
    id: str | None
    pointer: str | None  # @ana as written
    topics: tuple[Target, ...]
    text: str
    entities: tuple[str, ...]
    line: int | None
    xpath: str
    location: Location

    @property
    def status(self) -> Status:
        """Return the most alarming status of the ``@ana`` pointers."""
        if not self.topics:
            return Status.NO_REF
        return min((t.status for t in self.topics), key=_STATUS_RANK.__getitem__)

    @property
    def topic_labels(self) -> list[str]:
        """Return the topic labels (``catDesc``), or the pointer when it has no label."""
        return [t.name or t.pointer for t in self.topics]

    def as_row(self) -> tuple[Cell, ...]:
        """Return the proposal's cells in the order of :data:`MENTION_COLUMNS`."""
        ids = [t.entity_id for t in self.topics if t.entity_id]
        return (
            self.document,
            EntityKind.PROPOSAL.value,
            self.element,
            self.pointer,
            self.status.value,
            " ".join(ids) or None,
            None,
            self.text,
            self.line,
            self.id or self.xpath,
            self.location.value,
            self.number,
            self.id,
            "",
            None,
            None,
            None,
            self.subtype,
            self.topic_labels,
            list(self.entities),
        )

    def as_dict(self) -> Row:
        """Return the proposal as a dictionary keyed by :data:`MENTION_COLUMNS`."""
        return dict(zip(MENTION_COLUMNS, self.as_row(), strict=True))


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """A ``person``, ``personGrp``, ``place`` or ``org`` element of a register."""

    id: str
    type: str
    source: str
    canonical_name: str | None
    name_forms: tuple[str, ...] = ()
    #: ``(authority, identifier)`` pairs, authority one of :data:`AUTHORITIES`.
    identifiers: tuple[tuple[str, str], ...] = ()
    #: Other ``idno``s as ``type:value`` (and authority ``idno``s that hold no identifier).
    other_ids: tuple[str, ...] = ()
    birth: str | None = None
    death: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One row of the register view: an entry with the mentions that point to it."""

    entry: RegisterEntry
    name_forms: tuple[str, ...]
    mention_count: int
    documents: tuple[str, ...]

    def as_dict(self) -> Row:
        """Return the register row as a dictionary keyed by :data:`REGISTER_COLUMNS`."""
        entry = self.entry
        row: Row = {
            "id": entry.id,
            "type": entry.type,
            "canonical_name": entry.canonical_name,
            "name_forms": list(self.name_forms),
        }
        for authority in AUTHORITIES:
            values = [value for name, value in entry.identifiers if name == authority]
            row[authority] = " | ".join(dict.fromkeys(values)) or None
        row["other_ids"] = list(entry.other_ids)
        row.update(
            {
                "birth": entry.birth,
                "death": entry.death,
                "latitude": entry.latitude,
                "longitude": entry.longitude,
                "mention_count": self.mention_count,
                "documents": list(self.documents),
                "source": entry.source,
            }
        )
        return row

    def as_row(self) -> tuple[Cell, ...]:
        """Return the register row's cells in the order of :data:`REGISTER_COLUMNS`."""
        row = self.as_dict()
        return tuple(row[column] for column in REGISTER_COLUMNS)


#: What :func:`teikit.entities.extract_entities` yields.
Record = Mention | Proposal | RegisterEntry

"""The records of the export model: the reading text as a tree, and what the document says.

A :class:`DocumentModel` holds the header :class:`Metadata`, the reading text as
:class:`Block` and :class:`Container` nodes of inline :class:`Text`, :class:`Span`,
:class:`Break` and :class:`NoteRef` items, the footnotes, and the mentions, register
entries, proposals and dates of the text. The exporters render these records only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from teikit.diagnostics import Diagnostic
from teikit.kinds import ENTITY_KINDS

__all__ = [
    "KIND_ORDER",
    "Authority",
    "Block",
    "Break",
    "Container",
    "DateEntry",
    "DateValue",
    "DocumentModel",
    "Entity",
    "Identifier",
    "Inline",
    "Licence",
    "TextMention",
    "Metadata",
    "Node",
    "Note",
    "NoteRef",
    "Party",
    "TextProposal",
    "Responsibility",
    "Span",
    "Text",
    "Topic",
]

#: Kinds of register entry, in the order registers list them.
KIND_ORDER: Final = ENTITY_KINDS


# -- the inline tree --------------------------------------------------------------------------


@dataclass(slots=True)
class Text:
    """A run of reading text (whitespace normalised once the block is complete)."""

    text: str


@dataclass(slots=True)
class Span:
    """Inline mark-up around text: a mention, an editorial addition, a quotation, emphasis.

    ``kind`` is one of ``mention``, ``supplied``, ``quote``, ``hi``, ``emph``, ``title``,
    ``term``, ``foreign``, ``del``, ``add``, ``unclear``, ``gap``, ``label``, ``measure``,
    ``seg``, ``link``, ``figure`` or ``choice``; ``attrs`` holds what the renderers need
    (``mention``: the mention id; ``rend``, ``lang``, ``href``, ``title``, ``original``).
    """

    kind: str
    children: list[Inline] = field(default_factory=list)
    element: str = ""
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Break:
    """A line, page or column break (``lb``, ``pb``, ``cb``); ``join`` for ``break="no"``."""

    kind: str
    n: str | None = None
    join: bool = False


@dataclass(slots=True)
class NoteRef:
    """The place of footnote *number* in the text."""

    number: int


Inline = Text | Span | Break | NoteRef


@dataclass(slots=True)
class Block:
    """A paragraph-like block holding inline content (``p``, ``head``, ``salute``...).

    ``element`` is the TEI local name (``line`` for loose text between blocks); ``id`` is
    the ``xml:id`` or a generated ``b-N``; ``text`` is the plain reading text that mention
    positions count in.
    """

    element: str
    id: str
    children: list[Inline]
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    lang: str | None = None


@dataclass(slots=True)
class Container:
    """A division or other grouping of blocks (``div``, ``opener``, ``closer``, ``list``...)."""

    element: str
    children: list[Node]
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    topics: tuple[Topic, ...] = ()


Node = Block | Container


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as written and as ISO 8601 (``when``, or a ``start``/``end`` range)."""

    text: str
    when: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def iso(self) -> str | None:
        """Return ``when``, or the ISO 8601 interval ``start/end``, or ``None``."""
        if self.when:
            return self.when
        if self.start or self.end:
            return f"{self.start or '..'}/{self.end or '..'}"
        return None


@dataclass(frozen=True, slots=True)
class Party:
    """A sender, recipient or place in the header, with the entity it points to."""

    name: str
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    """A labelled number of the source (``archive-record: 21405``)."""

    type: str | None
    value: str


@dataclass(frozen=True, slots=True)
class Responsibility:
    """Who did what: a ``respStmt`` or ``editor`` of the title statement."""

    resp: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Licence:
    """The licence statement and its URL."""

    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic of a proposal: the taxonomy category and its label."""

    id: str | None
    label: str


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the header says: title, correspondents, date, source, encoder, licence."""

    title: str
    language: str | None = None
    senders: tuple[Party, ...] = ()
    recipients: tuple[Party, ...] = ()
    date: DateValue | None = None
    places: tuple[Party, ...] = ()
    source: str | None = None
    source_type: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    description: str | None = None
    responsibilities: tuple[Responsibility, ...] = ()
    publisher: str | None = None
    licence: Licence | None = None
    topics: tuple[Topic, ...] = ()


@dataclass(frozen=True, slots=True)
class TextMention:
    """A person, place, organisation, event, date or other name in the reading text.

    ``block``, ``start`` and ``end`` locate it in the plain text of a block (Python
    string offsets); ``entities`` are the keys of the register entries it resolves to.
    ``id`` is its anchor in the page and ``href`` the link a renderer gives it.

    Not :class:`teikit.entities.Mention`, the row of ``teikit entities``: that one keeps
    every pointer's resolution and the mention's context, for tables; this one places the
    mention in the text the exporters render.
    """

    id: str
    type: str
    element: str
    text: str
    pointer: str | None
    status: str
    entities: tuple[str, ...]
    href: str | None
    date: DateValue | None
    block: str
    start: int
    end: int
    line: int | None
    xpath: str
    proposal: str | None
    note: int | None


@dataclass(frozen=True, slots=True)
class Authority:
    """An authority identifier and its URL."""

    authority: str
    id: str
    url: str


@dataclass(frozen=True, slots=True)
class Entity:
    """A register entry as the document uses it: names, identifiers, data, mentions.

    ``key`` is unique within the document model (the ``xml:id`` unless two files define
    the same one) and is the HTML anchor of the entry.
    """

    key: str
    id: str
    type: str
    name: str
    name_forms: tuple[str, ...]
    authorities: tuple[Authority, ...]
    other_ids: tuple[str, ...]
    description: tuple[str, ...]
    birth: str | None
    death: str | None
    latitude: float | None
    longitude: float | None
    source: str
    line: int | None
    mentions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TextProposal:
    """A numbered proposal: ``div type="proposal"`` with ``@n``, ``@subtype`` and ``@ana``.

    ``id`` is its anchor in the page; ``topics`` are labelled categories and ``entities``
    the keys of the model's register entries mentioned in it. Not
    :class:`teikit.entities.Proposal`, the row of ``teikit entities`` (document, pointers
    and their resolution, line and XPath).
    """

    id: str
    number: str | None
    subtype: str | None
    topics: tuple[Topic, ...]
    text: str
    entities: tuple[str, ...]


@dataclass(slots=True)
class Note:
    """A note rendered as footnote *number*; ``call`` is the id of its place in the text."""

    number: int
    id: str
    call: str | None
    blocks: list[Node]
    xml_id: str | None = None
    type: str | None = None
    resp: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DateEntry:
    """One ISO date of the text with the mentions that give it (the dates register)."""

    iso: str
    id: str
    mentions: tuple[str, ...]


@dataclass(slots=True)
class DocumentModel:
    """Everything the exporters render about one document."""

    name: str
    path: Path | None
    xml_id: str | None
    metadata: Metadata
    structure: list[Node]
    notes: list[Note]
    mentions: list[TextMention]
    entities: list[Entity]
    proposals: list[TextProposal]
    dates: list[DateEntry]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    anchors: frozenset[str] = frozenset()

    def entity(self, key: str) -> Entity | None:
        """Return the entity with *key*."""
        return next((e for e in self.entities if e.key == key), None)

    def mention(self, ident: str) -> TextMention | None:
        """Return the mention with id *ident*."""
        return next((m for m in self.mentions if m.id == ident), None)

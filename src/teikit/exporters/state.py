"""The state of building one document's model: ids in use, findings, pointers, entry drafts.

The builder of :func:`~teikit.exporters.builder.build_model` is split by what it does, each
part a class built on the one before: :class:`BuildState` (this module) holds what every
part shares; :class:`~teikit.exporters.body.InlineWalker` reads inline content and
mentions; :class:`~teikit.exporters.body.BodyWalker` reads blocks, divisions and notes;
:class:`~teikit.exporters.builder.ModelBuilder` runs the walk and assembles the records.
The header is read by :func:`~teikit.exporters.header.read_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import ElementPaths, TeiDocument
from teikit.entities.text import line_of
from teikit.exporters.elements import _HTTP, _SKIPPED, _local
from teikit.exporters.records import DateValue, Note, Topic
from teikit.kinds import ENTRY_KINDS, entry_of
from teikit.namespaces import XML_ID
from teikit.pointers import PointerResolver, PointerStatus, Resolution

__all__ = ["BuildState"]

_STATUS_RANK: Final = {"unresolved": 0, "wrong-kind": 1, "external": 2, "resolved": 3}


@dataclass(slots=True)
class _EntityDraft:
    key: str
    element: etree._Element
    source: str
    mentions: list[str] = field(default_factory=list)
    forms: dict[str, None] = field(default_factory=dict)
    local: bool = False


@dataclass(slots=True)
class _MentionDraft:
    id: str
    type: str
    element: str
    pointer: str | None
    status: str
    entities: tuple[str, ...]
    href: str | None
    date: DateValue | None
    line: int | None
    xpath: str
    proposal: str | None
    note: int | None


@dataclass(slots=True)
class _ProposalDraft:
    id: str
    element: etree._Element
    topics: tuple[Topic, ...]
    entities: dict[str, None] = field(default_factory=dict)


class BuildState:
    """What building one model shares: the document, the ids in use, findings, pointers."""

    def __init__(self, document: TeiDocument, resolver: PointerResolver) -> None:
        self.document = document
        self.resolver = resolver
        self.root = document.root
        self.paths = ElementPaths()  # linear even for a flat document with many findings
        self.diagnostics: list[Diagnostic] = list(document.warnings)
        self.anchors: set[str] = set()
        self.blocks = 0
        self.generated = 0
        self.mentions: list[_MentionDraft] = []
        self.positions: dict[str, tuple[str, int, int, str]] = {}
        self.entities: dict[tuple[str, str], _EntityDraft] = {}
        self.by_key: dict[str, _EntityDraft] = {}
        self.notes: list[Note] = []
        self.note_numbers: dict[etree._Element, Note] = {}
        self.target_notes: dict[str, list[etree._Element]] = {}
        self.pending_notes: dict[etree._Element, None] = {}
        self.proposals: list[_ProposalDraft] = []
        self.proposal_stack: list[_ProposalDraft] = []
        self.note_stack: list[int] = []
        self.lang_stack: list[str | None] = []
        self.resolutions: dict[str, Resolution] = {}
        self.reported: set[tuple[str, int | None]] = set()

    # -- anchors ------------------------------------------------------------------------

    def claim(self, base: str) -> str:
        """Return *base*, or *base* with a suffix, as an id unused in the page so far."""
        candidate, n = base, 1
        while candidate in self.anchors:
            n += 1
            candidate = f"{base}-{n}"
        self.anchors.add(candidate)
        return candidate

    def _reserve_text_ids(self, text: etree._Element) -> None:
        # walked, not the XPath .//*[@xml:id]: no node-set limit (issue 18)
        for element in text.iterdescendants(etree.Element):
            if element.get(XML_ID) is None:
                continue
            if (
                not any(_local(a) in _SKIPPED for a in element.iterancestors())
                and _local(element) not in _SKIPPED
            ):
                self.anchors.add(element.get(XML_ID, ""))

    # -- findings -------------------------------------------------------------------------

    def warn(self, element: etree._Element, code: str, message: str) -> None:
        """Note a warning about *element*."""
        self.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                code,
                message,
                self.document.name,
                line_of(element),
                None,
                self.paths.path(element),
            )
        )

    # -- pointers ---------------------------------------------------------------------------

    def resolve(self, token: str) -> Resolution:
        """Resolve one pointer token (once per document)."""
        found = self.resolutions.get(token)
        if found is None:
            found = self.resolutions[token] = self.resolver.resolve(token, self.document)
        return found

    def resolve_pointers(
        self, element: etree._Element, expected: str | None
    ) -> tuple[str | None, str, tuple[str, ...], str | None]:
        """Return ``(pointer, status, entity keys, href)`` for the ``@ref`` (or ``@key``)."""
        attribute, value = "ref", element.get("ref")
        if value is None and element.get("key") is not None:
            attribute, value = "key", element.get("key")
        tokens = (value or "").split()
        if attribute == "key" and tokens and not (":" in tokens[0] or "#" in tokens[0]):
            tokens = [f"#{tokens[0]}"]  # @key is a plain key, looked up as an xml:id
        if not tokens:
            return value, "no-ref", (), None
        statuses: list[str] = []
        keys: list[str] = []
        href: str | None = None
        for token in tokens:
            resolution = self.resolve(token)
            if resolution.status is PointerStatus.EXTERNAL:
                statuses.append("external")
                if href is None and _HTTP.match(resolution.expanded):
                    href = resolution.expanded
                continue
            if resolution.status is PointerStatus.UNRESOLVED:
                statuses.append("unresolved")
                key = (token, line_of(element))
                if key not in self.reported:
                    self.reported.add(key)
                    self.warn(
                        element,
                        "export.unresolved-ref",
                        f"<{_local(element) or element.tag}> @{attribute}={token!r} points to "
                        f"nothing ({resolution.reason}); exported without a link",
                    )
                continue
            target = resolution.target
            assert target is not None
            entry = entry_of(target)
            kind = None if entry is None else ENTRY_KINDS[str(entry.tag)]
            statuses.append("resolved" if expected in (None, kind) else "wrong-kind")
            draft = self.entity_for(entry, resolution.document) if entry is not None else None
            if draft is None:
                local = (
                    resolution.document is None or resolution.document.tree is self.document.tree
                )
                if href is None and local and target.get(XML_ID):
                    href = "#" + target.get(XML_ID, "")
                continue
            keys.append(draft.key)
        status = min(statuses, key=_STATUS_RANK.__getitem__)
        return value, status, tuple(dict.fromkeys(keys)), href

    def entity_for(
        self, entry: etree._Element, document: TeiDocument | None
    ) -> _EntityDraft | None:
        """Return the draft of the register entry *entry* (defined in *document*)."""
        ident = entry.get(XML_ID)
        if ident is None:
            return None
        source = (document or self.document).name
        key = (source, ident)
        draft = self.entities.get(key)
        if draft is None:
            local = document is None or document.tree is self.document.tree
            draft = _EntityDraft(self.claim(ident), entry, source, local=local)
            self.entities[key] = draft
            self.by_key[draft.key] = draft
        return draft

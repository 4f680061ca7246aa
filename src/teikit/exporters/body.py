"""The walk over the reading text: inline content and mentions, then blocks, divisions, notes.

:class:`InlineWalker` turns the inline content of an element into :class:`Text`,
:class:`Span`, :class:`Break` and :class:`NoteRef` items, recording each mention as it
goes; :class:`BodyWalker` adds the block level: paragraphs, divisions (a ``div
type="proposal"`` is recorded as a proposal) and the notes, numbered as footnotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from lxml import etree

from teikit.document import TeiDocument
from teikit.entities.config import MentionRule
from teikit.entities.dates import date_range
from teikit.entities.register import label_of
from teikit.entities.text import collect_text, line_of
from teikit.exporters.elements import (
    _ALL_BLOCKS,
    _HTTP,
    _LEAF_BLOCKS,
    _MAYBE_BLOCKS,
    _PRIMARY_IN_CHOICE,
    _SECONDARY_IN_CHOICE,
    _SKIPPED,
    _SPAN_KINDS,
    _T,
    _XML_LANG,
    _find,
    _language,
    _local,
    _xpath,
)
from teikit.exporters.flatten import normalise, plain_text
from teikit.exporters.records import (
    Block,
    Break,
    Container,
    DateValue,
    Inline,
    Node,
    Note,
    NoteRef,
    Span,
    Text,
    Topic,
)
from teikit.exporters.state import BuildState, _MentionDraft, _ProposalDraft
from teikit.kinds import expected_kind
from teikit.namespaces import XML_ID
from teikit.pointers import PointerResolver, PointerStatus

__all__ = ["BodyWalker", "InlineWalker"]

_STANDOFF_NOTES: Final = _xpath("tei:standOff/tei:note | tei:standOff/tei:listAnnotation/tei:note")


def _note_divisions(root: etree._Element) -> list[etree._Element]:
    """Return the notes divisions and ``noteGrp`` (not in a ``p``) inside a ``text`` below *root*.

    The same as ``.//tei:text//tei:div[@type='notes'] | .//tei:text//tei:noteGrp[not(ancestor::
    tei:p)]``, walked: libxml2 cannot build that XPath's node-set for a document of over 10
    million nodes (issue 18).
    """
    found: list[etree._Element] = []
    for element in root.iterdescendants(f"{_T}div", f"{_T}noteGrp"):
        if element.tag == f"{_T}div":
            if element.get("type") != "notes":
                continue
        elif any(True for _ in element.iterancestors(f"{_T}p")):
            continue
        for ancestor in element.iterancestors():
            if ancestor is root:
                break
            if ancestor.tag == f"{_T}text":
                found.append(element)
                break
    return found


class InlineWalker(BuildState):
    """Read inline content: text, spans, breaks, note calls, and the mentions in it."""

    def __init__(
        self, document: TeiDocument, resolver: PointerResolver, rules: Sequence[MentionRule]
    ) -> None:
        super().__init__(document, resolver)
        self.rules = list(rules)
        self.by_tag: dict[str, list[tuple[int, MentionRule, str | None]]] = {}
        self.by_xpath: list[tuple[int, MentionRule, set[etree._Element]]] = []
        for rank, rule in enumerate(self.rules):
            test = rule.simple_test()
            if test is None:
                found = rule.compile()(self.root)
                members = (
                    {e for e in found if isinstance(e, etree._Element)}
                    if isinstance(found, list)
                    else set()
                )
                self.by_xpath.append((rank, rule, members))
            else:
                self.by_tag.setdefault(test[0], []).append((rank, rule, test[1]))

    # -- mentions ---------------------------------------------------------------------------

    def mention_rule(self, element: etree._Element) -> MentionRule | None:
        """Return the first mention rule *element* matches, if any."""
        best: tuple[int, MentionRule] | None = None
        for rank, rule, attribute in self.by_tag.get(str(element.tag), ()):
            if attribute is None or element.get(attribute) is not None:
                best = (rank, rule)
                break
        for rank, rule, members in self.by_xpath:
            if element in members and (best is None or rank < best[0]):
                best = (rank, rule)
                break
        return best[1] if best is not None else None

    def mention(self, element: etree._Element, kind: str) -> Span:
        """Return the span of a mention and record the mention."""
        ident = element.get(XML_ID)
        if ident is None:
            self.generated += 1
        anchor = ident if ident is not None else self.claim(f"m-{self.generated}")
        if ident is not None:
            self.anchors.add(ident)
        pointer, status, keys, href = self.resolve_pointers(element, expected_kind(kind))
        date = None
        if kind == "date":
            span, rejected = date_range(element)
            for name, raw in rejected:  # the same dates as validate and entities reject
                self.warn(
                    element,
                    "export.invalid-date",
                    f"<{_local(element)}> @{name}={raw!r} is not an ISO 8601 date; "
                    "exported without a date value",
                )
            exact = span.precision == "exact"
            date = DateValue(
                "",
                span.start if exact else None,
                None if exact else span.start,
                None if exact else span.end,
            )
        proposal = self.proposal_stack[-1] if self.proposal_stack else None
        for draft in self.proposal_stack:
            draft.entities.update(dict.fromkeys(keys))
        self.mentions.append(
            _MentionDraft(
                anchor,
                kind,
                _local(element),
                pointer,
                status,
                keys,
                href,
                date,
                line_of(element),
                self.paths.path(element),
                proposal.id if proposal is not None else None,
                self.note_stack[-1] if self.note_stack else None,
            )
        )
        for key in keys:
            self.by_key[key].mentions.append(anchor)
        attrs = {"mention": anchor, "type": kind}
        return Span("mention", self.inline_children(element), _local(element), None, attrs)

    def _attrs(self, element: etree._Element) -> dict[str, str]:
        attrs = {
            name: value
            for name in ("type", "subtype", "n", "rend")
            if (value := element.get(name)) is not None
        }
        lang = _language(element.get(_XML_LANG))
        if lang:
            attrs["lang"] = lang
        return attrs

    def inline_children(self, element: etree._Element) -> list[Inline]:
        """Return the inline content of *element*: its text, its children, their tails."""
        out: list[Inline] = []
        if element.text:
            out.append(Text(element.text))
        for child in element:
            if isinstance(child.tag, str) and _local(child) not in _SKIPPED:
                out.extend(self.inline(child))
            if child.tail:
                out.append(Text(child.tail))
        return out

    def inline(self, element: etree._Element) -> list[Inline]:
        """Return the inline nodes for *element*, followed by the calls of notes on it."""
        local = _local(element)
        if local == "note":
            if element in self.note_numbers:
                return []
            if element.get("target") and element in self.pending_notes:
                return []
            return [self.note_call(element)]
        if local in ("lb", "pb", "cb"):
            return [Break(local, element.get("n"), element.get("break") == "no")]
        if local in _SKIPPED:
            return []
        rule = self.mention_rule(element)
        kind = rule.type_of(element) if rule is not None else ""
        if kind:
            span: Inline = self.mention(element, kind)
        elif local == "choice":
            span = self.choice(element)
        elif local == "gap":
            span = Span("gap", [], local, element.get(XML_ID), self._attrs(element))
        elif local in ("ref", "ptr"):
            span = self.link(element, local)
        elif local == "figure":
            descriptions = [c for c in element if _local(c) in ("figDesc", "head")]
            inner: list[Inline] = []
            for description in descriptions:
                inner.extend(self.inline_children(description))
            span = Span("figure", inner, local, None, self._attrs(element))
        elif local in _ALL_BLOCKS or local in ("item", "cell"):
            # a block inside running text (a list in a paragraph): kept, on its own lines
            span = Span("seg", [Break("lb"), *self.inline_children(element), Break("lb")], local)
        else:
            attrs = self._attrs(element)
            if local == "measure":
                attrs["title"] = " ".join(
                    v
                    for v in (
                        element.get("quantity")
                        or "-".join(filter(None, (element.get("atLeast"), element.get("atMost")))),
                        element.get("unit"),
                    )
                    if v
                )
            elif local == "supplied":
                attrs["title"] = "editorial addition"
            elif local == "soCalled":
                attrs["variant"] = "soCalled"
            span = Span(
                _SPAN_KINDS.get(local, "seg"),
                self.inline_children(element),
                local or etree.QName(element).localname,
                element.get(XML_ID),
                attrs,
            )
        if isinstance(span, Span) and span.xml_id is not None:
            self.anchors.add(span.xml_id)
        return [span, *self.calls_after(element)]

    def choice(self, element: etree._Element) -> Span:
        """Return the editorial reading of a ``choice``, the other one as ``original``."""
        readings = {_local(child): child for child in element if _local(child)}
        primary = next((readings[n] for n in _PRIMARY_IN_CHOICE if n in readings), None)
        if primary is None:
            primary = next(iter(readings.values()), None)
        secondary = next((readings[n] for n in _SECONDARY_IN_CHOICE if n in readings), None)
        attrs: dict[str, str] = {}
        if secondary is not None and secondary is not primary:
            attrs["original"] = collect_text(secondary)
            attrs["original_kind"] = _local(secondary)
        children = self.inline_children(primary) if primary is not None else []
        return Span("choice", children, "choice", element.get(XML_ID), attrs)

    def link(self, element: etree._Element, local: str) -> Span:
        """Return a link for ``ref`` or ``ptr``: to an element of the page or a web address."""
        attrs = self._attrs(element)
        for token in (element.get("target") or "").split()[:1]:
            resolution = self.resolve(token)
            if resolution.status is PointerStatus.EXTERNAL and _HTTP.match(resolution.expanded):
                attrs["href"] = resolution.expanded
            elif (
                resolution.target is not None
                and resolution.target.get(XML_ID)
                and (
                    resolution.document is not None
                    and resolution.document.tree is self.document.tree
                )
            ):
                attrs["href"] = "#" + resolution.target.get(XML_ID, "")
            elif resolution.status is PointerStatus.UNRESOLVED:
                self.warn(
                    element,
                    "export.unresolved-ref",
                    f"<{local}> @target={token!r} points to nothing ({resolution.reason})",
                )
        children = self.inline_children(element)
        if local == "ptr" and not children:
            children = [Text(element.get("target", ""))]
        return Span("link", children, local, element.get(XML_ID), attrs)

    # -- notes (numbered and built at the block level) ------------------------------------------

    def note_call(self, note: etree._Element) -> NoteRef:  # pragma: no cover - overridden
        """Number *note*, build its content and return its call."""
        raise NotImplementedError

    def calls_after(self, element: etree._Element) -> list[Inline]:  # pragma: no cover
        """Return the calls of the notes whose ``@target`` is *element*."""
        raise NotImplementedError


class BodyWalker(InlineWalker):
    """Read the blocks of the text: paragraphs, divisions, proposals and notes."""

    # -- notes ------------------------------------------------------------------------------

    def note_call(self, note: etree._Element) -> NoteRef:
        """Number *note*, build its content and return its call."""
        number = len(self.notes) + 1
        self._note(note, number, self.claim(f"noteref-{number}"))
        return NoteRef(number)

    def _note(self, note: etree._Element, number: int, call: str | None) -> Note:
        """Add note *number* to the notes (before its content, which may hold notes too)."""
        ident = note.get(XML_ID)
        anchor = ident if ident is not None else self.claim(f"note-{number}")
        record = Note(
            number,
            anchor,
            call,
            [],
            ident,
            note.get("type"),
            note.get("resp"),
            tuple((note.get("target") or "").split()),
        )
        self.note_numbers[note] = record
        self.notes.append(record)
        self.note_stack.append(number)
        try:
            if any(_local(child) in _ALL_BLOCKS for child in note):
                record.blocks = self.nodes(note)
            else:
                record.blocks = [self.block(note, "p")]
        finally:
            self.note_stack.pop()
        return record

    def calls_after(self, element: etree._Element) -> list[Inline]:
        """Return the calls of the notes whose ``@target`` is *element*."""
        ident = element.get(XML_ID)
        if ident is None or ident not in self.target_notes:
            return []
        return [self.note_call(note) for note in self.target_notes.pop(ident)]

    def _collect_target_notes(self) -> None:
        seen: set[etree._Element] = set()
        for division in [*_note_divisions(self.root), *_find(_STANDOFF_NOTES, self.root)]:
            notes = [division] if _local(division) == "note" else division.iter(f"{_T}note")
            for note in notes:
                if note in seen or any(a in seen for a in note.iterancestors(f"{_T}note")):
                    continue
                seen.add(note)
                self.pending_notes[note] = None
                for token in (note.get("target") or "").split()[:1]:
                    resolution = self.resolve(token)
                    target = resolution.target
                    local = resolution.document is not None and (
                        resolution.document.tree is self.document.tree
                    )
                    if target is not None and local and target.get(XML_ID):
                        self.target_notes.setdefault(target.get(XML_ID, ""), []).append(note)
                    elif resolution.status is PointerStatus.UNRESOLVED:
                        self.warn(
                            note,
                            "export.unresolved-ref",
                            f"<note> @target={token!r} points to nothing "
                            f"({resolution.reason}); the note is listed without a call",
                        )

    # -- the text ------------------------------------------------------------------------------

    def is_block(self, element: etree._Element, mixed: bool) -> bool:
        """Return whether *element* is a block in a container (*mixed*: with loose text)."""
        local = _local(element)
        if local in _ALL_BLOCKS:
            return True
        if local in _MAYBE_BLOCKS:
            return not mixed or any(_local(child) in _ALL_BLOCKS for child in element)
        return False

    def nodes(self, element: etree._Element) -> list[Node]:
        """Return the blocks of a container: block children, loose text as ``line`` blocks."""
        nodes: list[Node] = []
        run: list[Inline] = []
        first: etree._Element | None = None

        def flush() -> None:
            nonlocal run, first
            if any(not isinstance(i, Text) or i.text.strip() for i in run):
                nodes.append(
                    self.finish_block(
                        Block("line", "", run), first if first is not None else element
                    )
                )
            run, first = [], None

        mixed = bool((element.text or "").strip()) or any(
            (child.tail or "").strip() for child in element
        )
        if element.text:
            run.append(Text(element.text))
        for child in element:
            local = _local(child)
            if local in _SKIPPED or child in self.note_numbers or self._is_notes_div(child):
                pass
            elif isinstance(child.tag, str) and local and self.is_block(child, mixed):
                flush()
                nodes.append(self.node(child))
            elif isinstance(child.tag, str):
                first = first if first is not None else child
                run.extend(self.inline(child))
            if child.tail:
                run.append(Text(child.tail))
        flush()
        return nodes

    def _is_notes_div(self, element: etree._Element) -> bool:
        return (_local(element) == "div" and element.get("type") == "notes") or _local(
            element
        ) == "noteGrp"

    def node(self, element: etree._Element) -> Node:
        """Return the block or container for a block-level element."""
        local = _local(element)
        lang = _language(element.get(_XML_LANG))
        self.lang_stack.append(lang or (self.lang_stack[-1] if self.lang_stack else None))
        try:
            if local == "figure":
                return self.figure_block(element)
            if local in _LEAF_BLOCKS or (
                local in _MAYBE_BLOCKS and not any(_local(c) in _ALL_BLOCKS for c in element)
            ):
                return self.block(element, local)
            return self.container(element, local)
        finally:
            self.lang_stack.pop()

    def container(self, element: etree._Element, local: str) -> Container:
        """Return a container; a ``div type="proposal"`` also becomes a :class:`TextProposal`."""
        ident = element.get(XML_ID)
        topics: tuple[Topic, ...] = ()
        draft: _ProposalDraft | None = None
        if element.get("type") == "proposal":
            topics = self.topics(element)
            draft = _ProposalDraft(
                ident or self.claim(f"proposal-{len(self.proposals) + 1}"), element, topics
            )
            self.proposals.append(draft)
            self.proposal_stack.append(draft)
        try:
            children = self.nodes(element)
        finally:
            if draft is not None:
                self.proposal_stack.pop()
        calls = self.calls_after(element)
        if calls:
            last = _last_block(children)
            if last is None:
                children.append(self.finish_block(Block("line", "", calls), element))
            else:
                last.children.extend(calls)
        attrs = self._attrs(element)
        return Container(local, children, ident, attrs, topics)

    def topics(self, element: etree._Element) -> tuple[Topic, ...]:
        """Return the topics a proposal's ``@ana`` points to."""
        topics: list[Topic] = []
        for token in (element.get("ana") or "").split():
            resolution = self.resolve(token)
            if resolution.target is not None:
                target = resolution.target
                topics.append(Topic(target.get(XML_ID), label_of(target) or token))
            else:
                if resolution.status is PointerStatus.UNRESOLVED:
                    self.warn(
                        element,
                        "export.unresolved-ref",
                        f"<{_local(element)}> @ana={token!r} points to nothing "
                        f"({resolution.reason})",
                    )
                topics.append(Topic(None, token))
        return tuple(topics)

    def figure_block(self, element: etree._Element) -> Block:
        """Return a figure as a block holding its description in brackets."""
        span = self.inline(element)
        return self.finish_block(
            Block("figure", "", span, element.get(XML_ID), self._attrs(element)), element
        )

    def block(self, element: etree._Element, local: str) -> Block:
        """Return a block holding the inline content of *element*."""
        children = self.inline_children(element)
        children.extend(self.calls_after(element))
        ident = element.get(XML_ID)
        return self.finish_block(Block(local, "", children, ident, self._attrs(element)), element)

    def finish_block(self, block: Block, element: etree._Element) -> Block:
        """Normalise a block's whitespace, give it an id and locate its mentions."""
        self.blocks += 1
        block.id = block.xml_id or f"b-{self.blocks}"
        lang = block.attrs.get("lang") or (self.lang_stack[-1] if self.lang_stack else None)
        block.lang = lang
        normalise(block.children)
        block.text, spans = plain_text(block.children, lang)
        for anchor, (start, end) in spans.items():
            self.positions[anchor] = (block.id, start, end, block.text[start:end])
        return block


def _last_block(nodes: list[Node]) -> Block | None:
    for node in reversed(nodes):
        if isinstance(node, Block):
            return node
        found = _last_block(node.children)
        if found is not None:
            return found
    return None

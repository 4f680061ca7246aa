"""The reading text of an HTML page: blocks, proposals, inline mark-up, mentions and notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from lxml import etree

from teikit.exporters.corpus import Corpus
from teikit.exporters.html.markup import (
    _DATETIME,
    _append_text,
    _el,
    _humanise,
    _kind_class,
    _kind_label,
    _shorten,
    _token,
)
from teikit.exporters.records import (
    Block,
    Break,
    Container,
    DocumentModel,
    Inline,
    Node,
    NoteRef,
    Span,
    Text,
)

__all__ = ["TextRenderer"]

_HI_TAGS: Final = {
    "i": "i",
    "italic": "i",
    "italics": "i",
    "b": "b",
    "bold": "b",
    "u": "u",
    "underline": "u",
    "sup": "sup",
    "superscript": "sup",
    "sub": "sub",
    "subscript": "sub",
    "strike": "s",
    "strikethrough": "s",
}
_LEAF_TAGS: Final = {"item": "li", "cell": "td", "quote": "blockquote", "l": "p"}
_CONTAINER_TAGS: Final = {
    "list": "ul",
    "item": "li",
    "table": "table",
    "row": "tr",
    "cell": "td",
    "quote": "blockquote",
    "q": "blockquote",
    "cit": "blockquote",
    "said": "blockquote",
    "figure": "figure",
}


class TextRenderer:
    """Render the reading text and the notes of one :class:`DocumentModel`."""

    def __init__(
        self, model: DocumentModel, corpus: Corpus | None = None, number: int | None = None
    ) -> None:
        self.model = model
        self.corpus = corpus
        self.number = number
        self.entities = {e.key: e for e in model.entities}
        self.mentions = {m.id: m for m in model.mentions}
        self.dates = {m: d.id for d in model.dates for m in d.mentions}
        self.proposals = {p.id: p for p in model.proposals}
        self.notes = {n.number: n for n in model.notes}
        self.lang = model.metadata.language
        # built once per corpus, not per page (issue 18)
        self.pages_by_id = corpus.pages_by_id() if corpus is not None else {}

    def ui(self, element: etree._Element) -> etree._Element:
        """Mark *element* as English user-interface text when the document is not English."""
        if self.lang and not self.lang.lower().startswith("en"):
            element.set("lang", "en")
        return element

    # -- the whole page ---------------------------------------------------------------------

    # -- the text -------------------------------------------------------------------------

    def nodes(self, parent: etree._Element, nodes: Sequence[Node], depth: int) -> None:
        """Render *nodes*; consecutive proposals become one ordered list."""
        proposals: etree._Element | None = None
        for node in nodes:
            if isinstance(node, Container) and node.attrs.get("type") == "proposal":
                if proposals is None:
                    proposals = _el(parent, "ol", class_="proposals")
                self.proposal(proposals, node, depth)
                continue
            proposals = None
            if isinstance(node, Block):
                self.block(parent, node, depth)
            else:
                self.container(parent, node, depth)

    def proposal(self, parent: etree._Element, node: Container, depth: int) -> None:
        """Render a proposal as a list item with its number, kind and topics."""
        subtype = node.attrs.get("subtype")
        item = _el(
            parent,
            "li",
            id=node.xml_id,
            class_=f"proposal proposal-{_token(subtype or 'point')}",
            value=node.attrs["n"] if (node.attrs.get("n") or "").isdigit() else None,
        )
        head = self.ui(_el(item, "p", class_="proposal-head"))
        kind = f"{_humanise(subtype)} point" if subtype else "Point"
        number = node.attrs.get("n")
        _el(head, "span", f"{kind} {number}" if number else kind, class_="proposal-kind")
        for topic in node.topics:
            _append_text(head, " ")
            chip = _el(head, "span", class_="topic")
            _el(chip, "span", "Topic: ", class_="vh")
            _append_text(chip, topic.label)
        self.nodes(item, node.children, depth + 1)

    def container(self, parent: etree._Element, node: Container, depth: int) -> None:
        """Render a division, opener, closer, list, table..."""
        element = node.element
        classes = [_token(element)]
        if node.attrs.get("type"):
            classes.append(f"{_token(element)}-{_token(node.attrs['type'])}")
        if node.attrs.get("subtype"):
            classes.append(_token(node.attrs["subtype"]))
        if element.startswith("div"):
            tag = "section"
        elif element in _CONTAINER_TAGS:
            tag = _CONTAINER_TAGS[element]
            if element == "list" and (node.attrs.get("rend") or node.attrs.get("type") or "") in (
                "numbered",
                "ordered",
            ):
                tag = "ol"
        else:
            tag = "div"
        html = _el(
            parent, tag, id=node.xml_id, class_=" ".join(classes), lang=node.attrs.get("lang")
        )
        if tag in ("ul", "ol"):
            for child in node.children:
                if child.element != "item":
                    self.nodes(_el(html, "li", class_=_token(child.element)), [child], depth)
                elif isinstance(child, Block):
                    self.block(html, child, depth)
                else:
                    self.nodes(_el(html, "li", id=child.xml_id), child.children, depth)
            return
        if tag == "table":
            for child in node.children:
                row = html if child.element == "row" else _el(_el(html, "tr"), "td")
                self.nodes(row, [child], depth)
            return
        if tag == "tr":
            for child in node.children:
                cell = html if child.element == "cell" else _el(html, "td")
                self.nodes(cell, [child], depth)
            return
        # heading levels count the divisions that have a head, so that none is skipped
        headed = any(isinstance(c, Block) and c.element == "head" for c in node.children)
        self.nodes(html, node.children, depth + 1 if headed else depth)

    def block(self, parent: etree._Element, block: Block, depth: int) -> None:
        """Render a paragraph-like block."""
        element = block.element
        if element == "head":
            tag = f"h{min(depth + 2, 6)}" if depth else "p"
        elif element in _LEAF_TAGS and not (element == "item" and parent.tag not in ("ul", "ol")):
            tag = _LEAF_TAGS[element]
        elif element == "figure":
            tag = "figure"
        else:
            tag = "p"
        classes = _token(element)
        if block.attrs.get("type"):
            classes += f" {_token(element)}-{_token(block.attrs['type'])}"
        html = _el(parent, tag, id=block.xml_id, class_=classes, lang=block.attrs.get("lang"))
        target = _el(html, "figcaption") if tag == "figure" else html
        self.inline(target, block.children, in_link=False)

    # -- inline content --------------------------------------------------------------------

    def inline(self, parent: etree._Element, nodes: Sequence[Inline], *, in_link: bool) -> None:
        """Render inline content into *parent*."""
        for node in nodes:
            if isinstance(node, Text):
                _append_text(parent, node.text)
            elif isinstance(node, Break):
                if node.join:
                    continue
                if node.kind == "lb":
                    _el(parent, "br")
                elif node.kind == "pb":
                    label = f"Page {node.n}" if node.n else "Page break"
                    _el(parent, "span", f"[{node.n}]" if node.n else "|", class_="pb", title=label)
            elif isinstance(node, NoteRef):
                self.note_call(parent, node)
            else:
                self.span(parent, node, in_link=in_link)

    def note_call(self, parent: etree._Element, ref: NoteRef) -> None:
        """Render a footnote call."""
        note = self.notes.get(ref.number)
        if note is None:
            return
        sup = _el(parent, "sup", class_="noteref")
        preview = " ".join(b.text for b in note.blocks if isinstance(b, Block))
        _el(
            sup,
            "a",
            str(ref.number),
            id=note.call,
            href=f"#{note.id}",
            role="doc-noteref",
            aria_label=f"Note {ref.number}",
            title=_shorten(preview) or None,
        )

    def span(self, parent: etree._Element, span: Span, *, in_link: bool) -> None:
        """Render an inline span."""
        kind = span.kind
        lang = span.attrs.get("lang")
        if kind == "mention":
            self.mention(parent, span, in_link=in_link)
            return
        if kind == "supplied":
            html = _el(
                parent, "span", "[", class_="supplied", title="Editorial addition", lang=lang
            )
            self.inline(html, span.children, in_link=in_link)
            _append_text(html, "]")
        elif kind == "quote":
            variant = "socalled" if span.attrs.get("variant") == "soCalled" else "quote"
            html = _el(parent, "q", class_=variant, lang=lang)
            self.inline(html, span.children, in_link=in_link)
        elif kind == "hi":
            rends = (span.attrs.get("rend") or "").replace("-", " ").split()
            tag = next((_HI_TAGS[r] for r in rends if r in _HI_TAGS), "span")
            classes = " ".join(f"hi-{_token(r)}" for r in rends) or None
            html = _el(parent, tag, class_=classes, lang=lang)
            self.inline(html, span.children, in_link=in_link)
        elif kind == "link" and span.attrs.get("href") and not in_link:
            html = _el(parent, "a", href=self.href_for(span.attrs["href"]), lang=lang)
            self.inline(html, span.children, in_link=True)
        elif kind == "gap":
            _el(parent, "span", "[\u2026]", class_="gap", title="Gap in the text")
            return
        else:
            tag, title = {
                "emph": ("em", None),
                "title": ("cite", None),
                "del": ("del", "Deleted"),
                "add": ("ins", "Added"),
                "unclear": ("span", "Unclear reading"),
                "figure": ("span", "Figure"),
            }.get(kind, ("span", None))
            title = span.attrs.get("title") or title
            if kind == "choice" and span.attrs.get("original"):
                kind_name = _humanise(span.attrs.get("original_kind", "original"))
                title = f"{kind_name}: {span.attrs['original']}"
            html = _el(
                parent,
                tag,
                class_=_token(kind if kind != "seg" else span.element or kind),
                title=title or None,
                lang=lang,
            )
            if kind == "figure":
                _append_text(html, "[")
                self.inline(html, span.children, in_link=in_link)
                _append_text(html, "]")
            else:
                self.inline(html, span.children, in_link=in_link)
        if span.xml_id and html.get("id") is None:
            html.set("id", span.xml_id)

    def href_for(self, href: str) -> str:
        """Return *href*, pointing to another document's page in a folder export."""
        if (
            href.startswith("#")
            and href[1:] in self.pages_by_id
            and href[1:] not in self.model.anchors
        ):
            return self.pages_by_id[href[1:]]
        return href

    def mention(self, parent: etree._Element, span: Span, *, in_link: bool) -> None:
        """Render a mention, linked to its register entry (or its date in the dates list)."""
        mention = self.mentions.get(span.attrs["mention"])
        kind = span.attrs.get("type", "other")
        classes = f"mention {_kind_class(kind)}"
        href: str | None = None
        title = _kind_label(kind)
        iso = None
        if mention is not None:
            entity = self.entities.get(mention.entities[0]) if mention.entities else None
            if entity is not None:
                href = f"#{entity.key}"
                title = f"{_kind_label(kind)}: {entity.name}"
            elif mention.date is not None:
                iso = mention.date.iso
                href = f"#{self.dates[mention.id]}" if mention.id in self.dates else None
                title = f"Date: {iso}" if iso else "Date"
            elif mention.href:
                href = self.href_for(mention.href)
                title = f"{_kind_label(kind)}: {mention.pointer or mention.href}"
            elif (
                mention.pointer
                and mention.pointer.startswith("#")
                and mention.pointer[1:] in self.pages_by_id
            ):
                href = self.pages_by_id[mention.pointer[1:]]
            elif mention.status == "unresolved":
                title = f"{_kind_label(kind)}: not in the register ({mention.pointer})"
        tag = "a" if href and not in_link else "span"
        html = _el(
            parent,
            tag,
            id=span.attrs["mention"],
            class_=classes,
            href=href if tag == "a" else None,
            title=title,
            data_iso=iso,
            data_type=kind if _kind_class(kind) == "other" else None,
            lang=span.attrs.get("lang"),
        )
        target = html
        if (
            mention is not None
            and mention.date is not None
            and mention.date.when
            and _DATETIME.match(mention.date.when)
        ):
            target = _el(html, "time", datetime=mention.date.when)
        self.inline(target, span.children, in_link=in_link or tag == "a")

    # -- notes and register ------------------------------------------------------------------

    def notes_section(self, main: etree._Element) -> None:
        """Add the footnotes, each with a link back to its call."""
        section = _el(main, "section", id="notes", class_="notes", aria_labelledby="notes-h")
        self.ui(_el(section, "h2", "Notes", id="notes-h"))
        items = _el(section, "ol")
        for note in self.model.notes:
            item = _el(items, "li", id=note.id, value=str(note.number))
            self.nodes(item, note.blocks, 1)
            if note.call:
                last = item[-1] if len(item) else item
                _append_text(last, " ")
                _el(
                    last,
                    "a",
                    "\u21a9",
                    href=f"#{note.call}",
                    class_="backref",
                    role="doc-backlink",
                    aria_label=f"Back to the text of note {note.number}",
                )

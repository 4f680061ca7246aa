"""HTML exporter: a self-contained, accessible reading edition of one document.

The page is built as an lxml element tree, so every text is escaped by construction,
and serialised as HTML5. It needs nothing from the network: the CSS is inline, there is
no script, no web font, no image; links to authority files (Wikidata...) are plain
``<a>`` elements. It has a header (title, correspondents, date, source and archive
reference, encoding), the reading text with persons, places, organisations, events and
dates marked by underline style, a symbol and a title (not by colour alone), each linked
to its entry in the register, the proposals as numbered items with their topics, the
editor's additions in brackets and italics, the notes as footnotes with back-links, and
the register with name forms, authority links and back-links to every mention.

A folder export adds ``index.html`` (the documents with date, sender and recipient) and
corpus-wide registers (``persons.html``, ``places.html``...) linking into each document.

``--xslt FILE`` replaces the built-in rendering by an archivist's XSLT 1.0 stylesheet,
run by lxml with network access and file writing forbidden.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Final

import lxml.html
from lxml import etree

import teikit.recursion
from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument, load
from teikit.errors import TeikitError
from teikit.exporters import exporter
from teikit.exporters.builder import to_models
from teikit.exporters.corpus import Corpus, CorpusEntity
from teikit.exporters.records import (
    KIND_ORDER,
    Block,
    Break,
    Container,
    DocumentModel,
    Entity,
    Inline,
    Mention,
    Metadata,
    Node,
    NoteRef,
    Span,
    Text,
)
from teikit.exporters.run import RenderError, corpus_pages
from teikit.kinds import ENTITY_KINDS, KIND_NAMES

__all__ = [
    "CSS",
    "REGISTER_PAGES",
    "StylesheetError",
    "load_stylesheet",
    "render_html",
    "write_html",
]

#: Corpus register pages of a folder export, by entity kind: (file name, heading).
REGISTER_PAGES: Final = {
    kind: (f"{KIND_NAMES[kind][1]}.html", KIND_NAMES[kind][1].capitalize()) for kind in ENTITY_KINDS
}
_AUTHORITY_NAMES: Final = {
    "wikidata": "Wikidata",
    "viaf": "VIAF",
    "gnd": "GND",
    "geonames": "GeoNames",
}
_KIND_LABELS: Final = {kind: names[0].capitalize() for kind, names in KIND_NAMES.items()}
_SECTION_LABELS: Final = {kind: KIND_NAMES[kind][1].capitalize() for kind in ENTITY_KINDS}
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
_TOKEN: Final = re.compile(r"[^A-Za-z0-9_-]+")
_DATETIME: Final = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$")
_DOCTYPE: Final = "<!DOCTYPE html>"

#: The style sheet of every page: inline, so the page is one self-contained file.
CSS: Final = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #575757; --rule: #cfcac0;
  --paper: #fffdf8; --person: #1d4f91; --place: #1b6636; --org: #8a3b12;
  --event: #6b2d8a; --date: #7a5600; --other: #444; }
html { background: var(--paper); color: var(--ink); }
body { font: 1.05rem/1.6 Georgia, "DejaVu Serif", "Times New Roman", serif;
  max-width: 46rem; margin: 0 auto; padding: 1.25rem 1.25rem 3rem; }
header, nav, footer, h1, h2, h3, h4, dl.meta, .key, .register, .notes, .proposal-head,
.corpus-list, table.documents { font-family: "DejaVu Sans", "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 1.55rem; line-height: 1.25; margin: .15rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 2.2rem 0 .8rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
h4 { font-size: 1rem; margin: 0; }
a { color: #1a3f73; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .78rem;
  color: var(--muted); margin: 0; }
dl.meta { font-size: .88rem; margin: 0 0 .8rem; }
dl.meta > div { display: grid; grid-template-columns: 9.5rem 1fr; gap: 1rem;
  padding: .12rem 0; }
dl.meta dt { font-weight: bold; color: var(--muted); }
dl.meta dd { margin: 0; }
.summary { font-size: .9rem; color: var(--muted); }
.skip { position: absolute; left: -999rem; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .4rem .6rem; }
nav ul { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap;
  gap: .2rem 1.1rem; font-size: .88rem; }
.key { font-size: .82rem; color: var(--muted); margin: 0 0 1.2rem; line-height: 2; }
.key > span { margin-right: .9rem; white-space: nowrap; }
.reading p { margin: 0 0 .85em; }
.opener, .closer { margin: 1.1em 0; }
.opener p, .closer p, .address p, .lg p { margin: 0; }
.closer { text-align: right; }
.mention { color: inherit; text-decoration-line: underline; text-decoration-thickness: 1.5px;
  text-underline-offset: .24em; position: relative; }
a.mention:hover, a.mention:focus-visible { background: #fff0b3; }
a:focus-visible { outline: 2px solid #111; outline-offset: 2px; }
.mention::before { display: inline-block; font: normal .78em/1 "DejaVu Sans", sans-serif;
  vertical-align: .36em; padding-right: .14em; text-decoration: none; }
.person { text-decoration-style: solid; text-decoration-color: var(--person); }
.person::before { content: "\\265F"; content: "\\265F" / ""; color: var(--person); }
.place { text-decoration-style: dashed; text-decoration-color: var(--place); }
.place::before { content: "\\25C9"; content: "\\25C9" / ""; color: var(--place); }
.org { text-decoration-style: double; text-decoration-color: var(--org); }
.org::before { content: "\\2302"; content: "\\2302" / ""; color: var(--org); }
.event { text-decoration-style: dotted; text-decoration-color: var(--event);
  text-decoration-thickness: 2px; }
.event::before { content: "\\2726"; content: "\\2726" / ""; color: var(--event); }
.date { text-decoration-style: wavy; text-decoration-color: var(--date);
  text-decoration-thickness: 1px; }
.date::before { content: "\\25F7"; content: "\\25F7" / ""; color: var(--date); }
.other { text-decoration-style: dotted; text-decoration-color: var(--other); }
.other::before { content: "\\25C7"; content: "\\25C7" / ""; color: var(--other); }
.mention.date:is(:hover, :focus)::after { content: attr(data-iso); position: absolute;
  left: 0; top: 1.9em; z-index: 2; white-space: nowrap; background: #222; color: #fff;
  font: .75rem/1.4 "DejaVu Sans", sans-serif; padding: .1em .4em; border-radius: .2em; }
.supplied { font-style: italic; color: var(--muted); }
.gap, .figure { color: var(--muted); font-style: italic; }
del { color: var(--muted); }
ins { text-decoration: none; }
.unclear { background: #eeeeee; }
.pb { font: .72rem "DejaVu Sans", sans-serif; color: var(--muted); padding: 0 .25em; }
.foreign { font-style: italic; }
.hi-g, .hi-spaced { letter-spacing: .15em; }
.hi-uu { text-decoration: underline double; }
.hi-sc, .hi-smallcaps { font-variant: small-caps; }
ol.proposals { list-style: none; padding: 0; margin: 0 0 1em; }
li.proposal { border-left: 4px solid #4a4a4a; padding: .15em 0 .1em 1em; margin: 0 0 1.2em; }
li.proposal-additional { border-left: 4px dashed #8a8a8a; }
.proposal-head { font-size: .8rem; margin: 0 0 .3em; display: flex; flex-wrap: wrap;
  gap: .4rem; align-items: baseline; }
.proposal-kind { font-weight: bold; text-transform: uppercase; letter-spacing: .05em; }
.topic { border: 1px solid var(--rule); border-radius: 1em; padding: 0 .6em;
  background: #f2efe6; }
.label { font-weight: bold; }
sup.noteref { line-height: 0; }
sup.noteref a { text-decoration: none; font: bold .72rem "DejaVu Sans", sans-serif;
  padding: 0 .15em; }
.notes ol { padding-left: 1.6em; }
.notes li { margin-bottom: .6em; font-size: .93rem; }
.notes li p { margin: 0 0 .3em; }
a.backref { text-decoration: none; }
ul.register { list-style: none; padding: 0; margin: 0; }
.entry { border-top: 1px solid var(--rule); padding: .55em 0; }
.entry p { margin: .15em 0; font-size: .88rem; }
.entry .forms, .entry .source { color: var(--muted); }
.backlinks a { white-space: nowrap; }
table.documents { border-collapse: collapse; width: 100%; font-size: .9rem; }
table.documents th, table.documents td { text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--rule); padding: .3em .5em .3em 0; }
footer { border-top: 1px solid var(--rule); margin-top: 3rem; font-size: .78rem;
  color: var(--muted); }
.vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
@media print {
  .skip, nav { display: none; }
  body { max-width: none; font-size: 11pt; padding: 0; }
  a { color: inherit; }
  .mention.date::after { content: none !important; }
  li.proposal, .entry { break-inside: avoid; }
}
""".strip()


class StylesheetError(TeikitError, ValueError):
    """An XSLT stylesheet given with ``--xslt`` could not be read or compiled."""


# -- element helpers ---------------------------------------------------------------------------


def _el(
    parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str | None
) -> etree._Element:
    """Return a new element (appended to *parent*) with *text* and the non-empty *attrs*."""
    clean = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items() if v is not None}
    element = etree.Element(tag, clean) if parent is None else etree.SubElement(parent, tag, clean)
    if text:
        element.text = text
    return element


def _append_text(element: etree._Element, text: str) -> None:
    """Append *text* at the end of *element*'s content."""
    if not text:
        return
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def _token(value: str) -> str:
    return _TOKEN.sub("-", value).strip("-").lower() or "x"


def _kind_class(kind: str) -> str:
    return kind if kind in _KIND_LABELS else "other"


def _kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind) or kind[:1].upper() + kind[1:]


def _humanise(value: str) -> str:
    text = value.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def _authority_name(authority: str) -> str:
    return _AUTHORITY_NAMES.get(authority, _humanise(authority))


def _shorten(text: str, width: int = 220) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "\u2026"


# -- the page ------------------------------------------------------------------------------


def _page(title: str, lang: str | None) -> tuple[etree._Element, etree._Element]:
    """Return a new page's ``html`` and ``body`` elements."""
    html = _el(None, "html", lang=lang or "und")
    head = _el(html, "head")
    _el(head, "meta", charset="utf-8")
    _el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    _el(head, "meta", name="generator", content=f"teikit {__version__}")
    _el(head, "title", title)
    _el(head, "style", CSS)
    body = _el(html, "body")
    _el(body, "a", "Skip to the text", class_="skip", href="#main")
    return html, body


def _serialise(html: etree._Element) -> str:
    """Return the page as HTML5 text, after checking its ids and internal links."""
    ids: set[str] = set()
    for element in html.iter():
        ident = element.get("id")
        if ident is not None:
            if ident in ids:  # never two elements with one id
                del element.attrib["id"]
            ids.add(ident)
    for link in html.iter("a"):
        href = link.get("href", "")
        if href.startswith("#") and href[1:] not in ids:
            # a pointer to something the page does not show: keep the text, drop the link
            del link.attrib["href"]
            link.tag = "span"
    text = str(lxml.html.tostring(html, doctype=_DOCTYPE, encoding="unicode", pretty_print=True))
    return text if text.endswith("\n") else text + "\n"


def _corpus_nav(body: etree._Element, corpus: Corpus | None, current: str | None) -> None:
    if corpus is None:
        return
    nav = _el(body, "nav", aria_label="Corpus", class_="corpus")
    items = _el(nav, "ul")
    links = [("index.html", "All documents")]
    links += [
        (name, heading)
        for kind, (name, heading) in REGISTER_PAGES.items()
        if kind in ("person", "place") or corpus.has_kind(kind)
    ]
    for href, label in links:
        item = _el(items, "li")
        _el(item, "a", label, href=href, aria_current="page" if href == current else None)


class _DocumentPage:
    """Render one :class:`DocumentModel` as a page."""

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

    def render(self) -> str:
        """Return the page."""
        metadata = self.model.metadata
        html, body = _page(metadata.title, self.lang)
        header = _el(body, "header", class_="doc-header")
        current = (
            self.corpus.pages[self.number]
            if self.corpus and self.number is not None and self.corpus.pages
            else None
        )
        _corpus_nav(header, self.corpus, current)
        if metadata.source_type:
            self.ui(_el(header, "p", _humanise(metadata.source_type), class_="kicker"))
        _el(header, "h1", metadata.title)
        self.header_fields(header, metadata)
        if metadata.description:
            _el(header, "p", metadata.description, class_="summary")
        self.contents(body)
        main = _el(body, "main", id="main")
        text = _el(main, "section", id="text", aria_labelledby="text-h")
        self.ui(_el(text, "h2", "Text", id="text-h"))
        self.key(text)
        article = _el(text, "article", class_="reading")
        self.nodes(article, self.model.structure, 0)
        if self.model.notes:
            self.notes_section(main)
        self.register(main)
        self.footer(body)
        return _serialise(html)

    def header_fields(self, header: etree._Element, metadata: Metadata) -> None:
        """Add the header's definition list: correspondents, date, source, encoding."""
        fields = _el(header, "dl", class_="meta")

        def field(label: str) -> etree._Element:
            group = _el(fields, "div")
            self.ui(_el(group, "dt", label))
            return _el(group, "dd")

        for label, parties in (
            ("From", metadata.senders),
            ("To", metadata.recipients),
            ("Place", metadata.places),
        ):
            if parties:
                dd = field(label)
                for n, party in enumerate(parties):
                    if n:
                        _append_text(dd, "; ")
                    entity = self.entities.get(party.entity or "")
                    if entity is not None:
                        _el(
                            dd,
                            "a",
                            party.name,
                            href=f"#{entity.key}",
                            class_=f"mention {_kind_class(entity.type)}",
                            title=f"{_kind_label(entity.type)}: {entity.name}",
                        )
                    else:
                        _append_text(dd, party.name)
        if metadata.date is not None:
            dd = field("Date")
            iso = metadata.date.iso
            when = metadata.date.when
            shown = metadata.date.text or iso or ""
            time = _el(
                dd,
                "time",
                shown,
                datetime=when if when and _DATETIME.match(when) else None,
            )
            if iso and iso != shown:
                time.tail = f" ({iso})"
        if metadata.source:
            field("Source").text = metadata.source
        if metadata.identifiers:
            field("Archive reference").text = " \u00b7 ".join(
                f"{i.type.replace('-', ' ')} {i.value}" if i.type else i.value
                for i in metadata.identifiers
            )
        for responsibility in metadata.responsibilities:
            dd = field("Encoding" if responsibility.resp != "editor" else "Editor")
            names = ", ".join(responsibility.names)
            dd.text = (
                f"{names}: {responsibility.resp}"
                if names and responsibility.resp and responsibility.resp != "editor"
                else names or responsibility.resp
            )
        if metadata.publisher:
            field("Publisher").text = metadata.publisher
        if metadata.licence is not None:
            dd = field("Licence")
            if metadata.licence.url:
                _el(
                    dd,
                    "a",
                    metadata.licence.text or metadata.licence.url,
                    href=metadata.licence.url,
                )
            else:
                dd.text = metadata.licence.text

    def contents(self, body: etree._Element) -> None:
        """Add the table of contents."""
        nav = self.ui(_el(body, "nav", aria_label="Contents", class_="toc"))
        items = _el(nav, "ul")
        entries = [("#text", "Text")]
        if self.model.notes:
            entries.append(("#notes", "Notes"))
        entries.append(("#register", "Register"))
        for kind in self.register_kinds():
            entries.append((f"#register-{kind}", _SECTION_LABELS.get(kind, _humanise(kind))))
        if self.model.dates:
            entries.append(("#register-dates", "Dates"))
        for href, label in entries:
            _el(_el(items, "li"), "a", label, href=href)

    def key(self, parent: etree._Element) -> None:
        """Add the key to the markings of the text."""
        key = self.ui(_el(parent, "p", class_="key"))
        _el(key, "strong", "Key:")
        _append_text(key, " ")
        for kind, (label, _plural) in KIND_NAMES.items():
            if kind == "date":
                label = "date (ISO date on hover or focus)"
            outer = _el(key, "span")
            _el(outer, "span", label, class_=f"mention {kind}")
        _el(_el(key, "span"), "span", "[editorial addition]", class_="supplied")

    def footer(self, body: etree._Element) -> None:
        """Add the page footer."""
        footer = self.ui(_el(body, "footer"))
        p = _el(footer, "p", f"Exported by teikit {__version__} from {self.model.name}.")
        if self.model.metadata.licence is not None:
            _append_text(p, " " + self.model.metadata.licence.text)

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

    def register_kinds(self) -> list[str]:
        """Return the kinds of entity the register lists, in order."""
        kinds = list(dict.fromkeys(e.type for e in self.model.entities))
        return sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 9)

    def location(self, mention: Mention) -> str | None:
        """Return where a mention is, for its back-link (``main point 2``, ``note 1``)."""
        if mention.note is not None:
            return f"note {mention.note}"
        if mention.proposal is not None and mention.proposal in self.proposals:
            proposal = self.proposals[mention.proposal]
            kind = f"{proposal.subtype} point" if proposal.subtype else "point"
            return f"{kind} {proposal.number}" if proposal.number else kind
        return None

    def backlinks(
        self,
        parent: etree._Element,
        ids: Sequence[str],
        href: Callable[[str], str] = lambda i: f"#{i}",
    ) -> None:
        """Add links back to the mentions *ids*."""
        count = len(ids)
        p = self.ui(_el(parent, "p", class_="backlinks"))
        if not count:
            p.text = "Not mentioned in the text."
            return
        p.text = f"Mentioned {count} time{'s' if count != 1 else ''}: "
        for n, ident in enumerate(ids):
            mention = self.mentions.get(ident)
            if mention is None:
                continue
            if n:
                _append_text(p, ", ")
            link = _el(p, "a", "\u2191\u00a0" + (mention.text or ident), href=href(ident))
            link.set("title", f"Mention {n + 1} of {count}")
            where = self.location(mention)
            if where:
                _append_text(p, f" ({where})")

    def register(self, main: etree._Element) -> None:
        """Add the register: persons, places, organisations, events, other, dates."""
        section = _el(main, "section", id="register", aria_labelledby="register-h")
        self.ui(_el(section, "h2", "Register", id="register-h"))
        for kind in self.register_kinds():
            group = _el(
                section, "section", id=f"register-{kind}", aria_labelledby=f"register-{kind}-h"
            )
            self.ui(
                _el(
                    group, "h3", _SECTION_LABELS.get(kind, _humanise(kind)), id=f"register-{kind}-h"
                )
            )
            items = _el(group, "ul", class_="register")
            for entity in self.model.entities:
                if entity.type == kind:
                    self.entry(items, entity)
        if self.model.dates:
            group = _el(section, "section", id="register-dates", aria_labelledby="register-dates-h")
            self.ui(_el(group, "h3", "Dates", id="register-dates-h"))
            items = _el(group, "ul", class_="register")
            for date in self.model.dates:
                item = _el(items, "li", id=date.id, class_="entry date-entry")
                heading = _el(item, "h4")
                when = date.iso if _DATETIME.match(date.iso) else None
                _el(heading, "time", date.iso, datetime=when)
                self.backlinks(item, date.mentions)
        if not self.model.entities and not self.model.dates:
            self.ui(_el(section, "p", "The document mentions no register entries."))

    def entry(self, parent: etree._Element, entity: Entity) -> None:
        """Add one register entry."""
        item = _el(parent, "li", id=entity.key, class_=f"entry {_kind_class(entity.type)}-entry")
        _el(item, "h4", entity.name)
        others = [f for f in entity.name_forms if f != entity.name]
        if others:
            forms = self.ui(_el(item, "p", "Name forms: ", class_="forms"))
            _append_text(forms, " \u00b7 ".join(others))
        if entity.authorities:
            p = self.ui(_el(item, "p", "Authority files: ", class_="authorities"))
            for n, authority in enumerate(entity.authorities):
                if n:
                    _append_text(p, ", ")
                _el(
                    p,
                    "a",
                    f"{_authority_name(authority.authority)} {authority.id}",
                    href=authority.url,
                )
        if entity.other_ids:
            self.ui(_el(item, "p", "Identifiers: " + ", ".join(entity.other_ids), class_="ids"))
        life = "; ".join(
            part
            for part in (
                f"born {entity.birth}" if entity.birth else "",
                f"died {entity.death}" if entity.death else "",
            )
            if part
        )
        if life:
            self.ui(_el(item, "p", life[:1].upper() + life[1:], class_="life"))
        if entity.latitude is not None and entity.longitude is not None:
            lat, lon = entity.latitude, entity.longitude
            self.ui(
                _el(
                    item,
                    "p",
                    f"Coordinates: {abs(lat)}\u00b0\u00a0{'N' if lat >= 0 else 'S'}, "
                    f"{abs(lon)}\u00b0\u00a0{'E' if lon >= 0 else 'W'}",
                    class_="coordinates",
                )
            )
        for description in entity.description:
            _el(item, "p", description, class_="description")
        if entity.source != self.model.name:
            self.ui(_el(item, "p", f"Register: {entity.source}", class_="source"))
        self.backlinks(item, entity.mentions)
        if self.corpus is not None and self.number is not None and entity.type in REGISTER_PAGES:
            entry = self.corpus.entry_for(self.number, entity.key)
            if entry is not None and self.corpus.pages:
                page = REGISTER_PAGES[entity.type][0]
                p = self.ui(_el(item, "p", class_="corpus-link"))
                _el(p, "a", f"{entity.name} in all documents", href=f"{page}#{entry.key}")


def render_html(
    model: DocumentModel, corpus: Corpus | None = None, number: int | None = None
) -> str:
    """Return the HTML reading edition of *model* (a page of *corpus* if given)."""
    return _DocumentPage(model, corpus, number).render()


# -- XSLT ------------------------------------------------------------------------------------


def load_stylesheet(path: str | Path) -> etree.XSLT:
    """Compile the XSLT stylesheet at *path*, with network access and file writes forbidden.

    The stylesheet is read with the hardened loader; while it runs it may read local
    files (``document()``) but not the network, and it may write nothing.

    :raises StylesheetError: the stylesheet cannot be read or compiled.
    """
    try:
        document = load(path)
    except TeikitError as exc:
        raise StylesheetError(f"XSLT stylesheet {exc}") from None
    access = etree.XSLTAccessControl(  # type: ignore[call-arg]  # lxml-stubs lag behind
        read_file=True, write_file=False, create_dir=False, read_network=False, write_network=False
    )
    try:
        return etree.XSLT(document.tree, access_control=access)
    except etree.XSLTParseError as exc:
        raise StylesheetError(f"{path}: not a usable XSLT 1.0 stylesheet: {exc}") from None


def _transform(stylesheet: etree.XSLT, item: TeiDocument | DocumentModel) -> str:
    """Return the output of *stylesheet* run on the TEI document of *item*."""
    if isinstance(item, TeiDocument):
        document = item
    elif item.path is not None:
        document = load(item.path)
    else:
        raise ValueError(f"{item.name}: an XSLT stylesheet needs the TEI document")
    try:
        parameters = {"teikit-document": etree.XSLT.strparam(document.name)}
        result = stylesheet(document.tree, **parameters)  # type: ignore[arg-type]
    except etree.XSLTApplyError as exc:
        raise RenderError(
            Diagnostic(
                Severity.ERROR,
                "export.xslt-failed",
                f"the XSLT stylesheet failed: {exc}",
                document.name,
            )
        ) from None
    text = str(result)
    return text if text.endswith("\n") else text + "\n"


@exporter(
    "html",
    ".html",
    ".htm",
    kind="document",
    description="a self-contained HTML reading edition (a folder adds an index and registers)",
    options=("corpus", "document_number", "xslt", "report"),
)
@teikit.recursion.deep_walks  # the renderer follows the document's nesting (issue 17)
def write_html(
    documents: Iterable[TeiDocument | DocumentModel],
    stream: IO[str],
    *,
    corpus: Corpus | None = None,
    document_number: int | None = None,
    xslt: etree.XSLT | None = None,
    report: Report | None = None,
) -> None:
    """Write one document as an HTML reading edition.

    *corpus* and *document_number* link the page into a folder export; *xslt* replaces
    the built-in rendering by a compiled stylesheet (see :func:`load_stylesheet`).
    """
    items = list(documents)
    if len(items) != 1:
        raise ValueError(
            f"the html exporter writes one document per output, got {len(items)}; "
            "export several documents to a folder"
        )
    if xslt is not None:
        stream.write(_transform(xslt, items[0]))
        return
    model = to_models(items)[0]
    stream.write(render_html(model, corpus, document_number))


# -- folder exports: index and registers -----------------------------------------------------


def _index_page(corpus: Corpus) -> str:
    html, body = _page("Documents", "en")
    header = _el(body, "header")
    _corpus_nav(header, corpus, "index.html")
    _el(header, "h1", "Documents")
    main = _el(body, "main", id="main")
    count = len(corpus.documents)
    _el(main, "p", f"{count} document{'s' if count != 1 else ''}, by date.")
    table = _el(main, "table", class_="documents")
    head = _el(_el(table, "thead"), "tr")
    for label in ("Date", "Title", "From", "To"):
        _el(head, "th", label, scope="col")
    rows = _el(table, "tbody")

    def by_date(number: int) -> tuple[bool, str, str]:
        date = corpus.documents[number].metadata.date
        iso = date.iso if date is not None else None
        return iso is None, iso or "", corpus.pages[number]

    order = sorted(range(count), key=by_date)
    for number in order:
        model = corpus.documents[number]
        metadata = model.metadata
        row = _el(rows, "tr")
        cell = _el(row, "td")
        if metadata.date is not None:
            when = metadata.date.when
            _el(
                cell,
                "time",
                metadata.date.iso or metadata.date.text,
                datetime=when if when and _DATETIME.match(when) else None,
            )
        title = _el(row, "td")
        _el(title, "a", metadata.title, href=corpus.pages[number], lang=metadata.language)
        _el(row, "td", "; ".join(p.name for p in metadata.senders))
        _el(row, "td", "; ".join(p.name for p in metadata.recipients))
    _el(_el(body, "footer"), "p", f"Exported by teikit {__version__}.")
    return _serialise(html)


def _register_page(corpus: Corpus, kind: str) -> str:
    name, heading = REGISTER_PAGES[kind]
    html, body = _page(heading, "en")
    header = _el(body, "header")
    _corpus_nav(header, corpus, name)
    _el(header, "h1", heading)
    main = _el(body, "main", id="main")
    entries = corpus.of_kind(kind)
    if not entries:
        _el(main, "p", f"No {heading.lower()} are mentioned in these documents.")
    items = _el(main, "ul", class_="register corpus-list")
    for entry in entries:
        _corpus_entry(items, corpus, entry)
    _el(_el(body, "footer"), "p", f"Exported by teikit {__version__}.")
    return _serialise(html)


def _corpus_entry(parent: etree._Element, corpus: Corpus, entry: CorpusEntity) -> None:
    entity = entry.entity
    item = _el(parent, "li", id=entry.key, class_=f"entry {_kind_class(entity.type)}-entry")
    _el(item, "h2", entity.name)
    forms: dict[str, None] = {}
    for occurrence in entry.occurrences:
        found = corpus.documents[occurrence.document].entity(occurrence.key)
        if found is not None:
            forms.update(dict.fromkeys(found.name_forms))
    others = [f for f in forms if f != entity.name]
    if others:
        _el(item, "p", "Name forms: " + " \u00b7 ".join(others), class_="forms")
    if entity.authorities:
        p = _el(item, "p", "Authority files: ", class_="authorities")
        for n, authority in enumerate(entity.authorities):
            if n:
                _append_text(p, ", ")
            _el(
                p, "a", f"{_authority_name(authority.authority)} {authority.id}", href=authority.url
            )
    if entity.latitude is not None and entity.longitude is not None:
        _el(item, "p", f"Coordinates: {entity.latitude}, {entity.longitude}", class_="coordinates")
    for description in entity.description:
        _el(item, "p", description, class_="description")
    count = entry.mention_count
    documents = len({o.document for o in entry.occurrences})
    _el(
        item,
        "p",
        f"{count} mention{'s' if count != 1 else ''} in "
        f"{documents} document{'s' if documents != 1 else ''}:",
        class_="summary",
    )
    occurrences = _el(item, "ul", class_="occurrences")
    for occurrence in entry.occurrences:
        model = corpus.documents[occurrence.document]
        page = corpus.pages[occurrence.document]
        li = _el(occurrences, "li")
        _el(
            li,
            "a",
            model.metadata.title,
            href=f"{page}#{occurrence.key}",
            lang=model.metadata.language,
        )
        if occurrence.mentions:
            _append_text(li, ": ")
            mentions = {m.id: m for m in model.mentions}
            for n, ident in enumerate(occurrence.mentions):
                if n:
                    _append_text(li, ", ")
                text = mentions[ident].text if ident in mentions else ident
                _el(li, "a", text or ident, href=f"{page}#{ident}", class_="backlink")


@corpus_pages("html")
def html_corpus_pages(corpus: Corpus) -> list[tuple[str, Callable[[IO[str]], None]]]:
    """Return the index and register pages of a folder export (name, writer)."""
    pages = [("index.html", _writer(lambda: _index_page(corpus)))]
    for kind, (name, _heading) in REGISTER_PAGES.items():
        if kind in ("person", "place") or corpus.has_kind(kind):
            pages.append((name, _writer(functools.partial(_register_page, corpus, kind))))
    return pages


def _writer(render: Callable[[], str]) -> Callable[[IO[str]], None]:
    """Return a function writing the page *render* returns (rendered when written)."""

    def write(stream: IO[str]) -> None:
        stream.write(render())

    return write

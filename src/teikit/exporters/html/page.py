"""One document's HTML page: the header, the contents, the text, the notes, the register."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lxml import etree

from teikit.__about__ import __version__
from teikit.exporters.corpus import Corpus
from teikit.exporters.html.markup import (
    _DATETIME,
    _SECTION_LABELS,
    REGISTER_PAGES,
    _append_text,
    _authority_name,
    _corpus_nav,
    _el,
    _humanise,
    _kind_class,
    _kind_label,
    _page,
    _serialise,
)
from teikit.exporters.html.text import TextRenderer
from teikit.exporters.records import (
    KIND_ORDER,
    DocumentModel,
    Entity,
    Metadata,
    TextMention,
)
from teikit.kinds import KIND_NAMES

__all__ = ["DocumentPage", "render_html"]


class DocumentPage(TextRenderer):
    """Render one :class:`DocumentModel` as a page: the frame and the register around the text."""

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

    def register_kinds(self) -> list[str]:
        """Return the kinds of entity the register lists, in order."""
        kinds = list(dict.fromkeys(e.type for e in self.model.entities))
        return sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else 9)

    def location(self, mention: TextMention) -> str | None:
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
    return DocumentPage(model, corpus, number).render()

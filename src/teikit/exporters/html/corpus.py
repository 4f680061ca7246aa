"""The corpus pages of a folder export: ``index.html`` and one register page per kind."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import IO

from lxml import etree

from teikit.__about__ import __version__
from teikit.exporters.corpus import Corpus, CorpusEntity
from teikit.exporters.html.markup import (
    _DATETIME,
    REGISTER_PAGES,
    _append_text,
    _authority_name,
    _corpus_nav,
    _el,
    _kind_class,
    _page,
    _serialise,
)
from teikit.exporters.run import corpus_pages

__all__ = ["html_corpus_pages"]


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

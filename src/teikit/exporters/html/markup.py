"""Building blocks of every HTML page: elements, the page frame, serialisation, the CSS.

The style sheet is the package resource ``edition.css``, inlined in every page so that a
page is one self-contained file.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Final

import lxml.html
from lxml import etree

from teikit.__about__ import __version__
from teikit.exporters.corpus import Corpus
from teikit.kinds import ENTITY_KINDS, KIND_NAMES

__all__ = ["CSS", "REGISTER_PAGES"]


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
_TOKEN: Final = re.compile(r"[^A-Za-z0-9_-]+")
_DATETIME: Final = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$")
_DOCTYPE: Final = "<!DOCTYPE html>"

#: The style sheet of every page: inline, so the page is one self-contained file.
CSS: Final = (
    resources.files("teikit.exporters.html").joinpath("edition.css").read_text(encoding="utf-8")
).strip()


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

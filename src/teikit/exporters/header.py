"""The title block: what a document's ``teiHeader`` says, as a :class:`Metadata` record.

Title, correspondents and places (resolved to their register entries), date, language,
source, responsibilities, publisher, licence and the taxonomy's topics.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from teikit.entities.dates import date_range
from teikit.entities.register import label_of
from teikit.entities.text import collect_text
from teikit.exporters.elements import (
    _T,
    _TEXT,
    _XML_LANG,
    _find,
    _language,
    _local,
    _strings,
    _text_of,
    _xpath,
)
from teikit.exporters.records import (
    DateValue,
    Identifier,
    Licence,
    Metadata,
    Party,
    Responsibility,
    Topic,
)
from teikit.exporters.state import BuildState
from teikit.namespaces import NSMAP, XML_ID

__all__ = ["read_metadata"]

_HEADER: Final = _xpath("tei:teiHeader")
_TITLES: Final = _xpath("tei:fileDesc/tei:titleStmt/tei:title")
_AUTHORS: Final = _xpath("tei:fileDesc/tei:titleStmt/tei:author")
_CORRESP: Final = _xpath("tei:profileDesc/tei:correspDesc/tei:correspAction")
_RESP: Final = _xpath(
    "tei:fileDesc/tei:titleStmt/tei:respStmt | tei:fileDesc/tei:titleStmt/tei:editor"
)
_PUBLISHER: Final = _xpath("tei:fileDesc/tei:publicationStmt/tei:publisher")
_LICENCE: Final = _xpath("tei:fileDesc/tei:publicationStmt//tei:licence")
_SOURCE_DESC: Final = _xpath("tei:fileDesc/tei:sourceDesc")
_LANGUAGES: Final = _xpath("tei:profileDesc/tei:langUsage/tei:language/@ident")
_CATEGORIES: Final = _xpath("tei:encodingDesc/tei:classDecl//tei:category[@xml:id]")
_DESCRIPTION: Final = _xpath(
    "tei:fileDesc/tei:sourceDesc//tei:note[@type='description'] | tei:profileDesc/tei:abstract"
)
_PARTY_TAGS: Final = frozenset({"persName", "orgName", "name", "rs", "placeName", "settlement"})


def _party(state: BuildState, element: etree._Element) -> Party:
    """Return a correspondent or place named in the header, resolved to its entry."""
    _pointer, _status, keys, _href = state.resolve_pointers(element, None)
    return Party(collect_text(element), keys[0] if keys else None)


def read_metadata(state: BuildState) -> Metadata:
    """Return what the header says."""
    headers = _find(_HEADER, state.root)
    header = headers[0] if headers else etree.Element(f"{_T}teiHeader")
    titles = _find(_TITLES, header)
    main = next((t for t in titles if t.get("type") == "main"), titles[0] if titles else None)
    senders: list[Party] = []
    recipients: list[Party] = []
    places: list[Party] = []
    date: DateValue | None = None
    for action in _find(_CORRESP, header):
        kind = action.get("type")
        for child in action:
            local = _local(child)
            if local in ("placeName", "settlement") and kind == "sent":
                places.append(_party(state, child))
            elif local in _PARTY_TAGS and local not in ("placeName", "settlement"):
                if kind == "sent":
                    senders.append(_party(state, child))
                elif kind in ("received", "addressed", "redirected"):
                    recipients.append(_party(state, child))
            elif local == "date" and (date is None or kind == "sent"):
                date = _date_value(child)
    if not senders:
        senders = [_party(state, author) for author in _find(_AUTHORS, header)]
    if date is None:
        for candidate in header.iterfind(".//tei:sourceDesc//tei:date", NSMAP):
            date = _date_value(candidate)
            break
    source, source_type, identifiers = _source(header)
    languages = [state.root.get(_XML_LANG), *_strings(_LANGUAGES, header)]
    texts = _find(_TEXT, state.root)
    if texts:
        languages.insert(1, texts[0].get(_XML_LANG))
    licences = _find(_LICENCE, header)
    licence = None
    if licences:
        licence = Licence(collect_text(licences[0]), licences[0].get("target"))
    publishers = _find(_PUBLISHER, header)
    publisher = None
    if publishers:
        names = publishers[0].findall("tei:name", NSMAP) + publishers[0].findall(
            "tei:orgName", NSMAP
        )
        publisher = _text_of(names[0] if names else publishers[0])
    descriptions = _find(_DESCRIPTION, header)
    return Metadata(
        title=(_text_of(main) if main is not None else None) or state.document.name,
        language=next((_language(v) for v in languages if v and v.strip()), None),
        senders=tuple(senders),
        recipients=tuple(recipients),
        date=date,
        places=tuple(places),
        source=source,
        source_type=source_type,
        identifiers=identifiers,
        description=_text_of(descriptions[0]) if descriptions else None,
        responsibilities=tuple(_responsibility(r) for r in _find(_RESP, header)),
        publisher=publisher,
        licence=licence,
        topics=tuple(
            Topic(c.get(XML_ID), label_of(c) or c.get(XML_ID) or "")
            for c in _find(_CATEGORIES, header)
        ),
    )


def _date_value(element: etree._Element) -> DateValue:
    span, _rejected = date_range(element)
    exact = span.precision == "exact"
    return DateValue(
        collect_text(element),
        span.start if exact else None,
        None if exact else span.start,
        None if exact else span.end,
    )


def _responsibility(element: etree._Element) -> Responsibility:
    if _local(element) == "editor":
        return Responsibility("editor", (collect_text(element),))
    resp = " ".join(collect_text(r) for r in element.iterfind("tei:resp", NSMAP))
    names = tuple(
        collect_text(child)
        for child in element
        if _local(child) in ("persName", "orgName", "name") and collect_text(child)
    )
    return Responsibility(resp, names)


def _source(header: etree._Element) -> tuple[str | None, str | None, tuple[Identifier, ...]]:
    """Return the citation of the source, its type and its labelled numbers."""
    descriptions = _find(_SOURCE_DESC, header)
    if not descriptions:
        return None, None, ()
    source = descriptions[0]
    identifiers: list[Identifier] = []
    parts: list[str] = []
    kind: str | None = None
    first = next((c for c in source if _local(c)), None)
    if first is None:
        return None, None, ()
    local = _local(first)
    if local in ("bibl", "biblStruct", "biblFull"):
        kind = first.get("type")
        title = first.find(".//tei:title", NSMAP)
        parts = [p for p in (_text_of(title), _text_of(first.find(".//tei:publisher", NSMAP))) if p]
        if not parts:
            parts = [collect_text(first)]
        for idno in first.iterfind(".//tei:idno", NSMAP):
            if idno.text and idno.text.strip():
                identifiers.append(Identifier(idno.get("type"), collect_text(idno)))
    elif local == "msDesc":
        kind = first.get("type")
        identifier = first.find("tei:msIdentifier", NSMAP)
        if identifier is not None:
            order = {"repository": 0, "institution": 1, "settlement": 2, "country": 3}
            ranked = sorted(
                (c for c in identifier if _local(c) in order and collect_text(c)),
                key=lambda c: order[_local(c)],
            )
            names = [collect_text(c) for c in ranked]
            collection = identifier.find("tei:collection", NSMAP)
            parts = [", ".join(names)] if names else []
            if collection is not None and collect_text(collection):
                parts.append(collect_text(collection))
            for idno in identifier.iterfind(".//tei:idno", NSMAP):
                if idno.text and idno.text.strip():
                    identifiers.append(
                        Identifier(idno.get("type") or "shelfmark", collect_text(idno))
                    )
    else:
        parts = [collect_text(first)]
    return ". ".join(p.rstrip(".") for p in parts if p) or None, kind, tuple(identifiers)

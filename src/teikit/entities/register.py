"""Register entries (``person``, ``place``, ``org``, ``event``) and the register view.

An entry's canonical name is its first name child without ``@type`` (or with a type such
as ``reg`` or ``main``), else its first name child. Authority identifiers come from
``idno`` children (by ``@type``) and from ``@ref``/``@sameAs``/``@corresp`` URIs on the
entry and its names that are recognised as Wikidata, VIAF, GND or GeoNames.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from teikit.document import TeiDocument
from teikit.entities.dates import date_range
from teikit.entities.model import (
    AUTHORITIES,
    Mention,
    Record,
    RegisterEntry,
    RegisterRow,
    Status,
    Target,
)
from teikit.entities.text import collect_text, line_of, normalise_space
from teikit.kinds import ENTRY_KINDS, ENTRY_TAGS
from teikit.namespaces import TEI_NS, XML_ID

__all__ = [
    "ENTRY_KINDS",
    "build_register",
    "canonical_name",
    "identifiers_of",
    "iter_register_entries",
    "label_of",
    "read_entry",
]

_NAME_TAGS: Final = frozenset(
    f"{{{TEI_NS}}}{n}"
    for n in (
        "persName",
        "placeName",
        "orgName",
        "geogName",
        "name",
        "settlement",
        "country",
        "region",
        "bloc",
        "district",
        "eventName",
    )
)
_PREFERRED_TYPES: Final = frozenset({"reg", "main", "preferred", "standard", "canonical", "full"})
_LABEL_TAGS: Final = tuple(
    f"{{{TEI_NS}}}{n}" for n in ("catDesc", "gloss", "label", "term", "title", "desc", "head")
)
_IDNO: Final = f"{{{TEI_NS}}}idno"
_GEO: Final = f"{{{TEI_NS}}}geo"
_LOCATION: Final = f"{{{TEI_NS}}}location"
_TERM: Final = f"{{{TEI_NS}}}term"
_DATE: Final = f"{{{TEI_NS}}}date"
_URI_ATTRIBUTES: Final = ("ref", "sameAs", "corresp", "key")
_AUTHORITY_URI: Final = {
    "wikidata": re.compile(r"wikidata\.org/(?:wiki|entity)/(?:Special:EntityPage/)?(Q\d+)"),
    "viaf": re.compile(r"viaf\.org/viaf/(\d+)"),
    "gnd": re.compile(r"(?:d-nb\.info|lobid\.org)/gnd/([0-9X-]+)"),
    "geonames": re.compile(r"geonames\.org/(\d+)"),
}
# What a bare identifier of each authority looks like.
_AUTHORITY_ID: Final = {
    "wikidata": re.compile(r"^Q\d+$"),
    "viaf": re.compile(r"^\d+$"),
    "gnd": re.compile(r"^[0-9]+[0-9X-]*$"),
    "geonames": re.compile(r"^\d+$"),
}
_LAT_LONG: Final = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:,\s*|\s+)([+-]?\d+(?:\.\d+)?)\s*$")


def _name_children(entry: etree._Element) -> list[etree._Element]:
    return [child for child in entry if child.tag in _NAME_TAGS]


def canonical_name(entry: etree._Element) -> str | None:
    """Return the preferred name of a register entry, or ``None`` if it has no name."""
    names = _name_children(entry)
    for name in names:
        kind = name.get("type")
        if kind is None or kind in _PREFERRED_TYPES:
            text = collect_text(name)
            if text:
                return text
    for name in names:
        text = collect_text(name)
        if text:
            return text
    return None


def label_of(element: etree._Element) -> str | None:
    """Return a short label for a pointer target: an entry's name, a category's description."""
    if element.tag in ENTRY_KINDS:
        return canonical_name(element)
    if element.tag in _NAME_TAGS:
        return collect_text(element) or None
    for tag in _LABEL_TAGS:
        child = element.find(tag)
        if child is not None:
            term = child.find(_TERM)
            text = collect_text(term if term is not None else child)
            if text:
                return text
    names = _name_children(element)
    return collect_text(names[0]) or None if names else None


def _authority_of(uri: str) -> tuple[str, str] | None:
    for authority, pattern in _AUTHORITY_URI.items():
        match = pattern.search(uri)
        if match is not None:
            return authority, match.group(1)
    return None


def identifiers_of(entry: etree._Element) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Return the authority ``(name, identifier)`` pairs of *entry* and its other ``idno``s.

    Authority identifiers come from ``idno`` children (by ``@type``, or a recognised URI)
    and from recognised URIs in ``@ref``/``@sameAs``/``@corresp``/``@key`` of the entry and
    its names; other ``idno``s, and authority ones that hold no identifier ("Keine
    GND-Nummer"), are returned as ``type:value``.
    """
    found: list[tuple[str, str]] = []
    others: list[str] = []
    for idno in entry.iterchildren(_IDNO):
        value = normalise_space(idno.text or "")
        if not value:
            continue
        kind = (idno.get("type") or "").strip().lower()
        recognised = _authority_of(value)
        if recognised is not None and (kind in AUTHORITIES or kind in ("", "uri", "url")):
            found.append(recognised)
        elif kind in AUTHORITIES and _AUTHORITY_ID[kind].match(value):
            found.append((kind, value))
        else:
            others.append(f"{idno.get('type') or 'idno'}:{value}")
    for element in (entry, *_name_children(entry)):
        for attribute in _URI_ATTRIBUTES:
            for token in (element.get(attribute) or "").split():
                recognised = _authority_of(token)
                if recognised is not None:
                    found.append(recognised)
    return tuple(dict.fromkeys(found)), tuple(dict.fromkeys(others))


def _life_date(entry: etree._Element, tag: str) -> str | None:
    event = entry.find(f"{{{TEI_NS}}}{tag}")
    if event is None:
        return None
    for element in (event, event.find(_DATE)):
        if element is None:
            continue
        span = date_range(element)[0]
        if span.precision == "exact":
            return span.start
        if span.precision == "range":
            return f"{span.start or '..'}/{span.end or '..'}"  # ISO 8601 interval
    date = event.find(_DATE)
    return collect_text(date if date is not None else event) or None


def _coordinates(entry: etree._Element) -> tuple[float | None, float | None]:
    for location in entry.iterchildren(_LOCATION):
        geo = location.find(_GEO)
        if geo is not None:
            match = _LAT_LONG.match(geo.text or "")
            if match is not None:
                return float(match.group(1)), float(match.group(2))
    return None, None


def read_entry(element: etree._Element, source: str) -> RegisterEntry | None:
    """Return the register entry *element* (defined in *source*), ``None`` without ``xml:id``."""
    ident = element.get(XML_ID)
    kind = ENTRY_KINDS.get(element.tag)
    if ident is None or kind is None:
        return None
    forms = (collect_text(name) for name in _name_children(element))
    latitude, longitude = _coordinates(element) if kind == "place" else (None, None)
    identifiers, other_ids = identifiers_of(element)
    person = kind == "person"
    return RegisterEntry(
        id=ident,
        type=kind,
        source=source,
        canonical_name=canonical_name(element),
        name_forms=tuple(dict.fromkeys(form for form in forms if form)),
        identifiers=identifiers,
        other_ids=other_ids,
        birth=_life_date(element, "birth") if person else None,
        death=_life_date(element, "death") if person else None,
        latitude=latitude,
        longitude=longitude,
        line=line_of(element),
    )


def iter_register_entries(
    document: TeiDocument, types: Iterable[str] | None = None
) -> Iterator[RegisterEntry]:
    """Yield the register entries with an ``xml:id`` anywhere in *document*, in order."""
    wanted = None if types is None else frozenset(types)
    for element in document.root.iter(*ENTRY_TAGS):
        entry = read_entry(element, document.name)
        if entry is not None and (wanted is None or entry.type in wanted):
            yield entry


@dataclass(slots=True)
class _Tally:
    entry: RegisterEntry
    forms: dict[str, None] = field(default_factory=dict)
    count: int = 0
    documents: dict[str, None] = field(default_factory=dict)


def build_register(
    records: Iterable[Record],
    indexes: Iterable[TeiDocument] = (),
    *,
    types: Iterable[str] | None = None,
) -> list[RegisterRow]:
    """Return one row per register entry, with the mentions of *records* counted against it.

    Entries come from the :class:`RegisterEntry` records (registers inside the documents,
    entries in files reached by ``file.xml#id``) and from the *indexes*; entries never
    mentioned are kept with a count of 0. Rows keep the order entries were first seen
    (indexes first). Name forms are the register's names followed by the surface forms
    of resolved mentions.
    """
    wanted = None if types is None else frozenset(types)
    tallies: dict[tuple[str, str], _Tally] = {}
    by_id: dict[str, tuple[str, str]] = {}

    def add(entry: RegisterEntry) -> None:
        key = (entry.source, entry.id)
        if key not in tallies and (wanted is None or entry.type in wanted):
            tallies[key] = _Tally(entry, dict.fromkeys(entry.name_forms))
            by_id.setdefault(entry.id, key)

    for index in indexes:
        for entry in iter_register_entries(index):
            add(entry)

    def count(target: Target, mention: Mention) -> bool:
        key = (target.source or "", target.entity_id or "")
        tally = tallies.get(key) or tallies.get(by_id.get(key[1], key))
        if tally is None:
            return False
        tally.count += 1
        tally.documents.setdefault(mention.document, None)
        if mention.text:
            tally.forms.setdefault(mention.text, None)
        return True

    # A mention can come before the entry it points to (entries are matched by id across
    # files); those few are counted again once every entry is known.
    later: list[tuple[Target, Mention]] = []
    for record in records:
        if isinstance(record, RegisterEntry):
            add(record)
        elif isinstance(record, Mention):
            for target in record.targets:
                if target.status is not Status.RESOLVED or target.kind is None:
                    continue
                if (wanted is None or target.kind in wanted) and not count(target, record):
                    later.append((target, record))
    for target, mention in later:
        count(target, mention)
    return [
        RegisterRow(t.entry, tuple(t.forms), t.count, tuple(t.documents)) for t in tallies.values()
    ]

"""Integrity checks that no schema expresses: ids, pointers, dates and the root element.

Codes (stable, documented in ``docs/validate.md``):

``integrity.root``               the root is not ``TEI`` or ``teiCorpus`` in the TEI namespace
``integrity.duplicate-id``       an ``xml:id`` value used twice
``integrity.invalid-id``         an ``xml:id`` value that is not an XML name (NCName)
``integrity.unresolved-pointer`` a ``#id`` or ``file.xml#id`` pointer to nothing
``integrity.missing-hash``       a bare ``id`` that would resolve with a ``#`` (warning)
``integrity.wrong-kind``         ``persName/@ref`` to a ``place`` and the like (warning)
``integrity.invalid-date``       a date attribute that is not a valid W3C/ISO date
``integrity.inverted-range``     ``@from`` after ``@to``, ``@notBefore`` after ``@notAfter``
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterator
from typing import Final

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import ElementPaths, TeiDocument, readable_path, source_line
from teikit.namespaces import TEI_NS, XML_ID
from teikit.pointers import POINTER_ATTRIBUTES, PointerResolver, PointerStatus

__all__ = ["check_integrity", "parse_w3c_date"]

_NCNAME: Final = re.compile(r"^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*$")
# W3C datatypes used by TEI (teidata.temporal.w3c): date, gYear, gYearMonth, dateTime,
# time, gMonth, gDay, gMonthDay; an optional time zone everywhere.
_TZ: Final = r"(?:Z|[+-]\d{2}:\d{2})?"
_W3C: Final = re.compile(
    r"^(?P<year>-?\d{4,})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?))?)?)?" + _TZ + "$"
)
_W3C_PARTIAL: Final = re.compile(
    r"^(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|--\d{2}(?:-\d{2})?|---\d{2})" + _TZ + "$"
)
# ISO 8601 forms accepted in the -iso attributes beyond the W3C ones (weeks, ordinal days,
# basic format, reduced precision such as centuries, times without seconds).
_ISO_EXTRA: Final = re.compile(
    r"^(?:\d{2}|\d{4}-W\d{2}(?:-\d)?|\d{4}-\d{3}|\d{8}|\d{4}-\d{2}-\d{2}T\d{2}(?::\d{2})?"
    r"|\d{2}:\d{2})" + _TZ + "$"
)
_DATE_ATTRIBUTES: Final = ("when", "from", "to", "notBefore", "notAfter")
_DATE_NAMES: Final = frozenset(_DATE_ATTRIBUTES) | {f"{a}-iso" for a in _DATE_ATTRIBUTES}
_FIND_IDS: Final = etree.XPath("//*[@xml:id]")
# Elements whose @from/@to are not dates (pointers, page or folio numbers).
_FROM_TO_NOT_DATES: Final = frozenset(
    f"{{{TEI_NS}}}{name}"
    for name in ("span", "locus", "biblScope", "citedRange", "arc", "range", "fsdLink", "gap")
)
# Which register elements a name element's @ref may point to (TEI Guidelines 13.3).
_EXPECTED_KIND: Final = {
    "person": frozenset({"person", "personGrp", "persona"}),
    "place": frozenset({"place"}),
    "org": frozenset({"org"}),
}
_NAME_KIND: Final = {"persName": "person", "placeName": "place", "orgName": "org"}


@functools.lru_cache(maxsize=4096)  # a corpus repeats its dates: parse each value once
def parse_w3c_date(value: str, *, iso: bool = False) -> tuple[str, str] | None:
    """Return the earliest and latest day covered by *value*, or ``None`` if it is invalid.

    Only the calendar part is compared; times, time zones and partial dates such as
    ``--07-03`` are accepted and yield ``("", "")`` (not comparable).

    >>> parse_w3c_date("1951-07")
    ('1951-07-01', '1951-07-31')
    >>> parse_w3c_date("1951-02-30") is None
    True
    """
    match = _W3C.match(value)
    if match is None:
        if _W3C_PARTIAL.match(value) or (iso and _ISO_EXTRA.match(value)):
            return ("", "")
        return None
    year_text, month_text, day_text = match.group("year", "month", "day")
    year = int(year_text)
    if year == 0 and not iso:  # year 0000 does not exist in XSD 1.0
        return None
    if month_text is None:
        return (f"{year_text}-01-01", f"{year_text}-12-31")
    month = int(month_text)
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year if year > 0 else 2000 + year % 400, month)[1]
    if day_text is None:
        return (f"{year_text}-{month_text}-01", f"{year_text}-{month_text}-{last:02d}")
    if not 1 <= int(day_text) <= last:
        return None
    if match.group("time") is not None:
        hour, minute, second = match.group("time").split(":")
        if int(hour) > 24 or int(minute) > 59 or float(second) >= 61:
            return None
    day = f"{year_text}-{month_text}-{day_text}"
    return (day, day)


# Paths of the document being checked: one ElementPaths per document keeps a flat document
# with thousands of findings linear (readable_path alone rescans the siblings every time).
_PATHS: list[ElementPaths] = []


def _diag(
    document: TeiDocument, element: etree._Element, severity: Severity, code: str, message: str
) -> Diagnostic:
    path = _PATHS[-1].path(element) if _PATHS else readable_path(element)
    return Diagnostic(severity, code, message, document.name, source_line(element), None, path)


def _check_root(document: TeiDocument) -> Iterator[Diagnostic]:
    if document.is_tei:
        return
    qname = etree.QName(document.root)
    if qname.namespace is None and qname.localname in ("TEI", "TEI.2", "teiCorpus", "teiCorpus.2"):
        hint = (
            " (a TEI P4 document: convert it to P5)"
            if qname.localname.endswith(".2")
            else f' (add xmlns="{TEI_NS}")'
        )
    else:
        hint = ""
    shown = (
        qname.localname if qname.namespace is None else f"{{{qname.namespace}}}{qname.localname}"
    )
    yield _diag(
        document,
        document.root,
        Severity.ERROR,
        "integrity.root",
        f"root element is <{shown}>; a TEI document has <TEI> or <teiCorpus> in the TEI "
        f"namespace{hint}",
    )


def _check_ids(document: TeiDocument) -> Iterator[Diagnostic]:
    seen: dict[str, etree._Element] = {}
    elements: list[etree._Element] = _FIND_IDS(document.root)  # type: ignore[assignment]
    for element in elements:
        value = element.get(XML_ID, "")
        if not _NCNAME.match(value):
            yield _diag(
                document,
                element,
                Severity.ERROR,
                "integrity.invalid-id",
                f"xml:id {value!r} is not a valid XML name (it must start with a letter or "
                "'_' and contain no spaces or colons)",
            )
        first = seen.setdefault(value, element)
        if first is not element:
            yield _diag(
                document,
                element,
                Severity.ERROR,
                "integrity.duplicate-id",
                f"xml:id {value!r} is already used on line {source_line(first)}",
            )


_NAME_KIND_TAGS: Final = {f"{{{TEI_NS}}}{local}": kind for local, kind in _NAME_KIND.items()}
_TYPED_NAME_TAGS: Final = frozenset({f"{{{TEI_NS}}}rs", f"{{{TEI_NS}}}name"})
_POINTER_NAMES: Final = frozenset(POINTER_ATTRIBUTES)
_HASH_HINT_ATTRIBUTES: Final = frozenset({"ref", "corresp", "ana", "resp", "who", "sameAs"})


def _expected_kind(element: etree._Element, attribute: str) -> str | None:
    if attribute != "ref":
        return None
    kind = _NAME_KIND_TAGS.get(element.tag)
    if kind is None and element.tag in _TYPED_NAME_TAGS:
        kind = element.get("type")
    return kind if kind in _EXPECTED_KIND else None


class _PointerChecker:
    """Check the pointer tokens of one document, with a fast path for plain ``#id``."""

    def __init__(self, document: TeiDocument, resolver: PointerResolver) -> None:
        self.document = document
        self.resolver = resolver
        self.ids = resolver.ids(document)
        self.index_ids = [resolver.ids(index) for index in resolver.indexes]
        # (attribute, token, expected kind) already found fine: a letter points at the same few
        # register entries again and again.
        self._fine: set[tuple[str, str, str | None]] = set()

    def check(self, element: etree._Element, attribute: str, token: str) -> Diagnostic | None:
        expected = _expected_kind(element, attribute)
        key = (attribute, token, expected)
        if key in self._fine:
            return None
        finding = self._check(element, attribute, token, expected)
        if finding is None:
            self._fine.add(key)
        return finding

    def _check(
        self, element: etree._Element, attribute: str, token: str, expected: str | None
    ) -> Diagnostic | None:
        target: etree._Element | None = None
        if token.startswith("#") and "%" not in token:
            ident = token[1:]
            target = self.ids.get(ident)
            if target is None:
                for ids in self.index_ids:
                    target = ids.get(ident)
                    if target is not None:
                        break
        if target is None:
            resolution = self.resolver.resolve(token, self.document)
            if resolution.status is PointerStatus.EXTERNAL:
                if attribute in _HASH_HINT_ATTRIBUTES and token in self.ids:
                    return _diag(
                        self.document,
                        element,
                        Severity.WARNING,
                        "integrity.missing-hash",
                        f"@{attribute}={token!r} is not a pointer to the element with xml:id "
                        f"{token!r}; write '#{token}'",
                    )
                return None
            if resolution.status is PointerStatus.UNRESOLVED:
                return _diag(
                    self.document,
                    element,
                    Severity.ERROR,
                    "integrity.unresolved-pointer",
                    f"@{attribute}={token!r} points to nothing: {resolution.reason}",
                )
            target = resolution.target
        if expected is None or target is None or not isinstance(target.tag, str):
            return None
        target_name = etree.QName(target).localname
        if target_name in _EXPECTED_KIND[expected]:
            return None
        return _diag(
            self.document,
            element,
            Severity.WARNING,
            "integrity.wrong-kind",
            f"<{etree.QName(element).localname}> @ref={token!r} points to a <{target_name}>, "
            f"not a {expected} entry",
        )


def _check_dates(document: TeiDocument, element: etree._Element) -> Iterator[Diagnostic]:
    attrib = element.attrib
    ranges: dict[str, tuple[str, str]] = {}
    for base in _DATE_ATTRIBUTES:
        if base in ("from", "to") and element.tag in _FROM_TO_NOT_DATES:
            continue
        for name, iso in ((base, False), (f"{base}-iso", True)):
            value = attrib.get(name)
            if value is None:
                continue
            parsed = parse_w3c_date(value.strip(), iso=iso)
            if parsed is None:
                standard = "ISO 8601" if iso else "W3C (YYYY, YYYY-MM or YYYY-MM-DD)"
                yield _diag(
                    document,
                    element,
                    Severity.ERROR,
                    "integrity.invalid-date",
                    f"@{name}={value!r} is not a valid {standard} date",
                )
            elif parsed[0]:
                ranges.setdefault(base, parsed)
    for start, end in (("from", "to"), ("notBefore", "notAfter")):
        if start in ranges and end in ranges and ranges[start][0] > ranges[end][1]:
            yield _diag(
                document,
                element,
                Severity.ERROR,
                "integrity.inverted-range",
                f"@{start} ({ranges[start][0]}) is after @{end} ({ranges[end][1]})",
            )


def _check_attributes(document: TeiDocument, resolver: PointerResolver) -> Iterator[Diagnostic]:
    """Check pointers and dates in one walk over the TEI elements."""
    pointers = _PointerChecker(document, resolver)
    for element in document.root.iter(f"{{{TEI_NS}}}*"):
        items = element.items()
        if not items:
            continue
        dated = False
        for name, value in items:
            if name in _POINTER_NAMES:
                for token in str(value).split():
                    finding = pointers.check(element, name, token)
                    if finding is not None:
                        yield finding
            elif name in _DATE_NAMES:
                dated = True
        if dated:
            yield from _check_dates(document, element)


def check_integrity(
    document: TeiDocument, resolver: PointerResolver | None = None
) -> list[Diagnostic]:
    """Return the integrity findings for *document*: root, ids, pointers and dates.

    >>> from teikit import load
    >>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><p ana="#x"/></TEI>')
    >>> [d.code for d in check_integrity(doc)]
    ['integrity.unresolved-pointer']
    """
    resolver = resolver or PointerResolver()
    _PATHS.append(ElementPaths())
    try:
        findings = [*_check_root(document), *_check_ids(document)]
        findings.extend(_check_attributes(document, resolver))
    finally:
        _PATHS.pop()
    return findings

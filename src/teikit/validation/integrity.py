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
import weakref
from collections.abc import Iterable, Iterator
from typing import Final

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import ElementPaths, TeiDocument, readable_path, source_line
from teikit.namespaces import TEI_NS, XML_ID
from teikit.pointers import POINTER_ATTRIBUTES, PointerResolver, PointerStatus
from teikit.roots import classify_root, not_tei_finding

__all__ = ["check_integrity", "parse_w3c_date"]

# Most ids are ASCII: that pattern compiles in microseconds, the full one in milliseconds
# (a process start pays for it only when an id is not ASCII).
_ASCII_NCNAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


@functools.cache
def _ncname() -> re.Pattern[str]:
    return re.compile(r"^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*$")


def _is_ncname(value: str) -> bool:
    """Return whether *value* is an XML name without a colon (an NCName)."""
    return _ASCII_NCNAME.match(value) is not None or _ncname().match(value) is not None


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
    not_tei = not_tei_finding(document)  # the finding every command gives (teikit.roots)
    if not_tei is not None:
        yield not_tei
        return
    verdict = classify_root(document.root)  # a TEI fragment: TEI P5, but not a document
    yield _diag(document, document.root, Severity.ERROR, "integrity.root", verdict.message())


def _check_ids(
    document: TeiDocument, resolver: PointerResolver, elements: list[etree._Element]
) -> Iterator[Diagnostic]:
    """Check the ids of *elements* (those with ``xml:id``) and hand their index over."""
    index: dict[str, etree._Element] = {}
    for element in elements:
        index.setdefault(element.get(XML_ID, ""), element)
    resolver.set_ids(document, index)  # the pointer checks need the same index
    if len(index) == len(elements) and all(map(_is_ncname, index)):
        return  # every id distinct and well-formed: the common case
    seen: dict[str, etree._Element] = {}
    for element in elements:
        value = element.get(XML_ID, "")
        if not _is_ncname(value):
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
# The attributes that make an element worth a look: ids, pointers and dates.
_MARKS: Final = _POINTER_NAMES | _DATE_NAMES | {XML_ID}
_MARKED_LIMIT = 100_000  # marked elements held at once; a larger document is walked twice


_PREFIX_DEF: Final = f"{{{TEI_NS}}}prefixDef"
_TEI_PREFIX: Final = f"{{{TEI_NS}}}"
_TEI_ANY: Final = f"{{{TEI_NS}}}*"
_FIND_IDS: Final = etree.XPath("//*[@xml:id]")


def _local_name(element: etree._Element) -> str:
    return str(element.tag).rpartition("}")[2]


class _RunMemo:
    """What one resolver's checks found that holds for every document of a run."""

    def __init__(self, resolver: PointerResolver) -> None:
        self.index_ids = [resolver.ids(index) for index in resolver.indexes]
        #: ``(#id, expected kind)`` found in an index file with the right kind: fine in any
        #: document that does not define that id itself (a corpus points at one register).
        self.index_fine: set[tuple[str, str | None]] = set()
        #: Tokens that are external links (a URL, a non-XML file) in a document without
        #: ``prefixDef``: that depends on the token and the index files only.
        self.external: set[str] = set()


_MEMOS: Final[weakref.WeakKeyDictionary[PointerResolver, _RunMemo]] = weakref.WeakKeyDictionary()


class _PointerChecker:
    """Check the pointer tokens of one document, with a fast path for plain ``#id``."""

    def __init__(self, document: TeiDocument, resolver: PointerResolver) -> None:
        self.document = document
        self.resolver = resolver
        self.ids = resolver.ids(document)
        memo = _MEMOS.get(resolver)
        if memo is None:
            memo = _MEMOS[resolver] = _RunMemo(resolver)
        self.memo = memo
        self.index_ids = memo.index_ids
        self._prefixed: bool | None = None  # whether the document has a prefixDef
        # (attribute, token, expected kind) already found fine: a letter points at the same few
        # register entries again and again.
        self.fine: set[tuple[str, str, str | None]] = set()

    @property
    def prefixed(self) -> bool:
        """Return whether the document declares a ``prefixDef`` (computed once)."""
        if self._prefixed is None:
            found = next(self.document.root.iter(_PREFIX_DEF), None)
            self._prefixed = found is not None
        return self._prefixed

    def check(
        self, element: etree._Element, attribute: str, token: str, expected: str | None
    ) -> Diagnostic | None:
        """Return the finding for one pointer token (``None``: it is fine, and remembered).

        The caller has already tried the run's memo (``memo.index_fine``, ``memo.external``).
        """
        finding = self._check(element, attribute, token, expected)
        if finding is None:
            self.fine.add((attribute, token, expected))
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
                        if expected is None or _local_name(target) in _EXPECTED_KIND[expected]:
                            self.memo.index_fine.add((token, expected))
                        break
        if target is None:
            resolution = self.resolver.resolve(token, self.document)
            if resolution.status is PointerStatus.EXTERNAL:
                if not self.prefixed:
                    self.memo.external.add(token)
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
        target_name = _local_name(target)
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


@functools.lru_cache(maxsize=8192)  # a corpus repeats its dates: judge each set once
def _date_findings(
    dates: tuple[tuple[str, str], ...], from_to_are_dates: bool
) -> tuple[tuple[str, str], ...]:
    """Return ``(code, message)`` for the date attributes *dates* of one element."""
    attrib = dict(dates)
    findings: list[tuple[str, str]] = []
    ranges: dict[str, tuple[str, str]] = {}
    for base in _DATE_ATTRIBUTES:
        if base in ("from", "to") and not from_to_are_dates:
            continue
        for name, iso in ((base, False), (f"{base}-iso", True)):
            value = attrib.get(name)
            if value is None:
                continue
            parsed = parse_w3c_date(value.strip(), iso=iso)
            if parsed is None:
                standard = "ISO 8601" if iso else "W3C (YYYY, YYYY-MM or YYYY-MM-DD)"
                message = f"@{name}={value!r} is not a valid {standard} date"
                findings.append(("integrity.invalid-date", message))
            elif parsed[0]:
                ranges.setdefault(base, parsed)
    for start, end in (("from", "to"), ("notBefore", "notAfter")):
        if start in ranges and end in ranges and ranges[start][0] > ranges[end][1]:
            message = f"@{start} ({ranges[start][0]}) is after @{end} ({ranges[end][1]})"
            findings.append(("integrity.inverted-range", message))
    return tuple(findings)


def _check_attributes(
    document: TeiDocument, resolver: PointerResolver, marked: Iterable[etree._Element]
) -> Iterator[Diagnostic]:
    """Check the pointers and dates of the TEI elements among *marked*."""
    pointers = _PointerChecker(document, resolver)
    fine, ids, index_fine = pointers.fine, pointers.ids, pointers.memo.index_fine
    external, hinted = pointers.memo.external, _HASH_HINT_ATTRIBUTES
    pointer_names, date_names = _POINTER_NAMES, _DATE_NAMES
    name_kinds, typed = _NAME_KIND_TAGS, _TYPED_NAME_TAGS
    for element in marked:
        tag = str(element.tag)
        if not tag.startswith(_TEI_PREFIX):
            continue
        items = element.items()
        dated = False
        for name, value in items:
            if name in pointer_names:
                expected = None
                if name == "ref":  # the register kind @ref must point to, if any
                    expected = name_kinds.get(tag)
                    if expected is None and tag in typed:
                        kind = element.get("type")
                        expected = kind if kind in _EXPECTED_KIND else None
                for token in str(value).split():
                    key = (name, token, expected)
                    if key in fine:
                        continue
                    if (token, expected) in index_fine and token[1:] not in ids:
                        fine.add(key)  # found in an index file before, not redefined here
                        continue
                    if (
                        token in external
                        and (name not in hinted or token not in ids)
                        and not pointers.prefixed
                    ):
                        fine.add(key)  # a link out, as in the files before
                        continue
                    finding = pointers.check(element, name, token, expected)
                    if finding is not None:
                        yield finding
            elif name in date_names:
                dated = True
        if dated:
            dates = tuple((str(n), str(v)) for n, v in items if n in date_names)
            for code, message in _date_findings(dates, tag not in _FROM_TO_NOT_DATES):
                yield _diag(document, element, Severity.ERROR, code, message)


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
        # One walk, shared with document.names(); a very large document is walked again
        # instead of holding all its marked elements.
        marked: Iterable[etree._Element] | None = document.survey(_MARKS, _MARKED_LIMIT)
        if marked is None:
            marked = (e for e in document.root.iter(_TEI_ANY) if not _MARKS.isdisjoint(e.keys()))
            with_ids: list[etree._Element] = _FIND_IDS(document.root)  # type: ignore[assignment]
        else:
            with_ids = [element for element in marked if element.get(XML_ID) is not None]
        findings = [*_check_root(document), *_check_ids(document, resolver, with_ids)]
        findings.extend(_check_attributes(document, resolver, marked))
    finally:
        _PATHS.pop()
    return findings

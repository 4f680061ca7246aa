"""Integrity checks that no schema expresses: ids, pointers, dates and the root element.

Codes (stable, documented in ``docs/validate.md``):

``integrity.root``               the root is not ``TEI`` or ``teiCorpus`` in the TEI namespace
``integrity.duplicate-id``       an ``xml:id`` value used twice
``integrity.invalid-id``         an ``xml:id`` value that is not an XML name (NCName)
``integrity.unresolved-pointer`` a ``#id`` or ``file.xml#id`` pointer to nothing
``integrity.missing-hash``       a bare ``id`` that would resolve with a ``#`` (warning)
``integrity.wrong-kind``         ``persName/@ref`` to a ``place`` and the like (error)
``integrity.invalid-date``       a date attribute that is not a valid W3C/ISO date
``integrity.inverted-range``     ``@from`` after ``@to``, ``@notBefore`` after ``@notAfter``
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from lxml import etree

from teikit.dates import DATE_ATTRIBUTES, parse_date, read_dates
from teikit.diagnostics import Diagnostic, Severity
from teikit.document import ElementPaths, TeiDocument, readable_path, source_line
from teikit.kinds import (
    BUILTIN_RULES,
    MentionRule,
    entry_kind,
    entry_of,
    expected_kind,
    matcher_for,
)
from teikit.namespaces import TEI_NS, XML_ID
from teikit.pointers import POINTER_ATTRIBUTES, PointerResolver, PointerStatus, elements_with_id
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


_DATE_NAMES: Final = frozenset(DATE_ATTRIBUTES) | {f"{a}-iso" for a in DATE_ATTRIBUTES}
# Elements whose @from/@to are not dates (pointers, page or folio numbers).
_FROM_TO_NOT_DATES: Final = frozenset(
    f"{{{TEI_NS}}}{name}"
    for name in ("span", "locus", "biblScope", "citedRange", "arc", "range", "fsdLink", "gap")
)


def parse_w3c_date(value: str, *, iso: bool = False) -> tuple[str, str] | None:
    """Return the earliest and latest day covered by *value*, or ``None`` if it is invalid.

    Read by :func:`teikit.dates.parse_date`; a valid value not placed on the calendar
    (``--07-03``, a time) yields ``("", "")`` (not comparable).

    >>> parse_w3c_date("1951-07")
    ('1951-07-01', '1951-07-31')
    >>> parse_w3c_date("1951-02-30") is None
    True
    """
    parsed = parse_date(value, iso=iso)
    if parsed is None:
        return None
    return (parsed.earliest or "", parsed.latest or "")


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


_POINTER_NAMES: Final = frozenset(POINTER_ATTRIBUTES)
_HASH_HINT_ATTRIBUTES: Final = frozenset({"ref", "corresp", "ana", "resp", "who", "sameAs"})
# The attributes that make an element worth a look: ids, pointers and dates.
_MARKS: Final = _POINTER_NAMES | _DATE_NAMES | {XML_ID}
_MARKED_LIMIT = 100_000  # marked elements held at once; a larger document is walked twice


_PREFIX_DEF: Final = f"{{{TEI_NS}}}prefixDef"
_TEI_PREFIX: Final = f"{{{TEI_NS}}}"
_TEI_ANY: Final = f"{{{TEI_NS}}}*"


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
                        if expected is None or entry_kind(target) == expected:
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
        # an element inside an entry (the persName of a person) stands for the entry
        if entry_kind(target) == expected:
            return None
        target_name = _local_name(target)
        return _diag(
            self.document,
            element,
            Severity.ERROR,  # a broken reference, as the letter Schematron's rule said (error)
            "integrity.wrong-kind",
            f"<{etree.QName(element).localname}> @ref={token!r} points to a <{target_name}>, "
            f"not {_article(expected)} {expected} entry",
        )


@functools.lru_cache(maxsize=8192)  # a corpus repeats its dates: judge each set once
def _date_findings(
    dates: tuple[tuple[str, str], ...], from_to_are_dates: bool
) -> tuple[tuple[str, str], ...]:
    """Return ``(code, message)`` for the date attributes *dates* of one element."""
    reading = read_dates(dict(dates), from_to=from_to_are_dates)
    findings: list[tuple[str, str]] = []
    for name, value in reading.rejected:
        iso = name.endswith("-iso")
        standard = "ISO 8601" if iso else "W3C (YYYY, YYYY-MM or YYYY-MM-DD)"
        message = f"@{name}={value!r} is not a valid {standard} date"
        if not iso and parse_date(value, iso=True) is not None:
            message += f"; it is valid ISO 8601 in @{name}-iso"
        findings.append(("integrity.invalid-date", message))
    ranges: dict[str, tuple[str, str]] = {}
    for name, parsed in reading.values.items():
        if parsed.earliest is not None and parsed.latest is not None:
            ranges.setdefault(name.removesuffix("-iso"), (parsed.earliest, parsed.latest))
    for start, end in (("from", "to"), ("notBefore", "notAfter")):
        if start in ranges and end in ranges and ranges[start][0] > ranges[end][1]:
            message = f"@{start} ({ranges[start][0]}) is after @{end} ({ranges[end][1]})"
            findings.append(("integrity.inverted-range", message))
    return tuple(findings)


def _check_attributes(
    document: TeiDocument,
    resolver: PointerResolver,
    marked: Iterable[etree._Element],
    rules: Sequence[MentionRule],
) -> Iterator[Diagnostic]:
    """Check the pointers and dates of the TEI elements among *marked*."""
    pointers = _PointerChecker(document, resolver)
    fine, ids, index_fine = pointers.fine, pointers.ids, pointers.memo.index_fine
    external, hinted = pointers.memo.external, _HASH_HINT_ATTRIBUTES
    pointer_names, date_names = _POINTER_NAMES, _DATE_NAMES
    kinds = matcher_for(rules)
    for element in marked:
        tag = str(element.tag)
        if not tag.startswith(_TEI_PREFIX):
            continue
        items = element.items()
        dated = False
        for name, value in items:
            if name in pointer_names:
                expected = None
                in_entry: bool | None = None  # the names of an entry are no mentions
                if name == "ref":  # the register kind @ref must point to, if any
                    expected = expected_kind(kinds.kind_by_rules(element))
                for token in str(value).split():
                    key = (name, token, expected)
                    # (fine with a kind to match is fine without one: the names inside an
                    # entry, never kind-checked, may use the memos)
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
                    if expected is not None:
                        if in_entry is None:  # walk up only when it matters
                            in_entry = entry_of(element) is not None
                        if in_entry:
                            expected = None
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
    document: TeiDocument,
    resolver: PointerResolver | None = None,
    rules: Sequence[MentionRule] = BUILTIN_RULES,
) -> list[Diagnostic]:
    """Return the integrity findings for *document*: root, ids, pointers and dates.

    *rules* say which element is a mention of which kind (:mod:`teikit.kinds`; the
    ``[mentions]`` of ``teikit.toml`` added in front): a mention's ``@ref`` must reach a
    register entry of its kind.

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
            with_ids = elements_with_id(document.root)  # walked: no XPath node-set limit
        else:
            with_ids = [element for element in marked if element.get(XML_ID) is not None]
        findings = [*_check_root(document), *_check_ids(document, resolver, with_ids)]
        findings.extend(_check_attributes(document, resolver, marked, rules))
    finally:
        _PATHS.pop()
    return findings


def _article(word: str) -> str:
    """Return "an" before a vowel, else "a" ("an event entry", "a place entry")."""
    return "an" if word[:1] in "aeiou" else "a"

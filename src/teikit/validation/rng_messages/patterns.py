"""The patterns of the derivative algorithm, name classes and datatypes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from lxml import etree

from teikit.namespaces import NSMAP, RNG_NS, TEI_NS

CODE: Final = "rng.invalid"
_R: Final = f"{{{RNG_NS}}}"
_XSD_LIBRARY: Final = "http://www.w3.org/2001/XMLSchema-datatypes"
_PREFIXES: Final = {uri: prefix for prefix, uri in NSMAP.items() if uri != TEI_NS}
# How messages name the XSD types (TEI uses these); others are "a value of type NAME".
_TYPE_NAMES: Final = {
    "anyURI": "a URI",
    "boolean": 'a boolean ("true", "false", "1" or "0")',
    "date": "an ISO date (YYYY-MM-DD)",
    "dateTime": "an ISO date and time (YYYY-MM-DDThh:mm:ss)",
    "decimal": "a decimal number",
    "double": "a number",
    "duration": "an ISO duration (P1Y2M3D)",
    "float": "a number",
    "gDay": "a day of the month (---DD)",
    "gMonth": "a month (--MM)",
    "gMonthDay": "a month and day (--MM-DD)",
    "gYear": "a year (YYYY)",
    "gYearMonth": "an ISO year and month (YYYY-MM)",
    "ID": "an XML name (ID)",
    "integer": "an integer",
    "language": "a language tag (BCP 47)",
    "Name": "an XML name",
    "NCName": "an XML name without a colon",
    "nonNegativeInteger": "an integer of 0 or more",
    "positiveInteger": "an integer of 1 or more",
    "string": "a string",
    "time": "an ISO time (hh:mm:ss)",
    "token": "a token",
}
# Types whose value keeps its whitespace (every other XSD type collapses it).
_STRING_TYPES: Final = frozenset({"string", "normalizedString"})

# Name classes: ("name", ns, local), ("any", except), ("ns", uri, except), ("choice", a, b).
_NameClass = tuple[Any, ...]
_QName = tuple[str, str]

# Pattern kinds.
_EMPTY: Final = "empty"
_NOT_ALLOWED: Final = "notAllowed"
_TEXT: Final = "text"
_CHOICE: Final = "choice"
_GROUP: Final = "group"
_INTERLEAVE: Final = "interleave"
_ONE_OR_MORE: Final = "oneOrMore"
_AFTER: Final = "after"
_ELEMENT: Final = "element"
_ATTRIBUTE: Final = "attribute"
_DATA: Final = "data"
_VALUE: Final = "value"
_LIST: Final = "list"


class _Pat:
    """One interned pattern of the derivative algorithm (compare with ``is``)."""

    __slots__ = ("a", "b", "info", "items", "kind", "nullable")

    def __init__(
        self,
        kind: str,
        a: _Pat | None = None,
        b: _Pat | None = None,
        info: Any = None,
        items: tuple[_Pat, ...] = (),
    ) -> None:
        self.kind = kind
        # Leaves point at themselves, so that a and b are never None (never read on leaves).
        self.a: _Pat = self if a is None else a
        self.b: _Pat = self if b is None else b
        self.info = info
        self.items = items
        if kind in (_EMPTY, _TEXT):
            self.nullable = True
        elif kind == _CHOICE:
            self.nullable = any(item.nullable for item in items)
        elif kind in (_GROUP, _INTERLEAVE):
            self.nullable = self.a.nullable and self.b.nullable
        elif kind == _ONE_OR_MORE:
            self.nullable = self.a.nullable
        else:
            self.nullable = False


def _contains(nc: _NameClass, qname: _QName) -> bool:
    """Return whether name class *nc* matches *qname*."""
    kind = nc[0]
    if kind == "name":
        return (nc[1], nc[2]) == qname
    if kind == "any":
        return nc[1] is None or not _contains(nc[1], qname)
    if kind == "ns":
        return nc[1] == qname[0] and (nc[2] is None or not _contains(nc[2], qname))
    return _contains(nc[1], qname) or _contains(nc[2], qname)


def _or_list(items: Iterable[str]) -> str:
    """Return ``a``, ``a or b``, ``a, b or c``."""
    listed = list(items)
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} or {listed[-1]}"


def _and_list(items: Iterable[str]) -> str:
    """Return ``a``, ``a and b``, ``a, b and c``."""
    listed = list(items)
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _quote(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def _name_class(node: etree._Element) -> tuple[_NameClass, list[etree._Element]]:
    """Return the name class of an element or attribute pattern and its other children."""
    children = list(node)
    name = node.get("name")
    if name is not None:
        return ("name", node.get("ns", ""), name), children
    return _parse_class(children[0]), children[1:]


def _parse_class(node: etree._Element) -> _NameClass:
    kind = etree.QName(node).localname
    children = list(node)
    if kind == "name":
        return ("name", node.get("ns", ""), (node.text or "").strip())
    if kind == "choice":
        result = _parse_class(children[0])
        for child in children[1:]:
            result = ("choice", result, _parse_class(child))
        return result
    exclude = _parse_class(_except_choice(children[0])) if children else None
    if kind == "anyName":
        return ("any", exclude)
    return ("ns", node.get("ns", ""), exclude)


def _except_choice(node: etree._Element) -> etree._Element:
    """Return an ``except`` name class as one (choice) element."""
    children = list(node)
    if len(children) == 1:
        return children[0]
    choice = etree.Element(f"{_R}choice")
    choice.extend(etree.fromstring(etree.tostring(c)) for c in children)
    return choice


def _qname(tag: str) -> _QName:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


@lru_cache(maxsize=1)
def _xsd_types() -> Any:
    """Return xmlschema's built-in XSD 1.0 types (built once, on the first datatype)."""
    from xmlschema import XMLSchema10

    meta = XMLSchema10.meta_schema
    assert meta is not None
    meta.build()
    return meta.types


# Types every (whitespace-collapsed) string belongs to, as far as libxml2 is concerned.
_ANY_TEXT: Final = frozenset({"string", "normalizedString", "token", "anyURI"})


@lru_cache(maxsize=65536)
def _xsd_valid(name: str, value: str) -> bool:
    """Return whether *value* belongs to the built-in XSD type *name* (True if unknown)."""
    if name in _ANY_TEXT:
        return True
    xsd_type = _xsd_types().get(name)
    return xsd_type is None or bool(xsd_type.is_valid(value))


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str] | None:
    """Return an XSD pattern facet as a Python regular expression (None: not translatable)."""
    from elementpath.regex import translate_pattern

    try:
        return re.compile(translate_pattern(pattern, anchors=False))
    except Exception:  # noqa: BLE001 - an untranslatable facet is not checked
        return None


class _Datatype:
    """A ``data`` pattern's datatype and facets, checked leniently (unknown means valid)."""

    __slots__ = ("library", "name", "params")

    def __init__(self, library: str, name: str, params: tuple[tuple[str, str], ...]) -> None:
        self.library = library
        self.name = name
        self.params = params

    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.library, self.name, self.params)

    def allows(self, text: str) -> bool:
        """Return whether *text* is a value of this datatype (True when not checkable)."""
        if self.library != _XSD_LIBRARY:
            return True  # the built-in string and token: everything
        value = text if self.name in _STRING_TYPES else _collapse(text)
        if not _xsd_valid(self.name, value):
            return False
        for name, param in self.params:
            if name == "pattern":
                regex = _regex(param)
                if regex is not None and regex.fullmatch(value) is None:
                    return False
            elif name in ("length", "minLength", "maxLength") and param.isdigit():
                size, limit = len(value), int(param)
                if (
                    (name == "length" and size != limit)
                    or (name == "minLength" and size < limit)
                    or (name == "maxLength" and size > limit)
                ):
                    return False
            elif name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
                try:
                    number, bound = Decimal(value), Decimal(param)
                except InvalidOperation:
                    continue
                if (
                    (name == "minInclusive" and number < bound)
                    or (name == "maxInclusive" and number > bound)
                    or (name == "minExclusive" and number <= bound)
                    or (name == "maxExclusive" and number >= bound)
                ):
                    return False
        return True

    def describe(self) -> str:
        """Return what a value must be, for messages."""
        text = _TYPE_NAMES.get(self.name, f"a value of type {self.name}" if self.name else "text")
        patterns = [param for name, param in self.params if name == "pattern"]
        if patterns:
            text += f" matching {_or_list(_quote(p) for p in patterns)}"
        bounds = [f"{name} {param}" for name, param in self.params if name != "pattern"]
        if bounds:
            text += f" ({', '.join(bounds)})"
        return text


def _value_equal(library: str, name: str, expected: str, text: str) -> bool:
    """Return whether *text* equals a ``value`` pattern's text under its datatype."""
    if name in ("string", "normalizedString") and library in ("", _XSD_LIBRARY):
        return text == expected
    return _collapse(text) == _collapse(expected)

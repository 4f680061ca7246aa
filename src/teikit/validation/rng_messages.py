"""RELAX NG messages at least as specific as Jing's, from teikit's own reading of the grammar.

libxml2 gives the verdict (it is fast), but its messages are vague ("Element rs failed to
validate attributes", "Expecting an element, got nothing"), blame the wrong attribute and
stop at the first fault of each element. When libxml2 rejects a document, :class:`Diagnoser`
walks it again with the derivative algorithm of James Clark ("An algorithm for RELAX NG
validation", 2002) over the flattened, unspecialised grammar, and recovers from each fault the
way Jing does, so that it reports what Jing reports, in Jing's words plus the element at fault:

* ``element "div" missing required attribute "ana"``
* ``value of attribute "ana" of element "div" is invalid; must be equal to "a", "b" or "c"``
* ``attribute "foo" not allowed here on element "div"; expected attribute "n"``
* ``element "hi" not allowed here in element "div"; expected the element end-tag or element "p"``
* ``element "p" not allowed yet in element "div"; missing required element "head"``
* ``element "div" incomplete; missing required element "head"``
* ``text not allowed here in element "div"; expected element "head"``

Positions: an element's line is libxml2's (the line of the start tag's ``>``, as Jing's);
columns, the line of an end tag and of a run of text come from a second reading of the file
with expat, when the document has a file and both parsers see the same elements. Datatypes
are checked with xmlschema's built-in XSD types; a datatype or facet it does not know counts
as matched, so an uncertain check never invents a fault: when this walk finds nothing, the
caller keeps libxml2's messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final
from xml.parsers import expat

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument
from teikit.namespaces import NSMAP, RNG_NS, TEI_NS

__all__ = ["Diagnoser"]

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


class _Names:
    """Render the names of one message as Jing does.

    TEI and no-namespace names are bare (``"div"``), ``xml:`` names keep their prefix, and
    other namespaces get ``ns``, ``ns2``... declared at the end of the message. With a TEI
    grammar, an element in no namespace says so (``"TEI" (in no namespace)``).
    """

    def __init__(self, tei: bool = False) -> None:
        self.tei = tei
        self.declared: dict[str, str] = {}

    def name(self, qname: _QName, prefix: str | None = None, *, element: bool = True) -> str:
        """Return ``"local"`` or ``"prefix:local"`` (*prefix*: the document's own, if any)."""
        ns, local = qname
        if ns == "" and element and self.tei:
            return f'"{local}" (in no namespace)'
        if ns in ("", TEI_NS):
            return f'"{local}"'
        prefix = prefix or _PREFIXES.get(ns)
        if prefix is None:
            number = len(self.declared) + 1
            prefix = self.declared.setdefault(ns, "ns" if number == 1 else f"ns{number}")
        return f'"{prefix}:{local}"'

    def element(self, element: etree._Element) -> str:
        """Return the name of a document's element as the document writes it (as Jing).

        An element of another namespace without a prefix says which namespace it is in.
        """
        ns, local = _qname(element.tag)
        if ns not in ("", TEI_NS) and not element.prefix and ns not in _PREFIXES:
            return f'"{local}" (in namespace {ns})'
        return self.name((ns, local), element.prefix)

    def of_class(self, nc: _NameClass, element: bool = True) -> list[str]:
        """Return the names a name class stands for, rendered."""
        kind = nc[0]
        if kind == "name":
            return [self.name((nc[1], nc[2]), element=element)]
        if kind == "any":
            return ["any name"]
        if kind == "ns":
            return [f"any name in namespace {nc[1] or '(none)'}"]
        return self.of_class(nc[1], element) + self.of_class(nc[2], element)

    def suffix(self) -> str:
        """Return `` (with xmlns:ns="...")`` for the namespaces used, or ""."""
        if not self.declared:
            return ""
        pairs = " ".join(f'xmlns:{prefix}="{ns}"' for ns, prefix in self.declared.items())
        return f" (with {pairs})"


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


class _Engine:
    """Patterns built lazily from a flattened grammar, with memoised derivatives."""

    def __init__(self, grammar: etree._ElementTree) -> None:
        root = grammar.getroot()
        self.defines = {d.get("name", ""): d for d in root.iter(f"{_R}define")}
        self._interned: dict[tuple[Any, ...], _Pat] = {}
        self._refs: dict[str, _Pat] = {}
        self._contents: dict[int, _Pat] = {}
        self._by_name: dict[_QName, list[_Pat]] | None = None
        self._memo: dict[tuple[Any, ...], _Pat] = {}
        self._required: dict[tuple[int, str], frozenset[_QName]] = {}
        self._attributes: dict[int, tuple[_Pat, ...]] = {}
        self._plain: dict[int, bool] = {}
        self._named: dict[tuple[int, _QName], tuple[_Pat, ...]] = {}
        self.empty = self._make(_EMPTY, key=())
        self.not_allowed = self._make(_NOT_ALLOWED, key=())
        self.text = self._make(_TEXT, key=())
        start = root.find(f"{_R}start")
        assert start is not None
        self.start = self.pattern(list(start))
        self._grammar = root
        # Whether the grammar has TEI elements (names in no namespace then say so).
        self.tei = any(e.get("ns") == TEI_NS for e in root.iter(f"{_R}element"))

    # -- construction (with the simplifications of section 4.19 that keep states small)

    def _make(
        self,
        kind: str,
        a: _Pat | None = None,
        b: _Pat | None = None,
        info: Any = None,
        items: tuple[_Pat, ...] = (),
        key: tuple[Any, ...] = (),
    ) -> _Pat:
        full = (kind, id(a), id(b), *key)
        found = self._interned.get(full)
        if found is None:
            found = self._interned[full] = _Pat(kind, a, b, info, items)
        return found

    def choice(self, *patterns: _Pat) -> _Pat:
        members: dict[int, _Pat] = {}
        for pattern in patterns:
            for item in pattern.items if pattern.kind == _CHOICE else (pattern,):
                if item.kind != _NOT_ALLOWED:
                    members.setdefault(id(item), item)
        if not members:
            return self.not_allowed
        if len(members) == 1:
            return next(iter(members.values()))
        ordered = tuple(sorted(members.values(), key=id))
        return self._make(_CHOICE, items=ordered, key=tuple(id(m) for m in ordered))

    def group(self, a: _Pat, b: _Pat) -> _Pat:
        if a.kind == _NOT_ALLOWED or b.kind == _NOT_ALLOWED:
            return self.not_allowed
        if a.kind == _EMPTY:
            return b
        if b.kind == _EMPTY:
            return a
        return self._make(_GROUP, a, b)

    def interleave(self, a: _Pat, b: _Pat) -> _Pat:
        if a.kind == _NOT_ALLOWED or b.kind == _NOT_ALLOWED:
            return self.not_allowed
        if a.kind == _EMPTY:
            return b
        if b.kind == _EMPTY:
            return a
        return self._make(_INTERLEAVE, a, b)

    def after(self, a: _Pat, b: _Pat) -> _Pat:
        if a.kind == _NOT_ALLOWED or b.kind == _NOT_ALLOWED:
            return self.not_allowed
        return self._make(_AFTER, a, b)

    def one_or_more(self, a: _Pat) -> _Pat:
        if a.kind in (_NOT_ALLOWED, _EMPTY):
            return a
        return self._make(_ONE_OR_MORE, a)

    def _sequence(self, kind: str, children: list[etree._Element]) -> _Pat:
        result = self.empty
        for child in children:
            pattern = self.pattern([child])
            result = (
                self.interleave(result, pattern)
                if kind == _INTERLEAVE
                else self.group(result, pattern)
            )
        return result

    def pattern(self, children: list[etree._Element]) -> _Pat:
        """Return the pattern of RNG elements *children* (an implicit group)."""
        if len(children) != 1:
            return self._sequence(_GROUP, children)
        node = children[0]
        kind = etree.QName(node).localname
        inner = list(node)
        if kind == "empty":
            return self.empty
        if kind == "notAllowed":
            return self.not_allowed
        if kind == "text":
            return self.text
        if kind == "ref":
            return self._ref(node.get("name", ""))
        if kind in ("group", "interleave"):
            return self._sequence(kind, inner)
        if kind == "choice":
            return self.choice(*(self.pattern([child]) for child in inner))
        if kind == "optional":
            return self.choice(self.pattern(inner), self.empty)
        if kind == "zeroOrMore":
            return self.choice(self.one_or_more(self.pattern(inner)), self.empty)
        if kind == "oneOrMore":
            return self.one_or_more(self.pattern(inner))
        if kind == "mixed":
            return self.interleave(self.text, self.pattern(inner))
        if kind == "list":
            return self._make(_LIST, self.pattern(inner))
        if kind == "element":
            nc, _ = _name_class(node)
            return self._make(_ELEMENT, info=(nc, node), key=(id(node),))
        if kind == "attribute":
            nc, rest = _name_class(node)
            content = self.pattern(rest) if rest else self.text
            return self._make(_ATTRIBUTE, content, info=nc, key=(nc,))
        if kind == "data":
            params = tuple(
                (p.get("name", ""), p.text or "")
                for p in inner
                if etree.QName(p).localname == "param"
            )
            datatype = _Datatype(node.get("datatypeLibrary", ""), node.get("type", ""), params)
            excepted = [c for c in inner if etree.QName(c).localname == "except"]
            exclude = self.choice(*(self.pattern(list(c)) for c in excepted)) if excepted else None
            return self._make(_DATA, exclude, info=datatype, key=datatype.key())
        if kind == "value":
            info = (node.get("datatypeLibrary", ""), node.get("type", "token"), node.text or "")
            return self._make(_VALUE, info=info, key=info)
        raise ValueError(f"unexpected RELAX NG pattern {kind!r}")

    def _ref(self, name: str) -> _Pat:
        found = self._refs.get(name)
        if found is None:
            define = self.defines[name]
            found = self._refs[name] = self.pattern(list(define))
        return found

    def content(self, element: _Pat) -> _Pat:
        """Return the content pattern of an element pattern (built on first use)."""
        node = element.info[1]
        found = self._contents.get(id(node))
        if found is None:
            _, rest = _name_class(node)
            found = self._contents[id(node)] = self.pattern(rest)
        return found

    def elements_named(self, qname: _QName) -> list[_Pat]:
        """Return every element pattern of the grammar whose name class matches *qname*."""
        if self._by_name is None:
            self._by_name = {}
            for node in self._grammar.iter(f"{_R}element"):
                nc, _ = _name_class(node)
                pattern = self._make(_ELEMENT, info=(nc, node), key=(id(node),))
                key = (nc[1], nc[2]) if nc[0] == "name" else ("*", "*")
                self._by_name.setdefault(key, []).append(pattern)
        wild = [p for p in self._by_name.get(("*", "*"), []) if _contains(p.info[0], qname)]
        return self._by_name.get(qname, []) + wild

    # -- derivatives (Clark's algorithm; memoised on the interned patterns)

    def apply_after(self, function: Callable[[_Pat], _Pat], p: _Pat) -> _Pat:
        if p.kind == _CHOICE:
            return self.choice(*(self.apply_after(function, item) for item in p.items))
        if p.kind == _AFTER:
            return self.after(p.a, function(p.b))
        return self.not_allowed

    def start_open(self, p: _Pat, qname: _QName, recover: bool = False) -> _Pat:
        """Return the derivative for a start tag; *recover* lets required content be skipped."""
        key = ("open", id(p), qname, recover)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = self.not_allowed
        if kind == _CHOICE:
            result = self.choice(*(self.start_open(item, qname, recover) for item in p.items))
        elif kind == _ELEMENT:
            if _contains(p.info[0], qname):
                result = self.after(self.content(p), self.empty)
        elif kind == _INTERLEAVE:
            result = self.choice(
                self.apply_after(
                    lambda x: self.interleave(x, b), self.start_open(a, qname, recover)
                ),
                self.apply_after(
                    lambda x: self.interleave(a, x), self.start_open(b, qname, recover)
                ),
            )
        elif kind == _ONE_OR_MORE:
            rest = self.choice(p, self.empty)
            result = self.apply_after(
                lambda x: self.group(x, rest), self.start_open(a, qname, recover)
            )
        elif kind == _GROUP:
            result = self.apply_after(
                lambda x: self.group(x, b), self.start_open(a, qname, recover)
            )
            if a.nullable or recover:
                result = self.choice(result, self.start_open(b, qname, recover))
        elif kind == _AFTER:
            result = self.apply_after(
                lambda x: self.after(x, b), self.start_open(a, qname, recover)
            )
        self._memo[key] = result
        return result

    def attribute(self, p: _Pat, qname: _QName, value: str | None) -> _Pat:
        """Return the derivative for an attribute; a value of None matches any value.

        The value matters only through which attribute patterns accept it, so the walk of
        the (large) state is memoised on that set instead of on the value.
        """
        key = (id(p), qname)
        named = self._named.get(key)
        if named is None:
            named = self._named[key] = tuple(
                leaf for leaf in self.attributes(p) if _contains(leaf.info, qname)
            )
        accepted = frozenset(
            id(leaf) for leaf in named if value is None or self.value_matches(leaf.a, value)
        )
        if not accepted:
            return self.not_allowed
        return self._attribute(p, accepted)

    def _attribute(self, p: _Pat, accepted: frozenset[int]) -> _Pat:
        key = ("attribute", id(p), accepted)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = self.not_allowed
        if kind == _AFTER:
            result = self.after(self._attribute(a, accepted), b)
        elif kind == _CHOICE:
            result = self.choice(*(self._attribute(item, accepted) for item in p.items))
        elif kind in (_GROUP, _INTERLEAVE):
            join = self.group if kind == _GROUP else self.interleave
            result = self.choice(
                join(self._attribute(a, accepted), b), join(a, self._attribute(b, accepted))
            )
        elif kind == _ONE_OR_MORE:
            result = self.group(self._attribute(a, accepted), self.choice(p, self.empty))
        elif kind == _ATTRIBUTE and id(p) in accepted:
            result = self.empty
        self._memo[key] = result
        return result

    def value_matches(self, p: _Pat, value: str) -> bool:
        return (p.nullable and not value.strip()) or self.text_deriv(p, value).nullable

    def start_close(self, p: _Pat, recover: bool = False) -> _Pat:
        """Return *p* once the start tag ends; *recover* treats missing attributes as given."""
        key = ("close", id(p), recover)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = p
        if kind == _AFTER:
            result = self.after(self.start_close(a, recover), b)
        elif kind == _CHOICE:
            result = self.choice(*(self.start_close(item, recover) for item in p.items))
        elif kind in (_GROUP, _INTERLEAVE):
            join = self.group if kind == _GROUP else self.interleave
            result = join(self.start_close(a, recover), self.start_close(b, recover))
        elif kind == _ONE_OR_MORE:
            result = self.one_or_more(self.start_close(a, recover))
        elif kind == _ATTRIBUTE:
            result = self.empty if recover else self.not_allowed
        self._memo[key] = result
        return result

    def text_deriv(self, p: _Pat, text: str) -> _Pat:
        """Return the derivative for a run of text (memoised where the text cannot matter)."""
        if not self.plain(p):
            return self._text_deriv(p, text)
        key = ("text", id(p))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._text_deriv(p, text)
        return found

    def plain(self, p: _Pat) -> bool:
        """Return whether no data, value or list pattern can take text in state *p*."""
        found = self._plain.get(id(p))
        if found is None:
            if p.kind in (_DATA, _VALUE, _LIST):
                found = False
            elif p.kind == _CHOICE:
                found = all(self.plain(item) for item in p.items)
            elif p.kind in (_GROUP, _INTERLEAVE, _AFTER):
                found = self.plain(p.a) and (p.kind == _AFTER or self.plain(p.b))
            elif p.kind == _ONE_OR_MORE:
                found = self.plain(p.a)
            else:
                found = True
            self._plain[id(p)] = found
        return found

    def _text_deriv(self, p: _Pat, text: str) -> _Pat:
        kind, a, b = p.kind, p.a, p.b
        if kind == _CHOICE:
            return self.choice(*(self.text_deriv(item, text) for item in p.items))
        if kind == _INTERLEAVE:
            return self.choice(
                self.interleave(self.text_deriv(a, text), b),
                self.interleave(a, self.text_deriv(b, text)),
            )
        if kind == _GROUP:
            result = self.group(self.text_deriv(a, text), b)
            return self.choice(result, self.text_deriv(b, text)) if a.nullable else result
        if kind == _AFTER:
            return self.after(self.text_deriv(a, text), b)
        if kind == _ONE_OR_MORE:
            return self.group(self.text_deriv(a, text), self.choice(p, self.empty))
        if kind == _TEXT:
            return p
        if kind == _VALUE:
            library, name, expected = p.info
            return self.empty if _value_equal(library, name, expected, text) else self.not_allowed
        if kind == _DATA:
            if not p.info.allows(text):
                return self.not_allowed
            if a is not p and self.value_matches(a, text):  # the except clause
                return self.not_allowed
            return self.empty
        if kind == _LIST:
            state = a
            for token in text.split():
                state = self.text_deriv(state, token)
            return self.empty if state.nullable else self.not_allowed
        return self.not_allowed

    def completed(self, p: _Pat) -> _Pat:
        """Return state *p* with the content of the current element taken as complete."""
        items = p.items if p.kind == _CHOICE else (p,)
        return self.choice(
            *(self.after(self.empty, item.b) for item in items if item.kind == _AFTER)
        )

    def end_tag(self, p: _Pat, recover: bool = False) -> _Pat:
        if p.kind == _CHOICE:
            return self.choice(*(self.end_tag(item, recover) for item in p.items))
        if p.kind == _AFTER:
            return p.b if (recover or p.a.nullable) else self.not_allowed
        return self.not_allowed

    # -- what a state expects, for messages

    def expected(self, p: _Pat) -> tuple[bool, bool, list[_NameClass]]:
        """Return whether the end tag and text may come next, and which elements may."""
        end = text = False
        names: list[_NameClass] = []
        seen: set[int] = set()
        todo = [p]
        while todo:
            q = todo.pop()
            if id(q) in seen:
                continue
            seen.add(id(q))
            kind = q.kind
            if kind == _CHOICE:
                todo.extend(q.items)
            elif kind == _AFTER:
                end = end or q.a.nullable
                todo.append(q.a)
            elif kind == _GROUP:
                todo.append(q.a)
                if q.a.nullable:
                    todo.append(q.b)
            elif kind == _INTERLEAVE:
                todo.extend((q.a, q.b))
            elif kind == _ONE_OR_MORE:
                todo.append(q.a)
            elif kind == _ELEMENT:
                if q.info[0] not in names:
                    names.append(q.info[0])
            elif kind in (_TEXT, _DATA, _VALUE, _LIST):
                text = True
        return end, text, names

    def attributes(self, p: _Pat) -> tuple[_Pat, ...]:
        """Return the attribute patterns that may still match in state *p*."""
        cached = self._attributes.get(id(p))
        if cached is not None:
            return cached
        found: list[_Pat] = []
        seen: set[int] = set()
        todo = [p]
        while todo:
            q = todo.pop()
            if id(q) in seen:
                continue
            seen.add(id(q))
            if q.kind == _CHOICE:
                todo.extend(q.items)
            elif q.kind in (_AFTER, _ONE_OR_MORE):
                todo.append(q.a)
            elif q.kind in (_GROUP, _INTERLEAVE):
                todo.extend((q.a, q.b))
            elif q.kind == _ATTRIBUTE:
                found.append(q)
        result = self._attributes[id(p)] = tuple(found)
        return result

    def required(self, p: _Pat, kind: str) -> frozenset[_QName]:
        """Return the names of elements (or attributes) that every way through *p* needs."""
        key = (id(p), kind)
        found = self._required.get(key)
        if found is not None:
            return found
        result: frozenset[_QName] = frozenset()
        if p.kind == _CHOICE:
            sets = [self.required(item, kind) for item in p.items]
            result = frozenset.intersection(*sets)
        elif p.kind in (_GROUP, _INTERLEAVE):
            result = self.required(p.a, kind) | self.required(p.b, kind)
        elif p.kind in (_AFTER, _ONE_OR_MORE):
            result = self.required(p.a, kind)
        elif p.kind == kind:
            nc = p.info[0] if kind == _ELEMENT else p.info
            if nc[0] == "name":
                result = frozenset({(nc[1], nc[2])})
        self._required[key] = result
        return result

    def content_values(self, p: _Pat) -> list[str] | None:
        """Return the closed list of values of an attribute's content, or None if open."""
        if p.kind == _VALUE:
            return [p.info[2]]
        if p.kind == _CHOICE:
            values: list[str] = []
            for item in p.items:
                listed = self.content_values(item)
                if listed is None:
                    return None
                values.extend(v for v in listed if v not in values)
            return values
        return None

    def describe_content(self, p: _Pat) -> str:
        """Return what an attribute value must be, for messages."""
        values = self.content_values(p)
        if values is not None:
            return f"must be equal to {_or_list(_quote(v) for v in sorted(values))}"
        if p.kind == _DATA:
            return f"must be {p.info.describe()}"
        if p.kind == _LIST:
            return "must be a list of tokens"
        if p.kind == _CHOICE:
            described = [self.describe_content(item) for item in p.items]
            parts = {
                part.removeprefix("must be ") for part in described if part != "is not allowed"
            }
            return f"must be {_or_list(sorted(parts))}" if parts else "is not allowed"
        return "is not allowed"


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


class _Positions:
    """Where elements, end tags and runs of text are in the file, read with expat."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int]] = []
        self.ends: dict[int, tuple[int, int]] = {}
        self.texts: dict[tuple[str, int], tuple[int, int]] = {}

    @classmethod
    def read(cls, data: bytes, count: int) -> _Positions | None:
        """Return the positions in *data*, or None unless it holds exactly *count* elements."""
        positions = cls()
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        stack: list[int] = []
        slot: list[tuple[str, int]] = [("none", -1)]

        def start(_name: str, _attributes: dict[str, str]) -> None:
            index = len(positions.starts)
            positions.starts.append((parser.CurrentLineNumber, parser.CurrentColumnNumber + 1))
            stack.append(index)
            slot[0] = ("text", index)

        def end(_name: str) -> None:
            index = stack.pop()
            positions.ends[index] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
            slot[0] = ("tail", index)

        def characters(data: str) -> None:
            if slot[0] in positions.texts:
                return
            stripped = data.lstrip()
            if not stripped:
                return
            skipped = data[: len(data) - len(stripped)]
            line = parser.CurrentLineNumber + skipped.count("\n")
            if "\n" in skipped:
                column = len(skipped) - skipped.rfind("\n")
            else:
                column = parser.CurrentColumnNumber + len(skipped) + 1
            positions.texts[slot[0]] = (line, column)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = characters
        try:
            parser.Parse(data, True)
        except expat.ExpatError:
            return None
        return positions if len(positions.starts) == count else None


class Diagnoser:
    """Jing-like diagnostics for documents, from a flattened grammar (see the module doc)."""

    def __init__(self, grammar: etree._ElementTree) -> None:
        self._engine = _Engine(grammar)

    def diagnose(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the faults of *document*, Jing's way, in document order."""
        return _Walk(self._engine, document).run()


class _Walk:
    """One document's walk through the grammar."""

    def __init__(self, engine: _Engine, document: TeiDocument) -> None:
        self.engine = engine
        self.document = document
        self.elements = list(document.root.iter(tag=etree.Element))
        self.index = {id(element): number for number, element in enumerate(self.elements)}
        self.positions: _Positions | None = None
        # A DOCTYPE's internal subset may declare entities, which expat would expand (teikit's
        # loader does not): positions are then left to libxml2's lines.
        if document.path is not None and document.tree.docinfo.internalDTD is None:
            try:
                data = document.path.read_bytes()
            except OSError:
                data = b""
            if data:
                self.positions = _Positions.read(data, len(self.elements))
        self.found: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        engine = self.engine
        state = self.element(engine.start, self.document.root, None)
        del state
        self.found.sort(key=lambda d: (d.line or 0, d.column or 0))
        return self.found

    # -- positions

    def where(self, element: etree._Element) -> tuple[int | None, int | None]:
        line = element.sourceline if isinstance(element.sourceline, int) else None
        if self.positions is not None:
            start_line, column = self.positions.starts[self.index[id(element)]]
            return (line or start_line), (column if start_line == line else None)
        return line, None

    def where_end(self, element: etree._Element) -> tuple[int | None, int | None]:
        if self.positions is not None:
            found = self.positions.ends.get(self.index[id(element)])
            if found is not None:
                return found
        return self.where(element)

    def where_text(
        self, slot: tuple[str, int], parent: etree._Element
    ) -> tuple[int | None, int | None]:
        if self.positions is not None:
            found = self.positions.texts.get(slot)
            if found is not None:
                return found
        if slot[0] == "tail":
            return self.where(self.elements[slot[1]])
        return self.where(parent)

    def report(
        self, message: str, where: tuple[int | None, int | None], node: Any, names: _Names
    ) -> None:
        message += names.suffix()
        path = node.getroottree().getpath(node) if node is not None else None
        self.found.append(
            Diagnostic(Severity.ERROR, CODE, message, self.document.name, where[0], where[1], path)
        )

    # -- the walk

    def expected(self, p: _Pat, names: _Names) -> str:
        end, text, classes = self.engine.expected(p)
        parts = []
        if end:
            parts.append("the element end-tag")
        if text:
            parts.append("text")
        rendered = sorted({name for nc in classes for name in names.of_class(nc)})
        if rendered:
            parts.append(f"element {_or_list(rendered)}")
        return f"expected {_or_list(parts)}" if parts else "nothing more allowed"

    def element(self, p: _Pat, element: etree._Element, parent: etree._Element | None) -> _Pat:
        """Walk *element* from parent state *p*; return the parent's state after it."""
        engine = self.engine
        qname = _qname(element.tag)
        where = self.where(element)
        d = engine.start_open(p, qname)
        if d.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            inside = (
                f" in element {names.element(parent)}"
                if parent is not None
                else " as the root element"
            )
            recovered = engine.start_open(p, qname, recover=True)
            if recovered.kind != _NOT_ALLOWED:
                reason = self.missing(engine.required(p, _ELEMENT), "element", names)
                reason = reason or self.expected(p, names)
                self.report(f"{subject} not allowed yet{inside}; {reason}", where, element, names)
                d = recovered
            else:
                definitions = engine.elements_named(qname)
                allowed = "here" if definitions else "anywhere"
                reason = self.expected(p, names)
                self.report(
                    f"{subject} not allowed {allowed}{inside}; {reason}", where, element, names
                )
                if not definitions:
                    return p
                d = engine.after(engine.choice(*(engine.content(x) for x in definitions)), p)
        d = self.attributes(d, element, where)
        closed = engine.start_close(d)
        if closed.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            reason = self.missing(engine.required(d, _ATTRIBUTE), "attribute", names)
            if not reason:
                listed = sorted(
                    {n for a in engine.attributes(d) for n in names.of_class(a.info, False)}
                )
                reason = "missing one or more required attributes; expected attribute " + _or_list(
                    listed
                )
            self.report(f"{subject} {reason}", where, element, names)
            closed = engine.start_close(d, recover=True)
        d = self.children(closed, element)
        ended = engine.end_tag(d)
        if ended.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            content = engine.choice(
                *(
                    item.a
                    for item in (d.items if d.kind == _CHOICE else (d,))
                    if item.kind == _AFTER
                )
            )
            reason = self.missing(engine.required(content, _ELEMENT), "element", names)
            reason = reason or self.expected(d, names)
            self.report(f"{subject} incomplete; {reason}", self.where_end(element), element, names)
            ended = engine.end_tag(d, recover=True)
        return ended

    @staticmethod
    def missing(required: frozenset[_QName], what: str, names: _Names) -> str:
        """Return ``missing required element "x"`` (or attributes...), or "" for none."""
        if not required:
            return ""
        plural = "s" if len(required) > 1 else ""
        return f"missing required {what}{plural} " + _and_list(
            sorted(names.name(m, element=what == "element") for m in required)
        )

    def attributes(
        self, d: _Pat, element: etree._Element, where: tuple[int | None, int | None]
    ) -> _Pat:
        """Walk the attributes of *element*; report each one the state does not accept."""
        engine = self.engine
        for key, value in element.attrib.items():
            qname = _qname(str(key))
            after = engine.attribute(d, qname, str(value))
            if after.kind != _NOT_ALLOWED:
                d = after
                continue
            names = _Names(self.engine.tei)
            attribute = names.name(qname, element=False)
            name = names.element(element)
            candidates = engine.attributes(d)
            matching = [a for a in candidates if _contains(a.info, qname)]
            if matching:
                content = engine.choice(*(a.a for a in matching))
                message = (
                    f"value of attribute {attribute} of element {name} is invalid; "
                    f"{engine.describe_content(content)}"
                )
                # As Jing does: the attribute counts as given, so it is not also "missing".
                d = engine.attribute(d, qname, None)
            else:
                listed = sorted({n for a in candidates for n in names.of_class(a.info, False)})
                expected = (
                    f"expected attribute {_or_list(listed)}" if listed else "no more expected"
                )
                message = f"attribute {attribute} not allowed here on element {name}; {expected}"
            self.report(message, where, element, names)
        return d

    def children(self, d: _Pat, element: etree._Element) -> _Pat:
        """Walk the content of *element* from state *d*; return the state at its end tag."""
        engine = self.engine
        own = ("text", self.index[id(element)])
        if not any(isinstance(child.tag, str) for child in element):
            text = "".join(_texts(element))
            after = engine.text_deriv(d, text)
            if not text.strip():
                after = engine.choice(d, after)
                if engine.end_tag(after).kind != _NOT_ALLOWED or engine.plain(d):
                    return after  # complete, or an "incomplete" finding at the end tag
            elif after.kind != _NOT_ALLOWED:
                return after
            if not self.text_fault(d, text, own, element):
                return d
            return engine.completed(d)  # as Jing: the bad value counts as the content
        # Runs of text between child elements; whitespace-only runs are ignored (4.2).
        chunks: list[tuple[tuple[str, int], str]] = []
        slot, buffer = own, [element.text or ""]
        for child in element:
            if isinstance(child.tag, str):
                chunks.append((slot, "".join(buffer)))
                chunks.append((("element", self.index[id(child)]), ""))
                slot, buffer = ("tail", self.index[id(child)]), []
            elif isinstance(child, etree._Entity):
                buffer.append(child.text or "&")
            buffer.append(child.tail or "")
        chunks.append((slot, "".join(buffer)))
        for (kind, number), text in chunks:
            if kind == "element":
                d = self.element(d, self.elements[number], element)
            elif text.strip():
                after = engine.text_deriv(d, text)
                if after.kind == _NOT_ALLOWED:
                    self.text_fault(d, text, (kind, number), element)
                else:
                    d = after
        return d

    def text_fault(
        self, d: _Pat, text: str, slot: tuple[str, int], element: etree._Element
    ) -> bool:
        """Report text that state *d* does not accept; return whether it was a value."""
        engine = self.engine
        names = _Names(engine.tei)
        name = names.element(element)
        where = self.where_text(slot, element)
        if engine.plain(d):
            message = f"text not allowed here in element {name}; {self.expected(d, names)}"
            self.report(message, where, element, names)
            return False
        content = engine.choice(
            *(item.a for item in (d.items if d.kind == _CHOICE else (d,)) if item.kind == _AFTER)
        )
        reason = engine.describe_content(content)
        if reason == "is not allowed":
            reason = self.expected(d, names)
        self.report(f"character content of element {name} invalid; {reason}", where, element, names)
        return True


def _texts(element: etree._Element) -> list[str]:
    """Return the text of an element without element children (comments and PIs skipped)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child, etree._Entity):
            parts.append(child.text or "&")
        parts.append(child.tail or "")
    return parts

"""Building the patterns of a flattened grammar, interned, with the simplifications of
section 4.19 of the RELAX NG specification that keep the states small."""

from __future__ import annotations

from typing import Any

from lxml import etree

from teikit.namespaces import TEI_NS
from teikit.validation.rng_messages.patterns import (
    _AFTER,
    _ATTRIBUTE,
    _CHOICE,
    _DATA,
    _ELEMENT,
    _EMPTY,
    _GROUP,
    _INTERLEAVE,
    _LIST,
    _NOT_ALLOWED,
    _ONE_OR_MORE,
    _R,
    _TEXT,
    _VALUE,
    _contains,
    _Datatype,
    _name_class,
    _Pat,
    _QName,
)


class _Builder:
    """Patterns built lazily from a flattened grammar, interned (see :class:`_Engine`)."""

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

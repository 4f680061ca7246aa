"""What a RELAX NG grammar allows next: Clark's derivatives, tuned for completion.

The patterns of a flattened grammar (:meth:`teikit.validation.relaxng.RelaxNGSchema.flattened`)
are built lazily and interned, and each derivative is memoised, as in "An algorithm for
RELAX NG validation" (James Clark, 2002). Completion needs less than validation and must
never fail on a broken document, so this engine differs from the one of
:mod:`teikit.validation.rng_messages` (whose engine is private there; when it becomes public,
this module should give way to it):

* text is checked leniently: any ``data`` accepts any text (only ``value`` patterns compare),
  and text a state does not accept is skipped;
* the values of attributes typed before the cursor matter only through ``value`` patterns;
* :meth:`Engine.start_open` can recover (skip required content), so that the state after
  an element that was not allowed where it stands is still useful.

Size (issue 14): :class:`Engine` is about 390 lines, over the house's 300, because it is one
derivative function a pattern kind sharing the interning and memo tables; split, each part
would reach into the others' tables. It goes when the validation engine becomes public.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from lxml import etree

from teikit.namespaces import RNG_NS

_R: Final = f"{{{RNG_NS}}}"

# Name classes: ("name", ns, local), ("any", except), ("ns", uri, except), ("choice", a, b).
NameClass = tuple[Any, ...]
QName = tuple[str, str]

EMPTY: Final = "empty"
NOT_ALLOWED: Final = "notAllowed"
TEXT: Final = "text"
CHOICE: Final = "choice"
GROUP: Final = "group"
INTERLEAVE: Final = "interleave"
ONE_OR_MORE: Final = "oneOrMore"
AFTER: Final = "after"
ELEMENT: Final = "element"
ATTRIBUTE: Final = "attribute"
DATA: Final = "data"
VALUE: Final = "value"
LIST: Final = "list"


class Pat:
    """One interned pattern (compare with ``is``)."""

    __slots__ = ("a", "b", "info", "items", "kind", "nullable")

    def __init__(
        self,
        kind: str,
        a: Pat | None = None,
        b: Pat | None = None,
        info: Any = None,
        items: tuple[Pat, ...] = (),
    ) -> None:
        self.kind = kind
        self.a: Pat = self if a is None else a  # leaves point at themselves
        self.b: Pat = self if b is None else b
        self.info = info
        self.items = items
        if kind in (EMPTY, TEXT):
            self.nullable = True
        elif kind == CHOICE:
            self.nullable = any(item.nullable for item in items)
        elif kind in (GROUP, INTERLEAVE):
            self.nullable = self.a.nullable and self.b.nullable
        elif kind == ONE_OR_MORE:
            self.nullable = self.a.nullable
        else:
            self.nullable = False


def contains(nc: NameClass, qname: QName) -> bool:
    """Return whether name class *nc* matches *qname*."""
    kind = nc[0]
    if kind == "name":
        return (nc[1], nc[2]) == qname
    if kind == "any":
        return nc[1] is None or not contains(nc[1], qname)
    if kind == "ns":
        return bool(nc[1] == qname[0]) and (nc[2] is None or not contains(nc[2], qname))
    return contains(nc[1], qname) or contains(nc[2], qname)


class Engine:
    """Patterns built lazily from a flattened grammar, with memoised derivatives."""

    def __init__(self, grammar: etree._ElementTree) -> None:
        root = grammar.getroot()
        self._defines = {d.get("name", ""): d for d in root.iter(f"{_R}define")}
        self._interned: dict[tuple[Any, ...], Pat] = {}
        self._refs: dict[str, Pat] = {}
        self._contents: dict[int, Pat] = {}
        self._by_name: dict[QName, list[Pat]] | None = None
        self._memo: dict[tuple[Any, ...], Pat] = {}
        self._attributes: dict[int, tuple[Pat, ...]] = {}
        self._elements: dict[int, tuple[Pat, ...]] = {}
        self._named: dict[tuple[int, QName], tuple[Pat, ...]] = {}
        self._grammar = root
        self.empty = self._make(EMPTY)
        self.not_allowed = self._make(NOT_ALLOWED)
        self.text = self._make(TEXT)
        start = root.find(f"{_R}start")
        if start is None:
            raise ValueError("the flattened grammar has no start")
        self.start = self.pattern(list(start))

    def size(self) -> int:
        """Return how many patterns and derivatives are kept (for bounding memory)."""
        return len(self._interned) + len(self._memo)

    # -- construction

    def _make(
        self,
        kind: str,
        a: Pat | None = None,
        b: Pat | None = None,
        info: Any = None,
        items: tuple[Pat, ...] = (),
        key: tuple[Any, ...] = (),
    ) -> Pat:
        full = (kind, id(a), id(b), *key)
        found = self._interned.get(full)
        if found is None:
            found = self._interned[full] = Pat(kind, a, b, info, items)
        return found

    def choice(self, *patterns: Pat) -> Pat:
        members: dict[int, Pat] = {}
        for pattern in patterns:
            for item in pattern.items if pattern.kind == CHOICE else (pattern,):
                if item.kind != NOT_ALLOWED:
                    members.setdefault(id(item), item)
        if not members:
            return self.not_allowed
        if len(members) == 1:
            return next(iter(members.values()))
        ordered = tuple(sorted(members.values(), key=id))
        return self._make(CHOICE, items=ordered, key=tuple(id(m) for m in ordered))

    def _join(self, kind: str, a: Pat, b: Pat) -> Pat:
        if a.kind == NOT_ALLOWED or b.kind == NOT_ALLOWED:
            return self.not_allowed
        if a.kind == EMPTY:
            return b
        if b.kind == EMPTY:
            return a
        return self._make(kind, a, b)

    def group(self, a: Pat, b: Pat) -> Pat:
        return self._join(GROUP, a, b)

    def interleave(self, a: Pat, b: Pat) -> Pat:
        return self._join(INTERLEAVE, a, b)

    def after(self, a: Pat, b: Pat) -> Pat:
        if a.kind == NOT_ALLOWED or b.kind == NOT_ALLOWED:
            return self.not_allowed
        return self._make(AFTER, a, b)

    def one_or_more(self, a: Pat) -> Pat:
        return a if a.kind in (NOT_ALLOWED, EMPTY) else self._make(ONE_OR_MORE, a)

    def pattern(self, children: list[etree._Element]) -> Pat:
        """Return the pattern of RNG elements *children* (an implicit group)."""
        if len(children) != 1:
            return self._sequence(GROUP, children)
        node = children[0]
        kind = etree.QName(node).localname
        inner = list(node)
        if kind in (EMPTY, NOT_ALLOWED, TEXT):
            return {EMPTY: self.empty, NOT_ALLOWED: self.not_allowed, TEXT: self.text}[kind]
        if kind == "ref":
            return self._ref(node.get("name", ""))
        if kind in (GROUP, INTERLEAVE):
            return self._sequence(kind, inner)
        if kind == CHOICE:
            return self.choice(*(self.pattern([child]) for child in inner))
        if kind == "optional":
            return self.choice(self.pattern(inner), self.empty)
        if kind == "zeroOrMore":
            return self.choice(self.one_or_more(self.pattern(inner)), self.empty)
        if kind == ONE_OR_MORE:
            return self.one_or_more(self.pattern(inner))
        if kind == "mixed":
            return self.interleave(self.text, self.pattern(inner))
        if kind == LIST:
            return self._make(LIST, self.pattern(inner))
        if kind == ELEMENT:
            nc, _ = name_class(node)
            return self._make(ELEMENT, info=(nc, node), key=(id(node),))
        if kind == ATTRIBUTE:
            nc, rest = name_class(node)
            content = self.pattern(rest) if rest else self.text
            return self._make(ATTRIBUTE, content, info=(nc, node), key=(id(node),))
        if kind == DATA:
            return self._make(DATA, info=node.get("type", ""), key=(node.get("type", ""),))
        if kind == VALUE:
            info = (node.get("type", "token"), node.text or "")
            return self._make(VALUE, info=info, key=info)
        raise ValueError(f"unexpected RELAX NG pattern {kind!r}")

    def _sequence(self, kind: str, children: list[etree._Element]) -> Pat:
        result = self.empty
        for child in children:
            result = self._join(kind, result, self.pattern([child]))
        return result

    def _ref(self, name: str) -> Pat:
        found = self._refs.get(name)
        if found is None:
            found = self._refs[name] = self.pattern(list(self._defines[name]))
        return found

    def content(self, element: Pat) -> Pat:
        """Return the content pattern of an element pattern (built on first use)."""
        node = element.info[1]
        found = self._contents.get(id(node))
        if found is None:
            _, rest = name_class(node)
            found = self._contents[id(node)] = self.pattern(rest)
        return found

    def elements_named(self, qname: QName) -> list[Pat]:
        """Return every element pattern of the grammar whose name class matches *qname*."""
        if self._by_name is None:
            self._by_name = {}
            for node in self._grammar.iter(f"{_R}element"):
                nc, _ = name_class(node)
                pattern = self._make(ELEMENT, info=(nc, node), key=(id(node),))
                key = (nc[1], nc[2]) if nc[0] == "name" else ("*", "*")
                self._by_name.setdefault(key, []).append(pattern)
        wild = [p for p in self._by_name.get(("*", "*"), []) if contains(p.info[0], qname)]
        return self._by_name.get(qname, []) + wild

    # -- derivatives

    def _apply_after(self, function: Callable[[Pat], Pat], p: Pat) -> Pat:
        if p.kind == CHOICE:
            return self.choice(*(self._apply_after(function, item) for item in p.items))
        if p.kind == AFTER:
            return self.after(p.a, function(p.b))
        return self.not_allowed

    def start_open(self, p: Pat, qname: QName, recover: bool = False) -> Pat:
        """Return the derivative for a start tag; *recover* lets required content be skipped."""
        key = ("open", id(p), qname, recover)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = self.not_allowed
        if kind == CHOICE:
            result = self.choice(*(self.start_open(item, qname, recover) for item in p.items))
        elif kind == ELEMENT:
            if contains(p.info[0], qname):
                result = self.after(self.content(p), self.empty)
        elif kind == INTERLEAVE:
            result = self.choice(
                self._apply_after(
                    lambda x: self.interleave(x, b), self.start_open(a, qname, recover)
                ),
                self._apply_after(
                    lambda x: self.interleave(a, x), self.start_open(b, qname, recover)
                ),
            )
        elif kind == ONE_OR_MORE:
            rest = self.choice(p, self.empty)
            result = self._apply_after(
                lambda x: self.group(x, rest), self.start_open(a, qname, recover)
            )
        elif kind == GROUP:
            result = self._apply_after(
                lambda x: self.group(x, b), self.start_open(a, qname, recover)
            )
            if a.nullable or recover:
                result = self.choice(result, self.start_open(b, qname, recover))
        elif kind == AFTER:
            result = self._apply_after(
                lambda x: self.after(x, b), self.start_open(a, qname, recover)
            )
        self._memo[key] = result
        return result

    def attribute(self, p: Pat, qname: QName, value: str | None) -> Pat:
        """Return the derivative for an attribute; a value of None matches any value."""
        key = (id(p), qname)
        named = self._named.get(key)
        if named is None:
            named = self._named[key] = tuple(
                leaf for leaf in self.attributes(p) if contains(leaf.info[0], qname)
            )
        accepted = frozenset(
            id(leaf) for leaf in named if value is None or self._takes(leaf.a, value)
        )
        return self._attribute(p, accepted) if accepted else self.not_allowed

    def _attribute(self, p: Pat, accepted: frozenset[int]) -> Pat:
        key = ("attribute", id(p), accepted)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = self.not_allowed
        if kind == AFTER:
            result = self.after(self._attribute(a, accepted), b)
        elif kind == CHOICE:
            result = self.choice(*(self._attribute(item, accepted) for item in p.items))
        elif kind in (GROUP, INTERLEAVE):
            result = self.choice(
                self._join(kind, self._attribute(a, accepted), b),
                self._join(kind, a, self._attribute(b, accepted)),
            )
        elif kind == ONE_OR_MORE:
            result = self.group(self._attribute(a, accepted), self.choice(p, self.empty))
        elif kind == ATTRIBUTE and id(p) in accepted:
            result = self.empty
        self._memo[key] = result
        return result

    def _takes(self, p: Pat, value: str) -> bool:
        """Return whether content pattern *p* may take *value* (data takes anything)."""
        return (p.nullable and not value.strip()) or self.text_deriv(p, value).nullable

    def start_close(self, p: Pat, recover: bool = False) -> Pat:
        """Return *p* once the start tag ends; *recover* treats missing attributes as given."""
        key = ("close", id(p), recover)
        found = self._memo.get(key)
        if found is not None:
            return found
        kind, a, b = p.kind, p.a, p.b
        result = p
        if kind == AFTER:
            result = self.after(self.start_close(a, recover), b)
        elif kind == CHOICE:
            result = self.choice(*(self.start_close(item, recover) for item in p.items))
        elif kind in (GROUP, INTERLEAVE):
            result = self._join(kind, self.start_close(a, recover), self.start_close(b, recover))
        elif kind == ONE_OR_MORE:
            result = self.one_or_more(self.start_close(a, recover))
        elif kind == ATTRIBUTE:
            result = self.empty if recover else self.not_allowed
        self._memo[key] = result
        return result

    def text_deriv(self, p: Pat, text: str) -> Pat:
        """Return the derivative for a run of text (data patterns take any text)."""
        kind, a, b = p.kind, p.a, p.b
        if kind == VALUE:
            same = text.split() == p.info[1].split()
            return self.empty if same else self.not_allowed
        if kind == LIST:
            state = a
            for token in text.split():
                state = self.text_deriv(state, token)
            return self.empty if state.nullable else self.not_allowed
        key = ("text", id(p), text if self._has_values(p) else None)
        found = self._memo.get(key)
        if found is not None:
            return found
        if kind == CHOICE:
            result = self.choice(*(self.text_deriv(item, text) for item in p.items))
        elif kind == INTERLEAVE:
            result = self.choice(
                self.interleave(self.text_deriv(a, text), b),
                self.interleave(a, self.text_deriv(b, text)),
            )
        elif kind == GROUP:
            result = self.group(self.text_deriv(a, text), b)
            if a.nullable:
                result = self.choice(result, self.text_deriv(b, text))
        elif kind == AFTER:
            result = self.after(self.text_deriv(a, text), b)
        elif kind == ONE_OR_MORE:
            result = self.group(self.text_deriv(a, text), self.choice(p, self.empty))
        elif kind == TEXT:
            result = p
        elif kind == DATA:
            result = self.empty
        else:
            result = self.not_allowed
        self._memo[key] = result
        return result

    def _has_values(self, p: Pat) -> bool:
        """Return whether the text derivative of *p* may depend on the text (value, list)."""
        key = ("values", id(p))
        found = self._memo.get(key)
        if found is None:
            todo, seen, has = [p], set(), False
            while todo and not has:
                q = todo.pop()
                if id(q) in seen:
                    continue
                seen.add(id(q))
                if q.kind in (VALUE, LIST):
                    has = True
                elif q.kind == CHOICE:
                    todo.extend(q.items)
                elif q.kind in (GROUP, INTERLEAVE):
                    todo.extend((q.a, q.b))
                elif q.kind in (AFTER, ONE_OR_MORE):
                    todo.append(q.a)
            found = self._memo[key] = self.empty if has else self.not_allowed
        return found is self.empty

    def end_tag(self, p: Pat, recover: bool = False) -> Pat:
        """Return the state after the end tag; *recover* takes the content as complete."""
        if p.kind == CHOICE:
            return self.choice(*(self.end_tag(item, recover) for item in p.items))
        if p.kind == AFTER:
            return p.b if (recover or p.a.nullable) else self.not_allowed
        return self.not_allowed

    # -- what a state allows next

    def _leaves(self, p: Pat, kind: str) -> tuple[Pat, ...]:
        """Return the element or attribute patterns that may come next in state *p*."""
        cache = self._elements if kind == ELEMENT else self._attributes
        cached = cache.get(id(p))
        if cached is not None:
            return cached
        found: list[Pat] = []
        seen: set[int] = set()
        todo = [p]
        while todo:
            q = todo.pop()
            if id(q) in seen:
                continue
            seen.add(id(q))
            if q.kind == CHOICE:
                todo.extend(q.items)
            elif q.kind in (AFTER, ONE_OR_MORE):
                todo.append(q.a)
            elif q.kind == INTERLEAVE or (q.kind == GROUP and kind == ATTRIBUTE):
                todo.extend((q.b, q.a))
            elif q.kind == GROUP:
                todo.extend((q.b, q.a) if q.a.nullable else (q.a,))
            elif q.kind == kind:
                found.append(q)
        result = cache[id(p)] = tuple(found)
        return result

    def elements(self, p: Pat) -> tuple[Pat, ...]:
        """Return the element patterns a start tag may match next in state *p*."""
        return self._leaves(p, ELEMENT)

    def attributes(self, p: Pat) -> tuple[Pat, ...]:
        """Return the attribute patterns that may still match in state *p*."""
        return self._leaves(p, ATTRIBUTE)

    def closed_values(self, p: Pat) -> tuple[list[str], bool] | None:
        """Return the values an attribute content allows and whether they form a list.

        None when the content is open (data, text): only ``value`` patterns, in choices,
        groups or a ``list``, make a closed list.
        """
        is_list = p.kind == LIST
        values: list[str] = []
        todo = [p.a if is_list else p]
        while todo:
            q = todo.pop()
            if q.kind == VALUE:
                if q.info[1] not in values:
                    values.append(q.info[1])
            elif q.kind == CHOICE:
                todo.extend(reversed(q.items))
            elif is_list and q.kind in (GROUP, INTERLEAVE):
                todo.extend((q.b, q.a))
            elif is_list and q.kind == ONE_OR_MORE:
                todo.append(q.a)
            elif q.kind != EMPTY:
                return None
        return values, is_list


def name_class(node: etree._Element) -> tuple[NameClass, list[etree._Element]]:
    """Return the name class of an element or attribute pattern and its other children."""
    children = list(node)
    name = node.get("name")
    if name is not None:
        return ("name", node.get("ns", ""), name), children
    return _parse_class(children[0]), children[1:]


def _parse_class(node: etree._Element) -> NameClass:
    kind = etree.QName(node).localname
    children = list(node)
    if kind == "name":
        return ("name", node.get("ns", ""), (node.text or "").strip())
    if kind == "choice":
        result = _parse_class(children[0])
        for child in children[1:]:
            result = ("choice", result, _parse_class(child))
        return result
    exclude = None
    if children:  # an except clause: one name class, or a choice of them
        exclude = _parse_class(children[0][0])
        for child in list(children[0])[1:]:
            exclude = ("choice", exclude, _parse_class(child))
    if kind == "anyName":
        return ("any", exclude)
    return ("ns", node.get("ns", ""), exclude)

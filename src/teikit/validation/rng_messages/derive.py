"""The derivatives of James Clark's algorithm, memoised, and what a state expects."""

from __future__ import annotations

from collections.abc import Callable

from teikit.validation.rng_messages.build import _Builder
from teikit.validation.rng_messages.patterns import (
    _AFTER,
    _ATTRIBUTE,
    _CHOICE,
    _DATA,
    _ELEMENT,
    _GROUP,
    _INTERLEAVE,
    _LIST,
    _ONE_OR_MORE,
    _TEXT,
    _VALUE,
    _contains,
    _NameClass,
    _or_list,
    _Pat,
    _QName,
    _quote,
    _value_equal,
)


class _Engine(_Builder):
    """Patterns built lazily from a flattened grammar, with memoised derivatives."""

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

"""Specialising a flat grammar to a vocabulary, simplified (sections 4.19 and 4.20)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from lxml import etree

from teikit.errors import SchemaLoadError
from teikit.validation.specialize.common import _NSMAP, _R, _Kind, _local, _Result, _where
from teikit.validation.specialize.flatten import flatten_relaxng


def vocabulary_of(root: etree._Element) -> set[str]:
    """Return the Clark names (``{ns}local``) of all elements below and including *root*.

    >>> sorted(vocabulary_of(etree.fromstring(b'<a xmlns="urn:x"><!-- c --><b/></a>')))
    ['{urn:x}a', '{urn:x}b']
    """
    return {element.tag for element in root.iter(tag=etree.Element)}


def attributes_of(root: etree._Element) -> set[str]:
    """Return the Clark names of all attributes of *root* and the elements below it.

    >>> sorted(attributes_of(etree.fromstring(b'<a n="1" xml:id="x"><b rend="i"/></a>')))
    ['n', 'rend', '{http://www.w3.org/XML/1998/namespace}id']
    """
    return {str(name) for element in root.iter(tag=etree.Element) for name in element.attrib}


def specialize_relaxng(
    schema: etree._ElementTree,
    vocabulary: frozenset[str],
    attributes: frozenset[str] | None = None,
) -> etree._ElementTree:
    """Return a new grammar that gives *schema*'s verdict on documents using only *vocabulary*.

    *vocabulary* holds Clark names (see :func:`vocabulary_of`). With *attributes* (the Clark
    names of every attribute the documents use, see :func:`attributes_of`), an optional
    attribute whose name is not among them is dropped too. *schema* is not modified.

    :raises SchemaLoadError: see :func:`flatten_relaxng`.

    >>> rng = etree.ElementTree(etree.fromstring(
    ...     '<element name="a" xmlns="http://relaxng.org/ns/structure/1.0">'
    ...     '<zeroOrMore><choice><element name="b"><empty/></element>'
    ...     '<element name="c"><empty/></element></choice></zeroOrMore></element>'))
    >>> grammar = specialize_relaxng(rng, frozenset({"a", "b"}))
    >>> [element.get("name") for element in grammar.iter("{*}element")]
    ['a', 'b']
    """
    flat, _ = flatten_relaxng(schema)
    return specialize_flattened(flat, vocabulary, attributes)


def specialize_flattened(
    flat: etree._ElementTree,
    vocabulary: frozenset[str],
    attributes: frozenset[str] | None = None,
    *,
    source: str | None = None,
) -> etree._ElementTree:
    """Return :func:`specialize_relaxng` of a grammar that :func:`flatten_relaxng` returned.

    *source* names the schema in error messages.

    :raises SchemaLoadError: a define refers to itself outside an element, or defines
        refer to one another in a chain too long to follow (hundreds of defines).
    """
    try:
        return _Specializer(flat.getroot(), vocabulary, attributes).run()
    except RecursionError:
        name = source or flat.docinfo.URL or "<schema>"
        raise SchemaLoadError(
            f"{name}: defines refer to one another in a chain too long to follow "
            "(hundreds of defines, each referring to the next outside an element): refused"
        ) from None


# --------------------------------------------------------------------------- specialising


def _clark(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}" if ns else local


def _concrete_name(element: etree._Element) -> str | None:
    """Return the Clark name of an element or attribute pattern with one concrete name."""
    if element.get("name") is not None:
        return _clark(element.get("ns", ""), element.get("name", ""))
    first = element[0] if len(element) else None
    if first is not None and _local(first) == "name":
        return _clark(first.get("ns", ""), first.text or "")
    return None  # anyName, nsName or a choice of names: it may match a present name


def _new(kind: str, children: Iterable[etree._Element] = (), **attributes: str) -> etree._Element:
    element = etree.Element(f"{_R}{kind}", nsmap=_NSMAP)
    for key, value in attributes.items():
        if value:
            element.set(key, value)
    element.extend(children)
    return element


def _emit(result: _Result) -> etree._Element:
    """Return *result* as an element (the sentinels become ``notAllowed``/``empty``)."""
    return _new(result.value) if isinstance(result, _Kind) else result


class _Specializer:
    """Rewrite a flattened grammar for one vocabulary (sections 4.19 and 4.20)."""

    def __init__(
        self,
        grammar: etree._Element,
        vocabulary: frozenset[str],
        attributes: frozenset[str] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.attributes = attributes
        self.bodies = {d.get("name", ""): d[0] for d in grammar.iterchildren(f"{_R}define")}
        start = grammar.find(f"{_R}start")
        assert start is not None
        self.start = start[0]
        self.results: dict[str, _Result] = {}
        self.pending: set[str] = set()
        # Element contents are simplified after the defines they sit in, so that the
        # recursion through refs never loops (a ref cycle must pass through an element).
        self.deferred: list[tuple[etree._Element, list[etree._Element]]] = []

    def run(self) -> etree._ElementTree:
        """Return the specialised grammar."""
        start = self.simplify(self.start)
        while self.deferred:
            shell, content = self.deferred.pop()
            result = self.simplify_group(content, "group")
            if isinstance(result, etree._Element) and result.tag == f"{_R}group":
                shell.extend(list(result))  # an element's children are an implicit group
            else:
                shell.append(_emit(result))
        grammar = _new("grammar", [_new("start", [_emit(start)])])
        # Keep the defines still referenced from the result (4.19: unreachable ones go).
        todo = [grammar]
        seen: set[str] = set()
        while todo:
            for ref in todo.pop().iter(f"{_R}ref"):
                name = ref.get("name", "")
                if name not in seen:
                    seen.add(name)
                    body = self.results[name]
                    assert isinstance(body, etree._Element)
                    todo.append(body)
        for name in self.bodies:
            if name in seen:
                body = self.results[name]
                assert isinstance(body, etree._Element)
                if body.tag == f"{_R}group":
                    grammar.append(_new("define", list(body), name=name))
                else:
                    grammar.append(_new("define", [body], name=name))
        _drop_redundant_list_patterns(grammar)
        return etree.ElementTree(grammar)

    def define(self, name: str) -> _Result:
        """Return the simplified body of define *name* (memoised)."""
        if name in self.results:
            return self.results[name]
        if name in self.pending:
            raise SchemaLoadError(f"define {name!r} refers to itself outside an element")
        self.pending.add(name)
        result = self.simplify(self.bodies[name])
        self.pending.discard(name)
        self.results[name] = result
        return result

    def simplify_group(self, children: list[etree._Element], kind: str) -> _Result:
        """Simplify a group or interleave: notAllowed wins, empty members are dropped."""
        members: list[etree._Element] = []
        for child in children:
            result = self.simplify(child)
            if result is _Kind.NOT_ALLOWED:
                return result
            if isinstance(result, etree._Element):
                # libxml2 rejects valid documents when <empty/> is left inside a group.
                if result.tag == f"{_R}{kind}":
                    members.extend(list(result))
                else:
                    members.append(result)
        if not members:
            return _Kind.EMPTY
        return members[0] if len(members) == 1 else _new(kind, members)

    def simplify_choice(self, children: list[etree._Element]) -> _Result:
        """Simplify a choice: notAllowed branches go; an empty branch makes it optional."""
        branches: list[etree._Element] = []
        has_empty = False
        for child in children:
            result = self.simplify(child)
            if result is _Kind.EMPTY:
                has_empty = True
            elif isinstance(result, etree._Element):
                if result.tag == f"{_R}choice":
                    branches.extend(list(result))
                else:
                    branches.append(result)
        # A | A is A: the same define twice is kept once (issue 17: libxml2 copies the
        # define into each branch, and defines that choose between two refs to the next
        # one, level after level, double its work at each level).
        seen_refs: set[str] = set()
        unique: list[etree._Element] = []
        for branch in branches:
            if branch.tag == f"{_R}ref":
                if branch.get("name", "") in seen_refs:
                    continue
                seen_refs.add(branch.get("name", ""))
            unique.append(branch)
        branches = unique
        if not branches:
            return _Kind.EMPTY if has_empty else _Kind.NOT_ALLOWED
        inner = branches[0] if len(branches) == 1 else _new("choice", branches)
        if not has_empty:
            return inner
        if inner.tag in (f"{_R}optional", f"{_R}zeroOrMore"):
            return inner
        if inner.tag == f"{_R}oneOrMore":
            return _new("zeroOrMore", list(inner))
        return _new("optional", [inner])

    def simplify(self, pattern: etree._Element) -> _Result:  # noqa: C901 - one case per pattern
        """Return the simplified copy of *pattern*, or a sentinel."""
        kind = _local(pattern)
        children = list(pattern)
        if kind == "notAllowed":
            return _Kind.NOT_ALLOWED
        if kind == "empty":
            return _Kind.EMPTY
        if kind == "ref":
            name = pattern.get("name", "")
            result = self.define(name)
            return result if isinstance(result, _Kind) else _new("ref", name=name)
        if kind == "element":
            concrete = _concrete_name(pattern)
            if concrete is not None and concrete not in self.vocabulary:
                return _Kind.NOT_ALLOWED
            shell = _new("element")
            _copy_name(pattern, shell)
            if pattern.get("name") is None:
                shell.append(_copy(children[0]))
                children = children[1:]
            self.deferred.append((shell, children))
            return shell
        if kind in ("group", "interleave"):
            return self.simplify_group(children, kind)
        if kind == "choice":
            return self.simplify_choice(children)
        if kind in ("optional", "zeroOrMore") and self._absent_attribute(children):
            # Can only ever match nothing in these documents: as if it were not there. Only
            # an optional attribute is dropped: a required one stays, so that a document
            # that lacks it gets libxml2's own message about the attribute.
            return _Kind.EMPTY
        if kind in ("optional", "zeroOrMore", "oneOrMore", "mixed", "list"):
            result = self.simplify_group(children, "group")
            if result is _Kind.NOT_ALLOWED:
                return _Kind.EMPTY if kind in ("optional", "zeroOrMore") else result
            if result is _Kind.EMPTY:
                if kind == "mixed":
                    return _new("text")
                return _new("list", [_new("empty")]) if kind == "list" else result
            return _new(kind, [result])
        if kind == "attribute":
            attribute = _new("attribute")
            _copy_name(pattern, attribute)
            if pattern.get("name") is None:
                attribute.append(_copy(children[0]))
                children = children[1:]
            result = self.simplify_group(children, "group") if children else _new("text")
            if result is _Kind.NOT_ALLOWED:
                return result
            attribute.append(_emit(result))
            return attribute
        if kind == "data":
            data = _copy_shallow(pattern)
            for child in children:
                if _local(child) == "param":
                    data.append(_copy(child))
                else:  # except: dropped when it excludes nothing (4.19)
                    result = self.simplify_choice(list(child))
                    if result is not _Kind.NOT_ALLOWED:
                        data.append(_new("except", [_emit(result)]))
            return data
        if kind in ("text", "value"):
            return _copy(pattern)
        raise SchemaLoadError(f"{_where(pattern)}: unexpected {kind or pattern.tag} in a pattern")

    def _absent_attribute(self, children: list[etree._Element]) -> bool:
        """Return whether *children* are one attribute pattern named by no document."""
        if self.attributes is None or len(children) != 1 or _local(children[0]) != "attribute":
            return False
        name = _concrete_name(children[0])
        return name is not None and name not in self.attributes


# A pattern facet that every token of a list matches: list tokens are never empty and hold
# no whitespace (section 6.2.9), and a whitespace facet leaves them as they are.
_TOKEN_PATTERNS: Final = frozenset({r"\S+", r"[^\s]+"})


def _drop_redundant_list_patterns(grammar: etree._Element) -> None:
    """Remove ``pattern`` facets that can never fail on a list token.

    TEI writes ``teidata.pointer`` as anyURI with the pattern ``\\S+``; inside
    ``<list>`` (``@ref``, ``@target``, ``@corresp``...) libxml2 would run that regular
    expression on every token. Only data patterns inside a list in the grammar's own tree
    are changed (a define reached through a ``ref`` may be used outside lists too).

    >>> g = etree.fromstring(
    ...     '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><list><data type="anyURI">'
    ...     r'<param name="pattern">\\S+</param></data></list></start></grammar>')
    >>> _drop_redundant_list_patterns(g)
    >>> len(g.findall(".//{*}param"))
    0
    """
    for container in grammar.iter(f"{_R}list"):
        for param in list(container.iter(f"{_R}param")):
            if param.get("name") == "pattern" and (param.text or "") in _TOKEN_PATTERNS:
                parent = param.getparent()
                assert parent is not None
                parent.remove(param)


def _copy_name(pattern: etree._Element, target: etree._Element) -> None:
    """Copy the ``name`` and ``ns`` attributes of an element or attribute pattern."""
    if pattern.get("name") is not None:
        target.set("name", pattern.get("name", ""))
        # Always written, even when empty: an ns attribute is inherited by descendants.
        target.set("ns", pattern.get("ns", ""))


def _copy(element: etree._Element) -> etree._Element:
    """Return a deep copy that keeps the in-scope namespaces (QName values need them)."""
    namespaces: dict[Any, str] = _NSMAP
    if _local(element) == "value" and element.get("type") in ("QName", "NOTATION"):
        namespaces = {}
        namespaces.update(element.nsmap)
    copy = _copy_shallow(element, namespaces)
    copy.text = element.text
    copy.extend(_copy(child) for child in element)
    return copy


def _copy_shallow(element: etree._Element, namespaces: dict[Any, str] = _NSMAP) -> etree._Element:
    """Return a copy of *element* without its children.

    ``ns`` and ``datatypeLibrary`` are kept even when empty: both are inherited, and the
    copy may end up below an element pattern that has one.
    """
    copy = etree.Element(element.tag, nsmap=namespaces)
    for key, value in element.attrib.items():
        copy.set(key, value)
    return copy

"""Specialise a RELAX NG grammar to the element vocabulary of the documents it will check.

An ``element`` pattern whose (single, concrete) name occurs in none of the documents can
never match any of their elements, so replacing it by ``notAllowed`` changes no verdict.
The grammar is then simplified with the rules of the RELAX NG specification (section 4.19
for ``notAllowed``, 4.20 for ``empty``) until no ``notAllowed`` is left except as the whole
content of a ``start`` or ``element``: libxml2 compiles a few hundred elements of TEI All
in milliseconds instead of all 594 in seconds, and builds its automata only when no
``notAllowed`` is left inside choices (issue: ``teikit validate`` must match Jing's verdicts
and be faster than Jing).

Before that, :func:`flatten_relaxng` turns the schema into one self-contained grammar:
annotations dropped, ``include``/``externalRef`` inlined (only files inside the schema's own
folder), ``div`` removed, ``combine`` merged, nested grammars hoisted, and the namespace of
every name and the datatype library of every ``data``/``value`` written out, so that patterns
can be moved and rebuilt without changing their meaning (specification sections 4.1-4.18).

Inlining is bounded (issue 17): a file that ``externalRef`` reaches from several places is
read once and becomes one shared define, when it cannot see the grammar around it (no
``parentRef``, no ``ref`` outside a grammar of its own); everything else is copied, and a
schema whose copies add up to more than :data:`MAX_PATTERNS` patterns, or whose files
include each other more than :data:`MAX_INCLUDE_DEPTH` deep, is refused. A "diamond" of
21 files, each including the next twice, would otherwise expand to a million copies.
:func:`check_expansion` applies the same bound, without sharing, for engines that read
the schema themselves (Jing).

libxml2 copies the body of a define into every place that refers to it, unless the body
is an element pattern, so a grammar of a few dozen patterns whose defines each refer to the
next one twice takes it minutes to compile. :func:`check_grammar_size` measures what
libxml2 will build and refuses more than :data:`MAX_CONTENT_PATTERNS` patterns in one
element's content (TEI All needs at most 900) or :data:`MAX_EXPANDED_PATTERNS` in all.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from teikit.document import make_parser
from teikit.errors import FileRefusedError, SchemaLoadError, TeikitError
from teikit.namespaces import RNG_NS, XML_NS
from teikit.sources import ReadPolicy, read_policy, read_regular_file

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "MAX_PATTERNS",
    "MAX_CONTENT_PATTERNS",
    "MAX_EXPANDED_PATTERNS",
    "MAX_READS",
    "attributes_of",
    "check_expansion",
    "check_grammar_size",
    "flatten_relaxng",
    "specialize_flattened",
    "specialize_relaxng",
    "vocabulary_of",
]

_R: Final = f"{{{RNG_NS}}}"
_NSMAP: Final[dict[Any, str]] = {None: RNG_NS}  # lxml-stubs do not allow the None key
# Elements whose text is data: whitespace in them is significant (4.2 strips only names).
_TEXT_ELEMENTS: Final = frozenset({"value", "param", "name"})
#: Patterns (elements) a schema may expand to through include and externalRef: four times
#: the largest schema of the TEI sources (24,000; TEI All has 16,000 in one file). Jing takes
#: some 15 s for a diamond of includes this large.
MAX_PATTERNS: Final = 100_000
#: Files that may include one another in a chain (include or externalRef).
MAX_INCLUDE_DEPTH: Final = 50
#: Times included files may be read in all (a file included from two places counts twice).
MAX_READS: Final = 2_000
#: Patterns libxml2 may build for the content of one element (or ``start``), refs to defines
#: that are not element patterns expanded; and for the whole grammar (TEI All: 900, 201,000).
MAX_CONTENT_PATTERNS: Final = 25_000
MAX_EXPANDED_PATTERNS: Final = 1_000_000


class _Kind(enum.Enum):
    """The two patterns that simplification removes from their parents."""

    NOT_ALLOWED = "notAllowed"
    EMPTY = "empty"


_Result = etree._Element | _Kind


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


def flatten_relaxng(schema: etree._ElementTree) -> tuple[etree._ElementTree, tuple[Path, ...]]:
    """Return *schema* as one self-contained grammar and the files it included.

    ``include`` and ``externalRef`` are inlined only when they point to a file inside the
    folder of the schema itself (``schema.docinfo.URL``); anything else is refused.

    :raises SchemaLoadError: a reference is refused, missing or malformed, or the grammar
        breaks a rule of the specification that flattening depends on.
    """
    url = schema.docinfo.URL
    folder = _url_to_path(url).parent if url else None
    flattener = _Flattener(folder, url or "<schema>")
    try:
        root = flattener.prepare_document(schema.getroot(), "", url)
        return flattener.flatten(root), tuple(flattener.sources)
    except RecursionError:
        raise SchemaLoadError(
            f"{url or '<schema>'}: patterns nested too deeply to flatten"
        ) from None


def read_schema_file(path: Path) -> bytes:
    """Return the bytes of the schema file *path*: a regular file (a link is followed), never
    a FIFO, a device or a file in ``/proc``, within the size limit.

    :raises SchemaLoadError: the file is not a regular file (a FIFO named by an ``include``
        hung the run, also under Jing, and ``/dev/zero`` filled the memory), too large, or
        in an encoding teikit refuses (UTF-7).
    :raises OSError: the file is missing or cannot be read.
    """
    policy = ReadPolicy(follow_symlinks=True, max_file_size=read_policy().max_file_size)
    try:
        data = read_regular_file(path, policy)
    except FileRefusedError as exc:
        raise SchemaLoadError(str(exc)) from None
    except TeikitError as exc:  # missing: what the callers expect of a file they cannot read
        raise OSError(str(exc)) from None
    from teikit.encodings import refusal

    why = refusal(data)
    if why is not None:  # a schema is input too: UTF-7 could hide markup in it (issue 17)
        raise SchemaLoadError(f"{path}: {why}")
    return data


def check_expansion(path: Path) -> int:
    """Return how many patterns the schema at *path* has with every include inlined.

    Each file is read once; the count is what inlining every ``include`` and
    ``externalRef`` copy would produce (what Jing does), so a diamond of includes is
    measured without being expanded. Files that cannot be read count as empty (the engine
    reports them).

    :raises SchemaLoadError: the count exceeds :data:`MAX_PATTERNS`.
    """
    start = Path(path).resolve()
    own: dict[Path, int] = {}
    edges: dict[Path, list[Path]] = {}
    todo = [start]
    while todo:  # read every file once
        current = todo.pop()
        if current in own:
            continue
        own[current], edges[current] = 0, []
        try:
            data = read_schema_file(current)
            root = etree.fromstring(data, make_parser()[0], base_url=str(current))
        except (OSError, etree.XMLSyntaxError):
            continue
        own[current] = sum(1 for _ in root.iter())
        for reference in root.iter(f"{_R}include", f"{_R}externalRef"):
            href = (reference.get("href") or "").strip()
            base = reference.base or str(current)
            if not href or urlsplit(urljoin(base, href)).scheme not in ("", "file"):
                continue
            try:
                target = _url_to_path(urljoin(base, href))
            except SchemaLoadError:
                continue
            edges[current].append(target)
            todo.append(target)
    # Sizes in reverse topological order; a cycle counts once (the engine refuses it).
    total = _expanded_sizes([start], own, edges)[start]
    if total > MAX_PATTERNS:  # no file reached from the start counts more than the start
        raise SchemaLoadError(_too_large(str(path)))
    return total


_Node = TypeVar("_Node", bound=Hashable)
_SIZE_CAP: Final = 1 << 62  # sizes stop growing here: a blown-up schema is refused anyway


def _expanded_sizes(
    roots: Iterable[_Node], own: Mapping[_Node, int], edges: Mapping[_Node, Sequence[_Node]]
) -> dict[_Node, int]:
    """Return the size of every node reached from *roots* with its edges expanded: its own
    size plus the expanded sizes of its targets, each counted as often as it is referred to.

    Children are sized before their parents, without recursion; an edge back into the path
    being walked (a cycle) counts nothing, so no node counts more than a root it is reached
    from. Sizes stop at :data:`_SIZE_CAP`.

    >>> sizes = _expanded_sizes(["a"], {"a": 1, "b": 2}, {"a": ["b", "b"], "b": ["a"]})
    >>> sizes["a"], sizes["b"]
    (5, 2)
    """
    size: dict[_Node, int] = {}
    for root in roots:
        if root in size:
            continue
        stack: list[tuple[_Node, int]] = [(root, 0)]
        active = {root}
        while stack:
            node, index = stack[-1]
            targets = edges[node]
            if index < len(targets):
                stack[-1] = (node, index + 1)
                target = targets[index]
                if target not in size and target not in active:
                    stack.append((target, 0))
                    active.add(target)
                continue
            stack.pop()
            active.discard(node)
            size[node] = min(own[node] + sum(size.get(t, 0) for t in targets), _SIZE_CAP)
    return size


def _too_large(schema: str) -> str:
    return (
        f"{schema}: the schema expands to more than {MAX_PATTERNS:,} patterns through include "
        "and externalRef (files included over and over, as in a diamond of includes): refused"
    )


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


def check_grammar_size(grammar: etree._ElementTree, schema: str = "<schema>") -> int:
    """Return how many patterns libxml2 builds for a flat *grammar* (refs expanded).

    Only a ``ref`` to a define whose body is one element pattern stays a reference in
    libxml2; every other ``ref`` counts the patterns of its define again.

    :raises SchemaLoadError: the content of one element (or ``start``) expands to more than
        :data:`MAX_CONTENT_PATTERNS` patterns, or the grammar to more than
        :data:`MAX_EXPANDED_PATTERNS`.
    """
    root = grammar.getroot()
    bodies = {d.get("name", ""): list(d) for d in root.iterchildren(f"{_R}define")}
    shared = {n for n, body in bodies.items() if len(body) == 1 and _local(body[0]) == "element"}
    own: dict[str, int] = {}
    refs: dict[str, list[str]] = {}
    for name, body in bodies.items():
        own[name] = sum(1 for pattern in body for _ in pattern.iter())
        refs[name] = [
            target
            for pattern in body
            for ref in pattern.iter(f"{_R}ref")
            if (target := ref.get("name", "")) in bodies and target not in shared
        ]
    # Expanded sizes of the defines, children first (a cycle outside elements counts once:
    # libxml2 refuses it anyway).
    size = _expanded_sizes(bodies, own, refs)
    units = [("start", list(root.iterchildren(f"{_R}start")))]
    units.extend((f"element of define {n!r}", bodies[n]) for n in shared)
    total = 0
    for label, patterns in units:
        count = 0
        for pattern in patterns:
            for node in pattern.iter():
                count += 1
                if node.tag == f"{_R}ref" and node.get("name", "") not in shared:
                    count += size.get(node.get("name", ""), 0)
        if count > MAX_CONTENT_PATTERNS:
            raise SchemaLoadError(
                f"{schema}: the {label} expands to more than {MAX_CONTENT_PATTERNS:,} patterns "
                "(defines that refer to the same patterns over and over): refused"
            )
        total += count
        if total > MAX_EXPANDED_PATTERNS:
            raise SchemaLoadError(
                f"{schema}: the grammar expands to more than {MAX_EXPANDED_PATTERNS:,} "
                "patterns: refused"
            )
    return total


# --------------------------------------------------------------------------- flattening


def _local(element: etree._Element) -> str:
    """Return the local name of an RNG element, or "" for anything else."""
    tag = element.tag
    if isinstance(tag, str) and tag.startswith(_R):
        return tag[len(_R) :]
    return ""


def _url_to_path(url: str) -> Path:
    """Return the local path of a file URL or plain path."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file") and not parts.netloc:
        return Path(unquote(parts.path)).resolve()
    if len(parts.scheme) == 1:  # a Windows drive letter, not a scheme
        return Path(url).resolve()
    raise SchemaLoadError(f"{url}: only local files are read (no network access)")


def _where(element: etree._Element) -> str:
    """Return ``FILE:LINE`` for an element of a schema, for error messages."""
    base = element.getroottree().docinfo.URL or "<schema>"
    return f"{base}:{element.sourceline}" if element.sourceline else base


class _Flattener:
    """Apply sections 4.1-4.18 of the RELAX NG specification that flattening needs."""

    def __init__(self, folder: Path | None, schema: str = "<schema>") -> None:
        self.folder = folder
        self.schema = schema
        self.sources: list[Path] = []
        self._stack: list[Path] = []
        self._defines: dict[str, etree._Element] = {}
        self._used: set[str] = set()
        self._size = 0  # patterns read so far, every copy counted
        self._reads = 0
        # externalRef targets read once: (file, inherited ns) -> key, or None when the file
        # sees the grammar around it and must be copied; key -> prepared pattern; key ->
        # the name of its define, once flattened.
        self._shared: dict[tuple[Path, str], str | None] = {}
        self._shared_roots: dict[str, etree._Element] = {}
        self._shared_names: dict[str, str] = {}

    def _grow(self, root: etree._Element) -> None:
        """Count the patterns of a file about to be inlined, refusing a runaway expansion."""
        self._size += sum(1 for _ in root.iter())
        if self._size > MAX_PATTERNS:
            raise SchemaLoadError(_too_large(self.schema))

    # -- 4.1-4.10: annotations, whitespace, datatypeLibrary, href, names and namespaces

    def prepare_document(self, root: etree._Element, ns: str, url: str | None) -> etree._Element:
        """Return a prepared deep copy of *root* (a document element of a schema)."""
        if _local(root) == "":
            raise SchemaLoadError(f"{_where(root)}: the root element is not a RELAX NG pattern")
        parser = make_parser()[0]
        data = etree.tostring(root)
        copy = (
            etree.fromstring(data, parser, base_url=url) if url else etree.fromstring(data, parser)
        )
        self._grow(copy)
        self._prepare(copy, ns, "")
        return copy

    def _prepare(self, element: etree._Element, ns: str, library: str) -> None:
        name = _local(element)
        own_ns = element.get("ns")
        ns_here = own_ns if own_ns is not None else ns
        library = element.get("datatypeLibrary", library)
        for key in list(element.attrib):
            if str(key).startswith("{"):  # foreign attributes are annotations (4.1)
                del element.attrib[key]
        for key in ("name", "type", "combine", "href"):
            value = element.get(key)
            if value is not None:
                element.set(key, value.strip())
        for child in list(element):
            if _local(child) == "":  # comments, PIs and foreign elements (4.1)
                element.remove(child)
        if name not in _TEXT_ELEMENTS:
            element.text = None
        for child in element:
            child.tail = None
            self._prepare(child, ns_here, library)
        if name in ("element", "attribute") and element.get("name") is not None:
            default = ns_here if name == "element" else (own_ns or "")
            uri, local = self._resolve_qname(element, element.get("name", ""), default)
            element.set("name", local)
            element.set("ns", uri)
        elif name == "name":
            uri, local = self._resolve_qname(element, (element.text or "").strip(), ns_here)
            element.text = local
            element.set("ns", uri)
        elif name in ("nsName", "value"):
            element.set("ns", ns_here)
        elif "ns" in element.attrib:
            del element.attrib["ns"]
        if name == "value" and element.get("type") is None:
            element.set("type", "token")  # 4.4: the built-in library
            element.set("datatypeLibrary", "")
        elif name in ("data", "value"):
            element.set("datatypeLibrary", library)
        elif "datatypeLibrary" in element.attrib:
            del element.attrib["datatypeLibrary"]
        if name == "externalRef":
            self._inline_external_ref(element, ns_here)
        elif name == "include":
            self._inline_include(element, ns_here)

    @staticmethod
    def _resolve_qname(element: etree._Element, qname: str, default: str) -> tuple[str, str]:
        if ":" not in qname:
            return default, qname
        prefix, local = qname.split(":", 1)
        uri = XML_NS if prefix == "xml" else element.nsmap.get(prefix)
        if uri is None:
            raise SchemaLoadError(f"{_where(element)}: undeclared prefix {prefix!r} in {qname!r}")
        return uri, local

    def _load(self, element: etree._Element, ns: str) -> etree._Element:
        """Read and prepare the grammar that *element*'s ``href`` points to."""
        return self._read(element, self._target(element), ns)

    def _target(self, element: etree._Element) -> Path:
        """Return the file an ``include`` or ``externalRef`` points to, if it may be read."""
        href = element.get("href")
        if not href:
            raise SchemaLoadError(f"{_where(element)}: {_local(element)} without href")
        base = element.base or element.getroottree().docinfo.URL
        if self.folder is None or base is None:
            raise SchemaLoadError(
                f"{_where(element)}: refused {_local(element)} of {href!r}: the schema has "
                "no folder of its own (only files next to the schema are read)"
            )
        path = _url_to_path(urljoin(base, href))
        if not path.is_relative_to(self.folder):
            raise SchemaLoadError(
                f"{_where(element)}: refused {_local(element)} of {href!r}: {path} is outside "
                f"the schema's folder {self.folder}"
            )
        if path in self._stack:
            raise SchemaLoadError(f"{_where(element)}: {path} includes itself")
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            raise SchemaLoadError(
                f"{_where(element)}: files include one another more than "
                f"{MAX_INCLUDE_DEPTH} levels deep: refused"
            )
        return path

    def _read(self, element: etree._Element, path: Path, ns: str) -> etree._Element:
        """Read and prepare the file at *path*, which *element* includes."""
        try:
            data = read_schema_file(path)
        except OSError as exc:
            raise SchemaLoadError(f"{_where(element)}: cannot read {path}: {exc}") from None
        try:
            root = etree.fromstring(data, make_parser()[0], base_url=str(path))
        except etree.XMLSyntaxError as exc:
            line, column = exc.position or (0, 0)
            raise SchemaLoadError(f"{path}:{line}:{column}: {exc.msg}") from None
        self.sources.append(path)
        self._reads += 1
        if self._reads > MAX_READS:
            raise SchemaLoadError(
                f"{self.schema}: the schema reads included files more than {MAX_READS:,} "
                "times (files included over and over, as in a diamond of includes): refused"
            )
        self._grow(root)
        self._stack.append(path)
        try:
            if _local(root) == "":
                raise SchemaLoadError(f"{path}: the root element is not a RELAX NG pattern")
            self._prepare(root, ns, "")
        finally:
            self._stack.pop()
        return root

    def _inline_external_ref(self, element: etree._Element, ns: str) -> None:
        """Replace an ``externalRef`` by the pattern it points to (4.6).

        A file that cannot see the grammar around it is read once and stands for itself
        wherever it is referenced: the ``externalRef`` becomes a placeholder that
        :meth:`_resolve_refs` turns into a ``ref`` to one shared define.
        """
        parent = element.getparent()
        if parent is None:
            raise SchemaLoadError(f"{_where(element)}: externalRef cannot be the root")
        path = self._target(element)
        key = self._shared.get((path, ns), "")
        if key == "":  # not read yet
            root = self._read(element, path, ns)
            if not _self_contained(root):
                self._shared[(path, ns)] = None
                parent.replace(element, root)
                return
            key = str(len(self._shared_roots))
            self._shared[(path, ns)] = key
            self._shared_roots[key] = root
        elif key is None:  # it sees the grammar around it: a copy each time
            parent.replace(element, self._read(element, path, ns))
            return
        placeholder = etree.Element(f"{_R}externalRef", nsmap=_NSMAP)
        placeholder.set("key", key)
        parent.replace(element, placeholder)

    def _shared_ref(self, key: str) -> etree._Element:
        """Return a ``ref`` to the define holding shared external pattern *key*."""
        name = self._shared_names.get(key)
        if name is None:
            root = self._shared_roots[key]
            if _local(root) == "grammar":
                pattern = self._flatten_grammar(root, None)
            else:
                holder = etree.Element(f"{_R}define", nsmap=_NSMAP)
                holder.append(root)
                self._resolve_refs(holder, {}, None)
                pattern = holder[0]
            name = "teikit.externalRef"
            counter = 1
            while name in self._used:
                counter += 1
                name = f"teikit.externalRef.{counter}"
            self._used.add(name)
            self._shared_names[key] = name
            self._defines[name] = pattern
        return etree.Element(f"{_R}ref", nsmap=_NSMAP, name=name)

    def _inline_include(self, element: etree._Element, ns: str) -> None:
        """Replace an ``include`` by a ``div`` of the included grammar minus overrides (4.7)."""
        grammar = self._load(element, ns)
        if _local(grammar) != "grammar":
            raise SchemaLoadError(f"{_where(element)}: the included file is not a grammar")
        own = list(_iter_components(element))
        overridden = {c.get("name") for c in own if _local(c) == "define"}
        has_start = any(_local(c) == "start" for c in own)
        found: set[str | None] = set()
        for component in list(_iter_components(grammar)):
            kind = _local(component)
            if (kind == "start" and has_start) or (
                kind == "define" and component.get("name") in overridden
            ):
                found.add(component.get("name") if kind == "define" else "<start>")
                parent = component.getparent()
                assert parent is not None
                parent.remove(component)
        missing = sorted(str(n) for n in overridden - found)
        if missing or (has_start and "<start>" not in found):
            what = ", ".join(missing) if missing else "start"
            raise SchemaLoadError(f"{_where(element)}: include overrides {what}, not in grammar")
        element.tag = f"{_R}div"
        for key in list(element.attrib):
            del element.attrib[key]
        for index, child in enumerate(list(grammar)):
            element.insert(index, child)

    # -- 4.11-4.18: div, combine, nested grammars

    def flatten(self, root: etree._Element) -> etree._ElementTree:
        """Return one grammar holding a ``start`` and uniquely named defines."""
        if _local(root) != "grammar":
            wrapper = etree.Element(f"{_R}grammar", nsmap=_NSMAP)
            start = etree.SubElement(wrapper, f"{_R}start")
            start.append(root)
            root = wrapper
        start_pattern = self._flatten_grammar(root, None)
        grammar = etree.Element(f"{_R}grammar", nsmap=_NSMAP)
        etree.SubElement(grammar, f"{_R}start").append(start_pattern)
        for name, body in self._defines.items():
            define = etree.SubElement(grammar, f"{_R}define", name=name)
            define.append(body)
        return etree.ElementTree(grammar)

    def _flatten_grammar(
        self, grammar: etree._Element, parent_scope: dict[str, str] | None
    ) -> etree._Element:
        """Hoist the defines of *grammar* into the result and return its start pattern."""
        starts: list[etree._Element] = []
        defines: dict[str, list[etree._Element]] = {}
        for component in _iter_components(grammar):
            if _local(component) == "start":
                starts.append(component)
            else:
                defines.setdefault(component.get("name", ""), []).append(component)
        if not starts:
            raise SchemaLoadError(f"{_where(grammar)}: grammar without start")
        scope: dict[str, str] = {}
        for name in defines:
            unique = name
            counter = 1
            while unique in self._used:
                counter += 1
                unique = f"{name}.{counter}"
            self._used.add(unique)
            scope[name] = unique
        holder = etree.Element(f"{_R}start")
        holder.append(_combine(starts, "start"))
        self._resolve_refs(holder, scope, parent_scope)
        for name, components in defines.items():
            define_holder = etree.Element(f"{_R}define")
            define_holder.append(_combine(components, name))
            self._resolve_refs(define_holder, scope, parent_scope)
            self._defines[scope[name]] = define_holder[0]
        return holder[0]

    def _resolve_refs(
        self,
        element: etree._Element,
        scope: dict[str, str],
        parent_scope: dict[str, str] | None,
    ) -> None:
        for child in list(element):
            kind = _local(child)
            if kind == "grammar":
                element.replace(child, self._flatten_grammar(child, scope))
                continue
            if kind == "externalRef":  # a placeholder for a shared file
                element.replace(child, self._shared_ref(child.get("key", "")))
                continue
            if kind in ("ref", "parentRef"):
                names = scope if kind == "ref" else parent_scope
                target = None if names is None else names.get(child.get("name", ""))
                if target is None:
                    raise SchemaLoadError(
                        f"{_where(child)}: {kind} to undefined {child.get('name')!r}"
                    )
                child.tag = f"{_R}ref"
                child.set("name", target)
            self._resolve_refs(child, scope, parent_scope)


def _self_contained(root: etree._Element) -> bool:
    """Return whether an externalRef'd pattern means the same wherever it is referenced.

    A ``parentRef`` reaches the grammar around the ``externalRef``, and so does a ``ref``
    in a file that is not a grammar itself (section 4.6 puts the pattern in its place).
    """
    if next(root.iter(f"{_R}parentRef"), None) is not None:
        return False
    return _local(root) == "grammar" or next(root.iter(f"{_R}ref"), None) is None


def _iter_components(element: etree._Element) -> Iterator[etree._Element]:
    """Yield the ``start`` and ``define`` children of a grammar, looking inside ``div``."""
    for child in element:
        kind = _local(child)
        if kind == "div":
            yield from _iter_components(child)
        elif kind in ("start", "define"):
            yield child
        elif kind != "include":  # includes are inlined before this runs
            raise SchemaLoadError(f"{_where(child)}: unexpected {kind or child.tag} in grammar")


def _as_pattern(children: list[etree._Element]) -> etree._Element:
    """Return one pattern for the children of a component (an implicit group, 4.12)."""
    if len(children) == 1:
        return children[0]
    group = etree.Element(f"{_R}group", nsmap=_NSMAP)
    group.extend(children)
    return group


def _combine(components: list[etree._Element], what: str) -> etree._Element:
    """Merge the components that share a name, honouring ``combine`` (4.17)."""
    if len(components) == 1:
        return _as_pattern(list(components[0]))
    methods = {c.get("combine") for c in components if c.get("combine")}
    plain = sum(1 for c in components if not c.get("combine"))
    if len(methods) != 1 or plain > 1:
        raise SchemaLoadError(f"{_where(components[0])}: conflicting combine for {what}")
    merged = etree.Element(f"{_R}{methods.pop()}", nsmap=_NSMAP)
    merged.extend(_as_pattern(list(c)) for c in components)
    return merged


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

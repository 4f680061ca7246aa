"""Flattening: one self-contained grammar (RELAX NG specification sections 4.1-4.18)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree

from teikit.document import make_parser
from teikit.errors import SchemaLoadError
from teikit.namespaces import XML_NS
from teikit.validation.specialize.common import (
    _NSMAP,
    _R,
    _TEXT_ELEMENTS,
    MAX_INCLUDE_DEPTH,
    MAX_PATTERNS,
    MAX_READS,
    _local,
    _url_to_path,
    _where,
)
from teikit.validation.specialize.sizes import _too_large, read_schema_file


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

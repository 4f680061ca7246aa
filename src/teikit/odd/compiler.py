"""Compile an ODD customisation: resolve it against the TEI source, emit RELAX NG and Schematron.

The semantics follow the TEI Stylesheets (``odds/odd2odd.xsl`` then ``odds/odd2relax.xsl`` and
``odds/extract-isosch.xsl``), TEI Guidelines chapter 22 ("Documentation Elements") and 23.3
("Customization"). Equivalence is measured by verdicts, not bytes (see ``docs/odd.md``).
"""

from __future__ import annotations

import copy
import lzma
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from teikit.__about__ import __version__
from teikit.document import load, source_line
from teikit.errors import OddError, TeikitError
from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS, XML_NS

__all__ = ["BUNDLED_VERSION", "CompiledOdd", "bundled_p5subset", "compile_odd"]

#: The TEI release whose ``p5subset.xml`` ships with teikit.
BUNDLED_VERSION: Final = "4.9.0a"
_DATA: Final = Path(__file__).resolve().parent / "data"
_TEIX_NS: Final = "http://www.tei-c.org/ns/Examples"
_A_NS: Final = "http://relaxng.org/ns/compatibility/annotations/1.0"
_XSD_TYPES: Final = "http://www.w3.org/2001/XMLSchema-datatypes"
_SPEC_KINDS: Final = ("elementSpec", "classSpec", "macroSpec", "dataSpec")
_REF_KINDS: Final = {
    "elementRef": "elementSpec",
    "classRef": "classSpec",
    "macroRef": "macroSpec",
    "dataRef": "dataSpec",
}
_EXPANSIONS: Final = (
    "alternation",
    "sequence",
    "sequenceOptional",
    "sequenceOptionalRepeatable",
    "sequenceRepeatable",
)
_CONTAINERS: Final = frozenset(
    f"{{{RNG_NS}}}{name}"
    for name in (
        "group",
        "choice",
        "interleave",
        "optional",
        "zeroOrMore",
        "oneOrMore",
        "mixed",
        "list",
    )
)


def _t(name: str) -> str:
    return f"{{{TEI_NS}}}{name}"


def _r(name: str) -> str:
    return f"{{{RNG_NS}}}{name}"


def _s(name: str) -> str:
    return f"{{{SCH_NS}}}{name}"


@dataclass
class CompiledOdd:
    """The result of :func:`compile_odd`: the compiled ODD, its RELAX NG and its Schematron."""

    name: str
    compiled: etree._ElementTree
    rng: etree._ElementTree
    isosch: etree._ElementTree
    warnings: list[str] = field(default_factory=list)
    #: the local files the compilation read besides the ODD (TEI sources, external grammars)
    inputs: list[Path] = field(default_factory=list)

    def rng_bytes(self) -> bytes:
        """Return the RELAX NG grammar serialised as UTF-8 XML."""
        return _serialise(self.rng)

    def isosch_bytes(self) -> bytes:
        """Return the standalone ISO Schematron serialised as UTF-8 XML."""
        return _serialise(self.isosch)

    def compiled_bytes(self) -> bytes:
        """Return the compiled ODD serialised as UTF-8 XML."""
        return _serialise(self.compiled)


def _serialise(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


_BUNDLED_CACHE: dict[str, bytes] = {}


def bundled_p5subset() -> bytes:
    """Return the bytes of the bundled TEI ``p5subset.xml`` (release :data:`BUNDLED_VERSION`)."""
    if BUNDLED_VERSION not in _BUNDLED_CACHE:
        path = _DATA / f"p5subset-{BUNDLED_VERSION}.xml.xz"
        try:
            _BUNDLED_CACHE[BUNDLED_VERSION] = lzma.decompress(path.read_bytes())
        except (OSError, lzma.LZMAError) as exc:  # pragma: no cover - broken installation
            raise OddError(f"the bundled TEI source {path} cannot be read: {exc}") from None
    return _BUNDLED_CACHE[BUNDLED_VERSION]


def _error(message: str, where: etree._Element | None, name: str) -> OddError:
    line = source_line(where) if where is not None else None
    return OddError(f"{name}:{line}: {message}" if line else f"{name}: {message}")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _is_tei(element: object, *names: str) -> bool:
    if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
        return False
    qname = etree.QName(element)
    return qname.namespace == TEI_NS and (not names or qname.localname in names)


# ---------------------------------------------------------------------------------------------
# The source: p5subset (or a compiled ODD) indexed by kind and ident


@dataclass
class _Source:
    specs: dict[str, dict[str, etree._Element]]
    modules: set[str]
    version: str | None


def _unique_name(spec: etree._Element, default_ns: str | None = None) -> str:
    """Return odd2odd's key for *spec*: its ident, preceded by its namespace unless TEI's."""
    ns = spec.get("ns") or default_ns
    ident = spec.get("ident", "")
    return ident if not ns or ns == TEI_NS else f"{ns}{ident}"


def _index(root: etree._Element) -> _Source:
    specs: dict[str, dict[str, etree._Element]] = {kind: {} for kind in _SPEC_KINDS}
    modules: set[str] = set()
    for element in root.iter(*(_t(kind) for kind in (*_SPEC_KINDS, "moduleSpec"))):
        kind = _local(element)
        ident = element.get("ident", "")
        if kind == "moduleSpec":
            modules.add(ident)
        elif element.get("mode") in (None, "add", "replace"):
            name = _unique_name(element) if kind == "elementSpec" else element.get("ident", "")
            specs[kind].setdefault(name, element)
            if element.get("module"):
                modules.add(element.get("module", ""))
    version = None
    edition = root.find(f".//{_t('edition')}")
    if edition is not None:
        match = re.search(
            r"Version\s+(\S+?)\.?\s", "".join(str(t) for t in edition.itertext()) + " "
        )
        version = match.group(1) if match else None
    return _Source(specs, modules, version)


# ---------------------------------------------------------------------------------------------
# odd2odd: merging the customisation into the source


def _merge_children(target: etree._Element, change: etree._Element) -> None:
    """Replace *target*'s children of each kind that *change* has (``mode="change"``)."""
    for name, value in change.attrib.items():
        if name not in ("mode",):
            target.set(name, value)
    handled: set[str] = set()
    for child in change:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag
        local = etree.QName(child).localname if _is_tei(child) else ""
        if local == "classes":
            _merge_classes(target, child)
        elif local == "attList":
            attlist = target.find(_t("attList"))
            if attlist is None:
                attlist = etree.SubElement(target, _t("attList"))
            _merge_attlist(attlist, child)
        elif local == "constraintSpec":
            ident = child.get("ident")
            for old in target.findall(_t("constraintSpec")):
                if old.get("ident") == ident:
                    target.remove(old)
            if child.get("mode") != "delete":
                target.append(copy.deepcopy(child))
        elif local == "valList" and child.get("mode") == "change":
            old_list = target.find(_t("valList"))
            if old_list is None:
                target.append(copy.deepcopy(child))
            else:
                _merge_vallist(old_list, child)
        else:
            if tag not in handled:
                handled.add(tag)
                for old in target.findall(tag):
                    target.remove(old)
            if child.get("mode") != "delete":
                target.append(copy.deepcopy(child))


def _merge_classes(target: etree._Element, change: etree._Element) -> None:
    # odd2odd: <classes> replaces the memberships unless it says mode="change"
    classes = target.find(_t("classes"))
    if classes is None or change.get("mode", "replace") == "replace":
        if classes is not None:
            target.remove(classes)
        classes = etree.SubElement(target, _t("classes"))
    present = {m.get("key"): m for m in classes.findall(_t("memberOf"))}
    for member in change.findall(_t("memberOf")):
        key = member.get("key")
        if member.get("mode") == "delete":
            if key in present:
                classes.remove(present.pop(key))
        elif key not in present:
            present[key] = copy.deepcopy(member)
            classes.append(present[key])


def _attdefs(attlist: etree._Element) -> Iterator[etree._Element]:
    for child in attlist:
        if _is_tei(child, "attDef"):
            yield child
        elif _is_tei(child, "attList"):
            yield from _attdefs(child)


def _merge_attlist(target: etree._Element, change: etree._Element) -> None:
    for attref in change.iter(_t("attRef")):
        target.append(copy.deepcopy(attref))
    existing = {a.get("ident"): a for a in _attdefs(target)}
    for attdef in _attdefs(change):
        ident = attdef.get("ident")
        mode = attdef.get("mode", "add")
        old = existing.get(ident)
        if mode == "delete":
            if old is not None and old.get("mode") not in ("change",):
                old.getparent().remove(old)  # type: ignore[union-attr]
            elif old is not None:
                old.getparent().replace(old, copy.deepcopy(attdef))  # type: ignore[union-attr]
            else:
                target.append(copy.deepcopy(attdef))
        elif mode == "change":
            owner = target.getparent()
            if old is None and owner is not None and _is_tei(owner, "classSpec"):
                continue  # a class has no inherited attributes to change: odd2odd drops it
            if old is None:
                target.append(copy.deepcopy(attdef))
            elif old.get("mode") == "delete":
                continue
            else:
                _merge_attdef(old, attdef)
        else:
            new = copy.deepcopy(attdef)
            new.attrib.pop("mode", "")
            if old is not None:
                old.getparent().replace(old, new)  # type: ignore[union-attr]
            else:
                target.append(new)
            existing[ident] = new


def _merge_attdef(target: etree._Element, change: etree._Element) -> None:
    for name, value in change.attrib.items():
        if name != "mode":
            target.set(name, value)
    handled: set[str] = set()
    for child in change:
        if not isinstance(child.tag, str):
            continue
        if _is_tei(child, "valList") and child.get("mode") == "change":
            old_list = target.find(_t("valList"))
            if old_list is not None:
                _merge_vallist(old_list, child)
                continue
        if _is_tei(child, "valList") and child.get("mode") is None:
            # odd2odd's mergeAttribute takes a changed attribute's new valList only with
            # @mode add, replace, change or delete; without @mode the old one stays (TEI's own
            # factuality/@type: a closed list in p5subset, plain teidata.enumerated in tei_all)
            continue
        if child.tag not in handled:
            handled.add(child.tag)
            for old in target.findall(child.tag):
                target.remove(old)
        if child.get("mode") != "delete":
            new = copy.deepcopy(child)
            target.append(new)


def _merge_vallist(target: etree._Element, change: etree._Element) -> None:
    if change.get("type"):
        target.set("type", change.get("type", ""))
    items = {v.get("ident"): v for v in target.findall(_t("valItem"))}
    for item in change.findall(_t("valItem")):
        ident = item.get("ident")
        old = items.get(ident)
        if item.get("mode") == "delete":
            if old is not None:
                target.remove(old)
        elif old is not None:
            target.replace(old, copy.deepcopy(item))
        else:
            target.append(copy.deepcopy(item))


# ---------------------------------------------------------------------------------------------
# The compiler


def _occurs(element: etree._Element, name: str) -> tuple[int, int | None]:
    def number(attribute: str, default: str) -> int | None:
        raw = element.get(attribute, default).strip()
        if raw == "unbounded":
            return None
        try:
            return int(raw)
        except ValueError:
            raise _error(
                f"{_local(element)}/@{attribute}={raw!r} is not a number", element, name
            ) from None

    low = number("minOccurs", "1")
    high = number("maxOccurs", "1")
    if low is None:
        raise _error(f"{_local(element)}/@minOccurs cannot be 'unbounded'", element, name)
    if high is not None and low > high:
        raise _error(
            f"{_local(element)}: @minOccurs ({low}) is greater than @maxOccurs ({high})",
            element,
            name,
        )
    return low, high


def _repeat(patterns: list[etree._Element], low: int, high: int | None) -> list[etree._Element]:
    """Wrap *patterns* (one group) for ``minOccurs``/``maxOccurs`` as odd2relax does."""

    def group() -> etree._Element:
        if len(patterns) == 1:
            return copy.deepcopy(patterns[0])
        wrapper = etree.Element(_r("group"))
        wrapper.extend(copy.deepcopy(p) for p in patterns)
        return wrapper

    def wrap(tag: str) -> etree._Element:
        wrapper = etree.Element(_r(tag))
        wrapper.extend(copy.deepcopy(p) for p in patterns)
        return wrapper

    if (low, high) == (1, 1):
        return patterns
    if (low, high) == (0, 1):
        return [wrap("optional")]
    if (low, high) == (0, None):
        return [wrap("zeroOrMore")]
    if (low, high) == (1, None):
        return [wrap("oneOrMore")]
    out: list[etree._Element] = []
    if high is None:
        out.extend(group() for _ in range(max(low - 1, 0)))
        out.append(wrap("oneOrMore") if low else wrap("zeroOrMore"))
        return out
    out.extend(group() for _ in range(low))
    out.extend(wrap("optional") for _ in range(high - low))
    return out


def _simplify(element: etree._Element) -> bool:
    """Drop empty RELAX NG containers below *element*; return whether *element* is empty."""
    for child in list(element):
        if isinstance(child.tag, str) and child.tag in _CONTAINERS and _simplify(child):
            element.remove(child)
    return not any(isinstance(c.tag, str) and c.tag != f"{{{_A_NS}}}documentation" for c in element)


class _Compiler:
    def __init__(
        self, odd: etree._Element, name: str, source: _Source, label: str, schema: etree._Element
    ) -> None:
        self.schema = schema
        self.changed_classes: dict[str, set[str]] = {}
        self.path: Path | None = None
        self.sources = _Sources(None, {}, label)
        self.combine_start = False
        self.include_names: list[tuple[etree._Element, set[str]]] = []
        self.external_names: set[str] | None = set()
        self.any_defines: list[etree._Element] = []
        self.schema_constraints: list[etree._Element] = []
        self.odd = odd
        self.name = name
        self.source = source
        self.label = label
        self.warnings: list[str] = []
        self.ids = {e.get(f"{{{XML_NS}}}id"): e for e in odd.iter() if e.get(f"{{{XML_NS}}}id")}

    # -- odd2odd ------------------------------------------------------------------------------

    def resolve(self, schema: etree._Element) -> dict[str, dict[str, etree._Element]]:
        """Return the schema's specs by kind and ident, customisation applied."""
        selected: dict[str, dict[str, etree._Element]] = {kind: {} for kind in _SPEC_KINDS}
        changes: list[etree._Element] = []
        self.externals: list[etree._Element] = []
        for item in self._schema_items(schema, set()):
            local = _local(item)
            if local == "moduleRef":
                self._module(item, selected)
            elif local in _REF_KINDS:
                kind = _REF_KINDS[local]
                key = item.get("key", "")
                origin = self.source
                if item.get("source"):
                    origin = self.sources.source(item.get("source", ""), item, self.path)
                spec = origin.specs[kind].get(key)
                if spec is None:
                    raise self.err(
                        f"{local} key={key!r}: no {kind} {key!r} in the TEI source", item
                    )
                selected[kind][key] = copy.deepcopy(spec)
            elif local in _SPEC_KINDS:
                changes.append(item)
            elif local == "moduleSpec":
                continue
        for spec in changes:
            self._apply(spec, selected)
        return selected

    def _schema_items(self, parent: etree._Element, seen: set[str]) -> Iterator[etree._Element]:
        for child in parent:
            if not _is_tei(child):
                continue
            local = _local(child)
            if local == "specGrpRef":
                target = child.get("target", "").lstrip("#")
                group = self.ids.get(target)
                if group is None:
                    # odd2odd skips a reference to nothing; so does teikit, with a warning
                    self.warnings.append(
                        f"{self.label}:{source_line(child)}: specGrpRef target="
                        f"{target!r}: no such specGrp (ignored)"
                    )
                    continue
                if target in seen:
                    raise self.err(f"specGrpRef target={target!r} includes itself", child)
                yield from self._schema_items(group, seen | {target})
            elif local == "specGrp":
                yield from self._schema_items(child, seen)
            elif local in ("moduleRef", *_REF_KINDS, *_SPEC_KINDS, "moduleSpec"):
                yield child
            elif local == "constraintSpec":
                self.schema_constraints.append(child)

    def _module(self, ref: etree._Element, selected: dict[str, dict[str, etree._Element]]) -> None:
        if ref.get("url"):
            self.externals.append(ref)
            return
        key = ref.get("key", "")
        origin = self.source
        if ref.get("source"):
            origin = self.sources.source(ref.get("source", ""), ref, self.path)
        if key not in origin.modules:
            # odd2odd carries on without it (TEI's own tests rely on that); teikit warns
            self.warnings.append(
                f"{self.label}:{source_line(ref)}: moduleRef key={key!r}: no module {key!r} "
                "in the TEI source (ignored)"
            )
            return
        # include="" includes nothing (odd2odd tests the attribute, not its tokens)
        include = set(ref.get("include", "").split()) if ref.get("include") is not None else None
        exclude = set(ref.get("except", "").split())
        for kind, specs in origin.specs.items():
            for name, spec in specs.items():
                if spec.get("module") != key:
                    continue
                ident = spec.get("ident", "")
                if kind == "elementSpec" and (
                    (include is not None and ident not in include) or ident in exclude
                ):
                    continue
                selected[kind][name] = copy.deepcopy(spec)

    def _apply(self, spec: etree._Element, selected: dict[str, dict[str, etree._Element]]) -> None:
        kind = _local(spec)
        ident = spec.get("ident", "")
        if kind == "elementSpec":
            ident = _unique_name(spec, self.schema.get("ns"))
        mode = spec.get("mode", "add")
        table = selected[kind]
        if mode == "delete":
            table.pop(ident, None)
        elif mode == "change":
            if ident in table:
                _merge_children(table[ident], spec)
                if kind == "classSpec":
                    named = self.changed_classes.setdefault(ident, set())
                    named.update(a.get("ident", "") for a in spec.iter(_t("attDef")))
            elif ident in self.source.specs[kind]:
                pass  # changing something the schema does not include: odd2odd ignores it
            else:
                # odd2odd drops a change to nothing; teikit says so
                self.warnings.append(
                    f"{self.label}:{source_line(spec)}: {kind} ident={ident!r} "
                    'mode="change": no such spec in the TEI source (ignored)'
                )
        elif mode in ("add", "replace"):
            new = copy.deepcopy(spec)
            new.attrib.pop("mode", "")
            table[ident] = new
        else:
            raise self.err(f"{kind} ident={ident!r}: unknown @mode {mode!r}", spec)

    def err(self, message: str, where: etree._Element | None) -> OddError:
        return _error(message, where, self.label)

    # -- odd2relax ----------------------------------------------------------------------------

    def compile(
        self, schema: etree._Element
    ) -> tuple[etree._Element, etree._Element, etree._Element]:
        specs = self.resolve(schema)
        self.specs = specs
        self.prefix = schema.get("prefix", "")
        self.default_ns = schema.get("ns", TEI_NS)
        self.anys = 0
        self.patterns: list[etree._Element] = []
        self.sch_ns: dict[str, str] = {}
        self.memberships: dict[str, list[tuple[str, str, etree._Element]]] = {}
        for kind in ("elementSpec", "classSpec"):
            for ident, spec in specs[kind].items():
                for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
                    key = member.get("key", "")
                    self.memberships.setdefault(key, []).append((kind, ident, member))
        self.used_atts = self._used_att_classes()
        # an elementRef (or embedded rng:ref) names an element by @ident; the specs are keyed
        # by odd2odd's unique name, which puts a non-TEI namespace first (egXML)
        self.by_ident: dict[str, str] = {}
        for key, spec in specs["elementSpec"].items():
            if key == spec.get("ident") or spec.get("ident", "") not in self.by_ident:
                self.by_ident[spec.get("ident", "")] = key  # the TEI element wins a shared name
        grammar = etree.Element(
            _r("grammar"),
            nsmap={None: RNG_NS, "tei": TEI_NS, "a": _A_NS, "sch": SCH_NS},  # type: ignore[dict-item]
            datatypeLibrary=_XSD_TYPES,
            ns=TEI_NS,
        )
        edition = f", TEI P5 {self.source.version}" if self.source.version else ""
        grammar.append(
            etree.Comment(
                f" Schema {self.name} compiled by teikit {__version__} from ODD{edition} "
            )
        )
        for ref in self.externals:
            # odd2relax copies the external grammar in; teikit includes it by reference (it
            # never downloads: the URL must be reachable locally for a validator to load it)
            url = ref.get("url", "")
            local = self.sources.locate(url, self.path)
            if local is not None and local.is_file():
                url = local.resolve().as_uri()
                self.sources.inputs.append(local.resolve())
            else:
                self.warnings.append(
                    f"{self.label}:{source_line(ref)}: moduleRef url={url!r} is not a local "
                    "file (map it with --catalog): the grammar includes it by URL"
                )
            include = etree.SubElement(grammar, _r("include"), href=url)
            if self._has_start(url, include):
                # odd2relax keeps only the ODD's start: the included one is made empty and the
                # ODD's own start below combines with it
                etree.SubElement(etree.SubElement(include, _r("start")), _r("notAllowed"))
                self.combine_start = True
            for child in ref.iter(_r("define"), _r("start")):
                grammar.append(self._embedded(child))
        for ident, spec in specs["macroSpec"].items():
            define = self._define(self._p(ident))
            define.extend(self._content(spec.find(_t("content")), spec))
            self._finish(define)
            grammar.append(define)
            self._constraints(spec, grammar, ident, None)
        for ident, spec in specs["classSpec"].items():
            if spec.get("type") == "atts":
                self._att_class(ident, spec, grammar)
            else:
                self._model_class(ident, grammar)
            if spec.get("type") != "atts" or ident in self.used_atts:
                self._constraints(spec, grammar, ident, None)
                if ident in self.changed_classes:
                    # as in the reference output: in a class the ODD changes, the constraints
                    # of the attributes the change does not name are extracted a second time
                    for attdef in self._own_attdefs(spec):
                        named = attdef.get("ident") in self.changed_classes[ident]
                        if attdef.get("mode") != "delete" and not named:
                            self._constraints(attdef, grammar, ident, None)
        for ident, spec in specs["dataSpec"].items():
            self._constraints(spec, grammar, ident, None)
        for ident, spec in specs["elementSpec"].items():
            grammar.append(self._element(ident, spec))
        for constraint in self.schema_constraints:
            self._constraints_of([constraint], grammar, self.name, None)
        start = etree.SubElement(grammar, _r("start"))
        if self.combine_start:
            start.set("combine", "choice")
        by_ident = self.by_ident
        wanted = schema.get("start", "").split() or [
            s for s in ("TEI", "teiCorpus") if s in specs["elementSpec"]
        ]
        refs = [self._ref(self._element_name(by_ident[s])) for s in wanted if s in by_ident]
        missing = [s for s in wanted if s not in by_ident]
        if missing:
            raise self.err(
                f"schemaSpec/@start names {' '.join(missing)}, not in the schema", schema
            )
        if not refs:
            raise self.err("the schema has no start element (set schemaSpec/@start)", schema)
        if len(refs) == 1:
            start.append(refs[0])
        else:
            etree.SubElement(start, _r("choice")).extend(refs)
        self._drop_dangling(grammar)
        self._override_externals(grammar)
        if self.patterns:
            # the prefixes the embedded rules use, declared where Schematron readers look
            for position, (prefix, uri) in enumerate(self._namespaces().items(), start=1):
                grammar.insert(position, etree.Element(_s("ns"), prefix=prefix, uri=uri))
        return grammar, self._isosch(), self._compiled(schema)

    def _has_start(self, url: str, include: etree._Element) -> bool:
        names = self._external_names(url, set())
        if names is None:
            self.external_names = None
            return False
        if self.external_names is not None:
            self.external_names |= names[1]
        self.include_names.append((include, names[1]))
        return names[0]

    def _override_externals(self, grammar: etree._Element) -> None:
        """Move the schema's own definitions of names an external grammar also defines into
        its ``include``: the ODD's definition wins, as with odd2relax."""
        for include, names in self.include_names:
            for define in list(grammar.iterchildren(_r("define"))):
                if define.get("name") in names and not define.get("combine"):
                    include.append(define)

    def _external_names(self, url: str, seen: set[str]) -> tuple[bool, set[str]] | None:
        """Return whether the local grammar *url* has a start, and the names it defines."""
        if not url.startswith("file:") or url in seen:
            return None if not url.startswith("file:") else (False, set())
        seen.add(url)
        try:
            root = load(Path(url[len("file://") :])).root
        except TeikitError:
            return None
        names = {d.get("name", "") for d in root.iter(_r("define"))}
        start = root.find(_r("start")) is not None
        for include in root.iter(_r("include")):
            target = Path(url[len("file://") :]).parent / include.get("href", "")
            inner = self._external_names(target.resolve().as_uri(), seen)
            if inner is None:
                return None
            start = start or inner[0]
            names |= inner[1]
        return start, names

    def _define(self, name: str) -> etree._Element:
        return etree.Element(_r("define"), name=name)

    def _ref(self, name: str) -> etree._Element:
        return etree.Element(_r("ref"), name=name)

    def _finish(self, container: etree._Element) -> None:
        if _simplify(container):
            container.append(etree.Element(_r("empty")))

    def _document(self, spec: etree._Element, target: etree._Element) -> None:
        """Add the spec's gloss and description as ``a:documentation`` (what editors show)."""
        language = self.schema.get("docLang") or self.schema.get(f"{{{XML_NS}}}lang") or "en"

        def text(tag: str) -> str:
            found = spec.findall(_t(tag))
            chosen = [f for f in found if f.get(f"{{{XML_NS}}}lang", language) == language]
            chosen = chosen or [f for f in found if f.get(f"{{{XML_NS}}}lang") in (None, "en")]
            return " ".join("".join(str(t) for t in chosen[0].itertext()).split()) if chosen else ""

        gloss, desc = text("gloss"), text("desc")
        words = f"({gloss}) {desc}".strip() if gloss else desc
        if words:
            etree.SubElement(target, f"{{{_A_NS}}}documentation").text = words

    def _p(self, name: str) -> str:
        """Return the pattern name of a TEI class, macro or attribute (``schemaSpec/@prefix``)."""
        return f"{self.prefix}{name}"

    def _element_name(self, key: str) -> str:
        spec = self.specs["elementSpec"].get(key)
        if spec is None:
            return f"{self.prefix}{key}"
        return f"{spec.get('prefix', self.prefix)}{spec.get('ident', '')}"

    # model classes

    def _members(self, ident: str) -> list[list[etree._Element]]:
        """Return, per member of model class *ident*, its patterns (``memberOf/@min``, ``@max``
        repeat it, as odd2relax does)."""
        members = []
        for kind, member, membership in self.memberships.get(ident, []):
            if kind == "elementSpec":
                ref = self._ref(self._element_name(member))
            elif self.specs["classSpec"][member].get("type") == "model":
                ref = self._ref(self._p(member))
            else:
                continue
            low: int = 1
            high: int | None = 1
            if membership.get("min") is not None or membership.get("max") is not None:
                bounds = etree.Element(
                    "bounds",
                    minOccurs=membership.get("min", "1"),
                    maxOccurs=membership.get("max", "unbounded"),
                )
                low, high = _occurs(bounds, self.label)
            members.append(_repeat([ref], low, high))
        return members

    def _used_att_classes(self) -> set[str]:
        """Return the attribute classes some element of the schema inherits from."""
        used: set[str] = set()
        stack = [
            member.get("key", "")
            for spec in self.specs["elementSpec"].values()
            for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}")
        ]
        while stack:
            key = stack.pop()
            spec = self.specs["classSpec"].get(key)
            if key in used or spec is None or spec.get("type") != "atts":
                continue
            used.add(key)
            stack.extend(
                m.get("key", "") for m in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}")
            )
        return used

    def _model_class(self, ident: str, grammar: etree._Element) -> None:
        members = self._members(ident)
        for suffix in ("", *(f"_{e}" for e in _EXPANSIONS)):
            define = etree.SubElement(grammar, _r("define"), name=self._p(f"{ident}{suffix}"))
            if suffix in ("", "_alternation"):
                if members:
                    choice = etree.SubElement(define, _r("choice"))
                    choice.extend(copy.deepcopy(p) for patterns in members for p in patterns)
                else:
                    etree.SubElement(define, _r("notAllowed"))
                continue
            wrapper = {
                "_sequence": None,
                "_sequenceOptional": "optional",
                "_sequenceOptionalRepeatable": "zeroOrMore",
                "_sequenceRepeatable": "oneOrMore",
            }[suffix]
            if not members:
                tag = "notAllowed" if suffix == "_sequenceRepeatable" else "empty"
                etree.SubElement(define, _r(tag))
                continue
            for patterns in members:
                target = define if wrapper is None else etree.SubElement(define, _r(wrapper))
                target.extend(copy.deepcopy(p) for p in patterns)

    # attribute classes

    def _att_closure(self, ident: str, seen: set[str] | None = None) -> set[str]:
        """Return the attribute idents class *ident* provides, inherited ones included."""
        seen = seen if seen is not None else set()
        if ident in seen:
            return set()
        seen.add(ident)
        spec = self.specs["classSpec"].get(ident)
        if spec is None or spec.get("type") != "atts":
            return set()
        found = {a.get("ident", "") for a in self._own_attdefs(spec) if a.get("mode") != "delete"}
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            found |= self._att_closure(member.get("key", ""), seen)
        return found

    def _own_attdefs(self, spec: etree._Element) -> list[etree._Element]:
        attlist = spec.find(_t("attList"))
        return list(_attdefs(attlist)) if attlist is not None else []

    def _find_class_attdef(
        self, ident: str, attribute: str, seen: set[str]
    ) -> etree._Element | None:
        if ident in seen:
            return None
        seen.add(ident)
        spec = self.specs["classSpec"].get(ident)
        if spec is None or spec.get("type") != "atts":
            return None
        for attdef in self._own_attdefs(spec):
            if attdef.get("ident") == attribute and attdef.get("mode") != "delete":
                return attdef
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            found = self._find_class_attdef(member.get("key", ""), attribute, seen)
            if found is not None:
                return found
        return None

    def _att_class(self, ident: str, spec: etree._Element, grammar: etree._Element) -> None:
        define = etree.SubElement(grammar, _r("define"), name=self._p(f"{ident}.attributes"))
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            key = member.get("key", "")
            parent = self.specs["classSpec"].get(key)
            if parent is not None and parent.get("type") == "atts":
                define.append(self._ref(self._p(f"{key}.attributes")))
        for attdef in self._own_attdefs(spec):
            if attdef.get("mode") == "delete" or attdef.get("ident") == "xmlns":
                continue
            define.append(self._ref(self._p(f"{ident}.attribute.{self._att_suffix(attdef)}")))
        define.extend(self._att_refs(spec))
        if len(define) == 0:
            define.append(etree.Element(_r("empty")))
        for attdef in self._own_attdefs(spec):
            if attdef.get("mode") == "delete" or attdef.get("ident") == "xmlns":
                continue
            attribute = etree.SubElement(
                grammar, _r("define"), name=self._p(f"{ident}.attribute.{self._att_suffix(attdef)}")
            )
            attribute.append(self._attribute(attdef, spec))
            if ident in self.used_atts:  # odd2odd prunes classes no element uses
                self._constraints(attdef, grammar, f"{ident}-{attdef.get('ident')}", None)

    def _att_refs(self, spec: etree._Element) -> list[etree._Element]:
        """Return references for the ``attRef`` elements of *spec* (external attributes)."""
        refs = []
        for attref in spec.iterfind(f"{_t('attList')}//{_t('attRef')}"):
            name = attref.get("name", "")
            if attref.get("class"):
                name = self._p(f"{attref.get('class')}.attribute.{name.replace(':', '')}")
            if name:
                refs.append(self._ref(name))
        return refs

    @staticmethod
    def _att_suffix(attdef: etree._Element) -> str:
        return attdef.get("ident", "").replace(":", "")

    def _element_attributes(self, spec: etree._Element, element: etree._Element) -> None:
        own = {a.get("ident", ""): a for a in self._own_attdefs(spec)}
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            self._inherit(member.get("key", ""), own, element, set())
        element.extend(self._att_refs(spec))
        for ident, attdef in own.items():
            mode = attdef.get("mode")
            if mode == "delete" or ident == "xmlns":
                continue  # a namespace declaration is not an attribute in RELAX NG
            effective = self._effective_attdef(spec, attdef)
            if effective is None:
                continue  # changes an attribute the element does not have: dropped
            element.append(self._attribute(effective, spec))

    def _effective_attdef(
        self, spec: etree._Element, attdef: etree._Element
    ) -> etree._Element | None:
        """Return *attdef*, or for a change of an inherited attribute the class's definition
        with the change merged in (odd2odd's mergeAttribute); ``None`` if there is none."""
        if attdef.get("mode") != "change":
            return attdef
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            base = self._find_class_attdef(member.get("key", ""), attdef.get("ident", ""), set())
            if base is not None:
                merged = copy.deepcopy(base)
                _merge_attdef(merged, attdef)
                return merged
        return None

    def _inherit(
        self, key: str, own: dict[str, etree._Element], element: etree._Element, seen: set[str]
    ) -> None:
        spec = self.specs["classSpec"].get(key)
        if spec is None or spec.get("type") != "atts" or key in seen:
            return
        seen.add(key)
        if own.keys().isdisjoint(self._att_closure(key)):
            element.append(self._ref(self._p(f"{key}.attributes")))
            return
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            self._inherit(member.get("key", ""), own, element, seen)
        for attdef in self._own_attdefs(spec):
            if attdef.get("mode") == "delete" or attdef.get("ident") in own:
                continue
            element.append(self._ref(self._p(f"{key}.attribute.{self._att_suffix(attdef)}")))

    def _attribute(self, attdef: etree._Element, spec: etree._Element) -> etree._Element:
        ident = attdef.get("ident", "")
        alt = attdef.find(_t("altIdent"))
        name = (alt.text or "").strip() if alt is not None and (alt.text or "").strip() else ident
        attribute = etree.Element(_r("attribute"), name=name)
        self._document(attdef, attribute)
        if attdef.get("ns") and not ident.startswith("xml:"):
            attribute.set("ns", attdef.get("ns", ""))
        datatype = attdef.find(_t("datatype"))
        vallist = attdef.find(_t("valList"))
        if vallist is None:
            vallist = next(
                (v for v in attdef.iter(_t("valList")) if v.getparent() is not attdef), None
            )
        inner: list[etree._Element] = []
        base: list[etree._Element] = []
        low: int = 1
        high: int | None = 1
        if datatype is not None:
            low, high = _occurs(datatype, self.label)
            for child in datatype:
                base.extend(self._data(child, datatype))
        kind = vallist.get("type", "open") if vallist is not None else "open"
        if vallist is not None and kind in ("closed", "semi"):
            choice = etree.Element(_r("choice"))
            for item in vallist.findall(_t("valItem")):
                value = etree.SubElement(choice, _r("value"))
                value.text = item.get("ident", "")
            if kind == "semi":
                choice.extend(base or [etree.Element(_r("data"), type="string")])
            inner = [choice]
        else:
            inner = base or [etree.Element(_r("text"))]
        if (low, high) != (1, 1):
            listing = etree.SubElement(attribute, _r("list"))
            listing.extend(_repeat(inner, low, high))
            # RELAX NG forbids <text/> in a list (section 7.1): a token is what a list holds
            for text in list(listing.iter(_r("text"))):
                text.getparent().replace(text, etree.Element(_r("data"), type="token"))  # type: ignore[union-attr]
        else:
            attribute.extend(inner)
        if attdef.get("usage") == "req":
            return attribute
        optional = etree.Element(_r("optional"))
        optional.append(attribute)
        return optional

    # datatypes (inlined, as odd2relax does)

    def _data(self, node: etree._Element, context: etree._Element) -> list[etree._Element]:
        if not isinstance(node.tag, str):
            return []
        if node.tag.startswith(f"{{{RNG_NS}}}"):
            return [self._embedded(node)]
        if not _is_tei(node):
            return []
        local = _local(node)
        if local == "dataRef":
            if node.get("key"):
                key = node.get("key", "")
                spec = self.specs["dataSpec"].get(key)
                if spec is None:
                    spec = self.source.specs["dataSpec"].get(key)
                if spec is None:
                    self.warnings.append(
                        f"{self.label}:{source_line(node)}: dataRef key={key!r}: no dataSpec "
                        f"{key!r}; any text is allowed"
                    )
                    return [etree.Element(_r("text"))]
                content = spec.find(_t("content"))
                out: list[etree._Element] = []
                for child in content if content is not None else []:
                    out.extend(self._data(child, spec))
                return out or [etree.Element(_r("text"))]
            if node.get("name"):
                data = etree.Element(_r("data"), type=node.get("name", ""))
                if node.get("restriction"):
                    param = etree.SubElement(data, _r("param"), name="pattern")
                    param.text = node.get("restriction")
                for facet in node.findall(_t("dataFacet")):
                    param = etree.SubElement(data, _r("param"), name=facet.get("name", ""))
                    param.text = facet.get("value", "")
                return [data]
            if node.get("ref"):
                return [self._ref(node.get("ref", ""))]
            raise self.err("dataRef needs @key, @name or @ref", node)
        if local in ("alternate", "sequence"):
            inner: list[etree._Element] = []
            for child in node:
                inner.extend(self._data(child, context))
            wrapper = etree.Element(_r("choice" if local == "alternate" else "group"))
            wrapper.extend(inner)
            return _repeat([wrapper], *_occurs(node, self.label))
        if local == "valList":
            choice = etree.Element(_r("choice"))
            for item in node.findall(_t("valItem")):
                etree.SubElement(choice, _r("value")).text = item.get("ident", "")
            return [choice]
        if local == "textNode":
            return [etree.Element(_r("text"))]
        if local == "empty":
            return [etree.Element(_r("empty"))]
        if local in ("desc", "gloss", "remarks", "equiv", "altIdent"):
            return []
        raise self.err(f"<{local}> is not supported in a datatype", node)

    # content models

    def _content(
        self, content: etree._Element | None, spec: etree._Element
    ) -> list[etree._Element]:
        if content is None:
            return []
        out: list[etree._Element] = []
        for child in content:
            out.extend(self._pattern(child, spec))
        return out

    def _embedded(self, node: etree._Element) -> etree._Element:
        """Copy embedded RELAX NG, pointing its references at the schema's pattern names."""
        copied = copy.deepcopy(node)
        content = next((a for a in node.iterancestors(_t("content"))), None)
        if content is not None and content.get("autoPrefix") == "false":
            return copied  # the ODD wrote the final pattern names itself
        for div in copied.iter(_r("div")):
            # <rng:div> belongs at grammar level; in a pattern teikit reads it as a group
            div.tag = _r("group")
        elements = self.specs["elementSpec"]
        for ref in copied.iter(_r("ref")):
            name = ref.get("name", "")
            if name.startswith("tei.") and name[4:] in elements:
                name = name[4:]  # the P4-era pattern names some ODDs still use
            if name not in elements and name in self.by_ident:
                name = self.by_ident[name]  # an element in another namespace (egXML)
            if name in elements and name not in self.specs["macroSpec"]:
                ref.set("name", self._element_name(name))
            elif self.prefix and self._is_tei_pattern(name):
                ref.set("name", self._p(name))
        return copied

    def _is_tei_pattern(self, name: str) -> bool:
        """Tell whether *name* is a pattern made from a class or macro of the schema."""
        if name in self.specs["macroSpec"] or name in self.specs["classSpec"]:
            return True
        base = re.sub(r"(_(alternation|sequence\w*)|\.attributes|\.attribute\.\S+)$", "", name)
        return base != name and base in self.specs["classSpec"]

    def _pattern(self, node: etree._Element, spec: etree._Element) -> list[etree._Element]:
        if not isinstance(node.tag, str):
            return []
        if node.tag.startswith(f"{{{RNG_NS}}}"):
            return [self._embedded(node)]
        if not _is_tei(node):
            return []
        local = _local(node)
        occurs = _occurs(node, self.label)
        if local in ("sequence", "alternate", "interleave"):
            inner: list[etree._Element] = []
            for child in node:
                inner.extend(self._pattern(child, spec))
            if not inner:
                return []
            tag = {"sequence": "group", "alternate": "choice", "interleave": "interleave"}[local]
            wrapper = etree.Element(_r(tag))
            wrapper.extend(inner)
            return _repeat([wrapper], *occurs)
        if local == "elementRef":
            key = node.get("key", "")
            key = key if key in self.specs["elementSpec"] else self.by_ident.get(key, key)
            if key not in self.specs["elementSpec"]:
                if self.external_names and key in self.external_names:
                    return _repeat([self._ref(key)], *occurs)  # defined by an external module
                return []
            return _repeat([self._ref(self._element_name(key))], *occurs)
        if local == "classRef":
            key = node.get("key", "")
            if node.get("include") or node.get("except"):
                raise self.err("classRef with @include or @except is not supported", node)
            if key not in self.specs["classSpec"]:
                return []
            expand = node.get("expand")
            if expand and expand not in _EXPANSIONS:
                raise self.err(f"classRef/@expand={expand!r} is not a TEI value", node)
            return _repeat([self._ref(self._p(f"{key}_{expand}" if expand else key))], *occurs)
        if local == "macroRef":
            key = node.get("key", "")
            if key not in self.specs["macroSpec"]:
                if self.external_names and key in self.external_names:
                    return _repeat([self._ref(key)], *occurs)
                return []
            return _repeat([self._ref(self._p(key))], *occurs)
        if local in ("dataRef", "valList"):
            return _repeat(self._data(node, spec), *occurs)
        if local == "textNode":
            return [etree.Element(_r("text"))]
        if local == "empty":
            return [etree.Element(_r("empty"))]
        if local == "anyElement":
            return _repeat([self._ref(self._any_element(node, spec))], *occurs)
        raise self.err(f"<{local}> is not supported in a content model", node)

    def _any_element(self, node: etree._Element, spec: etree._Element) -> str:
        self.anys += 1
        name = f"anyElement_{spec.get('ident', '')}_{self.anys}"
        define = etree.Element(_r("define"), name=name)
        element = etree.SubElement(define, _r("element"))
        names: etree._Element
        if node.get("require"):
            names = etree.SubElement(element, _r("choice"))
            for uri in node.get("require", "").split():
                etree.SubElement(names, _r("nsName"), ns=uri)
        else:
            names = etree.SubElement(element, _r("anyName"))
            default = self.schema.get("defaultExceptions", f"{TEI_NS} teix:egXML")
            tokens = node.get("except", default).split()
            if tokens:
                exceptions = etree.SubElement(names, _r("except"))
                for token in tokens:
                    if "://" in token or token.startswith("urn:") or ":" not in token:
                        etree.SubElement(exceptions, _r("nsName"), ns=token)
                        continue
                    prefix, localname = token.split(":", 1)
                    known = {"teix": _TEIX_NS, "tei": TEI_NS}
                    found = (
                        node.nsmap.get(prefix) or self.schema.nsmap.get(prefix) or known.get(prefix)
                    )
                    if found is None:
                        raise self.err(f"anyElement/@except: unknown prefix {prefix!r}", node)
                    etree.SubElement(exceptions, _r("name"), ns=found).text = localname
        attributes = etree.SubElement(element, _r("zeroOrMore"))
        etree.SubElement(etree.SubElement(attributes, _r("attribute")), _r("anyName"))
        children = etree.SubElement(etree.SubElement(element, _r("zeroOrMore")), _r("choice"))
        etree.SubElement(children, _r("text"))
        children.append(self._ref(name))
        self.any_defines.append(define)
        return name

    # elements

    def _element(self, ident: str, spec: etree._Element) -> etree._Element:
        define = self._define(self._element_name(ident))
        alt = spec.find(_t("altIdent"))
        element = etree.SubElement(
            define,
            _r("element"),
            name=(alt.text or "").strip() if alt is not None else spec.get("ident", ident),
        )
        element.set("ns", spec.get("ns", self.default_ns))
        self._document(spec, element)
        content = spec.find(_t("content"))
        patterns = self._content(content, spec)
        element.extend(patterns)
        if not any(isinstance(c.tag, str) for c in element) or _simplify(element):
            for child in list(element):
                element.remove(child)
            element.append(etree.Element(_r("empty")))
        real = spec.get("ident", ident)
        self._constraints(spec, element, real, real)
        self._element_attributes(spec, element)
        for attdef in self._own_attdefs(spec):
            if attdef.get("mode") != "delete":
                # a changed inherited attribute's class constraints stay with the class
                self._constraints(attdef, element, f"{real}-{attdef.get('ident')}", real)
        etree.SubElement(element, _r("empty"))
        return define

    # Schematron

    def _constraints(
        self, spec: etree._Element, parent: etree._Element, label: str, element: str | None
    ) -> None:
        self._constraints_of(spec.findall(_t("constraintSpec")), parent, label, element)

    def _constraints_of(
        self,
        constraints: Iterable[etree._Element],
        parent: etree._Element,
        label: str,
        element: str | None,
    ) -> None:
        for constraint in constraints:
            if constraint.get("scheme") not in ("schematron", "isoschematron"):
                continue
            if constraint.get("mode") == "delete":
                continue
            if constraint.get(f"{{{XML_NS}}}lang", "en") != "en":
                # a translation of another constraint (TEI has French twins of some): the
                # TEI Stylesheets, run for English, leave them out, and so does teikit
                continue
            body = constraint.find(_t("constraint"))
            if body is None:
                continue
            for ns in body.iter(_s("ns")):
                self.sch_ns[ns.get("prefix", "")] = ns.get("uri", "")
            rules = [c for c in body if isinstance(c.tag, str) and c.tag == _s("rule")]
            checks = [
                c for c in body if isinstance(c.tag, str) and c.tag in (_s("assert"), _s("report"))
            ]
            explicit = [c for c in body if isinstance(c.tag, str) and c.tag == _s("pattern")]
            made: list[etree._Element] = [copy.deepcopy(p) for p in explicit]
            if rules or checks:
                number = len(self.patterns) + len(made) + 1
                pattern = etree.Element(
                    _s("pattern"),
                    id=f"{self.name}-{label}-{constraint.get('ident', '')}-constraint-{number}",
                )
                pattern.extend(copy.deepcopy(r) for r in rules)
                if checks:
                    owner = self.specs["elementSpec"].get(element or "")
                    prefix = self._prefix_for(owner) if owner is not None else "tei"
                    context = f"{prefix}:{element}" if element else "tei:*"
                    parent_attdef = constraint.getparent()
                    if _is_tei(parent_attdef, "attDef"):
                        context = f"{context}/@{parent_attdef.get('ident')}"  # type: ignore[union-attr]
                    rule = etree.SubElement(pattern, _s("rule"), context=context)
                    rule.extend(copy.deepcopy(c) for c in checks)
                made.append(pattern)
            for pattern in made:
                self.patterns.append(pattern)
                parent.append(copy.deepcopy(pattern))

    def _isosch(self) -> etree._Element:
        schema = etree.Element(_s("schema"), nsmap={"sch": SCH_NS}, queryBinding="xslt2")
        etree.SubElement(schema, _s("title")).text = f"ISO Schematron rules for {self.name}"
        for prefix, uri in self._namespaces().items():
            etree.SubElement(schema, _s("ns"), prefix=prefix, uri=uri)
        schema.extend(self._param_lists())
        schema.extend(self._deprecations())
        schema.extend(copy.deepcopy(p) for p in self.patterns)
        return schema

    def _prefix_for(self, spec: etree._Element) -> str:
        """Return the Schematron prefix of the namespace of element *spec*."""
        ns = spec.get("ns") or self.default_ns
        found = [p for p, uri in self._namespaces().items() if uri == ns]
        return found[0] if found else "tei"

    def _namespaces(self) -> dict[str, str]:
        """Return the prefixes the Schematron rules may use (extract-isosch's defaults)."""
        namespaces = {
            "tei": TEI_NS,
            "xs": "http://www.w3.org/2001/XMLSchema",
            "rng": RNG_NS,
            "rna": _A_NS,
            "sch": SCH_NS,
            "sch1x": "http://www.ascc.net/xml/schematron",
            "teix": _TEIX_NS,
        }
        namespaces.update(self.sch_ns)
        return namespaces

    def _deprecations(self) -> Iterator[etree._Element]:
        """Yield extract-isosch's warning for each element the TEI is going to remove."""
        for spec in self.specs["elementSpec"].values():
            if not spec.get("validUntil"):
                continue
            pattern = etree.Element(_s("pattern"))
            rule = etree.SubElement(
                pattern, _s("rule"), context=f"{self._prefix_for(spec)}:{spec.get('ident')}"
            )
            report = etree.SubElement(rule, _s("report"), test="true()", role="nonfatal")
            report.text = "WARNING: use of deprecated element — The "
            etree.SubElement(
                report, _s("name")
            ).tail = f" element will be removed from the TEI on {spec.get('validUntil')}."
            yield pattern

    def _param_lists(self) -> Iterator[etree._Element]:
        """Yield extract-isosch's checks of ``param/@name`` against each value's ``paramList``."""
        for ident, spec in self.specs["elementSpec"].items():
            number = 0
            for attdef in self._own_attdefs(spec):
                for item in attdef.iterfind(f"{_t('valList')}/{_t('valItem')}"):
                    names = [
                        p.get("ident", "")
                        for p in item.iterfind(f"{_t('paramList')}/{_t('paramSpec')}")
                    ]
                    if not names:
                        continue
                    number += 1
                    pattern = etree.Element(_s("pattern"), id=f"teipm-{ident}-paramList-{number}")
                    owner = f"parent::tei:{ident}/@{attdef.get('ident')}"
                    context = f"tei:param[{owner}='{item.get('ident')}']"
                    rule = etree.SubElement(pattern, _s("rule"), context=context)
                    check = etree.SubElement(
                        rule,
                        _s("assert"),
                        role="error",
                        test=" or ".join(f"@name='{n}'" for n in names),
                    )
                    check.text = "Parameter name '"
                    etree.SubElement(check, _s("value-of"), select="@name").tail = "' (on "
                    etree.SubElement(
                        check, _s("value-of"), select="ancestor::tei:elementSpec/@ident"
                    ).tail = f") not allowed. Must be drawn from the list: {', '.join(names)}"
                    yield pattern

    def _drop_dangling(self, grammar: etree._Element) -> None:
        """Remove references to patterns the schema does not define, then empty containers."""
        grammar.extend(self.any_defines)
        if self.external_names is None:
            return  # an external grammar teikit cannot read may define what is referenced
        defined = {d.get("name") for d in grammar.iter(_r("define"))} | self.external_names
        dangling = [r for r in grammar.iter(_r("ref")) if r.get("name") not in defined]
        for ref in dangling:
            parent = ref.getparent()
            if parent is not None:
                parent.remove(ref)
        if dangling:
            for define in grammar.iter(_r("define"), _r("element"), _r("attribute")):
                if _simplify(define) and define.tag != _r("attribute"):
                    define.append(etree.Element(_r("empty")))

    def _compiled(self, schema: etree._Element) -> etree._Element:
        root = copy.deepcopy(self.odd)
        for old in root.iter(_t("schemaSpec")):
            if old.get("ident") == schema.get("ident"):
                new = etree.Element(
                    _t("schemaSpec"), {str(k): str(v) for k, v in schema.attrib.items()}
                )
                new.tail = old.tail
                for kind in _SPEC_KINDS:
                    for spec in self.specs[kind].values():
                        new.append(copy.deepcopy(spec))
                old.getparent().replace(old, new)  # type: ignore[union-attr]
                break
        return root


def _schema_spec(root: etree._Element, wanted: str | None, label: str) -> etree._Element:
    schemas = [s for s in root.iter(_t("schemaSpec"))]
    if wanted:
        schemas = [s for s in schemas if s.get("ident") == wanted]
    if not schemas:
        what = f"no schemaSpec ident={wanted!r}" if wanted else "no schemaSpec"
        raise OddError(f"{label}: {what}: this is not an ODD customisation")
    return schemas[0]


_VAULT: Final = "https://www.tei-c.org/Vault/P5/{}/xml/tei/odd/p5subset.xml"
_CATALOG_NS: Final = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def read_catalog(path: Path) -> dict[str, Path]:
    """Return the ``uri`` and ``system`` entries of the OASIS XML catalog *path*."""
    root = load(path).root
    entries: dict[str, Path] = {}
    for entry in root.iter(f"{{{_CATALOG_NS}}}uri", f"{{{_CATALOG_NS}}}system"):
        name = entry.get("name") or entry.get("systemId")
        target = entry.get("uri")
        if name and target:
            entries[name] = (path.parent / target).resolve()
    return entries


@dataclass
class _Sources:
    """Where TEI sources and external grammars are found: never on the network."""

    p5subset: bytes | Path | None
    catalog: dict[str, Path]
    label: str
    depth: int = 0
    loaded: dict[str, _Source] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)

    def locate(self, value: str, base: Path | None) -> Path | None:
        """Return the local file for URL or path *value*, ``None`` when there is none."""
        candidates = [value]
        match = re.fullmatch(r"tei:(\S+)", value)
        if match:
            candidates = [
                _VAULT.format(match.group(1)),
                _VAULT.format(match.group(1)).replace("https:", "http:"),
            ]
        for candidate in candidates:
            if candidate in self.catalog:
                return self.catalog[candidate]
            if candidate.replace("http:", "https:", 1) in self.catalog:
                return self.catalog[candidate.replace("http:", "https:", 1)]
        if value.startswith("file:"):
            return Path(value[len("file://") :])
        if "://" in value or value.startswith("tei:"):
            return None
        return Path(value) if base is None else base.parent / value

    def source(self, value: str, where: etree._Element, base: Path | None) -> _Source:
        """Return the TEI source that ``@source`` *value* names (the default when empty)."""
        value = value.strip()
        if not value:
            if self.p5subset is not None:
                return self._load(self.p5subset)
            return _bundled_source()
        local = self.locate(value, base)
        if local is not None:
            if not local.is_file():
                raise _error(f"@source {value!r}: no such file ({local})", where, self.label)
            return self._load(local)
        match = re.fullmatch(r"tei:(\S+)", value) or re.search(r"/Vault/P5/([^/]+)/", value)
        version = match.group(1) if match else None
        if self.p5subset is not None:
            return self._load(self.p5subset)
        if version in ("current", "latest", BUNDLED_VERSION):
            return _bundled_source()
        wanted = f"TEI {version}" if version else repr(value)
        raise _error(
            f"@source asks for {wanted}; teikit bundles TEI {BUNDLED_VERSION} and never "
            "downloads: give that release's p5subset.xml with --source (or map the URL in "
            "a --catalog)",
            where,
            self.label,
        )

    def _load(self, source: bytes | Path) -> _Source:
        key = str(source.resolve()) if isinstance(source, Path) else f"bytes:{hash(source)}"
        if isinstance(source, Path) and source.resolve() not in self.inputs:
            self.inputs.append(source.resolve())
        if key not in self.loaded:
            self.loaded[key] = _load_source(source, self, self.label, self.depth)
        return self.loaded[key]


_BUNDLED_SOURCE: list[_Source] = []


def _bundled_source() -> _Source:
    if not _BUNDLED_SOURCE:
        _BUNDLED_SOURCE.append(_index(load(bundled_p5subset(), name="p5subset.xml").root))
    return _BUNDLED_SOURCE[0]


def _load_source(source: bytes | Path, sources: _Sources, label: str, depth: int) -> _Source:
    document = load(source) if isinstance(source, Path) else load(source, name="p5subset.xml")
    root = document.root
    schemas = list(root.iter(_t("schemaSpec")))
    if any(s.find(_t("moduleRef")) is not None for s in schemas):
        # a chained customisation: compile the source ODD first, then use its specs
        if depth > 8:
            raise OddError(f"{label}: ODD sources chain more than 8 deep")
        inner = _Sources(sources.p5subset, sources.catalog, document.name, depth + 1)
        inner.inputs = sources.inputs  # one list: every file the compilation read
        compiled = _compile(document.root, document.path, inner, None)
        return _index(compiled.compiled.getroot())
    return _index(root)


def _compile(
    root: etree._Element, path: Path | None, sources: _Sources, schema_ident: str | None
) -> CompiledOdd:
    schema = _schema_spec(root, schema_ident, sources.label)
    source = sources.source(schema.get("source", ""), schema, path)
    name = schema.get("ident", "schema")
    compiler = _Compiler(root, name, source, sources.label, schema)
    compiler.path = path
    compiler.sources = sources
    grammar, isosch, compiled = compiler.compile(schema)
    return CompiledOdd(
        name,
        compiled.getroottree(),
        grammar.getroottree(),
        isosch.getroottree(),
        compiler.warnings,
        sources.inputs,
    )


def compile_odd(
    source: str | Path | bytes,
    *,
    p5subset: str | Path | bytes | None = None,
    schema: str | None = None,
    catalog: str | Path | None = None,
) -> CompiledOdd:
    """Compile the ODD customisation *source* (a path or its bytes) into RELAX NG and Schematron.

    *p5subset* is the TEI source to customise (a ``p5subset.xml`` path or bytes); by default
    the ODD's ``schemaSpec/@source`` when it names a local file, else the bundled release.
    *schema* picks a ``schemaSpec`` by ``@ident`` when the ODD has several. *catalog* is an
    OASIS XML catalog mapping the URLs the ODD names (``@source``, ``moduleRef/@url``) to local
    files: teikit never downloads.

    :raises OddError: the ODD uses something teikit does not support, or refers to
        something that does not exist (the message names the construct and its line).
    :raises DocumentLoadError: a file cannot be read.
    :raises InputError: a file is not well-formed XML.

    >>> odd = (b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
    ...        b'<schemaSpec ident="notes" start="p"><moduleRef key="tei"/>'
    ...        b'<moduleRef key="core" include="p hi"/></schemaSpec></body></text></TEI>')
    >>> compiled = compile_odd(odd)
    >>> compiled.name, [e.get("name") for e in compiled.rng.iter("{*}element") if e.get("name")]
    ('notes', ['p', 'hi'])
    """
    document = load(Path(source) if isinstance(source, str) else source)
    reference: bytes | Path | None = Path(p5subset) if isinstance(p5subset, str) else p5subset
    entries = read_catalog(Path(catalog)) if catalog is not None else {}
    sources = _Sources(reference, entries, document.name)
    try:
        result = _compile(document.root, document.path, sources, schema)
        result.warnings[:0] = [f"{w.location()}: {w.message}" for w in document.warnings]
        return result
    except TeikitError:
        raise
    except RecursionError:  # pragma: no cover - pathological nesting
        raise OddError(f"{document.name}: the ODD nests too deeply") from None

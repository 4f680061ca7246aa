"""Compile an ODD customisation: resolve it against the TEI source, emit RELAX NG and Schematron.

The semantics follow the TEI Stylesheets (``odds/odd2odd.xsl`` then ``odds/odd2relax.xsl`` and
``odds/extract-isosch.xsl``), TEI Guidelines chapter 22 ("Documentation Elements") and 23.3
("Customization"). Equivalence is measured by verdicts, not bytes (see ``docs/odd.md``).

The compiler is one state passed through its stages, each a base class in its own module:
``resolve`` (odd2odd: the specs the schema selects, the customisation applied with ``merge``),
``attributes`` (classes and attributes), ``patterns`` (content models, datatypes, elements),
``outputs`` (Schematron, isosch, the compiled ODD), and :class:`_Compiler` here, which runs
them. ``specs`` holds the shared names and the indexed TEI source; ``sources`` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from teikit.__about__ import __version__
from teikit.document import load, source_line
from teikit.errors import OddError, TeikitError
from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS
from teikit.odd.outputs import _Outputs
from teikit.odd.sources import (
    BUNDLED_VERSION,
    _schema_spec,
    _Sources,
    bundled_p5subset,
    read_catalog,
)
from teikit.odd.specs import _A_NS, _XSD_TYPES, _r, _s, _t

__all__ = ["BUNDLED_VERSION", "CompiledOdd", "bundled_p5subset", "compile_odd"]


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


class _Compiler(_Outputs):
    """The ODD compiler: its stages are the base classes (resolve.py to outputs.py)."""

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

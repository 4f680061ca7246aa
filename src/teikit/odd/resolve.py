"""The first stage of the ODD compiler (odd2odd): select the specs the schema names and apply
the customisation to them. The later stages subclass :class:`_Resolver` (the shared state)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from teikit.document import source_line
from teikit.errors import OddError
from teikit.namespaces import XML_NS
from teikit.odd.merge import _merge_children
from teikit.odd.sources import _Sources
from teikit.odd.specs import (
    _REF_KINDS,
    _SPEC_KINDS,
    _error,
    _is_tei,
    _local,
    _Source,
    _t,
    _unique_name,
)


class _Resolver:
    """The compiler's state, and the customisation resolved against the TEI source."""

    # set by resolve() and by _Compiler.compile(), read by every stage
    externals: list[etree._Element]
    specs: dict[str, dict[str, etree._Element]]
    prefix: str
    default_ns: str
    anys: int
    patterns: list[etree._Element]
    sch_ns: dict[str, str]
    memberships: dict[str, list[tuple[str, str, etree._Element]]]
    used_atts: set[str]
    by_ident: dict[str, str]

    if TYPE_CHECKING:  # defined by the later stages (patterns.py, outputs.py)

        def _data(self, node: etree._Element, context: etree._Element) -> list[etree._Element]: ...

        def _embedded(self, node: etree._Element) -> etree._Element: ...

        def _constraints(
            self, spec: etree._Element, parent: etree._Element, label: str, element: str | None
        ) -> None: ...

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

"""HTML documentation of an ODD customisation for a project's encoders (``teikit odd doc``).

The page is built from what :func:`teikit.odd.compile_odd` produces: the compiled ODD (glosses,
descriptions, value lists, examples) and its RELAX NG (which elements and attributes exist,
content models, the Schematron embedded in it), plus the ODD's own specs with ``@mode`` for
what the project changed from TEI. One static HTML5 file: no script, no external resource.
"""

from __future__ import annotations

import html
from pathlib import Path

from lxml import etree

from teikit.__about__ import __version__
from teikit.document import load
from teikit.namespaces import SCH_NS, TEI_NS, XML_NS
from teikit.odd.compiler import compile_odd
from teikit.odd.doc_entries import (
    _KINDS,
    Documentation,
    Entry,
    _Entries,
    _example,
    _inside_element,
    _lang_ok,
    _t,
    _tei_version,
)
from teikit.odd.doc_html import page
from teikit.odd.merge import _attdefs
from teikit.odd.sources import _Sources, read_catalog
from teikit.odd.specs import _A_NS, _TEIX_NS

__all__ = ["document_odd"]


class _Builder(_Entries):
    """Reads a compiled ODD and its RELAX NG into a :class:`Documentation`."""

    def entry(self, key: str) -> Entry:
        element = self.element_defines[key]
        spec = self.spec_of.get(key)
        gloss, desc = self.gloss_desc(spec) if spec is not None else ("", "")
        if spec is None:
            documentation = element.find(f"{{{_A_NS}}}documentation")
            desc = html.escape(documentation.text or "") if documentation is not None else ""
        found: list[tuple] = []  # type: ignore[type-arg]
        self.collect_attributes(list(element), True, "", found)
        attributes = sorted(
            (self.attribute(node, req, origin, spec) for node, req, origin in found),
            key=lambda a: a.name.lower(),
        )
        patterns = element.findall(f"{{{SCH_NS}}}pattern")
        examples = []
        if spec is not None:
            for exemplum in spec.findall(_t("exemplum")):
                if not _lang_ok(exemplum):
                    continue
                for eg in exemplum.iter(f"{{{_TEIX_NS}}}egXML"):
                    examples.append(_example(eg))
        classes = (
            [m.get("key", "") for m in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}")]
            if spec is not None
            else []
        )
        content = self.content_nodes(element)
        return Entry(
            key=key,
            name=element.get("name", ""),
            namespace=element.get("ns", TEI_NS),
            module=spec.get("module", "") if spec is not None else "",
            gloss=gloss,
            description=desc,
            classes=classes,
            content=self.pattern(content),
            attributes=attributes,
            contains=sorted(self.reachable(content, set()), key=lambda k: self.names[k].lower()),
            contained_by=[],
            constraints=self.rules(patterns),
            examples=examples,
        )

    def build(self, label: str) -> Documentation:
        entries = [self.entry(k) for k in self.element_defines]
        entries.sort(key=lambda e: (e.name.lower(), e.key))
        parents: dict[str, list[str]] = {}
        for entry in entries:
            for child in entry.contains:
                parents.setdefault(child, []).append(entry.key)
        for entry in entries:
            entry.contained_by = parents.get(entry.key, [])
        classes = []
        for ident, spec in sorted(self.specs["classSpec"].items(), key=lambda i: i[0].lower()):
            name = f"{self.prefix}{ident}"
            if spec.get("type") != "model" or name not in self.defines:
                continue
            members = sorted(
                self.reachable([self.defines[name]], {name}), key=lambda k: self.names[k].lower()
            )
            gloss, desc = self.gloss_desc(spec)
            classes.append((name, gloss, desc, members))
        macros = []
        for ident, spec in sorted(self.specs["macroSpec"].items(), key=lambda i: i[0].lower()):
            name = f"{self.prefix}{ident}"
            if name in self.defines:
                _, desc = self.gloss_desc(spec)
                macros.append((name, desc, self.pattern(self._children(self.defines[name]))))
        grammar = self.compiled.rng.getroot()
        top = [p for p in grammar.iter(f"{{{SCH_NS}}}pattern") if not _inside_element(p)]
        title = self.odd.find(f".//{_t('titleStmt')}/{_t('title')}")
        return Documentation(
            name=self.compiled.name,
            title=" ".join("".join(str(t) for t in title.itertext()).split())
            if title is not None
            else "",
            source_label=label,
            tei_version=_tei_version(grammar),
            modules=self.modules(),
            changes=self.changes(),
            elements=entries,
            classes=classes,
            macros=macros,
            other_constraints=self.rules(top),
        )

    # -- what the ODD changes ------------------------------------------------------------------

    def odd_schema(self) -> etree._Element:
        return next(
            s for s in self.odd.iter(_t("schemaSpec")) if s.get("ident") == self.compiled.name
        )

    def odd_items(self) -> list[etree._Element]:
        """Return the ``moduleRef``s and specs of the ODD's schemaSpec, ``specGrpRef``s followed."""
        ids = {e.get(f"{{{XML_NS}}}id"): e for e in self.odd.iter() if e.get(f"{{{XML_NS}}}id")}
        out: list[etree._Element] = []

        def walk(parent: etree._Element, seen: frozenset[str]) -> None:
            for child in parent:
                if not isinstance(child.tag, str) or etree.QName(child).namespace != TEI_NS:
                    continue
                local = etree.QName(child).localname
                if local == "specGrpRef":
                    target = child.get("target", "").lstrip("#")
                    if target in ids and target not in seen:
                        walk(ids[target], seen | {target})
                elif local == "specGrp":
                    walk(child, seen)
                elif local in ("moduleRef", *_KINDS):
                    out.append(child)

        walk(self.odd_schema(), frozenset())
        return out

    def modules(self) -> list[str]:
        lines = []
        for ref in self.odd_items():
            if etree.QName(ref).localname != "moduleRef":
                continue
            if ref.get("url"):
                lines.append(f"external RELAX NG <code>{html.escape(ref.get('url', ''))}</code>")
                continue
            key = ref.get("key", "")
            total = sorted(
                s.get("ident", "")
                for s in self.source_specs.get("elementSpec", {}).values()
                if s.get("module") == key
            )
            line = f"<code>{html.escape(key)}</code>"
            if ref.get("include") is not None:
                kept = ref.get("include", "").split()
                line += (
                    f": {len(kept)} of its {len(total)} elements ("
                    + ", ".join(self.link(self.prefix + k) for k in sorted(kept))
                    + ")"
                )
            elif ref.get("except"):
                left = ref.get("except", "").split()
                line += f": all {len(total)} elements but " + ", ".join(
                    f"<code>{html.escape(k)}</code>" for k in sorted(left)
                )
            else:
                line += f": all its {len(total)} elements" if total else ""
            lines.append(line)
        return lines

    def changes(self) -> list[tuple[str, str, str, list[str]]]:
        out = []
        for spec in self.odd_items():
            kind = etree.QName(spec).localname
            if kind == "moduleRef":
                continue
            ident = spec.get("ident", "")
            mode = spec.get("mode", "add")
            if mode == "add":
                mode = "replaced" if ident in self.source_specs.get(kind, {}) else "added"
            else:
                mode = {"change": "changed", "delete": "deleted", "replace": "replaced"}.get(
                    mode, mode
                )
            details = [] if mode == "deleted" else _details(spec, mode)
            label = {"elementSpec": "element", "classSpec": "class", "macroSpec": "macro"}.get(
                kind, "datatype"
            )
            out.append((label, ident, mode, details))
        return out


def _details(spec: etree._Element, mode: str) -> list[str]:
    """Return what a spec with ``@mode`` changes, one HTML line per point."""
    out = []
    for node in (spec.find(_t("gloss")), spec.find(_t("desc"))):
        if node is not None and mode == "changed":
            out.append(f"new {etree.QName(node).localname}")
    classes = spec.find(_t("classes"))
    if classes is not None:
        how = classes.get("mode", "replace")
        for member in classes.findall(_t("memberOf")):
            what = "leaves" if member.get("mode") == "delete" else "joins"
            if how == "replace" and member.get("mode") != "delete":
                what = "member of"
            out.append(f"{what} <code>{html.escape(member.get('key', ''))}</code>")
    if spec.find(_t("content")) is not None and mode == "changed":
        out.append("new content model")
    attlist = spec.find(_t("attList"))
    for attdef in _attdefs(attlist) if attlist is not None else []:
        att_mode = {"change": "changed", "delete": "deleted", "replace": "replaced"}.get(
            attdef.get("mode", "add"), "added" if mode == "changed" else "defined"
        )
        line = f"attribute <code>@{html.escape(attdef.get('ident', ''))}</code> {att_mode}"
        if attdef.get("usage") == "req":
            line += ", now required"
        vallist = attdef.find(_t("valList"))
        if vallist is not None:
            values = ", ".join(
                f"<code>{html.escape(v.get('ident', ''))}</code>"
                for v in vallist.findall(_t("valItem"))
            )
            kind = vallist.get("type", "open")
            line += f"; {kind} value list" + (f": {values}" if values else "")
        out.append(line)
    for constraint in spec.iter(_t("constraintSpec")):
        how = {"change": "changed", "delete": "deleted", "replace": "replaced"}.get(
            constraint.get("mode", "add"), "added"
        )
        out.append(f"constraint <code>{html.escape(constraint.get('ident', ''))}</code> {how}")
    return out


def document_odd(
    source: str | Path | bytes,
    *,
    p5subset: str | Path | bytes | None = None,
    schema: str | None = None,
    catalog: str | Path | None = None,
) -> str:
    """Return static HTML5 documentation of the ODD customisation *source* (arguments as
    :func:`teikit.odd.compile_odd`): every element, its attributes and value lists, content
    model, constraints and examples, and what the ODD changes from TEI.

    :raises OddError: the ODD cannot be compiled (see :func:`teikit.odd.compile_odd`).
    """
    compiled = compile_odd(source, p5subset=p5subset, schema=schema, catalog=catalog)
    document = load(Path(source) if isinstance(source, str) else source)
    reference: bytes | Path | None = Path(p5subset) if isinstance(p5subset, str) else p5subset
    entries = read_catalog(Path(catalog)) if catalog is not None else {}
    sources = _Sources(reference, entries, document.name)
    odd_schema = next(
        s for s in document.root.iter(_t("schemaSpec")) if s.get("ident") == compiled.name
    )
    tei = sources.source(odd_schema.get("source", ""), odd_schema, document.path)
    builder = _Builder(compiled, document.root, tei.specs)
    return page(builder.build(Path(document.name).name), __version__)

"""The last stage of the ODD compiler: Schematron (embedded in the RNG and standalone
isosch) and the compiled ODD."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator

from lxml import etree

from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS, XML_NS
from teikit.odd.patterns import _Patterns
from teikit.odd.specs import (
    _A_NS,
    _SPEC_KINDS,
    _TEIX_NS,
    _is_tei,
    _r,
    _s,
    _simplify,
    _t,
)


class _Outputs(_Patterns):
    """The constraints as Schematron, the isosch schema and the compiled ODD."""

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

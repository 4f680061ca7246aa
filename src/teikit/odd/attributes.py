"""The second stage of the ODD compiler (odd2relax): classes and attributes as RELAX NG
defines, and the helpers every define uses."""

from __future__ import annotations

import copy

from lxml import etree

from teikit.namespaces import XML_NS
from teikit.odd.merge import _attdefs, _merge_attdef
from teikit.odd.resolve import _Resolver
from teikit.odd.specs import (
    _A_NS,
    _EXPANSIONS,
    _occurs,
    _r,
    _repeat,
    _simplify,
    _t,
)


class _Attributes(_Resolver):
    """Model classes, attribute classes and the attributes of an element."""

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

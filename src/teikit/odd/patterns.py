"""The third stage of the ODD compiler (odd2relax): content models to RELAX NG, pure-ODD
(``sequence``, ``alternate``, ...) and embedded RNG, datatypes, and element defines."""

from __future__ import annotations

import copy
import re

from lxml import etree

from teikit.document import source_line
from teikit.namespaces import RNG_NS, TEI_NS
from teikit.odd.attributes import _Attributes
from teikit.odd.specs import (
    _EXPANSIONS,
    _TEIX_NS,
    _is_tei,
    _local,
    _occurs,
    _r,
    _repeat,
    _simplify,
    _t,
)


class _Patterns(_Attributes):
    """Datatypes, content models and elements."""

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

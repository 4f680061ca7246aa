"""The reading half of ``teikit odd doc``: the records of the page, and how an element's
entry is read from the compiled ODD and its RELAX NG (prose, content models as links,
attributes with their values, Schematron rules)."""

from __future__ import annotations

import copy
import html
import re
import textwrap
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS, XML_NS
from teikit.odd.compiler import CompiledOdd
from teikit.odd.merge import _attdefs, _merge_attdef
from teikit.odd.specs import _TEIX_NS

__all__ = ["Attribute", "Documentation", "Entry"]


_KINDS: Final = ("elementSpec", "classSpec", "macroSpec", "dataSpec")
_INLINE_CODE: Final = frozenset({"att", "val", "ident", "code", "tag", "gi", "name"})


def _t(name: str) -> str:
    return f"{{{TEI_NS}}}{name}"


def _r(name: str) -> str:
    return f"{{{RNG_NS}}}{name}"


def _lang_ok(node: etree._Element) -> bool:
    return node.get(f"{{{XML_NS}}}lang") in (None, "en")


def _first(spec: etree._Element, tag: str) -> etree._Element | None:
    return next((n for n in spec.findall(_t(tag)) if _lang_ok(n)), None)


@dataclass
class Attribute:
    """One attribute of an element as the documentation shows it."""

    name: str
    required: bool
    datatype: str  # HTML: the RELAX NG pattern in compact form
    description: str  # HTML
    values: list[tuple[str, str]] = field(default_factory=list)  # (value, HTML description)
    list_type: str = ""  # closed, semi or open ("" without a value list)
    origin: str = ""  # the attribute class it comes from ("" for the element's own)


@dataclass
class Entry:
    """One element of the schema."""

    key: str  # the RELAX NG define name (the anchor)
    name: str
    namespace: str
    module: str
    gloss: str
    description: str  # HTML
    classes: list[str]
    content: str  # HTML
    attributes: list[Attribute]
    contains: list[str]  # define names
    contained_by: list[str]
    constraints: list[tuple[str, list[tuple[str, str, str]]]]  # (context, [(kind, test, msg)])
    examples: list[str]  # plain text (escaped when written)


@dataclass
class Documentation:
    """Everything the page shows, in the order it shows it."""

    name: str
    title: str
    source_label: str
    tei_version: str
    modules: list[str]  # HTML lines
    changes: list[tuple[str, str, str, list[str]]]  # (kind, ident, what, [HTML details])
    elements: list[Entry]
    classes: list[tuple[str, str, str, list[str]]]  # (name, gloss, HTML description, members)
    macros: list[tuple[str, str, str]]  # (name, HTML description, HTML content)
    other_constraints: list[tuple[str, list[tuple[str, str, str]]]]


class _Entries:
    """Reads elements, their attributes and content models from a compiled ODD and its RNG."""

    def __init__(self, compiled: CompiledOdd, odd: etree._Element, source_specs: dict) -> None:  # type: ignore[type-arg]
        self.compiled = compiled
        self.odd = odd
        self.source_specs: dict[str, dict[str, etree._Element]] = source_specs
        root = compiled.compiled.getroot()
        self.schema = next(
            s for s in root.iter(_t("schemaSpec")) if s.get("ident") == compiled.name
        )
        self.prefix = self.schema.get("prefix", "")
        self.specs: dict[str, dict[str, etree._Element]] = {k: {} for k in _KINDS}
        for kind in _KINDS:
            for spec in self.schema.iterchildren(_t(kind)):
                self.specs[kind][spec.get("ident", "")] = spec
        grammar = compiled.rng.getroot()
        self.defines = {d.get("name", ""): d for d in grammar.iter(_r("define"))}
        self.element_defines: dict[str, etree._Element] = {}
        for name, define in self.defines.items():
            element = define.find(_r("element"))
            if element is not None and element.get("name") and not name.startswith("anyElement_"):
                self.element_defines[name] = element
        self.names = {k: e.get("name", "") for k, e in self.element_defines.items()}
        self.spec_of: dict[str, etree._Element] = {}
        for ident, spec in self.specs["elementSpec"].items():
            key = f"{spec.get('prefix', self.prefix)}{ident}"
            if key in self.element_defines:
                self.spec_of[key] = spec
        self.reach: dict[str, frozenset[str]] = {}

    # -- prose ------------------------------------------------------------------------------

    def prose(self, node: etree._Element | None) -> str:
        """Return the HTML of a ``gloss``/``desc``-like TEI node (inline markup kept light)."""
        if node is None:
            return ""
        parts = [html.escape(node.text or "")]
        for child in node:
            if isinstance(child.tag, str):
                local = etree.QName(child).localname
                words = html.escape(" ".join("".join(str(t) for t in child.itertext()).split()))
                if local == "gi" and words in self.names.values():
                    key = next(k for k, v in self.names.items() if v == words)
                    parts.append(f'<code><a href="#el-{html.escape(key)}">{words}</a></code>')
                elif local == "att":
                    parts.append(f"<code>@{words}</code>")
                elif local == "val":
                    parts.append(f"<code>&quot;{words}&quot;</code>")
                elif local in _INLINE_CODE:
                    parts.append(f"<code>{words}</code>")
                elif local in ("term", "mentioned", "soCalled", "emph", "foreign", "title"):
                    parts.append(f"<em>{words}</em>")
                else:
                    parts.append(self.prose(child))
            parts.append(html.escape(child.tail or ""))
        return " ".join("".join(parts).split())

    def gloss_desc(self, spec: etree._Element) -> tuple[str, str]:
        gloss = _first(spec, "gloss")
        text = (
            " ".join("".join(str(t) for t in gloss.itertext()).split()) if gloss is not None else ""
        )
        return text, self.prose(_first(spec, "desc"))

    # -- content models --------------------------------------------------------------------

    def link(self, name: str) -> str:
        """Return the HTML for a reference to pattern *name*."""
        shown = html.escape(name)
        if name in self.element_defines:
            return f'<a href="#el-{shown}">{html.escape(self.names[name])}</a>'
        if name.startswith("anyElement_"):
            return "<i>any element</i>"
        base = re.sub(r"_(alternation|sequence\w*)$", "", name)
        if base[len(self.prefix) :] in self.specs["classSpec"] and base in self.defines:
            return f'<a href="#class-{html.escape(base)}">{shown}</a>'
        if name[len(self.prefix) :] in self.specs["macroSpec"]:
            return f'<a href="#macro-{shown}">{shown}</a>'
        return shown

    def pattern(self, nodes: list[etree._Element]) -> str:
        """Return a compact RELAX NG rendering (HTML) of *nodes* as a sequence."""
        shown = [self.one(n) for n in nodes]
        shown = [s for s in shown if s]
        return ", ".join(shown) if shown else "empty"

    def _children(self, node: etree._Element) -> list[etree._Element]:
        return [
            c
            for c in node
            if isinstance(c.tag, str) and c.tag.startswith(f"{{{RNG_NS}}}") and not _is_att(c)
        ]

    def one(self, node: etree._Element) -> str:
        local = etree.QName(node).localname
        children = self._children(node)
        if local == "ref":
            return self.link(node.get("name", ""))
        if local in ("text", "empty", "notAllowed"):
            return f"<i>{local}</i>" if local != "text" else "<i>text</i>"
        if local == "data":
            params = " ".join(
                f"{html.escape(p.get('name', ''))}=&quot;{html.escape(p.text or '')}&quot;"
                for p in node.findall(_r("param"))
            )
            return f"<i>{html.escape(node.get('type', ''))}</i>" + (
                f" {{ {params} }}" if params else ""
            )
        if local == "value":
            return f"&quot;{html.escape(node.text or '')}&quot;"
        if local in ("group", "choice", "interleave"):
            inner = [s for s in (self.one(c) for c in children) if s]
            if not inner:
                return ""
            if len(inner) == 1:
                return inner[0]
            joint = {"group": ", ", "choice": " | ", "interleave": " &amp; "}[local]
            return f"({joint.join(inner)})"
        if local in ("optional", "zeroOrMore", "oneOrMore"):
            inner = [s for s in (self.one(c) for c in children) if s]
            if not inner:
                return ""
            body = inner[0] if len(inner) == 1 else f"({', '.join(inner)})"
            return body + {"optional": "?", "zeroOrMore": "*", "oneOrMore": "+"}[local]
        if local in ("mixed", "list"):
            return f"{local} {{ {self.pattern(children)} }}"
        if local == "element":
            label = html.escape(node.get("name", "")) or "<i>any element</i>"
            return f"element {label} {{ {self.pattern(children)} }}"
        if local in ("anyName", "nsName", "name", "except", "attribute", "param"):
            return ""
        return html.escape(local)

    def content_nodes(self, element: etree._Element) -> list[etree._Element]:
        nodes = self._children(element)
        if nodes and etree.QName(nodes[-1]).localname == "empty":
            nodes = nodes[:-1]  # the compiler closes every element with <empty/>
        return nodes

    def reachable(self, nodes: list[etree._Element], seen: set[str]) -> set[str]:
        """Return the element defines *nodes* can contain directly (through classes, macros)."""
        found: set[str] = set()
        for node in nodes:
            for ref in node.iter(_r("ref")):
                name = ref.get("name", "")
                if _is_att(ref) or name in seen:
                    continue
                if name in self.element_defines:
                    found.add(name)
                elif name in self.defines:
                    seen.add(name)
                    found |= self.reachable(list(self.defines[name]), seen)
        return found

    # -- attributes ------------------------------------------------------------------------

    def collect_attributes(
        self,
        nodes: list[etree._Element],
        required: bool,
        origin: str,
        out: list[tuple],  # type: ignore[type-arg]
    ) -> None:
        for node in nodes:
            if not isinstance(node.tag, str):
                continue
            local = etree.QName(node).localname
            if local == "attribute":
                out.append((node, required, origin))
            elif local == "optional":
                self.collect_attributes(list(node), False, origin, out)
            elif local in ("group", "interleave", "zeroOrMore", "oneOrMore", "choice"):
                self.collect_attributes(list(node), required and local != "choice", origin, out)
            elif local == "ref" and _is_att(node):
                name = node.get("name", "")
                define = self.defines.get(name)
                if define is None:
                    continue
                match = re.match(r"(.+?)\.attribute(s|\.)", name)
                cls = match.group(1) if match else origin
                self.collect_attributes(list(define), required, cls, out)

    def class_attdef(self, cls: str, name: str, seen: set[str]) -> etree._Element | None:
        spec = self.specs["classSpec"].get(cls[len(self.prefix) :] if self.prefix else cls)
        if spec is None or cls in seen:
            return None
        seen.add(cls)
        attlist = spec.find(_t("attList"))
        for attdef in _attdefs(attlist) if attlist is not None else []:
            if _att_name(attdef) == name and attdef.get("mode") != "delete":
                return attdef
        for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
            found = self.class_attdef(member.get("key", ""), name, seen)
            if found is not None:
                return found
        return None

    def attdef_for(
        self, spec: etree._Element | None, name: str, origin: str
    ) -> etree._Element | None:
        own = None
        if spec is not None:
            attlist = spec.find(_t("attList"))
            own = next(
                (
                    a
                    for a in (_attdefs(attlist) if attlist is not None else [])
                    if _att_name(a) == name
                ),
                None,
            )
        base = self.class_attdef(origin, name, set()) if origin else None
        if base is None and spec is not None and own is not None and own.get("mode") == "change":
            for member in spec.iterfind(f"{_t('classes')}/{_t('memberOf')}"):
                base = self.class_attdef(member.get("key", ""), name, set())
                if base is not None:
                    break
        if own is not None and own.get("mode") == "change" and base is not None:
            merged = copy.deepcopy(base)
            _merge_attdef(merged, own)
            return merged
        return own if own is not None else base

    def attribute(
        self, node: etree._Element, required: bool, origin: str, spec: etree._Element | None
    ) -> Attribute:
        name = node.get("name", "")
        attdef = self.attdef_for(spec, name, origin)
        gloss, desc = self.gloss_desc(attdef) if attdef is not None else ("", "")
        description = f"<b>{html.escape(gloss)}</b> {desc}".strip() if gloss else desc
        inner = [c for c in node if isinstance(c.tag, str) and c.tag.startswith(f"{{{RNG_NS}}}")]
        datatype = self.pattern(inner) if inner else "<i>text</i>"
        values: list[tuple[str, str]] = []
        list_type = ""
        vallist = attdef.find(f".//{_t('valList')}") if attdef is not None else None
        if vallist is not None:
            list_type = vallist.get("type", "open")
            for item in vallist.findall(_t("valItem")):
                g, d = self.gloss_desc(item)
                values.append(
                    (item.get("ident", ""), f"<b>{html.escape(g)}</b> {d}".strip() if g else d)
                )
        return Attribute(name, required, datatype, description, values, list_type, origin)

    # -- Schematron --------------------------------------------------------------------------

    @staticmethod
    def rules(patterns: list[etree._Element]) -> list[tuple[str, list[tuple[str, str, str]]]]:
        out = []
        for pattern in patterns:
            for rule in pattern.iter(f"{{{SCH_NS}}}rule"):
                checks = []
                for check in rule:
                    if not isinstance(check.tag, str) or etree.QName(check).namespace != SCH_NS:
                        continue
                    kind = etree.QName(check).localname
                    if kind not in ("assert", "report"):
                        continue
                    checks.append((kind, check.get("test", ""), _message(check)))
                out.append((rule.get("context", ""), checks))
        return out


def _is_att(node: etree._Element) -> bool:
    local = etree.QName(node).localname
    if local == "attribute":
        return True
    if local == "ref":
        name = node.get("name", "")
        return name.endswith(".attributes") or ".attribute." in name
    if local in ("optional", "group", "choice", "zeroOrMore", "oneOrMore", "interleave"):
        kids = [c for c in node if isinstance(c.tag, str)]
        return bool(kids) and all(_is_att(c) for c in kids)
    return False


def _att_name(attdef: etree._Element) -> str:
    alt = attdef.find(_t("altIdent"))
    if alt is not None and (alt.text or "").strip():
        return (alt.text or "").strip()
    return attdef.get("ident", "")


def _inside_element(node: etree._Element) -> bool:
    return any(a.tag == _r("element") for a in node.iterancestors())


def _tei_version(grammar: etree._Element) -> str:
    for comment in grammar.iter(etree.Comment):
        match = re.search(r"TEI P5 (\S+)", comment.text or "")
        if match:
            return match.group(1)
    return ""


def _message(check: etree._Element) -> str:
    parts = [check.text or ""]
    for child in check:
        if isinstance(child.tag, str):
            local = etree.QName(child).localname
            if local == "name":
                parts.append(f"‹{child.get('path', 'name')}›")
            elif local == "value-of":
                parts.append(f"‹{child.get('select', '')}›")
            else:
                parts.append("".join(str(t) for t in child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _example(eg: etree._Element) -> str:
    """Return the XML of an ``egXML`` example as an encoder would type it."""
    copied = copy.deepcopy(eg)
    for node in copied.iter():
        if isinstance(node.tag, str) and etree.QName(node).namespace == _TEIX_NS:
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(copied)
    parts = [copied.text or ""]
    for child in copied:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    text = "".join(parts).replace(' xmlns="http://www.tei-c.org/ns/Examples"', "")
    return textwrap.dedent(text.strip("\n")).strip()

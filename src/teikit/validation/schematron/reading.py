"""Reading a Schematron schema into data: includes, abstract patterns and rules, phases, lets."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from lxml import etree

from teikit.document import load
from teikit.errors import SchemaLoadError, TeikitError
from teikit.namespaces import RNG_NS, SCH_NS, XML_NS

_S: Final = f"{{{SCH_NS}}}"
_OLD_SCH_NS: Final = "http://www.ascc.net/xml/schematron"
XPATH1_BINDINGS: Final = frozenset({"xslt", "xpath", "exslt"})
XPATH3_BINDINGS: Final = frozenset({"xslt2", "xpath2", "xslt3", "xpath3", "xpath31"})
_XPATH2_BINDINGS: Final = frozenset({"xslt2", "xpath2"})
#: The XPath version of each query binding that is not XPath 1.0 (XSLT 3.0 comes with 3.1).
_BINDING_VERSIONS: Final[Mapping[str, str]] = {
    "xslt2": "2.0",
    "xpath2": "2.0",
    "xslt3": "3.1",
    "xpath3": "3.0",
    "xpath31": "3.1",
}
#: The binding of Schematron embedded in RELAX NG (ODD processors write XPath 2 rules).
EMBEDDED_BINDING: Final = "xslt2"
_MAX_INCLUDE_DEPTH: Final = 10


# --------------------------------------------------------------------------------------------
# The schema as data (picklable): what load_schematron reads, before anything is compiled.


@dataclass(frozen=True, slots=True)
class _ValueOf:
    """``sch:value-of``: the string value of an expression."""

    select: str


_Part = str | _ValueOf


@dataclass(frozen=True, slots=True)
class _LetSpec:
    """One ``sch:let``."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class _CheckSpec:
    """One ``sch:assert`` or ``sch:report``."""

    kind: str  # "assert" or "report"
    test: str
    message: tuple[_Part, ...]
    id: str | None
    role: str | None
    subject: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class _RuleSpec:
    """One concrete ``sch:rule`` with its ``sch:extends`` expanded."""

    context: str
    lets: tuple[_LetSpec, ...]
    checks: tuple[_CheckSpec, ...]
    id: str | None
    role: str | None
    subject: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class _PatternSpec:
    """One concrete ``sch:pattern`` (abstract patterns instantiated)."""

    id: str | None
    lets: tuple[_LetSpec, ...]
    rules: tuple[_RuleSpec, ...]
    line: int | None


@dataclass(frozen=True, slots=True)
class _SchemaSpec:
    """A whole Schematron schema for one phase, as plain data."""

    name: str
    folder: str
    query_binding: str
    phase: str
    title: str | None
    namespaces: tuple[tuple[str, str], ...]
    lets: tuple[_LetSpec, ...]
    patterns: tuple[_PatternSpec, ...]


# --------------------------------------------------------------------------------------------
# Public descriptions of what was compiled.


@dataclass(frozen=True, slots=True)
class SchematronRule:
    """A compiled rule: where it comes from and which engine runs each expression."""

    pattern: str | None
    context: str
    id: str | None
    line: int | None
    selector: str  # "lxml", "elementpath" or "error"
    checks: tuple[tuple[str, str, str], ...]  # (kind, test, engine)


@dataclass(frozen=True, slots=True)
class SchematronPattern:
    """A compiled pattern and its rules, in schema order."""

    id: str | None
    rules: tuple[SchematronRule, ...]


# --------------------------------------------------------------------------------------------
# Reading the schema.


def _is_sch(element: etree._Element | None, local: str | None = None) -> bool:
    if element is None or not isinstance(element.tag, str):
        return False
    if local is None:
        return element.tag.startswith(_S)
    return bool(element.tag == _S + local)


def _lineno(element: etree._Element) -> int | None:
    """Return the line of *element* in its file, if known."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def _where(name: str, element: etree._Element) -> str:
    return f"{name}:{element.sourceline}" if element.sourceline else name


def _read_xml(path: Path) -> etree._Element:
    try:
        document = load(path)
    except TeikitError as exc:
        raise SchemaLoadError(f"cannot load Schematron schema: {exc}") from None
    return document.root


def _inside(folder: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def _expand_includes(
    root: etree._Element, here: Path, sandbox: Path, name: str, depth: int
) -> None:
    """Replace every ``sch:include`` below *root* by the root element of the file it names."""
    for include in list(root.iter(_S + "include")):
        href = include.get("href")
        if not href:
            raise SchemaLoadError(f"{_where(name, include)}: sch:include without @href")
        parts = urlsplit(href)
        if parts.scheme not in ("", "file") or parts.netloc or parts.fragment:
            raise SchemaLoadError(
                f"{_where(name, include)}: sch:include of {href!r} refused: only files in the "
                "schema's folder can be included (no URLs, no fragments)"
            )
        target = (here / unquote(parts.path)).resolve()
        if not _inside(sandbox, target):
            raise SchemaLoadError(
                f"{_where(name, include)}: sch:include of {href!r} refused: it is outside "
                f"the schema's folder {sandbox}"
            )
        if depth >= _MAX_INCLUDE_DEPTH:
            raise SchemaLoadError(f"{_where(name, include)}: sch:include nested too deeply")
        included = _read_xml(target)
        _expand_includes(included, target.parent, sandbox, str(target), depth + 1)
        included.tail = include.tail
        parent = include.getparent()
        if parent is None:  # pragma: no cover - an include cannot be the root of a schema
            raise SchemaLoadError(f"{name}: sch:include cannot be the root element")
        parent.replace(include, included)


def _substitute(text: str | None, params: Mapping[str, str]) -> str | None:
    """Replace ``$name`` by the value of abstract-pattern parameter *name*."""
    if text is None or not params:
        return text
    for key in sorted(params, key=len, reverse=True):
        value = params[key].replace("\\", "\\\\")
        text = re.sub(re.escape("$" + key) + r"(?![\w.\-])", value, text)
    return text


@dataclass(slots=True)
class _Reader:
    """Collects the parts of one schema (standalone or embedded) and builds its spec."""

    name: str
    abstract_rules: dict[str, etree._Element] = field(default_factory=dict)
    abstract_patterns: dict[str, etree._Element] = field(default_factory=dict)
    diagnostics: dict[str, etree._Element] = field(default_factory=dict)

    def collect(self, root: etree._Element) -> None:
        """Index the abstract rules, abstract patterns and diagnostics of *root*."""
        for rule in root.iter(_S + "rule"):
            if rule.get("abstract") == "true":
                ident = rule.get("id")
                if not ident:
                    raise SchemaLoadError(f"{_where(self.name, rule)}: abstract rule without @id")
                self.abstract_rules[ident] = rule
        for pattern in root.iter(_S + "pattern"):
            if pattern.get("abstract") == "true":
                ident = pattern.get("id")
                if not ident:
                    raise SchemaLoadError(
                        f"{_where(self.name, pattern)}: abstract pattern without @id"
                    )
                self.abstract_patterns[ident] = pattern
        for diagnostic in root.iter(_S + "diagnostic"):
            if diagnostic.get("id"):
                self.diagnostics[diagnostic.get("id", "")] = diagnostic

    def let(self, element: etree._Element, params: Mapping[str, str]) -> _LetSpec:
        """Return the spec of ``sch:let`` *element*."""
        name, value = element.get("name"), _substitute(element.get("value"), params)
        if not name:
            raise SchemaLoadError(f"{_where(self.name, element)}: sch:let without @name")
        if value is None:
            raise SchemaLoadError(
                f"{_where(self.name, element)}: sch:let {name!r} without @value is not "
                "supported (element content as a value)"
            )
        return _LetSpec(name, value)

    def message(self, element: etree._Element, params: Mapping[str, str]) -> list[_Part]:
        """Return the text, ``sch:value-of`` and ``sch:name`` parts of a message.

        As in the reference (SchXslt on Saxon), where the message becomes part of an XSLT
        stylesheet: a text node that is only whitespace is stripped (XSLT 3.0, 4.3), so
        ``<value-of select="a"/> <value-of select="b"/>`` gives "ab". Comments and
        processing instructions are removed first, so they do not split a text node.
        """
        parts: list[_Part] = []
        text = element.text or ""  # the text node being read
        for child in element:
            if not isinstance(child.tag, str):  # a comment or processing instruction
                text += child.tail or ""
                continue
            parts.append(text)
            if _is_sch(child, "value-of"):
                select = _substitute(child.get("select"), params)
                if not select:
                    raise SchemaLoadError(
                        f"{_where(self.name, child)}: sch:value-of without @select"
                    )
                parts.append(_ValueOf(select))
            elif _is_sch(child, "name"):
                path = _substitute(child.get("path"), params)
                parts.append(_ValueOf(f"name({path})" if path else "name(.)"))
            else:  # sch:emph, sch:dir, sch:span, foreign markup
                parts.extend(self.message(child, params))
            text = child.tail or ""
        parts.append(text)
        return [part for part in parts if not isinstance(part, str) or part.strip()]

    def check(self, element: etree._Element, params: Mapping[str, str]) -> _CheckSpec:
        """Return the spec of an ``sch:assert`` or ``sch:report``."""
        kind = etree.QName(element).localname
        test = _substitute(element.get("test"), params)
        if not test or not test.strip():
            raise SchemaLoadError(f"{_where(self.name, element)}: sch:{kind} without @test")
        parts = self.message(element, params)
        for ref in (element.get("diagnostics") or "").split():
            diagnostic = self.diagnostics.get(ref)
            if diagnostic is None:
                raise SchemaLoadError(f"{_where(self.name, element)}: unknown diagnostic {ref!r}")
            parts.append(" ")
            parts.extend(self.message(diagnostic, params))
        return _CheckSpec(
            kind,
            test,
            tuple(parts),
            element.get("id"),
            element.get("role"),
            _substitute(element.get("subject"), params),
            _lineno(element),
        )

    def body(
        self,
        rule: etree._Element,
        params: Mapping[str, str],
        lets: list[_LetSpec],
        checks: list[_CheckSpec],
        seen: tuple[str, ...],
    ) -> None:
        """Append the lets and checks of *rule* (``sch:extends`` expanded in place)."""
        for child in rule:
            if _is_sch(child, "let"):
                lets.append(self.let(child, params))
            elif _is_sch(child, "assert") or _is_sch(child, "report"):
                checks.append(self.check(child, params))
            elif _is_sch(child, "extends"):
                ref = child.get("rule")
                if ref is None:
                    raise SchemaLoadError(
                        f"{_where(self.name, child)}: sch:extends without @rule "
                        "(@href is not supported)"
                    )
                if ref in seen:
                    raise SchemaLoadError(f"{_where(self.name, child)}: sch:extends cycle {ref!r}")
                target = self.abstract_rules.get(ref)
                if target is None:
                    raise SchemaLoadError(
                        f"{_where(self.name, child)}: sch:extends names no abstract rule {ref!r}"
                    )
                self.body(target, params, lets, checks, (*seen, ref))

    def rule(self, element: etree._Element, params: Mapping[str, str]) -> _RuleSpec:
        """Return the spec of a concrete ``sch:rule``."""
        context = _substitute(element.get("context"), params)
        if not context or not context.strip():
            raise SchemaLoadError(f"{_where(self.name, element)}: sch:rule without @context")
        lets: list[_LetSpec] = []
        checks: list[_CheckSpec] = []
        self.body(element, params, lets, checks, ())
        return _RuleSpec(
            context.strip(),
            tuple(lets),
            tuple(checks),
            element.get("id"),
            element.get("role"),
            _substitute(element.get("subject"), params),
            _lineno(element),
        )

    def pattern(self, element: etree._Element) -> _PatternSpec:
        """Return the spec of a concrete ``sch:pattern`` (instantiating ``is-a``)."""
        source, params = element, {}
        is_a = element.get("is-a")
        if is_a is not None:
            source = self.abstract_patterns.get(is_a)  # type: ignore[assignment]
            if source is None:
                raise SchemaLoadError(
                    f"{_where(self.name, element)}: is-a names no abstract pattern {is_a!r}"
                )
            for param in element.iter(_S + "param"):
                if param.get("name") is None or param.get("value") is None:
                    raise SchemaLoadError(
                        f"{_where(self.name, param)}: sch:param needs @name and @value"
                    )
                params[param.get("name", "")] = param.get("value", "")
        lets = [self.let(c, params) for c in element if _is_sch(c, "let")]
        if source is not element:
            lets += [self.let(c, params) for c in source if _is_sch(c, "let")]
        rules = tuple(
            self.rule(child, params)
            for child in source
            if _is_sch(child, "rule") and child.get("abstract") != "true"
        )
        return _PatternSpec(element.get("id"), tuple(lets), rules, _lineno(element))


def _top_level(root: etree._Element) -> list[etree._Element]:
    """Return the Schematron elements at schema level (children of sch:schema or in an RNG)."""
    if _is_sch(root, "schema"):
        return [child for child in root if _is_sch(child)]
    return [e for e in root.iter(_S + "*") if not _is_sch(e.getparent())]


def _read_spec(
    path: Path, phase: str | None, tree: etree._ElementTree | None = None
) -> _SchemaSpec:
    """Read *path* (Schematron or RELAX NG) and return the spec for *phase*.

    *tree* is the file already parsed; it is left as it is (copied if includes must be
    expanded in it).
    """
    name = str(path)
    if tree is None:
        root = _read_xml(path)
    else:
        root = tree.getroot()
        if next(root.iter(_S + "include"), None) is not None:
            root = copy.deepcopy(root)
    folder = path.resolve().parent
    namespace = etree.QName(root).namespace
    if _is_sch(root, "schema"):
        binding = (root.get("queryBinding") or "xslt").strip().lower()
    elif namespace == RNG_NS:
        binding = EMBEDDED_BINDING
    elif namespace == _OLD_SCH_NS:
        raise SchemaLoadError(
            f"{name}: Schematron 1.5 (namespace {_OLD_SCH_NS}) is not supported; "
            "convert it to ISO Schematron"
        )
    else:
        raise SchemaLoadError(
            f"{name}: not a Schematron schema or a RELAX NG grammar (root element {root.tag!r})"
        )
    if binding not in XPATH1_BINDINGS | XPATH3_BINDINGS:
        known = ", ".join(sorted(XPATH1_BINDINGS | XPATH3_BINDINGS))
        raise SchemaLoadError(f"{name}: unsupported queryBinding {binding!r} (known: {known})")
    _expand_includes(root, folder, folder, name, 0)
    reader = _Reader(name)
    reader.collect(root)
    top = _top_level(root)
    namespaces: dict[str, str] = {}
    for element in top:
        if _is_sch(element, "ns"):
            prefix, uri = element.get("prefix"), element.get("uri")
            if not prefix or uri is None:
                raise SchemaLoadError(f"{_where(name, element)}: sch:ns needs @prefix and @uri")
            namespaces[prefix] = uri
    namespaces.setdefault("xml", XML_NS)
    lets = [reader.let(e, {}) for e in top if _is_sch(e, "let")]
    phases = {e.get("id", ""): e for e in top if _is_sch(e, "phase")}
    default_phase = root.get("defaultPhase") if _is_sch(root, "schema") else None
    chosen = phase if phase not in (None, "#DEFAULT") else (default_phase or "#ALL")
    assert chosen is not None
    active: set[str] | None = None
    if chosen != "#ALL":
        phase_element = phases.get(chosen)
        if phase_element is None:
            known = ", ".join(sorted(["#ALL", *phases]))
            raise SchemaLoadError(f"{name}: no phase {chosen!r} (phases: {known})")
        active = {a.get("pattern", "") for a in phase_element if _is_sch(a, "active")}
        lets += [reader.let(e, {}) for e in phase_element if _is_sch(e, "let")]
    patterns: list[_PatternSpec] = []
    for element in top:
        if _is_sch(element, "pattern") and element.get("abstract") != "true":
            if active is None or element.get("id") in active:
                patterns.append(reader.pattern(element))
        elif _is_sch(element, "rule") and element.get("abstract") != "true" and active is None:
            # A bare rule annotating a RELAX NG pattern: a pattern of its own.
            patterns.append(_PatternSpec(None, (), (reader.rule(element, {}),), _lineno(element)))
    title_element = next((e for e in top if _is_sch(e, "title")), None)
    title = (
        " ".join("".join(map(str, title_element.itertext())).split())
        if title_element is not None
        else None
    )
    return _SchemaSpec(
        name,
        str(folder),
        binding,
        chosen,
        title,
        tuple(namespaces.items()),
        tuple(lets),
        tuple(patterns),
    )

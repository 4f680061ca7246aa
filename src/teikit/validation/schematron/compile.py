"""Compiling a schema read by :mod:`.reading`: every rule context, let, test and message
expression, for libxml2 where that is proven safe and for elementpath otherwise, with what
elementpath says about each expression remembered in a disk cache."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.resources import cache_dir, read_cache_json, write_cache_file
from teikit.validation.schematron.parsers import _parser_class
from teikit.validation.schematron.reading import (
    _BINDING_VERSIONS,
    _XPATH2_BINDINGS,
    XPATH1_BINDINGS,
    SchematronRule,
    _PatternSpec,
    _RuleSpec,
    _SchemaSpec,
)
from teikit.validation.schematron.runtime import (
    _Check,
    _Expr,
    _LazyToken,
    _Pattern,
    _reason,
    _Rule,
    _Run,
)
from teikit.validation.schematron.xpath import (
    _ANY,
    _PATHS,
    _XPATH1_FUNCTIONS,
    _elementpath_context,
    _functions,
    _lxml_context,
    _requirements,
    _same_string,
    _split_union,
    _Translator,
    _Unsafe,
    _variables,
)

# Functions whose value inside a predicate differs from their value on one context node.
_POSITIONAL: Final = re.compile(r"\b(?:position|last|current)\s*\(")

_ROLE_SEVERITY: Final[Mapping[str, Severity]] = {
    "fatal": Severity.ERROR,
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "nonfatal": Severity.WARNING,
    "caution": Severity.WARNING,
    "info": Severity.INFO,
    "information": Severity.INFO,
    "informational": Severity.INFO,
    "note": Severity.INFO,
    "hint": Severity.INFO,
}


# elementpath (about 0.4 s to import) is loaded only when an expression that libxml2 cannot
# run is parsed or evaluated. What compiling learns from elementpath (which expressions
# translate to XPath 1.0, their variables, the names a rule context needs) is kept in a
# disk cache, so a schema whose applicable rules all run in libxml2 (TEI All on most
# corpora) never imports it. The cache key includes the bytes of this package's modules:
# a changed compiler never reads an old analysis.
_ANALYSIS_FORMAT: Final = 1


@functools.cache
def _compiler_digest() -> bytes:
    """Return the digest of this package's modules: an analysis cached by other code is not
    reused."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.digest()


def _analysis_key(namespaces: Mapping[str, str], xpath1: bool, use_lxml: bool, binding: str) -> str:
    version = "1.0" if xpath1 else _BINDING_VERSIONS.get(binding, binding)
    digest = hashlib.sha256(_compiler_digest())
    digest.update(
        json.dumps(
            [_ANALYSIS_FORMAT, sorted(namespaces.items()), xpath1, use_lxml, version]
        ).encode()
    )
    return digest.hexdigest()[:32]


_OPTIONAL_TEXT: Final = (str, type(None))
_ANALYSIS_FIELDS: Final[Mapping[str, Mapping[str, tuple[type, ...]]]] = {
    "expr": {
        "variables": (list,),
        "type": (str,),
        "xpath1": _OPTIONAL_TEXT,
        "eval": _OPTIONAL_TEXT,
        "error": _OPTIONAL_TEXT,
    },
    "context": {
        "xpath1": _OPTIONAL_TEXT,
        "select": _OPTIONAL_TEXT,
        "select_error": _OPTIONAL_TEXT,
        "needs": (list, type(None)),
    },
}


def _well_formed_analysis(kind: str, found: Any) -> bool:
    """Return whether *found*, read from the analysis memo, has the shape an analysis has.

    The memo is sealed (only this user's teikit wrote it), but a wrong shape must still
    never become an internal error: such an entry is analysed again.
    """
    fields = _ANALYSIS_FIELDS.get(kind)
    if fields is None or not isinstance(found, dict) or not fields.keys() <= found.keys():
        return False
    if not all(isinstance(found[name], types) for name, types in fields.items()):
        return False
    if kind == "expr":
        return _strings(found["variables"])
    needs = found["needs"]
    return needs is None or all(
        isinstance(branch, list) and len(branch) == 2 and all(map(_strings, branch))
        for branch in needs
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _severity(role: str | None) -> Severity:
    return _ROLE_SEVERITY.get((role or "").strip().lower(), Severity.ERROR)


class _Compiler:
    """The compiling half of :class:`~.schema.SchematronSchema`."""

    def __init__(self, spec: _SchemaSpec, use_lxml: bool) -> None:
        """Compile *spec*: the schema's lets and every active pattern."""
        self._spec = spec
        self._use_lxml = use_lxml
        self._folder = Path(spec.folder)
        self._namespaces = dict(spec.namespaces)
        self._xpath1 = spec.query_binding in XPATH1_BINDINGS
        self._local = threading.local()
        self.warnings: list[Diagnostic] = []
        self._parser_object: Any = None
        self._fallback_object: Any = None
        key = _analysis_key(self._namespaces, self._xpath1, use_lxml, spec.query_binding)
        self._memo_file = cache_dir() / "schematron" / f"{key}.json"
        memo = read_cache_json(self._memo_file)
        self._memo: dict[str, Any] = memo if isinstance(memo, dict) else {}
        self._memo_dirty = False
        self._global_lets: dict[str, _Expr] = {}
        self._global_types: dict[str, str] = {}
        for let in spec.lets:
            expr = self._compile(let.value, "value", {})
            self._check_compiled(expr, f"let ${let.name}", None)
            self._global_lets[let.name], self._global_types[let.name] = expr, expr.type
        self._patterns = [self._compile_pattern(p) for p in spec.patterns]
        if self._memo_dirty:
            write_cache_file(self._memo_file, json.dumps(self._memo).encode())

    # -- compiling -------------------------------------------------------------------------
    @property
    def _parser(self) -> Any:
        """Return the elementpath parser, made on first use."""
        if self._parser_object is None:
            self._parser_object = _make_parser(self._spec, self._namespaces, self._local)
        return self._parser_object

    def _analysis(self, key: list[Any], analyse: Any) -> Any:
        """Return ``analyse()``, remembered across runs under *key*."""
        text = json.dumps(key)
        found = self._memo.get(text)
        if not _well_formed_analysis(key[0], found):  # missing, or not what analyse() makes
            found = analyse()
            self._memo[text] = found
            self._memo_dirty = True
        return found

    @property
    def _fallback_parser(self) -> Any:
        """Return the XPath 3.1 parser that XPath 2 expressions fall back to, or ``None``."""
        if self._spec.query_binding not in _XPATH2_BINDINGS:
            return None
        if self._fallback_object is None:
            self._fallback_object = _make_parser(self._spec, self._namespaces, self._local, "3.1")
        return self._fallback_object

    def _lxml_current(self, _context: Any) -> Any:
        node = getattr(self._local, "current_lxml", None)
        return [] if node is None else [node]

    def _warn(self, message: str, line: int | None) -> None:
        self.warnings.append(
            Diagnostic(Severity.WARNING, "sch.rule-error", message, self._spec.name, line, None)
        )

    def _parse(self, source: str) -> tuple[Any, str | None]:
        """Parse *source*; an XPath 2 expression that uses XPath 3.x syntax is parsed as 3.1.

        SchXslt runs ``xslt2`` schemas on Saxon, an XSLT 3.0 processor with XPath 3.1, and
        TEI All's "xslt2" rules use ``||``: the 3.1 parser (repaired, see
        :func:`_prefixed_name_class`) is the fallback rather than a rule error.
        """
        try:
            return self._parser.parse(source), None
        except Exception as exc:  # elementpath raises many kinds of errors
            error = _reason(exc)
        fallback = self._fallback_parser
        if fallback is not None:
            try:
                return fallback.parse(source), None
            except Exception as exc:  # the superset's reason (e.g. a refused file) says more
                error = _reason(exc)
        return None, error

    def _lxml_compile(self, source: str, *, smart: bool = False) -> etree.XPath | None:
        extensions = {(None, "current"): self._lxml_current} if "current" in source else None
        try:
            return etree.XPath(
                source,
                namespaces=self._namespaces,
                extensions=extensions,
                regexp=False,  # EXSLT regular expressions would run in re, without a limit
                smart_strings=smart,
            )
        except etree.XPathError:
            return None

    def _compile(self, source: str, kind: str, types: Mapping[str, str]) -> _Expr:
        """Compile *source* as a ``test``, ``value`` (let) or ``string`` (message part)."""
        merged = {**self._global_types, **types}
        found = self._analysis(
            ["expr", source, kind, sorted(merged.items())],
            lambda: self._analyse(source, kind, merged),
        )
        expr = _Expr(source, variables=frozenset(found["variables"]), type=found["type"])
        xpath1 = found["xpath1"]
        if xpath1 is not None:
            wrapped = {"test": f"boolean({xpath1})", "string": f"string({xpath1})"}
            expr.lxml = self._lxml_compile(wrapped.get(kind, xpath1), smart=kind == "value")
            if expr.lxml is not None:
                expr.xpath1 = xpath1
        if found["eval"] is not None:
            expr.token = _LazyToken(self, found["eval"])
        if expr.lxml is None and expr.token is None:
            expr.error = found["error"] or "not a valid XPath expression"
        return expr

    def _analyse(self, source: str, kind: str, types: Mapping[str, str]) -> dict[str, Any]:
        """Return what elementpath says about *source*, as JSON-ready data."""
        token, error = self._parse(source)
        if token is not None:
            variables = sorted(_variables(token))
        else:
            variables = sorted(set(re.findall(r"\$([\w.\-]+)", source)))
        # What libxml2 would run, if that is safe.
        xpath1: str | None = None
        type_ = _ANY
        if self._use_lxml:
            if self._xpath1:
                if token is None or _functions(token) <= _XPATH1_FUNCTIONS:
                    xpath1 = source
            elif token is not None:
                translator = _Translator(source, types)
                try:
                    type_ = translator.visit(token)
                    xpath1 = translator.result()
                except _Unsafe:
                    xpath1 = None
                if kind == "string" and not _same_string(token, type_):
                    xpath1 = None
        # What elementpath runs.
        evaluated: str | None = source
        if kind == "string" and token is not None and not self._xpath1:
            evaluated = f"string-join(for $v in ({source}) return string($v), ' ')"
            token, error = self._parse(evaluated)
        elif kind == "string" and token is not None:
            evaluated = f"string({source})"
            token, error = self._parse(evaluated)
        return {
            "variables": variables,
            "type": type_,
            "xpath1": xpath1,
            "eval": evaluated if token is not None else None,
            "error": error,
        }

    def _compile_pattern(self, spec: _PatternSpec) -> _Pattern:
        lets = {let.name: self._compile(let.value, "value", {}) for let in spec.lets}
        for let in spec.lets:
            self._check_compiled(lets[let.name], f"pattern let ${let.name}", spec.line)
        pattern = _Pattern(spec, [], lets)
        for rule in spec.rules:
            pattern.rules.append(self._compile_rule(rule, pattern))
        if pattern.rules:
            pattern.rules[-1].fires_on = _report_attributes(pattern.rules[-1])
        pattern.quick = bool(pattern.rules) and all(r.quick is not None for r in pattern.rules)
        alternatives = [alt for rule in pattern.rules for alt in (rule.needs or [None])]
        if all(alt is not None and (alt[0] or alt[1]) for alt in alternatives):
            pattern.triggers = (
                frozenset().union(*(alt[0] for alt in alternatives if alt)),
                frozenset().union(*(alt[1] for alt in alternatives if alt)),
            )
        return pattern

    def _check_compiled(self, expr: _Expr, what: str, line: int | None) -> None:
        if expr.error is not None:
            self._warn(f"Schematron {what} {expr.source!r} cannot be compiled: {expr.error}", line)

    def _compile_rule(self, spec: _RuleSpec, pattern: _Pattern) -> _Rule:
        types = {n: e.type for n, e in pattern.lets.items()}
        lets: dict[str, _Expr] = {}
        for let in spec.lets:
            lets[let.name] = self._compile(let.value, "value", types)
            types[let.name] = lets[let.name].type
        rule = _Rule(spec, pattern.spec, None, None, False, None, None, lets, [], None)
        rule.variables = frozenset(re.findall(r"\$([\w.\-]+)", spec.context))
        # The context: libxml2 if it is XPath 1.0 (or proven equivalent), else elementpath.
        found = self._analysis(
            ["context", spec.context, sorted(self._global_types.items())],
            lambda: self._analyse_context(spec.context),
        )
        source: str | None = found["xpath1"]
        select, document = _lxml_context(source) if source is not None else (None, False)
        compiled = self._lxml_compile(select, smart=True) if select is not None else None
        native = compiled is not None or (document and select is None)
        if native:
            rule.select_lxml, rule.matches_document = compiled, document
        if not native or "$" in spec.context:  # variables may not be convertible for libxml2
            if found["select"] is not None:
                rule.select_token = _LazyToken(self, found["select"])
            elif not native:
                rule.select_error = found["select_error"] or "not a valid pattern"
                self._warn(
                    f"Schematron {rule.describe()} cannot be compiled: {rule.select_error}",
                    spec.line,
                )
        if found["needs"] is not None:
            rule.needs = tuple((frozenset(e), frozenset(a)) for e, a in found["needs"])
        for name, expr in lets.items():
            self._check_compiled(expr, f"{rule.describe()}: let ${name}", spec.line)
        if spec.subject:
            rule.subject = self._compile(spec.subject, "value", types)
        for check in spec.checks:
            test = self._compile(check.test, "test", types)
            self._check_compiled(test, f"{rule.describe()}: {check.kind} test", check.line)
            message: list[str | _Expr] = []
            for part in check.message:
                if isinstance(part, str):
                    message.append(part)
                else:
                    compiled_part = self._compile(part.select, "string", types)
                    self._check_compiled(compiled_part, f"{rule.describe()}: value-of", check.line)
                    message.append(compiled_part)
            subject = self._compile(check.subject, "value", types) if check.subject else None
            label = check.id or spec.id or pattern.spec.id or ""
            rule.checks.append(
                _Check(
                    check,
                    test,
                    tuple(message),
                    subject,
                    _severity(check.role or spec.role),
                    f" [{label}]" if label else "",
                )
            )
        quick = _quick_select(rule, select)
        rule.quick = self._lxml_compile(quick) if quick is not None else None
        return rule

    def _analyse_context(self, context: str) -> dict[str, Any]:
        """Return what elementpath says about a rule context, as JSON-ready data."""
        token, _ = self._parse(context)
        source: str | None = None
        if not self._use_lxml:
            pass
        elif self._xpath1:
            if token is None or _functions(token) <= _XPATH1_FUNCTIONS:
                source = context
        elif token is not None:
            translator = _Translator(context, self._global_types)
            try:
                if translator.visit(token) in _PATHS:
                    source = translator.result()
            except _Unsafe:
                pass
        select = _elementpath_context(context)
        select_token, select_error = self._parse(select)
        needs: list[list[list[str]]] | None = None
        if token is not None:
            alternatives: list[list[list[str]]] = []
            for branch in _split_union(context):
                branch_token, _ = self._parse(branch.strip())
                if branch_token is None:
                    alternatives = []
                    break
                elements, attributes = _requirements(branch_token, self._namespaces)
                alternatives.append([sorted(elements), sorted(attributes)])
            needs = alternatives or None
        return {
            "xpath1": source,
            "select": select if select_token is not None else None,
            "select_error": select_error,
            "needs": needs,
        }


_ATTRIBUTE_UNION: Final = re.compile(r"\s*@([A-Za-z_][\w.\-]*)\s*(?:\|\s*@([A-Za-z_][\w.\-]*)\s*)*")
_ATTRIBUTE_STEP: Final = re.compile(r"@([A-Za-z_][\w.\-]*)")


def _report_attributes(rule: _Rule) -> frozenset[str] | None:
    """Return the attribute names one of which a report of *rule* needs in order to fire.

    Only for a rule whose checks are all ``sch:report`` with a test of the form
    ``@a | @b`` (attributes without a prefix, on the context node); else ``None``.
    """
    names: set[str] = set()
    for check in rule.checks:
        test = check.spec.test
        if check.spec.kind != "report" or not _ATTRIBUTE_UNION.fullmatch(test):
            return None
        names.update(_ATTRIBUTE_STEP.findall(test))
    return frozenset(names) if names else None


def _make_parser(
    spec: _SchemaSpec,
    namespaces: dict[str, str],
    local: threading.local,
    version: str | None = None,
) -> Any:
    """Return the elementpath parser with current(), document() and the sandbox."""
    from elementpath import MissingContextError, XPathNode

    folder = Path(spec.folder)
    xpath1 = spec.query_binding in XPATH1_BINDINGS
    folder_uri = folder.as_uri() + "/"
    parser: Any
    if xpath1:
        parser = _parser_class("2.0")(
            namespaces=namespaces, base_uri=folder_uri, compatibility_mode=True
        )
    else:
        version = version or _BINDING_VERSIONS[spec.query_binding]
        options: dict[str, Any] = {}
        if version != "2.0":
            options["allow_external_resources"] = [folder_uri]
        parser = _parser_class(version)(namespaces=namespaces, base_uri=folder_uri, **options)
    # elementpath refuses a path step after an external function call (current()/x).
    parser.PATH_STEP_LABELS = (*parser.PATH_STEP_LABELS, "external function")

    # elementpath counts the parameters of the callbacks: plain functions, not methods.
    def current() -> Any:
        node = getattr(local, "current_ep", None)
        return [] if node is None else node

    def document(uri: Any, base: Any = None) -> Any:
        run: _Run | None = getattr(local, "run", None)
        if run is None:  # elementpath evaluates constant calls once while parsing
            raise MissingContextError("document() needs a document being validated")
        found = []
        for value in uri if isinstance(uri, list) else [uri]:
            text = value.string_value if isinstance(value, XPathNode) else str(value)
            absolute = text if urlsplit(text).scheme else folder.joinpath(text).as_uri()
            found.append(run.documents[absolute])
        return found[0] if len(found) == 1 else found

    def generate_id(node: Any = None) -> str:
        if isinstance(node, list):
            node = node[0] if node else None
        return "" if node is None else f"d{id(node):x}"

    parser.external_function(current, name="current")
    parser.external_function(document, name="document")
    if xpath1:
        parser.external_function(generate_id, name="generate-id")
    return parser


def _quick_select(rule: _Rule, select: str | None) -> str | None:
    """Return one XPath that is false when no context node of *rule* can give a finding.

    ``(SELECT)[not(self::*) or not(ASSERT) or (REPORT)...]``: libxml2 evaluates each
    test with the context node as its context, as the per-node evaluation does, so an
    empty result proves that no assert fails and no report fires; anything else (a
    non-element context node, a failing test) sends the document down the full path.
    Rules whose tests depend on more than their context node are not screened:
    variables, ``current()``, ``position()``/``last()`` (which differ inside a
    predicate), rule-level ``let``, a context that matches the document node. The caller
    compiles the text for libxml2.
    """
    if (
        select is None
        or rule.select_lxml is None
        or rule.matches_document
        or rule.lets
        or rule.variables
        or not rule.checks
    ):
        return None
    conditions = ["not(self::*)"]
    for check in rule.checks:
        test = check.test.xpath1
        if test is None or check.test.variables or _POSITIONAL.search(test):
            return None
        conditions.append(f"not({test})" if check.spec.kind == "assert" else f"({test})")
    return f"boolean(({select})[{' or '.join(conditions)}])"


def _describe(rule: _Rule) -> SchematronRule:
    """Return the public description of a compiled rule."""
    selector = (
        "lxml"
        if rule.select_lxml is not None or (rule.matches_document and not rule.select_token)
        else "elementpath"
        if rule.select_token is not None
        else "error"
    )
    return SchematronRule(
        rule.pattern.id,
        rule.spec.context,
        rule.spec.id,
        rule.spec.line,
        selector,
        tuple((c.spec.kind, c.spec.test, c.test.engine) for c in rule.checks),
    )

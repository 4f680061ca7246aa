"""ISO Schematron without Java: standalone ``.sch`` files and Schematron embedded in RELAX NG.

:func:`load_schematron` reads an ISO Schematron schema (root ``sch:schema``) or a RELAX NG
grammar that carries Schematron in annotations (what the TEI's ODD processor writes into
``tei_all.rng``: ``sch:ns`` and ``sch:pattern`` anywhere in the grammar), and compiles every
rule context, ``sch:let``, test and message expression once. :meth:`SchematronSchema.validate`
then checks one document at a time and returns :class:`~teikit.diagnostics.Diagnostic` records.

Engines
    ``queryBinding`` ``xslt``, ``xpath`` or ``exslt`` (XPath 1.0, the default of a ``.sch``
    file) is run by libxml2 through :class:`lxml.etree.XPath`, except on context nodes libxml2
    cannot start from (attributes, the document node) and for ``id()``, ``document()`` and
    ``generate-id()``: those use elementpath's XPath 2.0 parser in XPath 1.0 compatibility
    mode. ``xslt2`` and ``xpath2`` are parsed by elementpath's XPath 2.0 parser, falling back
    to its 3.1 parser for an expression with 3.x syntax (TEI's "xslt2" rules use the 3.0
    ``||`` operator; SchXslt runs them on Saxon, with XPath 3.1); ``xpath3`` by the 3.0
    parser, ``xslt3`` and ``xpath31`` by the 3.1 parser, both repaired for prefixed names
    that are also function names (see :func:`_prefixed_name_class`). Schematron embedded in
    RELAX NG has no ``queryBinding`` and is taken as ``xslt2``, the TEI's. Regular
    expressions run in the ``regex`` module with a time limit (:data:`REGEX_TIME_LIMIT`).
    An XPath 2/3 expression is still run by libxml2 when a
    conservative static check proves that XPath 1.0 gives the same answer: paths, predicates,
    ``and``/``or``, the string and node functions of XPath 1.0 on single items, ``=``/``!=``
    between strings or nodes, order comparisons and ``+ - * mod`` between numbers, and the
    value comparisons ``eq ne lt le gt ge`` between single strings or numbers (rewritten to
    ``= != < <= > >=``), and ``=``/``!=`` between nodes and a sequence of string literals
    (``@part = ('M', 'F')``, rewritten to ``boolean((@part)[. = 'M' or . = 'F'])``).
    Everything else (sequences, ``if``/``for``, casts, regular expressions, ``tokenize``,
    ``div``...) goes to elementpath, on a node tree built only for the documents that need
    one. Rule contexts are selected the same way, and a rule whose
    context names elements or attributes that do not occur in the document is skipped: this
    is what keeps TEI All fast on real corpora. Paths that do not depend on the context node
    are evaluated once per document or ancestor, and ``A and B`` is screened by ``A`` in
    libxml2: see :mod:`teikit.validation.schematron_fast`.
    :meth:`SchematronSchema.without_lxml` gives the same schema run by elementpath alone, to
    cross-check the shortcuts.

Semantics
    A rule context is an XSLT pattern: it matches the nodes of ``//(pattern)`` (each branch
    of a top-level union separately; ``/`` matches the document node). In a pattern each
    node is handled by the first rule whose context matches it. ``sch:let`` works at schema,
    phase and pattern level (evaluated once per document, the document node as context) and
    at rule level (per context node, lazily). ``current()`` is the rule's context node.
    Abstract rules with ``sch:extends``, abstract patterns with ``is-a``/``sch:param``,
    phases (``phase=`` or ``@defaultPhase``), ``sch:include`` (files in the schema's folder
    only), ``sch:diagnostics`` and ``@subject`` are supported; ``sch:let`` without
    ``@value``, ``sch:extends/@href``, ``key()``, ``xsl:`` elements, ``sch:property`` and
    Schematron 1.5 are not.

Findings
    Each failed ``sch:assert`` gives code ``sch.assert``, each successful ``sch:report``
    ``sch.report``. The message is the element's text with ``sch:value-of`` and ``sch:name``
    substituted (and ``sch:diagnostics`` appended; text that is only whitespace dropped, as
    XSLT does in the stylesheet SchXslt makes), whitespace normalised, followed by ``[id]``:
    the ``@id`` of the assertion, else of its rule, else of its pattern (TEI All's patterns
    all have one). Severity comes from ``@role`` of the assertion, else of its rule
    (case-insensitive): ``fatal``/``error``, no role or an unknown one give error;
    ``warning``/``warn``/``nonfatal``/``caution`` give warning;
    ``info``/``information``/``informational``/``note``/``hint`` give info. ``line`` is the
    line of the context node (of its element for an attribute), ``column`` is ``None`` and
    ``xpath`` a readable path with the ``tei:`` prefix for TEI elements (Clark notation for
    other namespaces) and positions only where siblings share a name, e.g.
    ``/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p/@rend``; ``/`` for the document node.

    An expression that cannot be compiled or evaluated (an unknown function, a type error, a
    file outside the sandbox, a regular expression that runs out of time) gives one
    ``sch.rule-error`` per validated document and expression, naming pattern, rule context
    and expression and how many context nodes were skipped; never an exception. It is an
    error by default: the document was not fully checked, and a rule that could not run must
    not pass (``rule_errors=Severity.WARNING`` makes it a warning). Compile-time problems
    are also listed once, as warnings, in :attr:`SchematronSchema.warnings`.

Sandbox
    ``doc()``, ``document()``, ``unparsed-text()`` and friends read only files inside the
    schema's own folder (through teikit's hardened parser for XML) and never the network.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import sys
import threading
import time
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument, load
from teikit.errors import SchemaLoadError, TeikitError
from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS, XML_NS
from teikit.resources import cache_dir, read_cache_json, write_cache_file
from teikit.validation import schematron_fast

if TYPE_CHECKING:
    from elementpath import XPathContext

__all__ = [
    "SchematronPattern",
    "SchematronRule",
    "SchematronSchema",
    "load_schematron",
]

_S: Final = f"{{{SCH_NS}}}"
# Functions whose value inside a predicate differs from their value on one context node.
_POSITIONAL: Final = re.compile(r"\b(?:position|last|current)\s*\(")
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
# corpora) never imports it. The cache key includes this file's bytes: a changed compiler
# never reads an old analysis.
_ANALYSIS_FORMAT: Final = 1


def _ep() -> Any:
    """Return the elementpath module, imported on first use."""
    import elementpath

    return elementpath


class _Never:
    """A class nothing is an instance of."""


def _ep_class(name: str, module: str = "elementpath") -> Any:
    """Return elementpath's class *name*, or :class:`_Never` if elementpath is not loaded.

    A value can only be an elementpath node if elementpath made it, so the isinstance checks
    of values that may come from libxml2 do not import elementpath for nothing.
    """
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) else _Never


@functools.cache
def _compiler_digest() -> bytes:
    """Return the digest of this file: an analysis cached by other code is not reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


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


class _LazyToken:
    """An elementpath expression, parsed on first evaluation."""

    __slots__ = ("_schema", "source", "_token")

    def __init__(self, schema: SchematronSchema, source: str) -> None:
        self._schema = schema
        self.source = source
        self._token: Any = None

    def get(self) -> Any:
        """Return the parsed token (compiling already proved that it parses)."""
        if self._token is None:
            token, error = self._schema._parse(self.source)
            if token is None:
                raise _EvaluationError(error or "not a valid XPath expression")
            self._token = token
        return self._token

    def upgrade(self) -> bool:
        """Parse the expression again as XPath 3.1, if an XPath 2 parser parsed it; return
        whether that gave a new token (``tokenize(@x)`` with one argument is XPath 3.1: the
        2.0 parser accepts it and fails on evaluation, where SchXslt on Saxon runs it)."""
        fallback = self._schema._fallback_parser
        if fallback is None or getattr(self._token, "parser", None) is fallback:
            return False
        try:
            self._token = fallback.parse(self.source)
        except Exception:  # elementpath raises many kinds of errors
            return False
        return True


# --------------------------------------------------------------------------------------------
# elementpath's parsers, with two repairs.
#
# 1. Regular expressions (``matches``, ``replace``, ``tokenize``, ``analyze-string``) run in
#    the ``regex`` module with a time limit instead of Python's ``re``, which backtracks
#    without bound (``matches(@n, '^(a+)+$')`` on thirty "a" and a "b" runs for minutes and
#    cannot be interrupted). elementpath's own functions are reused with ``re`` swapped for
#    :class:`_TimedRe` in their globals, so the XPath semantics stay elementpath's.
# 2. In elementpath 5.1.4's XPath 3.0 and 3.1 parsers, a prefixed name whose local part is
#    also the name of a built-in function in another namespace (``tei:head``, ``tei:join``,
#    ``tei:entry``, ``tei:sort``...: the array and map functions of 3.1, the math functions
#    of 3.0) selects nothing: the name is read as a "proxy" token, which turns into a plain
#    name without the namespace that ``:`` bound to it, so the step's expanded name is
#    empty. :func:`_prefixed_name_class` gives the name its namespace back. See
#    docs/upstream/elementpath-prefixed-function-names.md.

#: Seconds of processor time that all the regular expressions of one document's Schematron
#: run may take (the ``regex`` module's ``timeout`` counts processor time, not wall time).
#: Only the time spent inside regular expressions counts: a slow machine or a big document
#: must not turn a rule into "could not be evaluated in time".
REGEX_TIME_LIMIT: Final = 2.0
_regex_clock = threading.local()  # .left: seconds of the budget left, set by validate()
_REGEX_FUNCTIONS: Final = ("matches", "replace", "tokenize", "analyze-string")
_TIMED_METHODS: Final = frozenset(
    {"search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
)


class _RegexTimeoutError(Exception):
    """A regular expression of a rule ran out of time."""


def _regex_timeout() -> float:
    """Return the seconds left for regular expressions; raise when none are left."""
    left: float | None = getattr(_regex_clock, "left", None)
    if left is None:  # outside a document's run (a library call): the whole budget
        return REGEX_TIME_LIMIT
    if left <= 0:
        raise _RegexTimeoutError(_regex_timeout_message())
    return left


def _timed(method: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a ``regex`` matching *method* within the time left, and charge what it took."""
    left = _regex_timeout()
    start = time.process_time()
    try:
        return method(*args, timeout=left, **kwargs)
    finally:
        if getattr(_regex_clock, "left", None) is not None:
            _regex_clock.left = left - (time.process_time() - start)


def _regex_timeout_message() -> str:
    return (
        "a regular expression could not be evaluated in time (the regular expressions of "
        f"a document may take {REGEX_TIME_LIMIT:g} s of processor time in all)"
    )


class _TimedPattern:
    """A compiled ``regex`` pattern whose matching methods stop at the time limit."""

    __slots__ = ("_pattern",)

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._pattern, name)
        if name in _TIMED_METHODS:
            return functools.partial(_timed, attribute)
        return attribute


class _TimedRe:
    """Stands in for the ``re`` module in elementpath's regular expression functions."""

    def __init__(self) -> None:
        import regex

        self._regex = regex
        self.error = re.error  # what elementpath catches: regex's errors are raised as it

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)  # flags (re.I, re.S... have regex's values) and escape()

    def _compiled(self, pattern: str, flags: int) -> Any:
        try:
            return self._regex.compile(pattern, flags)
        except self._regex.error as exc:
            raise re.error(str(exc)) from None

    def compile(self, pattern: str, flags: int = 0) -> _TimedPattern:
        return _TimedPattern(self._compiled(pattern, flags))

    def search(self, pattern: str, string: str, flags: int = 0) -> Any:
        return _timed(self._compiled(pattern, flags).search, string)

    def match(self, pattern: str, string: str, flags: int = 0) -> Any:
        return _timed(self._compiled(pattern, flags).match, string)

    def sub(self, pattern: str, replacement: Any, string: str, count: int = 0) -> Any:
        compiled = self._compiled(pattern, 0)
        return _timed(compiled.sub, replacement, string, count)

    def split(self, pattern: str, string: str, maxsplit: int = 0, flags: int = 0) -> Any:
        return _timed(self._compiled(pattern, flags).split, string, maxsplit)


def _timed_function_class(base: Any) -> Any:
    """Return a subclass of elementpath's function token *base* that uses :class:`_TimedRe`."""
    evaluate = base.evaluate
    timed = types.FunctionType(
        evaluate.__code__,
        {**evaluate.__globals__, "re": _TimedRe()},
        evaluate.__name__,
        evaluate.__defaults__,
        evaluate.__closure__,
    )

    def guarded(self: Any, context: Any = None) -> Any:
        try:
            return timed(self, context)
        except TimeoutError:
            raise _RegexTimeoutError(_regex_timeout_message()) from None

    return type(base.__name__, (base,), {"evaluate": guarded, "__module__": __name__})


def _prefixed_name_class(base: Any) -> Any:
    """Return elementpath's ``:`` token, repaired for names that are also function names.

    ``tei:head`` parses, but the name loses its namespace (given back after parsing);
    ``*:head`` is refused as a syntax error (the proxy is made a name before parsing: a
    wildcard prefix never starts a function call).
    """
    from elementpath.xpath_tokens import ProxyToken

    def led(self: Any, left: Any) -> Any:
        upcoming = self.parser.next_token
        if left.symbol == "*" and not self.is_spaced() and isinstance(upcoming, ProxyToken):
            self.parser.next_token = upcoming.as_name()
        token = base.led(self, left)
        if (
            token is self
            and len(self) == 2
            and self[1].symbol == "(name)"
            and not self[1].name  # the proxy token's namespace was dropped
            and self[0].symbol in ("(name)", "*")
        ):
            namespace = "*" if self[0].symbol == "*" else self.parser.namespaces[self[0].value]
            self[1].bind_namespace(namespace)
            self.name = self[1].name
        return token

    return type("PrefixedNameToken", (base,), {"led": led, "__module__": __name__})


@functools.cache
def _parser_class(version: str) -> Any:
    """Return elementpath's parser for XPath *version* (``2.0``, ``3.0``, ``3.1``), repaired."""
    from elementpath import XPath2Parser
    from elementpath.xpath3 import XPath30Parser, XPath31Parser

    base: Any = {"2.0": XPath2Parser, "3.0": XPath30Parser, "3.1": XPath31Parser}[version]
    table = dict(base.symbol_table)
    for name in _REGEX_FUNCTIONS:
        if name in table:
            table[name] = _timed_function_class(table[name])
    if version != "2.0":
        table[":"] = _prefixed_name_class(table[":"])
    return type(
        f"TeikitXPath{version.replace('.', '')}Parser",
        (base,),
        {"symbol_table": table, "__module__": __name__},
    )


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


# --------------------------------------------------------------------------------------------
# Text-level helpers for rule contexts (XSLT patterns).


def _split_union(text: str) -> list[str]:
    """Split *text* at its top-level ``|`` operators (not inside brackets or strings)."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "|" and depth == 0:
            if text.startswith("||", i):
                i += 2
                continue
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _closing_paren(text: str, start: int) -> int:
    """Return the index of the ``)`` matching the ``(`` at *start*, or -1."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _lxml_context(pattern: str) -> tuple[str | None, bool]:
    """Return an XPath 1.0 selecting the nodes *pattern* matches, and whether ``/`` matches."""
    selects: list[str] = []
    document = False
    for branch in _split_union(pattern):
        branch = branch.strip()
        if branch == "/":
            document = True
        elif branch.startswith("/") or re.match(r"(id|key)\s*\(", branch):
            selects.append(branch)
        elif branch.startswith("("):
            end = _closing_paren(branch, 0)
            rest = branch[end + 1 :].lstrip() if end > 0 else ""
            # A predicate after a parenthesised pattern is positional per parent: not XPath 1.
            if end < 0 or rest.startswith("["):
                return None, False
            inner, inner_document = _lxml_context(branch[1:end])
            if inner is None or inner_document:
                return None, False
            selects.append(f"({inner}){rest}")
        elif branch:
            selects.append("//" + branch)
        else:
            return None, False
    return (" | ".join(selects) if selects else None), document


def _elementpath_context(pattern: str) -> str:
    """Return an XPath 3.1 expression selecting the nodes *pattern* matches."""
    selects = []
    for branch in _split_union(pattern):
        branch = branch.strip()
        selects.append(f"({branch})" if branch.startswith("/") else f"//({branch})")
    return " | ".join(selects)


# --------------------------------------------------------------------------------------------
# Static analysis of elementpath token trees.

# Static types of the XPath 1.0-compatible subset.
_STR, _NUM, _BOOL, _NODE, _NODES, _ANY = "string", "number", "boolean", "node", "nodes", "any"
_PATHS: Final = frozenset({_NODE, _NODES})
_SINGLE_TEXT: Final = frozenset({_STR, _NODE})
_VALUE_OPERATORS: Final = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_NODE_TESTS: Final = frozenset({"node", "text", "comment", "processing-instruction"})
# fmt: off
_AXES: Final = frozenset({
    "child", "descendant", "descendant-or-self", "self", "parent", "ancestor",
    "ancestor-or-self", "following", "following-sibling", "preceding", "preceding-sibling",
    "attribute",
})
# Functions of XPath 1.0 that libxml2 runs, plus our current(); id() is missing because the
# hardened parser does not collect ids (elementpath's id() scans xml:id instead).
_XPATH1_FUNCTIONS: Final = frozenset({
    "last", "position", "count", "local-name", "namespace-uri", "name", "string", "concat",
    "starts-with", "contains", "substring-before", "substring-after", "substring",
    "string-length", "normalize-space", "translate", "boolean", "not", "true", "false", "lang",
    "number", "sum", "floor", "ceiling", "round", "current",
})
# fmt: on


class _Unsafe(Exception):
    """The expression is outside the subset where XPath 1.0 and 2.0 agree."""


def _walk(token: Any) -> Iterator[Any]:
    yield token
    for child in token:
        yield from _walk(child)


def _variables(token: Any) -> set[str]:
    return {str(t.value) for t in _walk(token) if t.symbol == "$"}


def _functions(token: Any) -> set[str]:
    names = set()
    for t in _walk(token):
        if t.label in ("function", "external function", "constructor function"):
            names.add(str(t.symbol))
        elif t.symbol == ":" and len(t) == 2 and "function" in str(t[1].label):
            names.add(str(t.value))
    return names


def _is_name_test(token: Any) -> bool:
    if token.symbol in ("(name)", "*") and not len(token):
        return True
    return bool(
        token.symbol == ":"
        and len(token) == 2
        and all(c.symbol in ("(name)", "*") and not len(c) for c in token)
    )


class _Translator:
    """Prove an XPath 2/3 expression means the same in XPath 1.0, and rewrite it for lxml."""

    def __init__(self, source: str, variables: Mapping[str, str]) -> None:
        self.source = source
        self.variables = variables
        self.edits: list[tuple[int, int, str]] = []

    def result(self) -> str:
        """Return the source with the value comparisons rewritten."""
        text = self.source
        for start, end, replacement in sorted(self.edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    def step(self, token: Any) -> str:
        """Check a step (the right-hand side of ``/``) and return its type."""
        if token.symbol == "[":
            base = self.step(token[0])
            self.visit(token[1])
            return _NODE if self.positional_one(token[1]) else base
        if _is_name_test(token):
            return _NODES
        if token.symbol in (".", ".."):
            return _NODE
        if token.symbol == "@":
            return self.visit(token)
        if token.label == "axis":
            return self.visit(token)
        if token.label == "kind test":
            return self.visit(token)
        raise _Unsafe(token.symbol)

    @staticmethod
    def positional_one(token: Any) -> bool:
        return bool(
            (token.symbol == "(integer)" and token.value == 1)
            or (token.symbol == "last" and token.label == "function" and not len(token))
        )

    def visit(self, token: Any) -> str:
        """Return the static type of *token*, or raise :class:`_Unsafe`."""
        symbol, label, n = token.symbol, token.label, len(token)
        if symbol == "(string)":
            return _STR
        if symbol in ("(integer)", "(decimal)"):
            return _NUM
        if symbol == "$":
            return self.variables.get(str(token.value), _ANY)
        if _is_name_test(token) and label != "operator":
            return _NODES
        if symbol in (".", ".."):
            return _NODE
        if symbol == "@":
            return _NODES if token[0].symbol == "*" else _NODE
        if label == "axis":
            if symbol not in _AXES or n != 1:
                raise _Unsafe(symbol)
            test = token[0]
            if not _is_name_test(test):
                if test.label != "kind test":
                    raise _Unsafe(symbol)
                self.visit(test)
            if symbol in ("self", "parent"):
                return _NODE
            if symbol == "attribute" and test.symbol != "*":
                return _NODE
            return _NODES
        if label == "kind test":
            if symbol not in _NODE_TESTS:
                raise _Unsafe(symbol)
            if n and not (symbol == "processing-instruction" and token[0].symbol == "(string)"):
                raise _Unsafe(symbol)
            return _NODES
        if symbol in ("/", "//") and label == "operator":
            if n == 0:
                return _NODE
            if n == 1:
                self.step(token[0])
                return _NODES
            left = self.visit(token[0])
            if left not in _PATHS:
                raise _Unsafe(symbol)
            right = self.step(token[1])
            return _NODE if symbol == "/" and left == _NODE and right == _NODE else _NODES
        if symbol == "[":
            base = self.visit(token[0])
            if base not in _PATHS:
                raise _Unsafe(symbol)
            self.visit(token[1])
            return _NODE if self.positional_one(token[1]) else base
        if symbol == "(" and label == "expression":
            if n != 1 or token[0].symbol == ",":
                raise _Unsafe(symbol)
            return self.visit(token[0])
        if symbol == "|":
            if self.visit(token[0]) not in _PATHS or self.visit(token[1]) not in _PATHS:
                raise _Unsafe(symbol)
            return _NODES
        if symbol in ("and", "or"):
            self.visit(token[0])
            self.visit(token[1])
            return _BOOL
        if symbol in ("=", "!=") and _string_literals(token[1]) is not None:
            return self.among(token)
        if symbol in ("=", "!="):
            left, right = self.visit(token[0]), self.visit(token[1])
            texts = _PATHS | {_STR}
            if (left in texts and right in texts) or left == right in (_NUM, _BOOL):
                return _BOOL
            raise _Unsafe(symbol)
        if symbol in ("<", "<=", ">", ">="):
            if self.visit(token[0]) == self.visit(token[1]) == _NUM:
                return _BOOL
            raise _Unsafe(symbol)
        if symbol in _VALUE_OPERATORS and label == "operator":
            left, right = self.visit(token[0]), self.visit(token[1])
            ok = left == right == _NUM
            if symbol in ("eq", "ne"):
                ok = ok or (left in _SINGLE_TEXT and right in _SINGLE_TEXT)
                ok = ok or left == right == _BOOL
            if not ok:
                raise _Unsafe(symbol)
            start, end = token.span
            self.edits.append((start, end, _VALUE_OPERATORS[symbol]))
            return _BOOL
        # No "div": XPath 2.0 divides integers as decimals, XPath 1.0 as doubles.
        if symbol in ("+", "-", "*", "mod") and label == "operator":
            if all(self.visit(child) == _NUM for child in token) and (n == 2 or symbol == "-"):
                return _NUM
            raise _Unsafe(symbol)
        if label in ("function", "external function"):
            return self.function(symbol, [self.visit(child) for child in token])
        raise _Unsafe(symbol)

    def among(self, token: Any) -> str:
        """Rewrite ``X = ('a', 'b')`` (X nodes) as ``boolean((X)[. = 'a' or . = 'b'])``.

        A general comparison is true when some pair of items compares true: a node of X
        whose string value (an attribute's or element's untyped value is compared as a
        string) is one of the strings, or, for ``!=``, differs from one of them.
        """
        if self.visit(token[0]) not in _PATHS:
            raise _Unsafe(token.symbol)
        literals = _string_literals(token[1]) or []
        opening = token[1].span[0]
        closing = _closing_paren(self.source, opening)
        if self.source[opening : opening + 1] != "(" or closing < 0:
            raise _Unsafe(token.symbol)
        texts = [self.source[a:b] for a, b in literals]
        if any(text[0] in text[1:-1] for text in texts):  # 'it''s' is no XPath 1.0 literal
            raise _Unsafe(token.symbol)
        start = min(t.span[0] for t in _walk(token[0]))
        test = " or ".join(f". {token.symbol} {text}" for text in texts)
        self.edits.append((start, start, "boolean(("))
        self.edits.append((token.span[0], closing + 1, f")[{test}])"))
        return _BOOL

    @staticmethod
    def function(name: str, args: list[str]) -> str:
        """Return the result type of XPath 1.0 function *name* on *args*, if it is safe."""
        n = len(args)
        if name == "count" and n == 1 and args[0] in _PATHS:
            return _NUM
        single = set(args) <= _SINGLE_TEXT
        if name in ("string-length", "normalize-space", "string") and n <= 1 and single:
            return _NUM if name == "string-length" else _STR
        if name in ("name", "local-name", "namespace-uri") and n <= 1 and set(args) <= {_NODE}:
            return _STR
        if name in ("contains", "starts-with") and n == 2 and set(args) <= _SINGLE_TEXT:
            return _BOOL
        if name in ("substring-before", "substring-after") and n == 2 and single:
            return _STR
        if name == "translate" and n == 3 and set(args) <= _SINGLE_TEXT:
            return _STR
        if name == "concat" and n >= 2 and set(args) <= _SINGLE_TEXT:
            return _STR
        if (
            name == "substring"
            and n in (2, 3)
            and args[0] in _SINGLE_TEXT
            and set(args[1:]) == {_NUM}
        ):
            return _STR
        if name == "number" and n <= 1 and all(a in _SINGLE_TEXT for a in args):
            return _NUM
        if name in ("floor", "ceiling", "round") and args == [_NUM]:
            return _NUM
        if name in ("position", "last") and n == 0:
            return _NUM
        if name in ("true", "false") and n == 0:
            return _BOOL
        if name in ("not", "boolean") and n == 1:
            return _BOOL
        if name == "lang" and args == [_STR]:
            return _BOOL
        if name == "current" and n == 0:
            return _NODE
        raise _Unsafe(name)


def _string_literals(token: Any) -> list[tuple[int, int]] | None:
    """Return the spans of the strings of a sequence ``('a', 'b', ...)``, else ``None``."""
    if token.symbol != "(" or token.label != "expression" or len(token) != 1:
        return None
    if token[0].symbol != ",":
        return None
    spans: list[tuple[int, int]] = []
    pending = [token[0]]
    while pending:
        item = pending.pop()
        if item.symbol == ",":
            pending.extend(reversed(list(item)))
        elif item.symbol == "(string)":
            spans.append(item.span)
        else:
            return None
    return spans


def _same_string(token: Any, kind: str) -> bool:
    """Return whether the string value of *token* (of static type *kind*) is the same in both.

    Numbers are written differently (XPath 2.0 writes doubles as ``1.0E6``): only integer
    arithmetic on counts, lengths and positions is allowed.
    """
    if kind in (_STR, _BOOL, _NODE):
        return True
    if kind != _NUM:
        return False
    doubles = {"number", "floor", "ceiling", "round", "(decimal)", "sum"}
    return not any(t.symbol in doubles for t in _walk(token))


_MIRRORED: Final = {"<": ">", "lt": "gt", "<=": ">=", "le": "ge"}


def _counted_path(token: Any) -> Any:
    """Return X when *token* is true only if X is not empty: ``count(X) > N`` with N >= 0,
    ``count(X) >= N`` with N > 0 (``gt``/``ge`` too, and the mirrored forms); else None."""
    if token.label != "operator" or len(token) != 2:
        return None
    operator, left, right = token.symbol, token[0], token[1]
    if operator in _MIRRORED:
        operator, left, right = _MIRRORED[operator], right, left
    if left.symbol != "count" or left.label != "function" or len(left) != 1:
        return None
    if right.label != "literal" or right.symbol not in ("(integer)", "(decimal)", "(float)"):
        return None
    value = right.value
    if operator in (">", "gt") and value >= 0:
        return left[0]
    if operator in (">=", "ge") and value > 0:
        return left[0]
    return None


def _requirements(token: Any, namespaces: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """Return element and attribute names that must occur for a context to match anything."""

    def name_of(test: Any) -> str | None:
        if test.symbol == "(name)" and not len(test):
            return str(test.value)
        if test.symbol == ":" and len(test) == 2 and "*" not in (test[0].symbol, test[1].symbol):
            uri = namespaces.get(str(test[0].value))
            return None if uri is None else f"{{{uri}}}{test[1].value}"
        return None

    def path(t: Any, elements: set[str], attributes: set[str]) -> None:
        symbol = t.symbol
        if symbol == "@" or (t.label == "axis" and symbol == "attribute"):
            found = name_of(t[0])
            if found:
                attributes.add(found)
        elif t.label == "axis" and symbol in _AXES:
            found = name_of(t[0])
            if found:
                elements.add(found)
        elif t.label == "name" or symbol == ":":
            found = name_of(t)
            if found:
                elements.add(found)
        elif symbol in ("/", "//") and t.label == "operator":
            for child in t:
                path(child, elements, attributes)
        elif symbol == "[":
            path(t[0], elements, attributes)
            predicate(t[1], elements, attributes)
        elif symbol == "(" and len(t) == 1:
            path(t[0], elements, attributes)
        elif symbol in ("|", "union"):
            both: list[tuple[set[str], set[str]]] = [(set(), set()), (set(), set())]
            for child, (e, a) in zip(t, both, strict=False):
                path(child, e, a)
            elements |= both[0][0] & both[1][0]
            attributes |= both[0][1] & both[1][1]

    def predicate(t: Any, elements: set[str], attributes: set[str]) -> None:
        if t.symbol in ("starts-with", "contains", "ends-with") and t.label == "function":
            # False for an absent attribute when the literal searched for is not empty.
            if len(t) == 2 and t[1].symbol == "(string)" and t[1].value:
                predicate(t[0], elements, attributes)
        elif t.symbol == "and":
            for child in t:
                predicate(child, elements, attributes)
        elif (counted := _counted_path(t)) is not None:
            path(counted, elements, attributes)
        elif t.symbol in ("=", "!=", "<", "<=", ">", ">=", *_VALUE_OPERATORS):
            for child in t:
                if child.label != "literal":
                    predicate(child, elements, attributes)
        elif t.symbol in ("@", "/", "//", "[", ":") or t.label in ("name", "axis"):
            path(t, elements, attributes)

    elements: set[str] = set()
    attributes: set[str] = set()
    path(token, elements, attributes)
    return elements, attributes


# --------------------------------------------------------------------------------------------
# Compiled expressions.


class _EvaluationError(Exception):
    """An expression could not be evaluated; the message says why."""


class _SandboxError(_EvaluationError):
    """A document function asked for a file outside the schema's folder."""


class _NotConvertible(Exception):
    """A variable's value cannot be handed to libxml2 (attribute nodes, sequences)."""


@dataclass(slots=True)
class _Expr:
    """One expression, compiled for libxml2 and/or elementpath."""

    source: str
    lxml: etree.XPath | None = None
    token: Any = None  # the elementpath root token used for evaluation
    variables: frozenset[str] = frozenset()
    type: str = _ANY
    error: str | None = None
    xpath1: str | None = None  # the XPath 1.0 form libxml2 runs, when there is one
    # How elementpath evaluates it once per anchor node (schematron_fast): None until the
    # first evaluation, False when it cannot.
    anchor: schematron_fast.Anchored | bool | None = None
    # For a test ``A and B`` run by elementpath: ``boolean(A)`` for libxml2 when A has an
    # XPath 1.0 form (schematron_fast.left_of_and); None until first needed, False if not.
    guard: etree.XPath | bool | None = None

    @property
    def engine(self) -> str:
        """Return ``lxml``, ``elementpath`` or ``error``."""
        if self.lxml is not None:
            return "lxml"
        return "elementpath" if self.token is not None else "error"


@dataclass(slots=True)
class _Check:
    spec: _CheckSpec
    test: _Expr
    message: tuple[str | _Expr, ...]
    subject: _Expr | None
    severity: Severity
    label: str  # the [id] appended to messages, or ""


@dataclass(slots=True)
class _Rule:
    spec: _RuleSpec
    pattern: _PatternSpec
    select_lxml: etree.XPath | None
    select_token: Any
    matches_document: bool
    select_error: str | None
    needs: tuple[tuple[frozenset[str], frozenset[str]], ...] | None
    lets: dict[str, _Expr]
    checks: list[_Check]
    subject: _Expr | None
    variables: frozenset[str] = frozenset()  # the global variables the context uses
    # One XPath 1.0 expression that is true when some context node might fail a check:
    # a non-element context node, or an element on which an assert is false or a report
    # true (see _quick_check). None when the rule cannot be screened that way.
    quick: etree.XPath | None = None
    # For the last rule of a pattern whose checks are all reports testing only for
    # attributes of the context node (``@a | @b``): those attribute names. A document with
    # none of them cannot make the rule fire, and the rule claims no node from a later one.
    fires_on: frozenset[str] | None = None

    def describe(self) -> str:
        """Return 'pattern P, rule CONTEXT' for messages."""
        pattern = self.pattern.id or f"at line {self.pattern.line}"
        return f"pattern {pattern}, rule context {self.spec.context!r}"


@dataclass(slots=True)
class _Pattern:
    spec: _PatternSpec
    rules: list[_Rule]
    lets: dict[str, _Expr]
    # Element and attribute names of which at least one must occur for any rule to match;
    # None when some rule may match whatever the names.
    triggers: tuple[frozenset[str], frozenset[str]] | None = None
    # Every rule has a quick screen: a document that passes them all has no finding here.
    quick: bool = False


# --------------------------------------------------------------------------------------------
# Per-document state.

_DOCUMENT: Final = ("/",)
_Item = Any  # an lxml element, ("@", element, name), ("text"|"tail", element) or _DOCUMENT


class _Documents(dict[str, Any]):
    """``context.documents`` for elementpath: loads files from the sandbox on demand."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, uri: str) -> Any:
        node = _load_sandboxed(self.folder, uri)
        self[uri] = node
        return node


def _load_sandboxed(folder: Path, uri: str) -> Any:
    """Return the document node of *uri*, refusing anything outside *folder*."""
    parts = urlsplit(uri)
    if parts.scheme not in ("", "file") or parts.netloc:
        raise _SandboxError(f"refused to read {uri!r}: teikit never accesses the network")
    raw = unquote(parts.path)
    target = (folder / raw).resolve()
    if not _inside(folder, target):
        raise _SandboxError(
            f"refused to read {uri!r}: only files inside the schema's folder {folder} are readable"
        )
    try:
        document = load(target)
    except TeikitError as exc:
        raise _EvaluationError(f"cannot read {uri!r}: {exc}") from None
    return _ep().get_node_tree(document.tree, uri=target.as_uri())


class _Run:
    """The state of one :meth:`SchematronSchema.validate` call."""

    def __init__(self, schema: SchematronSchema, document: TeiDocument) -> None:
        self.schema = schema
        self.document = document
        self.tree = document.tree
        self.root = document.root
        self._node_tree: Any = None
        self._order: dict[Any, int] | None = None
        self.documents = _Documents(schema._folder)
        self.global_lxml: dict[str, Any] = {}
        self.global_ep: dict[str, Any] = {}
        self.anchored: dict[tuple[schematron_fast.Anchored, Any], Any] = {}
        self.errors: dict[tuple[int, str], list[Any]] = {}
        # The names that occur in the document, to skip rules that cannot match.
        self.tags, self.attributes = document.names()

    @property
    def node_tree(self) -> Any:
        """Return elementpath's node tree of the document, built on first use."""
        if self._node_tree is None:
            self._node_tree = _ep().get_node_tree(self.tree)
        return self._node_tree

    def ep_item(self, item: _Item) -> Any:
        """Return the elementpath node for *item*."""
        tree = self.node_tree
        if isinstance(item, etree._Element):
            node = tree.elements.get(item) if tree.elements is not None else None
            if node is None:
                raise _EvaluationError("node not found in the document's node tree")
            return node
        if item is _DOCUMENT:
            return tree
        kind, element = item[0], item[1]
        if kind == "@":
            for attribute in self.ep_item(element).attributes:
                if attribute.name == item[2]:
                    return attribute
        elif kind == "text":
            for child in self.ep_item(element):
                if isinstance(child, _ep_class("TextNode")):
                    return child
                break
        elif kind == "tail":
            parent = element.getparent()
            if parent is not None:
                children = list(self.ep_item(parent))
                for index, child in enumerate(children[:-1]):
                    if getattr(child, "value", None) is element:
                        return children[index + 1]
        raise _EvaluationError(f"node {item!r} not found in the document's node tree")

    def order(self, item: _Item) -> tuple[int, int]:
        """Return a document-order sort key for *item*."""
        if self._order is None:
            self._order = {e: i for i, e in enumerate(self.root.iter())}
        if isinstance(item, etree._Element):
            return (self._order.get(item, -1), 0)
        if item is _DOCUMENT:
            return (-1, 0)
        return (self._order.get(item[1], -1), 1)

    def fail(self, key: tuple[int, str], description: str, item: _Item, exc: Exception) -> None:
        """Remember that an expression failed on *item* (reported once per document)."""
        entry = self.errors.get(key)
        if entry is None:
            self.errors[key] = [description, _reason(exc), item, 1]
        else:
            entry[3] += 1

    def error_diagnostics(self) -> list[Diagnostic]:
        """Return one ``sch.rule-error`` per failed expression (an error unless configured)."""
        out = []
        for description, reason, item, count in self.errors.values():
            nodes = "node" if count == 1 else "nodes"
            out.append(
                Diagnostic(
                    self.schema.rule_errors,
                    "sch.rule-error",
                    f"the document was not fully checked: Schematron {description} "
                    f"could not be evaluated ({reason}); skipped on {count} {nodes}",
                    self.document.name,
                    _line(item),
                    None,
                    _display_path(item),
                )
            )
        return out


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _line(item: _Item) -> int | None:
    if isinstance(item, etree._Element):
        return _lineno(item)
    if item is _DOCUMENT:
        return None
    return _lineno(item[1])


def _step_name(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        if isinstance(element, etree._Comment):
            return "comment()"
        return "processing-instruction()"
    qname = etree.QName(element)
    if qname.namespace == TEI_NS:
        return f"tei:{qname.localname}"
    return qname.localname if qname.namespace is None else element.tag


def _display_path(item: _Item) -> str | None:
    """Return a readable XPath for *item*, e.g. ``/tei:TEI/tei:text/tei:body/tei:p[2]``."""
    if item is _DOCUMENT:
        return "/"
    if isinstance(item, etree._Element):
        element, suffix = item, ""
    else:
        element = item[1]
        if item[0] == "@":
            qname = etree.QName(item[2])
            xml = qname.namespace == XML_NS
            suffix = f"/@xml:{qname.localname}" if xml else f"/@{item[2]}"
        elif item[0] == "text":
            suffix = "/text()"
        else:
            suffix, element = "/text()", element.getparent()  # approximate for tails
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        name = _step_name(node)
        if parent is None:
            steps.append(f"/{name}")
        else:
            same = [s for s in parent if s.tag == node.tag]
            steps.append(f"/{name}[{same.index(node) + 1}]" if len(same) > 1 else f"/{name}")
        node = parent
    return "".join(reversed(steps)) + suffix


def _as_item(node: Any) -> _Item:
    """Turn an lxml XPath result (element or smart string) into an item."""
    if isinstance(node, etree._Element):
        return node
    if getattr(node, "is_attribute", False):
        return ("@", node.getparent(), node.attrname)
    if getattr(node, "is_tail", False):
        return ("tail", node.getparent())
    if getattr(node, "is_text", False):
        return ("text", node.getparent())
    raise _EvaluationError(f"a rule context selected a value, not a node: {node!r}")


def _from_ep(node: Any) -> _Item:
    """Turn an elementpath node into an item."""
    ep = _ep()
    if isinstance(node, ep.DocumentNode):
        return _DOCUMENT
    if isinstance(node, ep.ElementNode):
        return node.value
    if isinstance(node, ep.AttributeNode) and node.parent is not None:
        return ("@", node.parent.value, node.name)
    if isinstance(node, ep.XPathNode) and isinstance(node.value, etree._Element):
        return node.value  # comments and processing instructions
    raise _EvaluationError(f"rule contexts on {type(node).__name__} are not supported")


def _to_lxml(value: Any) -> Any:
    """Convert an XPath value to what :class:`lxml.etree.XPath` accepts as a variable."""
    if isinstance(value, list):
        if all(isinstance(v, etree._Element) for v in value):
            return value  # element nodes (or the empty sequence)
        element_node = _ep_class("ElementNode")
        if all(isinstance(v, element_node) for v in value):
            return [v.value for v in value]
        xpath_node = _ep_class("XPathNode")
        if len(value) == 1 and not isinstance(value[0], xpath_node) and not _is_lxml_node(value[0]):
            return _to_lxml(value[0])
        raise _NotConvertible
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, _ep_class("ElementNode")):
        return [value.value]
    if isinstance(value, etree._Element):
        return [value]
    if _is_lxml_node(value):
        raise _NotConvertible  # an attribute or text node: libxml2 takes elements only
    if isinstance(value, (str, _ep_class("AnyAtomicType", "elementpath.datatypes"))):
        return str(value)
    raise _NotConvertible


def _is_lxml_node(value: Any) -> bool:
    """Return whether *value* is an attribute or text node returned by lxml (smart string)."""
    return any(getattr(value, flag, False) for flag in ("is_attribute", "is_text", "is_tail"))


class _Scope:
    """The variables of one rule on one context node, evaluated lazily per engine."""

    __slots__ = ("item", "lets", "lxml_values", "ep_values", "run", "schema", "pattern")

    def __init__(
        self,
        schema: SchematronSchema,
        run: _Run,
        pattern: _Pattern,
        lets: dict[str, _Expr],
        item: _Item,
    ) -> None:
        self.schema = schema
        self.run = run
        self.pattern = pattern
        self.lets = lets
        self.item = item
        self.lxml_values: dict[str, Any] = {}
        self.ep_values: dict[str, Any] = {}

    def lxml_value(self, name: str) -> Any:
        """Return variable *name* for libxml2, or raise :class:`_NotConvertible`."""
        if name in self.lxml_values:
            value = self.lxml_values[name]
        else:
            expr = self.lets.get(name)
            if expr is None:
                value = self.schema._global_lxml(self.run, self.pattern, name)
            elif expr.lxml is not None and isinstance(self.item, etree._Element):
                try:
                    value = _to_lxml(self.schema._eval(self.run, expr, self.item, self, "value"))
                except _NotConvertible:
                    value = _NotConvertible
            else:
                try:
                    value = _to_lxml(self.ep_value(name))
                except _NotConvertible:
                    value = _NotConvertible
            self.lxml_values[name] = value
        if value is _NotConvertible:
            raise _NotConvertible
        return value

    def ep_value(self, name: str) -> Any:
        """Return variable *name* for elementpath."""
        if name not in self.ep_values:
            expr = self.lets.get(name)
            if expr is None:
                self.ep_values[name] = self.schema._global_ep(self.run, self.pattern, name)
            else:
                self.ep_values[name] = self.schema._eval(
                    self.run, expr, self.item, self, "value", force_ep=True
                )
        return self.ep_values[name]


# --------------------------------------------------------------------------------------------
# The schema.


def _severity(role: str | None) -> Severity:
    return _ROLE_SEVERITY.get((role or "").strip().lower(), Severity.ERROR)


class SchematronSchema:
    """A compiled ISO Schematron schema; :meth:`validate` checks one document.

    Build it with :func:`load_schematron`. Pickling sends the schema's data, not the compiled
    expressions, which are compiled again on unpickling (a few tenths of a second for TEI
    All); after ``fork`` the compiled schema is used as is. Give each thread its own schema.
    """

    def __init__(
        self, spec: _SchemaSpec, *, use_lxml: bool = True, rule_errors: Severity = Severity.ERROR
    ) -> None:
        """Compile *spec*; ``use_lxml=False`` runs everything with elementpath (for tests).

        *rule_errors* is the severity of ``sch.rule-error`` findings on a document (a rule
        that could not be evaluated): an error by default, since the document was not fully
        checked.
        """
        self._spec = spec
        self._use_lxml = use_lxml
        self.rule_errors = rule_errors
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
        # Which patterns an element or attribute name can trigger (see _Pattern.triggers).
        self._always = [i for i, p in enumerate(self._patterns) if p.triggers is None]
        self._by_element: dict[str, list[int]] = {}
        self._by_attribute: dict[str, list[int]] = {}
        for index, pattern in enumerate(self._patterns):
            if pattern.triggers is not None:
                for name in pattern.triggers[0]:
                    self._by_element.setdefault(name, []).append(index)
                for name in pattern.triggers[1]:
                    self._by_attribute.setdefault(name, []).append(index)
        if self._memo_dirty:
            write_cache_file(self._memo_file, json.dumps(self._memo).encode())

    # -- public ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Return the file the schema was read from."""
        return self._spec.name

    @property
    def query_binding(self) -> str:
        """Return the query binding (lower case), e.g. ``xslt`` or ``xslt2``."""
        return self._spec.query_binding

    @property
    def phase(self) -> str:
        """Return the phase that was compiled (``#ALL`` for all patterns)."""
        return self._spec.phase

    @property
    def title(self) -> str | None:
        """Return the schema's ``sch:title``, if any."""
        return self._spec.title

    @property
    def namespaces(self) -> dict[str, str]:
        """Return the prefixes declared with ``sch:ns`` (plus ``xml``)."""
        return dict(self._namespaces)

    @property
    def patterns(self) -> tuple[SchematronPattern, ...]:
        """Return the active patterns and their rules, in schema order."""
        return tuple(
            SchematronPattern(p.spec.id, tuple(self._describe(r) for r in p.rules))
            for p in self._patterns
        )

    @property
    def rules(self) -> tuple[SchematronRule, ...]:
        """Return every rule of every active pattern, in schema order."""
        return tuple(self._describe(r) for p in self._patterns for r in p.rules)

    def applicable_rules(self, document: TeiDocument) -> list[SchematronRule]:
        """Return the rules whose context can match *document*'s element/attribute names."""
        run = _Run(self, document)
        return [
            self._describe(r) for p in self._patterns for r in p.rules if self._may_match(run, r)
        ]

    def without_lxml(self) -> SchematronSchema:
        """Return the same schema compiled to run every expression with elementpath.

        Slower; meant for cross-checking the libxml2 shortcuts in tests and benchmarks.
        """
        return SchematronSchema(self._spec, use_lxml=False, rule_errors=self.rule_errors)

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the findings of every active pattern on *document*.

        >>> import teikit, tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "s.sch").write_text(
        ...     '<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="p">'
        ...     '<assert test="@n">p needs @n</assert></rule></pattern></schema>')
        >>> [d.message for d in load_schematron(folder / "s.sch").validate(teikit.load(b"<p/>"))]
        ['p needs @n']
        """
        run = _Run(self, document)
        local = self._local
        previous = getattr(local, "run", None)
        previous_budget = getattr(_regex_clock, "left", None)
        local.run = run
        _regex_clock.left = REGEX_TIME_LIMIT
        try:
            out: list[Diagnostic] = []
            selected = set(self._always)
            for names, index in (
                (run.tags, self._by_element),
                (run.attributes, self._by_attribute),
            ):
                for name in index.keys() & names:  # a set intersection: no loop over names
                    selected.update(index[name])
            for number in sorted(selected):
                out.extend(self._run_pattern(run, self._patterns[number]))
            out.extend(run.error_diagnostics())
            return out
        finally:
            local.run = previous
            _regex_clock.left = previous_budget

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._spec, self._use_lxml, self.rule_errors))

    def __repr__(self) -> str:
        return (
            f"<SchematronSchema {self.name!r} queryBinding={self.query_binding!r} "
            f"phase={self.phase!r} patterns={len(self._patterns)}>"
        )

    # -- compiling -------------------------------------------------------------------------
    @property
    def _parser(self) -> Any:
        """Return the elementpath parser, made on first use."""
        if self._parser_object is None:
            self._parser_object = self._make_parser()
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
            self._fallback_object = self._make_parser("3.1")
        return self._fallback_object

    def _make_parser(self, version: str | None = None) -> Any:
        """Return the elementpath parser with current(), document() and the sandbox."""
        from elementpath import MissingContextError, XPathNode

        folder_uri = self._folder.as_uri() + "/"
        parser: Any
        if self._xpath1:
            parser = _parser_class("2.0")(
                namespaces=self._namespaces, base_uri=folder_uri, compatibility_mode=True
            )
        else:
            version = version or _BINDING_VERSIONS[self._spec.query_binding]
            options: dict[str, Any] = {}
            if version != "2.0":
                options["allow_external_resources"] = [folder_uri]
            parser = _parser_class(version)(
                namespaces=self._namespaces, base_uri=folder_uri, **options
            )
        # elementpath refuses a path step after an external function call (current()/x).
        parser.PATH_STEP_LABELS = (*parser.PATH_STEP_LABELS, "external function")
        local, folder = self._local, self._folder

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
        if self._xpath1:
            parser.external_function(generate_id, name="generate-id")
        return parser

    def _lxml_current(self, _context: Any) -> Any:
        node = getattr(self._local, "current_lxml", None)
        return [] if node is None else [node]

    def _warn(self, message: str, line: int | None) -> None:
        self.warnings.append(
            Diagnostic(Severity.WARNING, "sch.rule-error", message, self.name, line, None)
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
        rule.quick = self._quick_check(rule, select)
        return rule

    def _quick_check(self, rule: _Rule, select: str | None) -> etree.XPath | None:
        """Return one XPath that is false when no context node of *rule* can give a finding.

        ``(SELECT)[not(self::*) or not(ASSERT) or (REPORT)...]``: libxml2 evaluates each
        test with the context node as its context, as the per-node evaluation does, so an
        empty result proves that no assert fails and no report fires; anything else (a
        non-element context node, a failing test) sends the document down the full path.
        Rules whose tests depend on more than their context node are not screened:
        variables, ``current()``, ``position()``/``last()`` (which differ inside a
        predicate), rule-level ``let``, a context that matches the document node.
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
        return self._lxml_compile(f"boolean(({select})[{' or '.join(conditions)}])")

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

    def _describe(self, rule: _Rule) -> SchematronRule:
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

    # -- running ---------------------------------------------------------------------------
    def _may_match(self, run: _Run, rule: _Rule) -> bool:
        if rule.fires_on is not None and rule.fires_on.isdisjoint(run.attributes):
            return False
        if rule.needs is None:
            return True
        for elements, attributes in rule.needs:
            if elements <= run.tags and (not attributes or attributes <= run.attributes):
                return True
        return False

    def _select(self, run: _Run, rule: _Rule) -> list[_Item]:
        """Return the nodes that *rule*'s context matches, in document order."""
        items: list[_Item] = [_DOCUMENT] if rule.matches_document else []
        names = rule.variables
        if rule.select_lxml is not None:
            try:
                variables = {n: self._global_lxml(run, rule.pattern, n) for n in names}
            except _NotConvertible:
                pass
            else:
                found: Any = rule.select_lxml(run.root, **variables)
                items.extend(_as_item(n) for n in found)
                return items
        elif rule.select_token is None:
            if rule.select_error is not None:
                raise _EvaluationError(rule.select_error)
            return items
        if rule.select_token is None:
            raise _EvaluationError("the context's variables cannot be passed to libxml2")
        variables = {n: self._global_ep(run, rule.pattern, n) for n in names}
        result = rule.select_token.get().evaluate(self._ep_context(run, run.node_tree, variables))
        return [_from_ep(n) for n in (result if isinstance(result, list) else [result])]

    def _pattern_of(self, spec: _PatternSpec | None) -> _Pattern | None:
        for pattern in self._patterns:
            if pattern.spec is spec:
                return pattern
        return None

    def _global_expr(self, pattern: _Pattern | _PatternSpec | None, name: str) -> _Expr:
        if isinstance(pattern, _PatternSpec):
            pattern = self._pattern_of(pattern)
        if pattern is not None and name in pattern.lets:
            return pattern.lets[name]
        if name in self._global_lets:
            return self._global_lets[name]
        raise _EvaluationError(f"undeclared variable ${name}")

    def _global_ep(self, run: _Run, pattern: _Pattern | _PatternSpec | None, name: str) -> Any:
        key = f"{id(pattern) if pattern is not None else ''}:{name}"
        if key not in run.global_ep:
            expr = self._global_expr(pattern, name)
            scope = _Scope(self, run, self._pattern_or_empty(pattern), {}, _DOCUMENT)
            run.global_ep[key] = self._eval(run, expr, _DOCUMENT, scope, "value", force_ep=True)
        return run.global_ep[key]

    def _global_lxml(self, run: _Run, pattern: _Pattern | _PatternSpec | None, name: str) -> Any:
        key = f"{id(pattern) if pattern is not None else ''}:{name}"
        if key not in run.global_lxml:
            expr = self._global_expr(pattern, name)
            if expr.token is None and expr.lxml is not None:
                # No elementpath form: approximate the document node by the root element.
                scope = _Scope(self, run, self._pattern_or_empty(pattern), {}, run.root)
                value = self._eval(run, expr, run.root, scope, "value")
            else:
                value = self._global_ep(run, pattern, name)
            try:
                run.global_lxml[key] = _to_lxml(value)
            except _NotConvertible:
                run.global_lxml[key] = _NotConvertible
        value = run.global_lxml[key]
        if value is _NotConvertible:
            raise _NotConvertible
        return value

    def _pattern_or_empty(self, pattern: _Pattern | _PatternSpec | None) -> _Pattern:
        if isinstance(pattern, _Pattern):
            return pattern
        found = self._pattern_of(pattern) if pattern is not None else None
        return found if found is not None else _Pattern(_PatternSpec(None, (), (), None), [], {})

    @staticmethod
    def _ep_context(run: _Run, item: Any, variables: dict[str, Any] | None = None) -> XPathContext:
        context: XPathContext = _ep().XPathContext(run.node_tree, item=item, variables=variables)
        context.documents = run.documents  # doc() reads through the sandbox
        return context

    def _eval(
        self,
        run: _Run,
        expr: _Expr,
        item: _Item,
        scope: _Scope,
        kind: str,
        *,
        force_ep: bool = False,
    ) -> Any:
        """Evaluate *expr* on *item*; raise on failure."""
        if expr.lxml is not None and not force_ep and isinstance(item, etree._Element):
            try:
                variables = {n: scope.lxml_value(n) for n in expr.variables}
            except _NotConvertible:
                pass
            else:
                local = self._local
                saved = getattr(local, "current_lxml", None)
                local.current_lxml = scope.item if isinstance(scope.item, etree._Element) else None
                try:
                    return expr.lxml(item, **variables)
                finally:
                    local.current_lxml = saved
        if expr.token is None:
            if expr.lxml is not None:
                raise _EvaluationError("this expression runs only on element context nodes")
            raise _EvaluationError(expr.error or "cannot be compiled")
        if kind == "test" and schematron_fast.ENABLED and isinstance(item, etree._Element):
            guard = self._guard(expr)
            if guard is not None and not guard(item):
                return False
        try:
            return self._ep_eval(run, expr, item, scope, kind)
        except Exception as exc:  # an arity that only XPath 3.1 knows: parsed again as 3.1
            if "XPST0017" in str(exc) and expr.token.upgrade():
                expr.anchor = None
                return self._ep_eval(run, expr, item, scope, kind)
            raise

    def _ep_eval(self, run: _Run, expr: _Expr, item: _Item, scope: _Scope, kind: str) -> Any:
        """Evaluate *expr* on *item* with elementpath."""
        ep_variables = {}
        for name in expr.variables:
            if name in scope.lets or name in self._global_lets or (name in scope.pattern.lets):
                ep_variables[name] = scope.ep_value(name)
        node = run.ep_item(item)
        token = expr.token.get()
        result = schematron_fast.NOT_FOUND
        if schematron_fast.ENABLED and kind != "string":  # the token is expr.source's
            result = self._anchored_value(run, expr, token, node)
        if result is schematron_fast.NOT_FOUND:
            context = self._ep_context(run, node, ep_variables)
            local = self._local
            saved = getattr(local, "current_ep", None)
            local.current_ep = run.ep_item(scope.item) if scope.item is not item else node
            try:
                result = token.evaluate(context)
            finally:
                local.current_ep = saved
        if kind == "test":
            return bool(token.boolean_value(result))
        if kind == "string":
            return result if isinstance(result, str) else str(result)
        return result

    def _guard(self, expr: _Expr) -> etree.XPath | None:
        """Return libxml2's form of the left operand of *expr*'s ``and``, if it has one."""
        if expr.guard is None:
            expr.guard = False
            if expr.token is not None and self._use_lxml:
                parse = lambda text: self._parse(text)[0]  # noqa: E731
                left = schematron_fast.left_of_and(expr.source, expr.token.get(), parse)
                xpath1 = None if left is None else self._analyse(left, "test", {})["xpath1"]
                if xpath1 is not None:
                    expr.guard = self._lxml_compile(f"boolean({xpath1})") or False
        return expr.guard if isinstance(expr.guard, etree.XPath) else None

    def _anchored_value(self, run: _Run, expr: _Expr, token: Any, node: Any) -> Any:
        """Return *expr*'s value on *node* computed once per anchor, or ``NOT_FOUND``."""
        if expr.anchor is None:
            parse = lambda text: self._parse(text)[0]  # noqa: E731
            expr.anchor = schematron_fast.find_anchor(expr.source, token, parse) or False
        if not isinstance(expr.anchor, schematron_fast.Anchored):
            return schematron_fast.NOT_FOUND
        return schematron_fast.anchored_value(
            expr.anchor,
            node,
            run.node_tree,
            lambda item: self._ep_context(run, item),
            run.anchored,
        )

    def _run_pattern(self, run: _Run, pattern: _Pattern) -> list[Diagnostic]:
        if pattern.quick and self._passes_quick_checks(run, pattern):
            return []
        found: list[tuple[tuple[int, int], int, Diagnostic]] = []
        claimed: set[Any] = set()
        several = len(pattern.rules) > 1
        rules_with_findings = 0
        for index, rule in enumerate(pattern.rules):
            if not self._may_match(run, rule):
                continue
            try:
                items = self._select(run, rule)
            except Exception as exc:  # a failing pattern matches nothing (XSLT 3.0 rule)
                run.fail((id(rule), "context"), f"{rule.describe()}", _DOCUMENT, exc)
                continue
            before = len(found)
            for item in items:
                if several:
                    key = item if isinstance(item, etree._Element) else tuple(item)
                    if key in claimed:
                        continue
                    claimed.add(key)
                for diagnostic in self._check_item(run, pattern, rule, item):
                    found.append((run.order(item) if several else (0, 0), index, diagnostic))
            if len(found) > before:
                rules_with_findings += 1
        if rules_with_findings > 1:
            found.sort(key=lambda entry: (entry[0], entry[1]))
        return [entry[2] for entry in found]

    def _passes_quick_checks(self, run: _Run, pattern: _Pattern) -> bool:
        """Return whether the screens prove *pattern* has no finding on the document."""
        try:
            return not any(
                rule.quick(run.root)  # type: ignore[misc]
                for rule in pattern.rules
                if self._may_match(run, rule)
            )
        except Exception:  # let the full path report whatever went wrong
            return False

    def _check_item(
        self, run: _Run, pattern: _Pattern, rule: _Rule, item: _Item
    ) -> Iterator[Diagnostic]:
        scope = _Scope(self, run, pattern, rule.lets, item)
        for check in rule.checks:
            try:
                result = self._eval(run, check.test, item, scope, "test")
            except Exception as exc:
                run.fail(
                    (id(check), "test"),
                    f"{rule.describe()}: {check.spec.kind} test {check.spec.test!r}",
                    item,
                    exc,
                )
                continue
            if bool(result) == (check.spec.kind == "assert"):
                continue
            yield self._finding(run, rule, check, item, scope)

    def _finding(
        self, run: _Run, rule: _Rule, check: _Check, item: _Item, scope: _Scope
    ) -> Diagnostic:
        parts: list[str] = []
        for part in check.message:
            if isinstance(part, str):
                parts.append(part)
                continue
            try:
                parts.append(str(self._eval(run, part, item, scope, "string")))
            except Exception as exc:
                run.fail(
                    (id(part), "value-of"),
                    f"{rule.describe()}: value-of {part.source!r}",
                    item,
                    exc,
                )
                parts.append("?")
        where = item
        subject = check.subject or rule.subject
        if subject is not None:
            try:
                value = self._eval(run, subject, item, scope, "value", force_ep=False)
                nodes = value if isinstance(value, list) else [value]
                if nodes:
                    first = nodes[0]
                    where = (
                        _from_ep(first)
                        if isinstance(first, _ep_class("XPathNode"))
                        else _as_item(first)
                    )
            except Exception as exc:
                run.fail(
                    (id(subject), "subject"),
                    f"{rule.describe()}: subject {subject.source!r}",
                    item,
                    exc,
                )
        message = " ".join("".join(parts).split())
        return Diagnostic(
            check.severity,
            f"sch.{check.spec.kind}",
            message + check.label,
            run.document.name,
            _line(where),
            None,
            _display_path(where),
        )


def _rebuild(spec: _SchemaSpec, use_lxml: bool, rule_errors: Severity) -> SchematronSchema:
    return SchematronSchema(spec, use_lxml=use_lxml, rule_errors=rule_errors)


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


def load_schematron(
    path: Path,
    *,
    phase: str | None = None,
    tree: etree._ElementTree | None = None,
    rule_errors: Severity = Severity.ERROR,
) -> SchematronSchema:
    """Read and compile the ISO Schematron in *path* (a ``.sch`` file or a RELAX NG grammar).

    *phase* selects a ``sch:phase`` by id; ``None`` or ``#DEFAULT`` means the schema's
    ``defaultPhase`` (else all patterns), ``#ALL`` all patterns. A RELAX NG grammar without
    embedded Schematron gives a schema without patterns.

    :raises SchemaLoadError: the file cannot be read, is not a schema, or uses a feature
        that is not supported (an unknown ``queryBinding``, ``sch:let`` without ``@value``...).

    *tree*, if given, is the content of *path* already parsed (the RELAX NG loader's): it
    spares parsing a large grammar twice, and is not modified. *rule_errors* is the severity
    of a rule that could not be evaluated on a document (``sch.rule-error``).

    >>> from teikit.resources import schemas_dir
    >>> load_schematron(schemas_dir() / "teikit-letter.sch").query_binding
    'xslt'
    """
    return SchematronSchema(_read_spec(Path(path), phase, tree), rule_errors=rule_errors)

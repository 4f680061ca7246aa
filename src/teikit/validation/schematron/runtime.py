"""The compiled runtime: compiled expressions and rules, the state of one document's run, the
sandbox for document functions, and the conversions between libxml2 and elementpath values."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument, load
from teikit.errors import TeikitError
from teikit.namespaces import TEI_NS, XML_NS
from teikit.validation.schematron import fast
from teikit.validation.schematron.parsers import _ep, _ep_class
from teikit.validation.schematron.reading import (
    _CheckSpec,
    _inside,
    _lineno,
    _PatternSpec,
    _RuleSpec,
)
from teikit.validation.schematron.xpath import _ANY

if TYPE_CHECKING:
    from teikit.validation.schematron.compile import _Compiler
    from teikit.validation.schematron.evaluate import _Evaluator

    pass


class _LazyToken:
    """An elementpath expression, parsed on first evaluation."""

    __slots__ = ("_schema", "source", "_token")

    def __init__(self, schema: _Compiler, source: str) -> None:
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
    # How elementpath evaluates it once per anchor node (see .fast): None until the
    # first evaluation, False when it cannot.
    anchor: fast.Anchored | bool | None = None
    # For a test ``A and B`` run by elementpath: ``boolean(A)`` for libxml2 when A has an
    # XPath 1.0 form (fast.left_of_and); None until first needed, False if not.
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
    # true (see compile._quick_select). None when the rule cannot be screened that way.
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

    def __init__(self, schema: _Evaluator, document: TeiDocument) -> None:
        self.schema = schema
        self.document = document
        self.tree = document.tree
        self.root = document.root
        self._node_tree: Any = None
        self._order: dict[Any, int] | None = None
        self.documents = _Documents(schema._folder)
        self.global_lxml: dict[str, Any] = {}
        self.global_ep: dict[str, Any] = {}
        self.anchored: dict[tuple[fast.Anchored, Any], Any] = {}
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
        schema: _Evaluator,
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

"""Evaluating compiled rules on one document: selecting context nodes, variables, the
shortcuts of :mod:`.fast`, and turning failed asserts and fired reports into findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.validation.schematron import fast
from teikit.validation.schematron.compile import _Compiler
from teikit.validation.schematron.parsers import _ep, _ep_class
from teikit.validation.schematron.reading import _PatternSpec
from teikit.validation.schematron.runtime import (
    _DOCUMENT,
    _as_item,
    _Check,
    _display_path,
    _EvaluationError,
    _Expr,
    _from_ep,
    _Item,
    _line,
    _NotConvertible,
    _Pattern,
    _Scope,
    _to_lxml,
)

if TYPE_CHECKING:
    from elementpath import XPathContext

from teikit.validation.schematron.runtime import _Rule, _Run


class _Evaluator(_Compiler):
    """The running half of :class:`~.schema.SchematronSchema`."""

    rule_errors: Severity

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
        if kind == "test" and fast.ENABLED and isinstance(item, etree._Element):
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
        result = fast.NOT_FOUND
        if fast.ENABLED and kind != "string":  # the token is expr.source's
            result = self._anchored_value(run, expr, token, node)
        if result is fast.NOT_FOUND:
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
                left = fast.left_of_and(expr.source, expr.token.get(), parse)
                xpath1 = None if left is None else self._analyse(left, "test", {})["xpath1"]
                if xpath1 is not None:
                    expr.guard = self._lxml_compile(f"boolean({xpath1})") or False
        return expr.guard if isinstance(expr.guard, etree.XPath) else None

    def _anchored_value(self, run: _Run, expr: _Expr, token: Any, node: Any) -> Any:
        """Return *expr*'s value on *node* computed once per anchor, or ``NOT_FOUND``."""
        if expr.anchor is None:
            parse = lambda text: self._parse(text)[0]  # noqa: E731
            expr.anchor = fast.find_anchor(expr.source, token, parse) or False
        if not isinstance(expr.anchor, fast.Anchored):
            return fast.NOT_FOUND
        return fast.anchored_value(
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

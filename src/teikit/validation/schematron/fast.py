"""Evaluate a Schematron expression once per anchor node instead of once per context node.

A rule's test or ``sch:let`` runs once per context node. Some of them do not depend on the
context node itself but only on a node it leads to: DraCor's
``ancestor::tei:TEI//tei:particDesc//(tei:person|tei:personGrp)[@xml:id]/@xml:id``, run on
every ``sp``, walks the whole play each time (98 % of DraCor's Schematron time). Such an
expression is split into its *anchor* and the *rest*, and the rest's value is remembered
per validated document and anchor node:

``/...``, ``//...``
    an absolute path: the anchor is the document node, the rest is the whole path.
``ancestor::NAME/...``, ``ancestor-or-self::NAME//...``
    a path whose first step goes up the ancestor axis with a name test and no predicate:
    the anchor is the one node that step selects (when it selects none or several, the
    expression is evaluated as usual), the rest is ``./...`` or ``.//...`` run on it.

Only paths qualify (the expression's top operator is ``/`` or ``//`` and the anchor is the
leftmost step of the chain, so ``ancestor::x//a | b`` does not), and only when the text has
no ``current()``, ``position()``, ``last()``, variable or comment: nothing else in the rest
can see the context node. ``E1/E2`` is the union of ``n/E2`` over the nodes ``n`` of ``E1``,
so with one anchor node the value is the same sequence, in the same order.

A test ``A and B`` that elementpath runs (``B`` needs XPath 2) but whose ``A`` libxml2 can
run (see :func:`left_of_and`) is first screened by ``A`` in libxml2: when ``A`` is false the
test is false, as elementpath (which evaluates ``and`` left to right, stopping at a false
left operand) would say, without building the dynamic context or the rule's variables.
PTA's ``(self::tei:classRef | ...) and $srcs[2]`` on every element with ``@source`` is the
case in point. The one difference: a variable of the rule that ``B`` uses and that cannot be
evaluated (a regular expression out of time) is not reported when ``A`` is false, which is
what XSLT, which evaluates variables lazily, does too.

:data:`ENABLED` switches the shortcut off (tests compare the findings both ways, see
``benchmarks/schematron_findings.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

__all__ = ["ENABLED", "NOT_FOUND", "Anchored", "anchored_value", "find_anchor", "left_of_and"]

#: Internal switch: ``False`` evaluates every expression on every context node.
ENABLED: bool = True

#: Returned by :func:`anchored_value` when the expression must be evaluated as usual.
NOT_FOUND: Final = object()

_NAME: Final = r"(?:\*|[A-Za-z_][\w.\-]*(?::(?:\*|[A-Za-z_][\w.\-]*))?)"
_ANCESTOR: Final = re.compile(rf"\s*(ancestor(?:-or-self)?)\s*::\s*{_NAME}\s*(//?)(.*)", re.S)
# Text that may make the rest depend on the context node, or hide a step from the regex.
_CONTEXTUAL: Final = re.compile(r"\$|\(:|\b(?:current|position|last)\s*\(")
_PATH: Final = ("/", "//")


class Anchored:
    """An expression split into the step that finds its anchor and the rest."""

    __slots__ = ("first", "rest")

    def __init__(self, first: Any, rest: Any) -> None:
        self.first = first  # elementpath token of the ancestor step; None: the document node
        self.rest = rest  # elementpath token run on the anchor


def _leftmost(token: Any) -> Any:
    """Return the first step of a chain of ``/`` and ``//`` operators."""
    while token.symbol in _PATH and len(token) == 2:
        token = token[0]
    return token


def find_anchor(source: str, token: Any, parse: Callable[[str], Any]) -> Anchored | None:
    """Return how to evaluate *source* (parsed as *token*) once per anchor, or ``None``.

    *parse* turns XPath text into an elementpath token (``None`` if it does not parse).
    """
    if _CONTEXTUAL.search(source) or token.symbol not in _PATH:
        return None
    leaf = _leftmost(token)
    if leaf.symbol in _PATH and len(leaf) == 1:  # an absolute path: the document is the anchor
        return Anchored(None, token)
    match = _ANCESTOR.fullmatch(source)
    if match is None or len(token) != 2 or leaf.symbol != match.group(1):
        return None
    first = parse(source[: match.start(2)])
    rest = parse(f".{match.group(2)}{match.group(3)}")
    if first is None or rest is None or first.symbol != leaf.symbol:
        return None
    return Anchored(first, rest)


def anchored_value(
    anchored: Anchored,
    node: Any,
    document: Any,
    context_for: Callable[[Any], Any],
    memo: dict[tuple[Anchored, Any], Any],
) -> Any:
    """Return the value of the expression on *node*, or :data:`NOT_FOUND`.

    *document* is elementpath's document node, *context_for* makes the dynamic context for an
    item, and *memo* holds the values already computed for the document being validated.
    """
    if anchored.first is None:
        anchor = document
    else:
        found = anchored.first.evaluate(context_for(node))
        if isinstance(found, list):
            if len(found) != 1:
                return NOT_FOUND
            found = found[0]
        anchor = found
    key = (anchored, anchor)
    if key not in memo:
        memo[key] = anchored.rest.evaluate(context_for(anchor))
    value = memo[key]
    return list(value) if isinstance(value, list) else value


_AND: Final = re.compile(r"\band\b")


def left_of_and(source: str, token: Any, parse: Callable[[str], Any]) -> str | None:
    """Return the text of the left operand of *source*'s top-level ``and``, or ``None``.

    The left operand is found by parsing the text before and after each ``and``: the split
    whose two parts parse to the same trees as the operands of *token* is the right one. A
    left operand with variables, ``current()`` or comments is refused.
    """
    if token.symbol != "and" or len(token) != 2:
        return None
    left_tree, right_tree = token[0].tree, token[1].tree
    for match in _AND.finditer(source):
        left, right = source[: match.start()], source[match.end() :]
        if _CONTEXTUAL.search(left):
            continue
        left_token, right_token = parse(left), parse(right)
        if left_token is None or right_token is None:
            continue
        if left_token.tree == left_tree and right_token.tree == right_tree:
            return left
    return None

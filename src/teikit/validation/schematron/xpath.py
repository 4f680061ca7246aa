"""XPath translation: rule contexts as XSLT patterns, and the proof that an XPath 2/3 expression
means the same in XPath 1.0 (so libxml2 can run it), with its rewriting for lxml."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

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

"""elementpath, imported on first use, and its XPath parsers repaired: regular expressions run
with a time limit, prefixed names that are also function names keep their namespace."""

from __future__ import annotations

import functools
import re
import sys
import threading
import time
import types
from typing import Any, Final


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

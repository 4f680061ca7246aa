"""W3C XML Schema (XSD 1.0) validation with lxml (libxml2, the default) or xmlschema.

Measured on TEI All (``tei_all.xsd``, 1 MB) and 200 Tillich letters: lxml compiles in about
half the time xmlschema needs and validates some 500 times faster, with messages that point at
the offending element rather than its parent, so lxml is the default; ``engine="xmlschema"``
is there for schemas libxml2 cannot compile (it enforces Unique Particle Attribution strictly).

Both engines read schema files only from the schema's own folder, never from the network,
and never expand external entities. Diagnostic codes: ``xsd.invalid``, and
``xsd.pattern-limit`` when a pattern facet needs too much work on a value (issue 17): xmlschema
matches patterns with Python's backtracking ``re``, where ``(a+)+b`` on thirty ``a`` runs for
minutes, so its matches get a time budget per document (:data:`PATTERN_TIME_LIMIT`); libxml2
matches with automata and gives up by itself after a bounded number of steps.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final, Literal, cast

import xmlschema
from lxml import etree

from teikit import encodings
from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument, make_parser
from teikit.errors import SchemaLoadError
from teikit.namespaces import NSMAP
from teikit.validation.specialize import read_schema_file

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "PATTERN_TIME_LIMIT",
    "LxmlXsdSchema",
    "XmlschemaXsdSchema",
    "XsdEngine",
    "load_xsd",
]

XsdEngine = Literal["lxml", "xmlschema"]
ENGINES: Final = ("lxml", "xmlschema")
DEFAULT_ENGINE: Final[XsdEngine] = "lxml"
CODE: Final = "xsd.invalid"
PATTERN_CODE: Final = "xsd.pattern-limit"
#: Seconds that xmlschema may spend matching pattern facets in one document (a normal
#: match takes microseconds); ``TEIKIT_XSD_PATTERN_TIME_LIMIT`` overrides it.
PATTERN_TIME_LIMIT: Final = 10.0
_CLARK: Final = re.compile(r"\{([^}]*)\}([\w.\-]+)")
_PREFIXES: Final = {uri: prefix for prefix, uri in NSMAP.items()}


def load_xsd(path: Path, engine: str = DEFAULT_ENGINE) -> LxmlXsdSchema | XmlschemaXsdSchema:
    """Compile the XSD at *path* with *engine* (``"lxml"`` or ``"xmlschema"``).

    :raises SchemaLoadError: the schema cannot be read or compiled, imports a file outside
        its folder, or *engine* is unknown.
    """
    if engine == "lxml":
        return LxmlXsdSchema(Path(path))
    if engine == "xmlschema":
        return XmlschemaXsdSchema(Path(path))
    raise SchemaLoadError(f"unknown XSD engine {engine!r} (choose from {', '.join(ENGINES)})")


def _readable(message: str) -> str:
    """Return *message* with Clark names of known namespaces written as ``tei:name``."""

    def prefixed(match: re.Match[str]) -> str:
        prefix = _PREFIXES.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(0)

    return _CLARK.sub(prefixed, " ".join(message.split()))


class _SandboxResolver(etree.Resolver):
    """Let libxml2 read files inside one folder only (for ``xs:import``/``xs:include``)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        url = system_url[len("file://") :] if system_url.startswith("file://") else system_url
        path = Path(url).resolve() if "://" not in url else None
        if path is not None and path.is_relative_to(self.folder) and path.is_file():
            return self.resolve_filename(str(path), context)  # type: ignore[attr-defined]
        self.refused.append(system_url)
        return self.resolve_string("", context)  # type: ignore[call-arg]


class LxmlXsdSchema:
    """An XSD compiled by libxml2."""

    engine: Final = "lxml"

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_file():  # a missing file: libxml2's message below
            _check_schema_files(path.resolve())
        folder = path.resolve().parent
        parser, refusing = make_parser()
        # The schema's imports are read through the parser's resolvers: allow the folder.
        parser.resolvers.remove(refusing)
        resolver = _SandboxResolver(folder)
        parser.resolvers.add(resolver)
        try:
            tree = etree.parse(str(path.resolve()), parser)
        except OSError as exc:
            raise SchemaLoadError(f"{path}: cannot read schema: {exc}") from None
        except etree.XMLSyntaxError as exc:
            line, column = exc.position or (0, 0)
            message = re.sub(r", line \d+, column \d+$", "", exc.msg or str(exc))
            raise SchemaLoadError(f"{path}:{line}:{column}: {message}") from None
        try:
            self._schema = etree.XMLSchema(tree)
        except etree.XMLSchemaParseError as exc:
            refused = (
                f" (refused to read {', '.join(resolver.refused)}: only files in {folder})"
                if resolver.refused
                else ""
            )
            entry = exc.error_log.last_error
            where = f"{entry.filename or path}:{entry.line}" if entry is not None else str(path)
            message = entry.message if entry is not None else str(exc)
            raise SchemaLoadError(f"{where}: invalid XSD: {message}{refused}") from None
        if resolver.refused:
            raise SchemaLoadError(
                f"{path}: refused to read {', '.join(resolver.refused)}: only files in {folder}"
            )

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the ways *document* fails the schema (an empty list when it is valid)."""
        try:
            if self._schema.validate(document.tree):
                return []
        except etree.XMLSchemaValidateError as exc:
            # libxml2 stops a pattern match that backtracks too much ((a|aa)+b on a long
            # value) and reports an "internal error": the document was not fully checked.
            return [_lxml_internal_error(exc, self._schema.error_log, document)]
        diagnostics = [
            Diagnostic(
                Severity.ERROR,
                CODE,
                _readable(entry.message),
                document.name,
                entry.line or None,
                entry.column or None,
                getattr(entry, "path", None) or None,
            )
            for entry in cast("Iterable[Any]", self._schema.error_log)
        ]
        return diagnostics or [
            Diagnostic(Severity.ERROR, CODE, "document does not match the schema", document.name)
        ]


_XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
_INCLUDES: Final = tuple(
    f"{{{_XSD_NS}}}{name}" for name in ("include", "import", "redefine", "override")
)


def _check_schema_files(path: Path) -> None:
    """Read *path* and every local file it includes or imports as teikit reads schemas.

    xmlschema opens the files of ``xs:include``/``xs:import`` itself: a FIFO among them hung
    the run and a UTF-7 file was an internal error (issue 17). Each is checked first: a
    regular file within the size limit, in an encoding teikit reads. Remote locations are
    left to xmlschema's sandbox, which refuses them.

    :raises SchemaLoadError: a file is not a regular file, too large, unreadable, not XML or
        in a refused encoding.
    """
    pending, seen = [path], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            data = read_schema_file(current)
        except OSError as exc:
            raise SchemaLoadError(f"{current}: cannot read schema: {exc}") from None
        refusal = encodings.refusal(data)
        if refusal is not None:  # UTF-7 was an internal error (ValueError) in xmlschema
            raise SchemaLoadError(f"{current}: {refusal}")
        parser, _ = make_parser()
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            continue  # xmlschema says what is wrong with it, in its words
        for element in root.iter(_INCLUDES):
            location = element.get("schemaLocation")
            if location and "://" not in location and not location.startswith("urn:"):
                pending.append((current.parent / location).resolve())


class XmlschemaXsdSchema:
    """An XSD compiled by xmlschema, sandboxed to its folder and with entities defused."""

    engine: Final = "xmlschema"

    def __init__(self, path: Path) -> None:
        self.path = path
        absolute = path.resolve()  # xmlschema's sandbox misplaces relative paths
        if not absolute.is_file():
            raise SchemaLoadError(f"{path}: no such schema file")
        _check_schema_files(absolute)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                self._schema = xmlschema.XMLSchema(str(absolute), allow="sandbox", defuse="always")
            except (xmlschema.XMLSchemaException, OSError, SyntaxError, ValueError) as exc:
                raise SchemaLoadError(f"{path}: invalid XSD: {_first_line(exc)}") from None
        refused = [str(w.message) for w in caught if "import" in type(w.message).__name__.lower()]
        if refused:
            raise SchemaLoadError(f"{path}: {'; '.join(refused)}")
        _guard_patterns(self._schema)

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the ways *document* fails the schema (an empty list when it is valid)."""
        # The tree is already parsed: the resource must not fetch anything for it.
        resource = xmlschema.XMLResource(document.tree, allow="none")
        diagnostics: list[Diagnostic] = []
        try:
            with _pattern_budget(_pattern_time_limit()):
                for error in self._schema.iter_errors(resource, namespaces=dict(NSMAP)):
                    diagnostics.append(
                        Diagnostic(
                            Severity.ERROR,
                            CODE,
                            _readable(error.reason or error.message),
                            document.name,
                            error.sourceline if isinstance(error.sourceline, int) else None,
                            None,
                            error.path,
                        )
                    )
        except _PatternTimeout as exc:
            limit = _pattern_time_limit()
            what = (
                f"pattern {exc.pattern!r} took too long on a value of {exc.length:,} characters"
                if exc.pattern is not None
                else "pattern facets took too long"
            )
            diagnostics.append(
                Diagnostic(
                    Severity.ERROR,
                    PATTERN_CODE,
                    f"{what} (over {limit:g} s in this document: Python's regular expressions "
                    "backtrack); the document was not fully checked; --xsd-engine lxml (libxml2's "
                    "automata) bounds every match",
                    document.name,
                    _element_line(exc),
                )
            )
        return diagnostics


def _element_line(exc: BaseException) -> int | None:
    """Return the line of the element xmlschema was checking when *exc* was raised."""
    line = None
    trace = exc.__traceback__
    while trace is not None:  # the innermost element being decoded wins
        candidate = dict(trace.tb_frame.f_locals).get("obj")
        if isinstance(candidate, etree._Element) and isinstance(candidate.sourceline, int):
            line = candidate.sourceline
        trace = trace.tb_next
    return line


def _lxml_internal_error(
    exc: etree.XMLSchemaValidateError, log: etree._ListErrorLog, document: TeiDocument
) -> Diagnostic:
    """Return the finding for a validation that libxml2 could not finish."""
    entries = list(cast("Iterable[Any]", log))
    first = entries[0] if entries else None
    if first is not None and "pattern facet" in first.message:
        message = (
            "libxml2 gave up matching a pattern facet (it needs too many steps on this value, "
            "as (a|aa)+b does on a long one); the document was not fully checked"
        )
        return Diagnostic(
            Severity.ERROR, PATTERN_CODE, message, document.name, first.line or None, None
        )
    detail = first.message if first is not None else str(exc)
    message = f"libxml2 could not finish validating: {detail}; the document was not fully checked"
    return Diagnostic(Severity.ERROR, CODE, message, document.name)


# ----------------------------------------------------------------- pattern time budget


class _PatternTimeout(BaseException):
    """A pattern match ran out of the document's time budget.

    A BaseException, so that no ``except Exception`` in xmlschema turns it into a finding.
    """

    def __init__(self, pattern: str | None = None, length: int = 0) -> None:
        super().__init__(pattern)
        self.pattern = pattern
        self.length = length


class _Budget(threading.local):
    remaining: float | None = None  # None: no budget (not the main thread, or no validation)
    armed = False


_BUDGET: Final = _Budget()


def _pattern_time_limit() -> float:
    """Return the per-document pattern time budget, in seconds."""
    try:
        value = float(os.environ.get("TEIKIT_XSD_PATTERN_TIME_LIMIT", PATTERN_TIME_LIMIT))
    except ValueError:
        return PATTERN_TIME_LIMIT
    return value if value > 0 else PATTERN_TIME_LIMIT


def _on_alarm(signum: int, frame: object) -> None:
    if _BUDGET.armed:  # a late alarm after the match returned is ignored
        _BUDGET.armed = False
        raise _PatternTimeout()


class _pattern_budget:  # noqa: N801 - used as a context manager
    """Give the pattern matches of one document *limit* seconds (main thread only).

    Only the main thread receives signals; elsewhere, or when another interval timer is
    running, the matches run without a budget.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.previous: Any = None
        self.active = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            return  # somebody else's timer: leave it alone
        self.previous = signal.signal(signal.SIGALRM, _on_alarm)
        _BUDGET.remaining = self.limit
        self.active = True

    def __exit__(self, *exc: object) -> None:
        if self.active:
            _BUDGET.remaining = None
            _BUDGET.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


class _GuardedPattern:
    """A compiled pattern whose matches count against the document's time budget."""

    __slots__ = ("_pattern", "_source")

    def __init__(self, pattern: re.Pattern[str], source: str) -> None:
        self._pattern = pattern
        self._source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def match(self, value: str, *args: Any) -> re.Match[str] | None:
        remaining = _BUDGET.remaining
        if remaining is None:
            return self._pattern.match(value, *args)
        if remaining <= 0:
            raise _PatternTimeout(self._source, len(value))
        start = time.monotonic()
        _BUDGET.armed = True  # before the timer starts: an alarm never goes unheard
        signal.setitimer(signal.ITIMER_REAL, remaining)
        try:
            result = self._pattern.match(value, *args)
            _BUDGET.armed = False
        except _PatternTimeout:
            raise _PatternTimeout(self._source, len(value)) from None
        finally:
            _BUDGET.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            _BUDGET.remaining = remaining - (time.monotonic() - start)
        return result


def _iter_pattern_facets(schema: Any) -> Iterator[Any]:
    """Yield the pattern facets of every component xmlschema built for *schema*."""
    for component in schema.maps.iter_components():
        if isinstance(component, xmlschema.validators.XsdPatternFacets):
            yield component


def _guard_patterns(schema: Any) -> None:
    """Make every pattern facet of *schema* (and of the schemas it shares maps with) timed."""
    for facet in _iter_pattern_facets(schema):
        facet.patterns = [
            p if isinstance(p, _GuardedPattern) else _GuardedPattern(p, source)
            for p, source in zip(facet.patterns, facet.regexps, strict=False)
        ]


def _first_line(exc: BaseException) -> str:
    """Return the first line of an exception's message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

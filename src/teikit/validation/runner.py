"""Run the validation engines over many files: schema reuse, worker processes, verdict cache."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import DocumentLoadError, InputError, SchemaLoadError
from teikit.namespaces import XML_NS
from teikit.resources import cache_dir, read_cache_json, write_cache_file
from teikit.sources import expand_paths as expand_files
from teikit.validation.schemas import SchemaKind, SchemaRef, explicit_schemas, schemas_for

if TYPE_CHECKING:  # imported when first needed: a run served from the cache never needs them
    from concurrent.futures import Future, ProcessPoolExecutor

    from teikit.document import TeiDocument
    from teikit.pointers import PointerResolver

__all__ = ["Input", "ValidationOptions", "Validator", "expand_paths"]

STDIN: Final = "-"
_CHUNK: Final = 16
_KEEP_BYTES: Final = 8 << 20  # a file's bytes are kept for its findings' lines up to this
_SCAN_FORMAT: Final = 2  # of vocabulary.json: 2 added the attribute names
_JING_BATCH: Final = 500  # files per Jing process (memory: the batch's trees are kept)


class Engine(Protocol):
    """Anything that validates a loaded document."""

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the findings for *document*."""
        ...


@dataclass(frozen=True, slots=True)
class ValidationOptions:
    """What to check and how; the defaults are those of ``teikit validate``."""

    schemas: tuple[Path, ...] = ()
    indexes: tuple[Path, ...] = ()
    include: tuple[str, ...] = ("*.xml",)
    exclude: tuple[str, ...] = ()
    schematron: bool = True
    integrity: bool = True
    engine: str = "lxml"  # RELAX NG engine: "lxml" or "jing"
    xsd_engine: str = "lxml"  # "lxml" or "xmlschema"
    jobs: int = 1
    cache: bool = True
    specialize: bool = True
    #: The configuration file (``--config``); ``None`` to find one from each file's folder.
    config: Path | None = None

    def fingerprint(self) -> str:
        """Return a key for everything in the options that can change a verdict."""
        parts = [
            __version__,
            repr(sorted(str(p.resolve()) for p in self.schemas)),
            repr(sorted(str(p.resolve()) for p in self.indexes)),
            str(self.schematron),
            str(self.integrity),
            self.engine,
            self.xsd_engine,
            str(self.config.resolve()) if self.config is not None else "",
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Input:
    """One input: a file path, or standard input's bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None


def expand_paths(sources: Iterable[str | Path], options: ValidationOptions) -> list[Input]:
    """Expand files, folders (recursively, ``--include``/``--exclude``), globs and ``-``.

    The same rules as every other command (:func:`teikit.sources.expand_paths`).

    :raises DocumentLoadError: a path does not exist, or a folder or pattern matches no file.
    """
    inputs: list[Input] = []
    for source in sources:
        if str(source) == STDIN:
            inputs.append(Input("<stdin>", None, sys.stdin.buffer.read()))
            continue
        found = expand_files([source], include=options.include, exclude=options.exclude)
        inputs.extend(Input(str(path), path) for path in found)
    return inputs


_START_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_NAMESPACE: Final = re.compile(rb"""xmlns(?::[\w.\-]+)?\s*=\s*["']([^"']*)["']""")
_ATTRIBUTE: Final = re.compile(rb"""\s(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)\s*=\s*["']""")


def scan_vocabulary(data: bytes) -> tuple[set[str], set[str], set[str]]:
    """Return the local names of start tags, the namespace URIs and the local names of
    attributes seen in *data*: a cheap superset of what the parsed document holds (a name
    that the scan misses is caught later: see _SpecializedRelaxNG)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", "replace").encode("utf-8")
    names = {name.decode("utf-8", "replace") for name in set(_START_TAG.findall(data))}
    namespaces = {uri.decode("utf-8", "replace") for uri in set(_NAMESPACE.findall(data))}
    attributes = {name.decode("utf-8", "replace") for name in set(_ATTRIBUTE.findall(data))}
    return names, namespaces, attributes


def _stat_key(path: Path | str) -> list[Any]:
    name = os.path.abspath(path)
    stat = os.stat(name)
    return [name, stat.st_mtime_ns, stat.st_size]


@dataclass(slots=True)
class _State:
    """One input on its way through :meth:`Validator.check_many`."""

    item: Input
    data: bytes | None = None
    document: TeiDocument | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    deps: list[list[Any]] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)
    batched: dict[int, list[Diagnostic]] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Outcome:
    name: str
    diagnostics: list[Diagnostic]
    deps: list[list[Any]] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # the source lines findings point at
    schemas: list[str] = field(default_factory=list)  # the schema files used


class Validator:
    """Validate documents with compiled schemas that are reused across files."""

    def __init__(self, options: ValidationOptions) -> None:
        self.options = options
        self._explicit: list[SchemaRef] = explicit_schemas(options.schemas)
        self._engines: dict[tuple[Path, SchemaKind, str], list[Engine]] = {}
        self._resolver: PointerResolver | None = None
        self._vocabulary: frozenset[str] = frozenset()
        self._attributes: frozenset[str] = frozenset()
        # Schemas and index files are shared by the files of a run: resolve and stat each
        # once, not once per file (a path's resolve() is a system call per component).
        self._keys: dict[Path, tuple[Path, list[Any]]] = {}
        self._failed: dict[tuple[Path, SchemaKind, str], SchemaLoadError] = {}
        #: The source lines the findings of :meth:`run` point at, ``(file, line) -> text``.
        self.source_lines: dict[tuple[str, int], str] = {}
        #: The schema files the documents of :meth:`run` were validated against, in order.
        self.schemas_used: dict[str, None] = {}

    def _key_of(self, path: Path) -> tuple[Path, list[Any]]:
        """Return the resolved path and the cache stat key of a schema or index file."""
        found = self._keys.get(path)
        if found is None:
            found = self._keys[path] = (path.resolve(), _stat_key(path))
        return found

    # -- engines ---------------------------------------------------------------------------
    def _engines_for(self, ref: SchemaRef) -> list[Engine]:
        key = (self._key_of(ref.path)[0], ref.kind, ref.origin)
        if key in self._failed:  # compile a broken schema once, not once per file
            raise self._failed[key]
        if key not in self._engines:
            try:
                self._engines[key] = self._compile(ref)
            except SchemaLoadError as exc:
                self._failed[key] = exc
                raise
        return self._engines[key]

    def _compile(self, ref: SchemaRef) -> list[Engine]:
        engines: list[Engine] = []
        if ref.kind is SchemaKind.RELAXNG and ref.path.suffix.lower() == ".odd":
            from teikit.odd.cache import compiled_schema  # the ODD's grammar, compiled once

            ref = replace(ref, path=compiled_schema(ref.path))
        if ref.kind is SchemaKind.RELAXNG:
            tree = None  # the grammar parsed once, for RELAX NG and its embedded Schematron
            if self.options.engine == "jing":
                from teikit.validation.relaxng import JingValidator

                engines.append(JingValidator(ref.path))
            else:
                from teikit.validation.relaxng import load_relaxng

                schema = load_relaxng(ref.path)
                tree = schema.tree
                if self.options.specialize:
                    engines.append(_SpecializedRelaxNG(schema, self._vocabulary, self._attributes))
                else:
                    engines.append(schema.full_validator())
            if self.options.schematron:
                engines.extend(self._schematron(ref.path, embedded=True, tree=tree))
        elif ref.kind is SchemaKind.XSD:
            from teikit.validation.xsd import load_xsd

            engines.append(load_xsd(ref.path, engine=self.options.xsd_engine))
        elif self.options.schematron:
            engines.extend(self._schematron(ref.path, embedded=False))
        return engines

    def _schematron(self, path: Path, *, embedded: bool, tree: Any = None) -> list[Engine]:
        from teikit.validation.schematron import load_schematron

        key = (path.resolve(), SchemaKind.SCHEMATRON, "embedded")
        if embedded and key in self._engines:  # declared both as RELAX NG and as Schematron
            return []
        schema = load_schematron(path, tree=tree)
        if embedded:
            self._engines[key] = [schema]
        return [schema] if len(schema.patterns) else []

    def prepare(self, inputs: Sequence[Input]) -> None:
        """Compile what can be compiled before work is shared out among processes."""
        if not inputs:  # everything came from the verdict cache: compile nothing
            return
        indexes: Future[PointerResolver] | None = None
        if self.options.integrity and self._resolver is None:
            from concurrent.futures import ThreadPoolExecutor

            import teikit.validation.integrity  # noqa: F401  # once here, not in every worker

            # The index files are parsed in a thread while the grammars are loaded (libxml2
            # parses without holding the GIL): both are waited for before any file is checked.
            loader = ThreadPoolExecutor(1)
            indexes = loader.submit(_indexed_resolver, self.options.indexes)
            loader.shutdown(wait=False)
        try:
            if self.options.specialize and self.options.engine != "jing":
                self._vocabulary, self._attributes = _scan_vocabularies(inputs)
            for ref in self._explicit:
                self._engines_for(ref)
        except BaseException:
            if indexes is not None:  # a schema error is reported first, as without the thread
                from concurrent.futures import wait

                wait([indexes])
            raise
        if indexes is not None:
            self._resolver = indexes.result()  # raises what loading an index raised

    # -- one file --------------------------------------------------------------------------
    def check(self, item: Input) -> _Outcome:
        """Validate one input and return its diagnostics and the files they depended on."""
        return self.check_many([item])[0]

    def check_many(self, items: Sequence[Input]) -> list[_Outcome]:
        """Validate *items*; an engine that works in batches (Jing) sees them all at once."""
        states = [self._begin(item) for item in items]
        # Batch engines first: one Jing process for the chunk instead of one per file.
        batches: dict[int, tuple[Engine, list[_State]]] = {}
        for state in states:
            for engine in state.engines:
                if getattr(engine, "batched", False):
                    batches.setdefault(id(engine), (engine, []))[1].append(state)
        for engine, waiting in batches.values():
            found = engine.validate_many([s.document for s in waiting])  # type: ignore[attr-defined]
            for state, diagnostics in zip(waiting, found, strict=True):
                state.batched[id(engine)] = diagnostics
        return [self._finish(state) for state in states]

    def _begin(self, item: Input) -> _State:
        """Load *item* and choose its schemas and engines."""
        from teikit.document import load, read_bytes  # lxml: not needed for cached verdicts

        state = _State(item)
        try:
            data = item.data
            if data is None:
                assert item.path is not None
                data = read_bytes(item.path)
            # kept until the findings have quoted their lines (a large file is read again)
            state.data = data if len(data) <= _KEEP_BYTES else None
            state.document = load(data, name=item.name, path=item.path)
        except InputError as exc:
            state.diagnostics.append(exc.diagnostic)
            return state
        except DocumentLoadError as exc:
            state.diagnostics.append(
                Diagnostic(Severity.ERROR, "io.unreadable", str(exc), item.name)
            )
            return state
        state.diagnostics.extend(state.document.warnings)
        # A schema named by this document (or the configuration) that cannot be had is a
        # finding about this file; its other schemas and the other files are still checked.
        problems: list[SchemaLoadError] = []
        try:
            refs = schemas_for(state.document, self._explicit, problems, self.options.config)
        except SchemaLoadError as exc:  # the configuration file
            refs, problems = [], [exc]
        state.diagnostics.extend(_unavailable(item.name, exc) for exc in problems)
        for ref in refs:
            if ref.origin == "bundled":
                state.diagnostics.append(
                    Diagnostic(
                        Severity.INFO,
                        "schema.bundled",
                        "no schema declared (no <?xml-model?>, no --schema, no configuration): "
                        f"validated against teikit's bundled project schema {ref.path.name}",
                        item.name,
                    )
                )
            try:
                state.engines.extend(self._engines_for(ref))
            except SchemaLoadError as exc:
                if ref.origin == "option":  # compiled before the run: cannot happen here
                    raise
                state.diagnostics.append(_unavailable(item.name, exc, ref.line))
                continue
            state.deps.append(self._key_of(ref.path)[1])
            state.schemas.append(str(ref.path))
        return state

    def _finish(self, state: _State) -> _Outcome:
        """Run the engines not run in a batch and the integrity checks; sort the findings."""
        document, diagnostics, deps = state.document, state.diagnostics, state.deps
        if document is None:
            return _Outcome(state.item.name, diagnostics, lines=_lines(state, diagnostics))
        integrity: list[Diagnostic] = []
        if self.options.integrity:  # first: its walk also gives the names the engines need
            from teikit.validation.integrity import check_integrity

            if self._resolver is None:
                self._resolver = _resolver(self.options.indexes)
            self._resolver.referenced_files.clear()
            integrity = check_integrity(document, self._resolver)
            self._resolver.release(document)
            deps.extend(self._key_of(p)[1] for p in self.options.indexes)
            deps.extend(_stat_key(p) for p in sorted(self._resolver.referenced_files))
        for engine in state.engines:
            found = state.batched.get(id(engine))
            diagnostics.extend(engine.validate(document) if found is None else found)
        diagnostics.extend(integrity)
        diagnostics.sort(key=_order)
        return _Outcome(
            state.item.name, diagnostics, deps, _lines(state, diagnostics), state.schemas
        )

    # -- many files ------------------------------------------------------------------------
    def run(
        self, inputs: Sequence[Input], progress: Callable[[int, int], None] | None = None
    ) -> Iterator[tuple[str, list[Diagnostic]]]:
        """Yield ``(file name, diagnostics)`` for every input, in input order."""
        cache = _VerdictCache(self.options) if self.options.cache else None
        todo: list[Input] = []
        cached: dict[int, _Outcome] = {}
        for position, item in enumerate(inputs):
            hit = cache.get(item) if cache is not None else None
            if hit is None:
                todo.append(item)
            else:
                cached[position] = hit
        self.prepare(todo)
        outcomes = self._check_all(todo)
        try:
            yield from self._collect(inputs, cached, outcomes, cache, progress)
        finally:  # interrupted: stop the workers now, not when the generator is collected
            close = getattr(outcomes, "close", None)
            if close is not None:
                close()

    def _collect(
        self,
        inputs: Sequence[Input],
        cached: dict[int, _Outcome],
        outcomes: Iterator[_Outcome],
        cache: _VerdictCache | None,
        progress: Callable[[int, int], None] | None,
    ) -> Iterator[tuple[str, list[Diagnostic]]]:
        """Yield the outcomes, cached or fresh, in input order; keep the fresh ones."""
        for position, item in enumerate(inputs):
            outcome = cached.get(position) or next(outcomes)
            if cache is not None and position not in cached:
                cache.put(item, outcome)
            for number, text in outcome.lines.items():
                self.source_lines[(item.name, number)] = text
            self.schemas_used.update(dict.fromkeys(outcome.schemas))
            if progress is not None:
                progress(position + 1, len(inputs))
            yield item.name, outcome.diagnostics
        if cache is not None:
            cache.save()

    def _check_all(self, todo: Sequence[Input]) -> Iterator[_Outcome]:
        # Jing starts a JVM per call: give it batches of files (in each worker).
        size = _JING_BATCH if self.options.engine == "jing" else 1
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        jobs = max(1, min(self.options.jobs, len(todo) // max(_CHUNK, size)))
        if jobs == 1:
            return (outcome for chunk in chunks for outcome in self.check_many(chunk))
        import multiprocessing  # not before: a run served from the cache never needs it
        from concurrent.futures import ProcessPoolExecutor

        if "fork" not in multiprocessing.get_all_start_methods():
            return (outcome for chunk in chunks for outcome in self.check_many(chunk))
        global _WORKER
        _WORKER = self  # inherited by the forked workers, with its compiled schemas
        gc.freeze()  # keep inherited objects out of the workers' collections (copy-on-write)
        from teikit.interrupts import ignore_interrupts

        pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("fork"), initializer=ignore_interrupts
        )
        return _in_pool(pool, chunks, max(1, _CHUNK // size))


class _SpecializedRelaxNG:
    """RELAX NG specialised to the run's vocabulary, widened if a document brings new names.

    The vocabulary holds the element and attribute names the scan of the run's files found
    (:func:`scan_vocabulary`); a document with a name the scan missed (or a file changed
    since) widens it, so a verdict never depends on the scan.
    """

    def __init__(self, schema: Any, vocabulary: frozenset[str], attributes: frozenset[str]) -> None:
        self._schema = schema
        self._vocabulary = vocabulary
        self._attributes = attributes
        self._validator = schema.validator_for(vocabulary, attributes) if vocabulary else None

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Validate with a grammar that covers every element and attribute name of *document*."""
        if self._validator is not None:
            try:
                result: list[Diagnostic] = self._validator.validate(document)
                return result
            except ValueError:  # the document has names outside the vocabulary
                pass
        elements, attributes = document.names()
        self._vocabulary = self._vocabulary | elements
        self._attributes = self._attributes | attributes
        self._validator = self._schema.validator_for(self._vocabulary, self._attributes)
        result = self._validator.validate(document)
        return result


_WORKER: Validator | None = None


def _check_in_worker(chunk: Sequence[Input]) -> list[_Outcome]:
    assert _WORKER is not None
    return _WORKER.check_many(chunk)


def _in_pool(
    pool: ProcessPoolExecutor, chunks: Sequence[Sequence[Input]], chunksize: int
) -> Iterator[_Outcome]:
    from teikit.interrupts import stop_pool

    try:
        for outcomes in pool.map(_check_in_worker, chunks, chunksize=chunksize):
            yield from outcomes
    except BaseException:  # Ctrl-C, a failure, or the consumer gone: never wait on workers
        stop_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        gc.unfreeze()


def _lines(state: _State, diagnostics: Sequence[Diagnostic]) -> dict[int, str]:
    """Return the source lines the findings of one input point at, taken in the worker."""
    wanted = {d.line for d in diagnostics if d.line is not None and d.file == state.item.name}
    if not wanted:
        return {}
    from teikit.document import lines_of

    data = state.data if state.data is not None else _read_bytes(state.item.path)
    return lines_of(data, wanted) if data is not None else {}


def _scan_vocabularies(inputs: Sequence[Input]) -> tuple[frozenset[str], frozenset[str]]:
    """Return the element and attribute names (Clark) that may occur in *inputs*."""
    scans = _ScanCache()
    names, namespaces, attributes = scans.union(inputs)
    scans.save()
    namespaces.add("")
    elements = frozenset(f"{{{ns}}}{name}" if ns else name for ns in namespaces for name in names)
    attribute_names = frozenset(
        f"{{{ns}}}{name}" if ns else name for ns in (*namespaces, XML_NS) for name in attributes
    )
    return elements, attribute_names


def _indexed_resolver(indexes: Sequence[Path]) -> PointerResolver:
    """Return a resolver for *indexes* with their id maps built (once, before the fork)."""
    resolver = _resolver(indexes)
    for index in resolver.indexes:
        resolver.ids(index)
    return resolver


def _resolver(indexes: Sequence[Path]) -> PointerResolver:
    from teikit.document import load
    from teikit.pointers import PointerResolver

    return PointerResolver([load(path) for path in indexes])


def _unavailable(name: str, exc: SchemaLoadError, line: int | None = None) -> Diagnostic:
    line = exc.line or line
    return Diagnostic(Severity.ERROR, "schema.unavailable", str(exc), name, line, None)


def _order(diagnostic: Diagnostic) -> tuple[int, int, str]:
    return (diagnostic.line or 0, diagnostic.column or 0, diagnostic.code)


def _read_bytes(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


class _ScanCache:
    """The names :func:`scan_vocabulary` found in each file, kept while the file is unchanged.

    The scan only chooses which specialised grammar to compile: it decides no verdict (a
    document with a name outside the grammar's vocabulary widens it, see
    _SpecializedRelaxNG), so it is kept even with ``--no-cache``, like the grammars. It
    spares a run over an unchanged corpus reading every file twice.
    """

    def __init__(self) -> None:
        self._path = cache_dir() / "vocabulary.json"
        self._strings: list[str] = []
        self._files: dict[str, list[Any]] = {}
        self._dirty = False
        loaded = read_cache_json(self._path)
        if isinstance(loaded, dict) and loaded.get("format") == _SCAN_FORMAT:
            try:
                self._strings, self._files = list(loaded["strings"]), dict(loaded["files"])
            except (KeyError, TypeError, ValueError):
                self._strings, self._files = [], {}
        self._index = {text: number for number, text in enumerate(self._strings)}

    def union(self, inputs: Sequence[Input]) -> tuple[set[str], set[str], set[str]]:
        """Return the element names, namespaces and attribute names of all *inputs*.

        Files add the numbers kept for them; the numbers become strings once, at the end (a
        corpus has a few hundred names, in every file). Numbers that point nowhere (an
        altered cache file) make every file be scanned again.
        """
        try:
            return self._strings_of(self._total(inputs))
        except (IndexError, TypeError):
            self._files.clear()
            return self._strings_of(self._total(inputs))

    def _total(self, inputs: Sequence[Input]) -> tuple[set[Any], set[Any], set[Any]]:
        total: tuple[set[Any], set[Any], set[Any]] = (set(), set(), set())
        for item in inputs:
            numbers = self._numbers_of(item)
            if numbers is not None:
                for found, part in zip(total, numbers, strict=True):
                    found.update(part)
        return total

    def _strings_of(self, total: tuple[set[Any], ...]) -> tuple[set[str], set[str], set[str]]:
        strings = self._strings
        names, namespaces, attributes = ({strings[n] for n in numbers} for numbers in total)
        return names, namespaces, attributes

    def _numbers_of(self, item: Input) -> list[list[Any]] | None:
        """Return the numbers of *item*'s element names, namespaces and attribute names,
        scanning it unless it is unchanged since it was scanned (``None``: unreadable)."""
        if item.data is not None or item.path is None:
            if item.data is None:
                return None
            return [self._numbers(texts) for texts in scan_vocabulary(item.data)]
        try:
            key = _stat_key(item.path)
        except OSError:
            return None
        entry = self._files.get(key[0])
        if isinstance(entry, list) and len(entry) == 5 and entry[:2] == key[1:]:
            return entry[2:5]
        data = _read_bytes(item.path)
        if data is None:
            return None
        numbers = [self._numbers(texts) for texts in scan_vocabulary(data)]
        self._files[key[0]] = [key[1], key[2], *numbers]
        self._dirty = True
        return numbers

    def _numbers(self, texts: set[str]) -> list[int]:
        numbers = []
        for text in sorted(texts):
            number = self._index.get(text)
            if number is None:
                number = self._index[text] = len(self._strings)
                self._strings.append(text)
            numbers.append(number)
        return numbers

    def save(self) -> None:
        if not self._dirty:
            return
        data = {"format": _SCAN_FORMAT, "strings": self._strings, "files": self._files}
        write_cache_file(self._path, json.dumps(data, separators=(",", ":")).encode())


_SEVERITIES: Final = {str(severity): severity for severity in Severity}


class _VerdictCache:
    """Per-file verdicts, reused while the file, its schemas and options are unchanged."""

    def __init__(self, options: ValidationOptions) -> None:
        self._path = cache_dir() / "verdicts" / f"{options.fingerprint()}.json"
        self._entries: dict[str, Any] = {}
        self._dirty = False
        self._dependencies: dict[str, list[Any]] = {}
        loaded = read_cache_json(self._path)
        if isinstance(loaded, dict):
            self._entries = loaded

    def get(self, item: Input) -> _Outcome | None:
        if item.path is None:
            return None
        name = os.path.abspath(item.path)
        entry = self._entries.get(name)
        if not entry:
            return None
        try:
            if entry["key"] != _stat_key(name):
                return None
            dependency = self._dependency
            if any(dependency(dep[0]) != dep for dep in entry["deps"]):
                return None
            severity = _SEVERITIES.get
            diagnostics = [
                Diagnostic(
                    severity(d["severity"]) or Severity.parse(d["severity"]),
                    d["code"],
                    d["message"],
                    item.name,
                    d["line"],
                    d["column"],
                    d["xpath"],
                )
                for d in entry["diagnostics"]
            ]
            lines = {int(n): str(t) for n, t in entry.get("lines", {}).items()}
            schemas = [str(s) for s in entry["schemas"]]  # missing: an older entry
            return _Outcome(item.name, diagnostics, lines=lines, schemas=schemas)
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def _dependency(self, name: str) -> list[Any]:
        # schemas and index files are shared by every entry: stat each once per run
        if name not in self._dependencies:
            try:
                self._dependencies[name] = _stat_key(name)
            except OSError:
                self._dependencies[name] = []
        return self._dependencies[name]

    def put(self, item: Input, outcome: _Outcome) -> None:
        if item.path is None:
            return
        if any(d.code == "schema.unavailable" for d in outcome.diagnostics):
            return  # the verdict would outlive the fix (a schema copy added, a path mended)
        try:
            key = _stat_key(item.path)
        except OSError:
            return
        self._entries[key[0]] = {
            "key": key,
            "deps": outcome.deps,
            "diagnostics": [d.as_dict() for d in outcome.diagnostics],
            "lines": outcome.lines,
            "schemas": outcome.schemas,
        }
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        write_cache_file(self._path, json.dumps(self._entries).encode())

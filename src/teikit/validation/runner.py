"""Run the validation engines over many files: worker processes, the verdict cache, in order.

Compiled schemas are kept by :mod:`teikit.validation.engines`, the caches live in
:mod:`teikit.validation.cache`, the worker processes are :class:`teikit.workers.WorkerPool`.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import DocumentLoadError, InputError, SchemaLoadError
from teikit.namespaces import XML_NS
from teikit.roots import not_tei_finding
from teikit.sources import RefusedPath, expand_paths, read_policy
from teikit.validation.agreement import merge_agreeing
from teikit.validation.cache import (
    RUN_DEPENDENCY,
    Digests,
    _Outcome,
    _read_bytes,
    _ScanCache,
    _VerdictCache,
    choice_of,
    observe,
    source_record,
)
from teikit.validation.engines import CompiledSchemas, Engine
from teikit.validation.notices import schema_notice
from teikit.validation.schemas import SchemaRef, explicit_schemas, schemas_for

if TYPE_CHECKING:  # imported when first needed: a run served from the cache never needs them
    from concurrent.futures import Future

    from teikit.document import TeiDocument
    from teikit.kinds import MentionRule
    from teikit.pointers import PointerResolver
    from teikit.workers import WorkerPool

__all__ = ["Input", "ValidationOptions", "Validator", "expand_inputs"]

STDIN: Final = "-"
_CHUNK: Final = 16  # files per worker task
_CHUNK_BYTES: Final = 1 << 20  # ... or bytes: a bigger file is a task of its own (issue 18)
_KEEP_BYTES: Final = 8 << 20  # a file's bytes are kept for its findings' lines up to this
_JING_BATCH: Final = 500  # files per Jing process (memory: the batch's trees are kept)
# What makes a verdict besides the options, for the verdict cache: changed with the default
# schema (TEI All), not-TEI roots and one finding per problem (issue 12).
_VERDICT_RULES: Final = "rules-2"


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
    schematron_errors: str = "error"  # severity of a Schematron rule that could not run
    #: Which element is a mention of which kind (:mod:`teikit.kinds`, ``[mentions]`` rules
    #: first); ``None``: the built-in table.
    mentions: tuple[MentionRule, ...] | None = None

    def fingerprint(self) -> str:
        """Return a key for everything in the options that can change a verdict."""
        parts = [
            __version__,
            _VERDICT_RULES,
            repr(sorted(str(p.resolve()) for p in self.schemas)),
            repr(sorted(str(p.resolve()) for p in self.indexes)),
            str(self.schematron),
            self.schematron_errors,
            str(self.integrity),
            self.engine,
            self.xsd_engine,
            str(self.config.resolve()) if self.config is not None else "",
            repr(read_policy()),  # a verdict on a file read under other limits is not reused
        ]
        if self.mentions is not None:
            parts.append(repr([(rule.type, rule.xpath) for rule in self.mentions]))
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Input:
    """One input: a file path, or standard input's bytes, or what was found but is not read
    (*refused*: why, see :class:`teikit.sources.RefusedPath`; never cached)."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    refused: Diagnostic | None = None


def expand_inputs(sources: Iterable[str | Path], options: ValidationOptions) -> list[Input]:
    """Return the inputs named by *sources*: ``-`` is standard input, every other source is
    expanded by :func:`teikit.sources.expand_paths` (the one path expander, with the
    options' ``include``/``exclude``), and what it refuses becomes an :class:`Input` that
    carries the refusal.

    :raises DocumentLoadError: a path does not exist, or a folder or pattern matches no file.
    """
    inputs: list[Input] = []
    for source in sources:
        if str(source) == STDIN:
            inputs.append(Input("<stdin>", None, sys.stdin.buffer.read()))
            continue
        found = expand_paths([source], include=options.include, exclude=options.exclude)
        inputs.extend(
            Input(str(path), None, None, path.diagnostic)
            if isinstance(path, RefusedPath)
            else Input(str(path), path)
            for path in found
        )
    return inputs


_RUN: Final = RUN_DEPENDENCY  # the pseudo dependency "the documents of the run"


def _run_key(inputs: Sequence[Input]) -> str:
    """Return a key for the set of files of a run (whose root ``xml:id``s ``#id`` may name)."""
    names = sorted(os.path.abspath(item.path) for item in inputs if item.path is not None)
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()[:24]


@dataclass(slots=True)
class _State:
    """One input on its way through :meth:`Validator.check_many`."""

    item: Input
    data: bytes | None = None
    document: TeiDocument | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    deps: list[list[Any]] | None = field(default_factory=list)  # see _Outcome
    source: list[Any] | None = None
    choice: list[list[Any]] | None = None
    engines: list[Engine] = field(default_factory=list)
    batched: dict[int, list[Diagnostic]] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)


class Validator:
    """Validate documents with compiled schemas that are reused across files."""

    def __init__(self, options: ValidationOptions) -> None:
        self.options = options
        self._explicit: list[SchemaRef] = explicit_schemas(options.schemas)
        self._resolver: PointerResolver | None = None
        self._run_key = ""
        # For the verdict cache: the digests of the files each schema and the index files
        # consist of, taken before the engines read them (None: not cacheable).
        self._started = time.time_ns()
        self._digests = Digests()
        self._schemas = CompiledSchemas(options, self._digests, _compiled_odd)
        self._index_deps: list[list[Any]] | None = None
        #: The source lines the findings of :meth:`run` point at, ``(file, line) -> text``.
        self.source_lines: dict[tuple[str, int], str] = {}
        #: The schema files the documents of :meth:`run` were validated against, in order.
        self.schemas_used: dict[str, None] = {}

    def _index_dependencies(self) -> list[list[Any]] | None:
        """Return ``[file, digest]`` of the index files: call it before they are loaded."""
        if self._index_deps is None and self.options.cache:
            self._index_deps = [
                [name, self._digests.digest(name)]
                for name in (os.path.abspath(path) for path in self.options.indexes)
            ]
        return self._index_deps

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
            self._index_dependencies()
            loader = ThreadPoolExecutor(1)
            indexes = loader.submit(_indexed_resolver, self.options.indexes)
            loader.shutdown(wait=False)
        try:
            if self.options.specialize and self.options.engine != "jing":
                self._schemas.vocabulary = _scan_vocabularies(inputs)
            for ref in self._explicit:
                self._schemas.engines_for(ref)
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
        if item.refused is not None:
            state.diagnostics.append(item.refused)
            return state
        try:
            data = item.data
            if data is None:
                assert item.path is not None
                observed = observe(item.path) if self.options.cache else None
                data = read_bytes(item.path)
                state.source = source_record(observed, data)
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
        not_tei = not_tei_finding(state.document)
        if not_tei is not None:  # P4, no namespace, XHTML...: said once, nothing else checked
            state.diagnostics.append(not_tei)
            state.document = None
            return state
        # A schema named by this document (or the configuration) that cannot be had is a
        # finding about this file; its other schemas and the other files are still checked.
        problems: list[SchemaLoadError] = []
        try:
            refs = schemas_for(state.document, self._explicit, problems, self.options.config)
        except SchemaLoadError as exc:  # the configuration file
            refs, problems = [], [exc]
        state.diagnostics.extend(_unavailable(item.name, exc) for exc in problems)
        state.choice = choice_of(refs)
        for ref in refs:
            # which schema stood in is said once for the run (see teikit.validation.notices)
            if ref.origin == "default" or ref.substitute is not None:
                state.diagnostics.append(schema_notice(ref, item.name))
            try:
                state.engines.extend(self._schemas.engines_for(ref))
            except SchemaLoadError as exc:
                if ref.origin == "option":  # compiled before the run: cannot happen here
                    raise
                state.diagnostics.append(_unavailable(item.name, exc, ref.line))
                continue
            _depend(state, self._schemas.dependencies(ref))
            state.schemas.append(str(ref.path))
        return state

    def _finish(self, state: _State) -> _Outcome:
        """Run the engines not run in a batch and the integrity checks; sort the findings."""
        document, diagnostics = state.document, state.diagnostics
        if document is None:  # the verdict depends on the bytes alone
            lines = _lines(state, diagnostics)
            return _Outcome(state.item.name, diagnostics, lines=lines, source=state.source)
        integrity: list[Diagnostic] = []
        if self.options.integrity:  # first: its walk also gives the names the engines need
            from teikit.validation.integrity import check_integrity

            if self._resolver is None:
                self._index_dependencies()
                self._resolver = _resolver(self.options.indexes)
            self._resolver.referenced_files.clear()
            self._resolver.corpus_misses.clear()
            rules = self.options.mentions
            if rules is None:
                integrity = check_integrity(document, self._resolver)
            else:
                integrity = check_integrity(document, self._resolver, rules)
            self._resolver.release(document)
            _depend(state, self._index_dependencies())
            for path in sorted(self._resolver.referenced_files):
                # read while the document was checked: cacheable only if provably unchanged
                # since the run began (a stat taken after the digest)
                digest = self._digests.stable_digest(os.path.abspath(path), self._started)
                _depend(state, [[os.path.abspath(path), digest[0]]] if digest[1] else None)
            if self._resolver.corpus_misses:
                # a #id found nowhere: the verdict depends on which documents the run holds
                _depend(state, [[_RUN, self._run_key]])
        for engine in state.engines:
            found = state.batched.get(id(engine))
            diagnostics.extend(engine.validate(document) if found is None else found)
        diagnostics.extend(integrity)
        diagnostics = merge_agreeing(document, diagnostics)  # one finding per problem
        diagnostics.sort(key=_order)
        lines = _lines(state, diagnostics)
        return _Outcome(
            state.item.name,
            diagnostics,
            state.deps,
            lines,
            state.source,
            state.choice,
            state.schemas,
        )

    # -- many files ------------------------------------------------------------------------
    def run(
        self, inputs: Sequence[Input], progress: Callable[[int, int], None] | None = None
    ) -> Iterator[tuple[str, list[Diagnostic]]]:
        """Yield ``(file name, diagnostics)`` for every input, in input order."""
        cache = _VerdictCache(self.options) if self.options.cache else None
        # A verdict with a #id found nowhere depends on the run's documents (their roots).
        self._run_key = _run_key(inputs)
        if cache is not None:
            cache.run_key = self._run_key
        todo: list[Input] = []
        cached: dict[int, _Outcome] = {}
        for position, item in enumerate(inputs):
            hit = cache.get(item) if cache is not None else None
            if hit is None:
                todo.append(item)
            else:
                cached[position] = hit
        self.prepare(todo)
        if self._resolver is not None and not self._resolver.corpus:
            # ``#id`` may name the root of another document of the run (issue 12)
            self._resolver.add_corpus(item.path for item in inputs if item.path is not None)
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
        jing = self.options.engine == "jing"
        jobs, ranges = plan_chunks(
            [_size_of(item) for item in todo],
            self.options.jobs,
            files=_JING_BATCH if jing else _CHUNK,
            size=(_JING_BATCH if jing else 1) * _CHUNK_BYTES,
        )
        # A task's files are checked one by one (one tree in memory), Jing's all at once.
        chunks = [[todo[r.start : r.stop]] if jing else [[todo[i]] for i in r] for r in ranges]
        if jobs == 1:
            return (outcome for chunk in chunks for outcome in _check_chunk(self, chunk))
        from teikit.workers import WorkerPool, can_fork

        if not can_fork():  # the workers must inherit the compiled schemas
            return (outcome for chunk in chunks for outcome in _check_chunk(self, chunk))
        global _WORKER
        _WORKER = self  # inherited by the forked workers, with its compiled schemas
        gc.freeze()  # keep inherited objects out of the workers' collections (copy-on-write)
        return _in_pool(WorkerPool(jobs), chunks)


def _compiled_odd(path: Path) -> Path:
    """Return the RELAX NG grammar of the ODD at *path*, compiled once (see teikit.odd)."""
    from teikit.odd.cache import compiled_schema  # the ODD's grammar, compiled once

    return compiled_schema(path)


def _size_of(item: Input) -> int:
    """Return the bytes of *item* (0 when unknown: refused, or gone since it was found)."""
    if item.data is not None:
        return len(item.data)
    if item.path is None or item.refused is not None:
        return 0
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


def plan_chunks(
    sizes: Sequence[int], jobs: int, *, files: int = _CHUNK, size: int = _CHUNK_BYTES
) -> tuple[int, list[range]]:
    """Return the workers to start and the tasks (ranges of consecutive inputs) for *sizes*.

    A task ends at *files* inputs or once it holds *size* bytes; an input of *size* bytes
    or more is a task of its own. One worker per full task, at most *jobs*: many small
    files and a few big ones alike use every worker, a few small files stay in-process.
    """
    chunks: list[range] = []
    full = 0
    start, total = 0, 0
    for end, bytes_ in enumerate(sizes):
        if end > start and bytes_ >= size:  # a big file starts a task of its own
            chunks.append(range(start, end))
            start, total = end, 0
        total += bytes_
        if end + 1 - start >= files or total >= size:
            chunks.append(range(start, end + 1))
            full += 1
            start, total = end + 1, 0
    if start < len(sizes):
        chunks.append(range(start, len(sizes)))
    return max(1, min(jobs, full)), chunks


_WORKER: Validator | None = None


def _check_chunk(validator: Validator, chunk: Sequence[Sequence[Input]]) -> list[_Outcome]:
    return [outcome for batch in chunk for outcome in validator.check_many(batch)]


def _check_in_worker(chunk: Sequence[Sequence[Input]]) -> list[_Outcome]:
    assert _WORKER is not None
    return _check_chunk(_WORKER, chunk)


def _in_pool(pool: WorkerPool, chunks: Sequence[Sequence[Sequence[Input]]]) -> Iterator[_Outcome]:
    """Yield the outcomes of *chunks* checked in *pool*'s workers, in order."""
    try:
        for outcomes in pool.map(_check_in_worker, chunks):
            yield from outcomes
    finally:
        gc.unfreeze()


def _lines(state: _State, diagnostics: Sequence[Diagnostic]) -> dict[int, str]:
    """Return the source lines the findings of one input point at, taken in the worker."""
    wanted = {d.line for d in diagnostics if d.line is not None and d.file == state.item.name}
    if not wanted:
        return {}
    from teikit.document import lines_of

    data = state.data if state.data is not None else _read_bytes(state.item.path)
    if data is None:
        return {}
    if state.document is None:  # did not parse: quoted only if the user typed it, or it is XML
        from teikit.document import looks_like_xml

        return lines_of(data, wanted) if state.item.path is None or looks_like_xml(data) else {}
    return lines_of(data, wanted, state.document.tree.docinfo.encoding)


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
    from teikit.indexes import load_indexes
    from teikit.pointers import PointerResolver

    return PointerResolver(load_indexes(indexes))


def _depend(state: _State, deps: list[list[Any]] | None) -> None:
    """Add *deps* to what *state*'s verdict depends on (``None``: it cannot be cached)."""
    if state.deps is not None and deps is not None:
        state.deps.extend(deps)
    else:
        state.deps = None


def _unavailable(name: str, exc: SchemaLoadError, line: int | None = None) -> Diagnostic:
    line = exc.line or line
    return Diagnostic(Severity.ERROR, "schema.unavailable", str(exc), name, line, None)


def _order(diagnostic: Diagnostic) -> tuple[int, int, str]:
    return (diagnostic.line or 0, diagnostic.column or 0, diagnostic.code)

"""Extract mentions, proposals and register entries from TEI documents, one at a time.

:func:`extract_entities` is the primitive: it reads each source with the hardened loader,
yields typed records in document order and collects what it finds wrong (malformed files,
unresolved pointers, pointers to the wrong kind of entry, invalid dates) as
:class:`~teikit.diagnostics.Diagnostic` records in ``.report``; it raises only when it
cannot run at all (an index file cannot be loaded).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Sized
from typing import TypeAlias

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import Source, TeiDocument, load
from teikit.entities.config import MentionTable
from teikit.entities.extractor import DocumentExtractor as _DocumentExtractor
from teikit.entities.extractor import EntityOptions
from teikit.entities.model import (
    Record,
)
from teikit.errors import DocumentLoadError, InputError
from teikit.indexes import load_indexes
from teikit.pointers import PointerResolver
from teikit.progress import ProgressCallback
from teikit.roots import require_tei

__all__ = ["EntityOptions", "Extraction", "extract_entities", "load_indexes"]

#: What :func:`extract_entities` accepts as a document.
DocumentSource: TypeAlias = "Source | TeiDocument"

# -- sources, indexes and the record stream -------------------------------------------------


def _source_name(source: DocumentSource) -> str:
    if isinstance(source, TeiDocument):
        return source.name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "<bytes>" if isinstance(source, bytes) else str(getattr(source, "name", "<stream>"))


def _load_failure(source: DocumentSource, exc: Exception) -> Diagnostic:
    if isinstance(exc, InputError):
        return exc.diagnostic
    return Diagnostic(Severity.ERROR, "io.unreadable", str(exc), _source_name(source))


def _process(
    extractor: _DocumentExtractor, source: DocumentSource
) -> tuple[str, list[Record], list[Diagnostic], bool]:
    """Return ``(name, records, findings, loaded)`` for one source."""
    name = _source_name(source)
    try:
        document = require_tei(source if isinstance(source, TeiDocument) else load(source))
    except (InputError, DocumentLoadError) as exc:
        return name, [], [_load_failure(source, exc)], False
    records, found = extractor.extract(document)
    return document.name, records, found, True


_WORKER: _DocumentExtractor | None = None


def _init_worker(options: EntityOptions) -> None:
    global _WORKER
    _WORKER = _DocumentExtractor(
        options, PointerResolver(load_indexes(options.index_paths), options.corpus_paths)
    )


def _work(source: Source) -> tuple[str, list[Record], list[Diagnostic], bool]:
    assert _WORKER is not None, "worker not initialised"
    return _process(_WORKER, source)


class Extraction(Iterator[Record]):
    """The records of :func:`extract_entities`, produced lazily, with the findings so far.

    ``report`` fills up while the records are consumed; ``failed`` names the sources
    that could not be read (malformed, unreadable), whose findings are in ``report``.
    """

    def __init__(self, records: Iterator[Record], report: Report, failed: list[str]) -> None:
        self._records = records
        self.report = report
        self.failed = failed

    def __iter__(self) -> Extraction:
        return self

    def __next__(self) -> Record:
        return next(self._records)

    def close(self) -> None:
        """Stop early, releasing worker processes."""
        close = getattr(self._records, "close", None)
        if close is not None:
            close()


def extract_entities(
    sources: Iterable[DocumentSource],
    *,
    types: Collection[str] | None = None,
    indexes: Iterable[str | os.PathLike[str] | TeiDocument] = (),
    text_only: bool = False,
    registers: bool = False,
    mentions: MentionTable | None = None,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
    corpus: Iterable[str | os.PathLike[str]] | None = None,
) -> Extraction:
    """Yield the mentions and proposals of *sources*, one document at a time, in order.

    *types* limits the rows (``person``, ``place``, ``org``, ``date``, ``proposal`` or any
    other mention type); *indexes* are register files searched for ``#id`` pointers;
    *registers* also yields the :class:`RegisterEntry` records that :func:`build_register`
    needs; *jobs* > 1 reads documents in that many processes (sources must then be paths
    or bytes) and still yields in input order, while with *jobs* = 1 *sources* is consumed
    lazily, one document at a time; *progress* is called as ``progress(done, total)``
    after each document (*total* is 0 when *sources* has no length). Findings are
    collected in the result's ``report``.
    *corpus* are the files of the run, whose root ``xml:id`` a ``#id`` pointer may name
    (default: the paths among *sources* when it is a list or tuple).

    :raises TeikitError: an index file cannot be loaded.

    >>> doc = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p><persName>Mao</persName></p></text></TEI>'
    >>> [m.text for m in extract_entities([doc])]
    ['Mao']
    """
    loaded_indexes = load_indexes(indexes)
    table = mentions or MentionTable()
    options = EntityOptions(
        types=None if types is None else frozenset(str(t) for t in types),
        text_only=text_only,
        registers=registers,
        rules=table.rules,
        index_paths=tuple(os.fspath(i.path) for i in loaded_indexes if i.path is not None),
        corpus_paths=tuple(
            os.fspath(p) for p in (_paths_of(sources) if corpus is None else corpus)
        ),
    )
    report = Report(list(table.diagnostics))
    failed: list[str] = []
    # With one process the sources are read lazily, one at a time: a caller may hand in a
    # generator of loaded documents without holding every tree at once (register build).
    source_list = list(sources) if jobs > 1 else None
    if source_list is not None and len(source_list) > 1:
        if any(
            isinstance(s, TeiDocument) or not isinstance(s, (str, os.PathLike, bytes))
            for s in source_list
        ):
            raise ValueError("with jobs > 1, sources must be paths or bytes")
        if len(options.index_paths) != len(loaded_indexes):
            raise ValueError("with jobs > 1, index documents must have been loaded from files")
        outcomes = _parallel(options, source_list, jobs)  # type: ignore[arg-type]
    else:
        resolver = PointerResolver(loaded_indexes, options.corpus_paths)
        extractor = _DocumentExtractor(options, resolver)
        pending = sources if source_list is None else source_list
        outcomes = (_process(extractor, source) for source in pending)

    total = len(sources) if isinstance(sources, Sized) else 0

    def generate() -> Iterator[Record]:
        for done, (name, records, found, loaded) in enumerate(outcomes, 1):
            report.files.append(name)
            report.extend(found)
            if not loaded:
                failed.append(name)
            yield from records
            if progress is not None:
                progress(done, total)

    return Extraction(generate(), report, failed)


def _paths_of(sources: Iterable[DocumentSource]) -> list[str | os.PathLike[str]]:
    """Return the files among *sources* if it is a list or tuple (never consume an iterator)."""
    if not isinstance(sources, (list, tuple)):
        return []
    found: list[str | os.PathLike[str]] = []
    for source in sources:
        if isinstance(source, (str, os.PathLike)):
            found.append(source)
        elif isinstance(source, TeiDocument) and source.path is not None:
            found.append(source.path)
    return found


def _parallel(
    options: EntityOptions, sources: list[Source], jobs: int
) -> Iterator[tuple[str, list[Record], list[Diagnostic], bool]]:
    from teikit.workers import WorkerPool  # the one pool: Ctrl-C is the parent's to handle

    chunk = max(1, min(16, len(sources) // (jobs * 8)))
    yield from WorkerPool(jobs, _init_worker, (options,)).map(_work, sources, chunksize=chunk)

"""The export run behind ``teikit export``: :func:`export_documents` and the corpus formats.

It loads the documents, builds their models and the corpus, and writes each output
atomically (never over an input). Formats that add corpus pages to a folder export
register them with :func:`corpus_pages`; formats that write one output for all documents
declare it with :func:`corpus_wide`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument
from teikit.entities.config import BUILTIN_RULES, MentionRule
from teikit.errors import DocumentLoadError, ExportError, InputError, OutputError, RenderError
from teikit.exporters.builder import build_model
from teikit.exporters.corpus import Corpus, build_corpus
from teikit.exporters.records import DocumentModel
from teikit.indexes import load_indexes
from teikit.output import atomic_open
from teikit.pointers import PointerResolver
from teikit.progress import ProgressCallback
from teikit.recursion import deep_walks
from teikit.registry import Registry
from teikit.roots import load_tei

if TYPE_CHECKING:  # the registry imports this module's exporters: no cycle at run time
    from teikit.exporters import ExporterSpec

__all__ = [
    "CorpusPages",
    "ExportResult",
    "RenderError",
    "corpus_pages",
    "corpus_wide",
    "export_documents",
    "is_corpus_wide",
]


# -- export runs ---------------------------------------------------------------------------

CorpusPages = Callable[[Corpus], Iterable[tuple[str, Callable[[IO[str]], None]]]]
#: The pages a folder export adds, by exporter name (registered when the exporter's module
#: is imported, which looking up the exporter does).
CORPUS_PAGES: Final = Registry[CorpusPages]("corpus pages")
_CORPUS_WIDE: set[str] = set()


def corpus_pages(name: str) -> Callable[[CorpusPages], CorpusPages]:
    """Register the pages (file name, writer) a folder export in format *name* adds."""

    def register(function: CorpusPages) -> CorpusPages:
        return CORPUS_PAGES.register(name, function)

    return register


def corpus_wide(name: str) -> None:
    """Declare that format *name* writes one output for all documents (GeoJSON)."""
    _CORPUS_WIDE.add(name)


def is_corpus_wide(name: str) -> bool:
    """Return whether format *name* writes one output for all documents."""
    return name in _CORPUS_WIDE


@dataclass(slots=True)
class ExportResult:
    """What an export run did: its findings, the files written, the documents exported."""

    report: Report
    written: list[Path] = field(default_factory=list)
    exported: int = 0


def _output_names(models: Sequence[DocumentModel], suffix: str, reserved: set[str]) -> list[str]:
    """Return one file name per document: its stem and *suffix*, made unique."""
    names: list[str] = []
    taken = {name.casefold() for name in reserved}
    for model in models:
        stem = Path(model.name).stem if model.path is not None else "document"
        stem = re.sub(r"[^\w.\-]+", "_", stem) or "document"
        name, n = f"{stem}{suffix}", 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        taken.add(name.casefold())
        names.append(name)
    return names


def _resolved(paths: Iterable[Path]) -> frozenset[Path]:
    """Return the resolved *paths* (those that can be resolved)."""
    found = set()
    for path in paths:
        with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a link loop
            found.add(path.resolve())
    return frozenset(found)


def _refuse_inputs(path: Path, inputs: frozenset[Path]) -> None:
    """Refuse to write *path* when it is one of the (resolved) *inputs*."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # pragma: no cover - a link loop
        return
    if target in inputs:
        raise OutputError(f"{path}: refusing to overwrite an input file")


@deep_walks
def export_documents(
    sources: Sequence[str | os.PathLike[str]],
    spec: ExporterSpec,
    output: Path | None,
    *,
    folder: bool = False,
    indexes: Sequence[str | os.PathLike[str] | TeiDocument] = (),
    rules: Sequence[MentionRule] = BUILTIN_RULES,
    options: dict[str, Any] | None = None,
    stdout: Callable[[], contextlib.AbstractContextManager[IO[str]]] | None = None,
    progress: ProgressCallback | None = None,
    protected: Sequence[str | os.PathLike[str]] = (),
) -> ExportResult:
    """Export *sources* in the format of *spec* to *output* (a file, a folder, or stdout).

    Every document is read with the hardened loader; one that cannot be read is an error
    in the report and the others are still exported. With *folder*, each document goes
    to ``OUTPUT/<stem><suffix>`` and the format's corpus pages (``index.html``...) are
    added; a corpus-wide format (GeoJSON) writes one file for all. Files are written
    atomically and never over an input or index file, nor over one of *protected* (the
    stylesheet, the configuration: whatever else the run read).

    :raises TeikitError: an index file cannot be loaded, or an output cannot be written.
    :raises ExportError: several documents of a per-document format without *folder*.
    """
    index_documents = load_indexes(indexes)
    resolver = PointerResolver(index_documents, sources)
    protected_paths = _resolved(
        [Path(s) for s in [*sources, *protected]]
        + [d.path for d in index_documents if d.path is not None]
    )
    report = Report()
    models: list[DocumentModel] = []
    for done, source in enumerate(sources, 1):
        name = os.fspath(source)
        report.files.append(name)
        try:
            document = load_tei(source)  # not TEI P5: a finding, and nothing written for it
        except (InputError, DocumentLoadError) as exc:
            diagnostic = (
                exc.diagnostic
                if isinstance(exc, InputError)
                else Diagnostic(Severity.ERROR, "io.unreadable", str(exc), name)
            )
            report.extend([diagnostic])
        else:
            model = build_model(document, resolver, rules=rules)
            resolver.release(document)
            report.extend(model.diagnostics)
            models.append(model)
        if progress is not None:
            progress(done, len(sources))
    result = ExportResult(report, exported=len(models))
    if not models:  # nothing could be read: no empty page, folder or collection (issue 12)
        return result
    corpus = build_corpus(models)
    accepted = spec.options
    extra = {k: v for k, v in (options or {}).items() if k in accepted}
    if "report" in accepted:
        extra["report"] = report
    if "resolver" in accepted:
        extra["resolver"] = resolver

    def write(path: Path | None, items: list[DocumentModel], **more: Any) -> None:
        try:
            if path is None:
                if stdout is None:
                    raise ExportError("no output given and no stdout to write to")
                with stdout() as stream:
                    spec.write(items, stream, **extra, **more)
                return
            _refuse_inputs(path, protected_paths)
            with atomic_open(path, newline=spec.newline) as stream:
                spec.write(items, stream, **extra, **more)
        except RenderError as exc:  # this document fails; the others are still exported
            report.extend([exc.diagnostic])
            result.exported -= 1
            return
        if path is not None:
            result.written.append(path)

    suffix = spec.suffixes[0] if spec.suffixes else f".{spec.name}"
    if is_corpus_wide(spec.name):
        target = output / f"places{suffix}" if folder and output is not None else output
        if folder and output is not None:
            output.mkdir(parents=True, exist_ok=True)
        write(target, models, **({"corpus": corpus} if "corpus" in accepted else {}))
        return result
    if not folder:
        if len(sources) > 1:
            raise ExportError("several documents are exported to a folder")
        if models:
            write(output, models[:1])
        return result
    assert output is not None
    output.mkdir(parents=True, exist_ok=True)
    pages_of = CORPUS_PAGES.get(spec.name) if spec.name in CORPUS_PAGES else None
    pages = list(pages_of(corpus)) if pages_of is not None else []
    corpus.pages = _output_names(models, suffix, {name for name, _ in pages})
    for number, (model, name) in enumerate(zip(models, corpus.pages, strict=True)):
        more = {"corpus": corpus, "document_number": number} if "corpus" in accepted else {}
        write(output / name, [model], **more)
    for name, writer in pages:
        path = output / name
        _refuse_inputs(path, protected_paths)
        with atomic_open(path) as stream:
            writer(stream)
        result.written.append(path)
    return result

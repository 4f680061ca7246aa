"""The exporter registry: output formats are plug-ins, looked up by name or file suffix.

An exporter is a pure function ``write(data, stream, **options) -> None`` registered with
:func:`exporter`. It never opens files and never imports click or rich. Exporters come in
kinds, each with its own namespace of names, so ``json`` can mean entity rows for
``teikit entities`` and a whole document for ``teikit export``:

``rows``      ``data`` is a :class:`Rows` table (``teikit entities``): csv, json, jsonl, xlsx
``document``  ``data`` is an iterable of :class:`~teikit.document.TeiDocument` (``teikit export``)

The registries are :class:`teikit.registry.Registry` objects (one per kind). The built-in
exporters are declared here and imported on their first look-up; third-party packages add
theirs through the entry-point group ``teikit.exporters`` (each entry point names a module
whose import registers exporters, or an :class:`ExporterSpec`), loaded once, on the first
look-up. :func:`export` writes documents in any document format by name.

>>> "csv" in available_formats("rows")
True
>>> get_exporter(None, path=Path("out.jsonl")).name
'jsonl'
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from teikit.errors import ExportError, UnknownFormatError
from teikit.progress import ProgressCallback
from teikit.registry import EntryPointPlugins, Registry
from teikit.rows import Rows

if TYPE_CHECKING:
    from teikit.exporters.model import ExportResult

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExportKind",
    "ExportOptions",
    "ExporterSpec",
    "PLUGINS",
    "Rows",
    "WriteFn",
    "available_formats",
    "export",
    "exporter",
    "get_exporter",
    "iter_exporters",
    "plugin_errors",
]

#: The entry-point group third-party exporters register under.
ENTRY_POINT_GROUP: Final = "teikit.exporters"

#: ``write(data, stream, **options)``; what *data* is depends on the exporter's kind.
WriteFn = Callable[..., None]


class ExportKind(str, enum.Enum):
    """What an exporter writes: tabular rows or whole documents."""

    ROWS = "rows"
    DOCUMENT = "document"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ExporterSpec:
    """A registered exporter."""

    name: str
    suffixes: tuple[str, ...]
    kind: ExportKind
    write: WriteFn
    description: str = ""
    #: ``newline`` for opening a text stream (``""`` lets the exporter write ``\\r\\n``).
    newline: str | None = None
    #: Keyword options the write function accepts (``bom`` for CSV).
    options: frozenset[str] = frozenset()
    #: The write function takes a binary stream (XLSX), not a text stream.
    binary: bool = False


def _accept(loaded: object) -> None:
    """Register an entry point's :class:`ExporterSpec` (a module registers itself on import)."""
    if isinstance(loaded, ExporterSpec):
        _REGISTRIES[loaded.kind].add(loaded.name, loaded)


#: The third-party exporters, loaded once, on the first look-up in either kind.
PLUGINS: Final = EntryPointPlugins(ENTRY_POINT_GROUP, _accept)
#: One registry per kind: ``json`` is a rows format and a document format.
_REGISTRIES: Final = {
    ExportKind.ROWS: Registry[ExporterSpec]("format", plugins=PLUGINS),
    ExportKind.DOCUMENT: Registry[ExporterSpec]("format", plugins=PLUGINS),
}
# The built-in exporters, imported on first use: `import teikit.exporters` (and so
# `teikit entities`, whose rows need no HTML) does not load the HTML edition.
_REGISTRIES[ExportKind.ROWS].declare("teikit.exporters.to_csv", "csv")
_REGISTRIES[ExportKind.ROWS].declare("teikit.exporters.to_json", "json", "jsonl")
_REGISTRIES[ExportKind.ROWS].declare("teikit.exporters.to_xlsx", "xlsx")
_REGISTRIES[ExportKind.DOCUMENT].declare("teikit.exporters.to_document_json", "json")
_REGISTRIES[ExportKind.DOCUMENT].declare("teikit.exporters.to_geojson", "geojson")
_REGISTRIES[ExportKind.DOCUMENT].declare("teikit.exporters.to_html", "html")
_REGISTRIES[ExportKind.DOCUMENT].declare("teikit.exporters.to_markdown", "markdown")
_REGISTRIES[ExportKind.DOCUMENT].declare("teikit.exporters.to_text", "text")


def _kind(kind: ExportKind | str) -> ExportKind:
    try:
        return ExportKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in ExportKind)
        raise ValueError(f"unknown exporter kind {kind!r} (choose from {choices})") from None


def exporter(
    name: str,
    *suffixes: str,
    kind: ExportKind | str = ExportKind.ROWS,
    description: str = "",
    newline: str | None = None,
    options: Iterable[str] = (),
    binary: bool = False,
) -> Callable[[WriteFn], WriteFn]:
    """Register the decorated function as the exporter *name* of *kind*.

    :raises ValueError: *name* is already registered for *kind*.
    """
    export_kind = _kind(kind)

    def register(write: WriteFn) -> WriteFn:
        lines = (write.__doc__ or "").strip().splitlines()
        spec = ExporterSpec(
            name=name,
            suffixes=tuple(s.lower() for s in suffixes),
            kind=export_kind,
            write=write,
            description=description or (lines[0] if lines else ""),
            newline=newline,
            options=frozenset(options),
            binary=binary,
        )
        _REGISTRIES[export_kind].register(name, spec, origin=write.__module__)
        return write

    return register


def plugin_errors() -> list[str]:
    """Return why third-party exporters failed to load (empty when all loaded)."""
    PLUGINS.load()
    return list(PLUGINS.errors)


def iter_exporters(kind: ExportKind | str | None = None) -> list[ExporterSpec]:
    """Return the registered exporters (of *kind*, if given), sorted; imports them all."""
    kinds = list(ExportKind) if kind is None else [_kind(kind)]
    return [spec for k in kinds for _, spec in _REGISTRIES[k].items()]


def available_formats(kind: ExportKind | str = ExportKind.ROWS) -> list[str]:
    """Return the names of the exporters of *kind*, sorted (without importing them).

    >>> available_formats("rows")[:3]
    ['csv', 'json', 'jsonl']
    """
    return _REGISTRIES[_kind(kind)].names()


def get_exporter(
    name: str | None, *, path: Path | None = None, kind: ExportKind | str = ExportKind.ROWS
) -> ExporterSpec:
    """Return the exporter called *name*, or else the one whose suffix ends *path*.

    :raises UnknownFormatError: no exporter of *kind* has that name or suffix; the
        message lists the valid names.
    """
    registry = _REGISTRIES[_kind(kind)]
    if name is not None:
        return registry.get(name)
    if path is None:
        raise UnknownFormatError(f"no format given (choose from {registry.choices()})")
    file_name = path.name.lower()
    matches = [
        (len(suffix), spec)
        for spec in iter_exporters(kind)
        for suffix in spec.suffixes
        if file_name.endswith(suffix)
    ]
    if not matches:
        raise UnknownFormatError(
            f"cannot tell the format of {str(path)!r} from its suffix "
            f"(give one of: {registry.choices()})"
        )
    return max(matches, key=lambda match: match[0])[1]


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How :func:`export` reads the documents; the defaults are those of ``teikit export``."""

    #: Register files that ``#id`` pointers may resolve into.
    indexes: tuple[Path, ...] = ()
    #: Globs of the files read inside folders, and of the files skipped there.
    include: tuple[str, ...] = ("*.xml",)
    exclude: tuple[str, ...] = ()
    #: An XSLT 1.0 stylesheet to render HTML with instead of the built-in edition.
    xslt: Path | None = None
    #: The configuration file (``--config``); ``None`` to find one from each file's folder.
    config: Path | None = None


def export(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    format: str | None = None,
    output: str | os.PathLike[str] | None = None,
    options: ExportOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Export *sources* (files, folders, globs) in the document format called *format*.

    *output* is a file, or a folder (an existing one, or a path ending in ``/``): one file
    per document there, and the format's corpus pages (``index.html``...); ``None`` writes
    one document to standard output. Without *format*, *output*'s suffix names it. As
    ``teikit export``: a document that cannot be read is a finding in the result's report,
    and the others are still exported.

    :raises UnknownFormatError: no document format has that name (or *output*'s suffix).
    :raises ExportError: several documents of a per-document format and no folder, or
        ``xslt`` for another format than HTML.
    :raises TeikitError: a path or an index cannot be read, or an output written.
    """
    import contextlib
    import sys

    from teikit.config import configs_for
    from teikit.entities.config import mention_table_for
    from teikit.exporters.model import export_documents, is_corpus_wide
    from teikit.sources import expand_paths

    options = options or ExportOptions()
    given = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    paths = expand_paths(given, include=options.include, exclude=options.exclude)
    target = None if output is None else Path(output)
    folder = target is not None and (
        target.is_dir() or os.fspath(output or "").endswith(("/", os.sep))
    )
    spec = get_exporter(format, path=None if folder else target, kind=ExportKind.DOCUMENT)
    if len(paths) > 1 and not folder and not is_corpus_wide(spec.name):
        if target is None or target.exists() or target.suffix:
            raise ExportError(
                f"{len(paths)} documents are exported to a folder: give an output folder (DIR/)"
            )
        folder = True
    extra: dict[str, Any] = {}
    if options.xslt is not None:
        if spec.name != "html":
            raise ExportError("xslt applies to HTML output only")
        from teikit.exporters.to_html import load_stylesheet

        extra["xslt"] = load_stylesheet(options.xslt)
    configuration = configs_for(paths, options.config)[0]
    return export_documents(
        paths,
        spec,
        target,
        folder=folder,
        indexes=options.indexes,
        rules=mention_table_for(paths, options.config).rules,
        protected=[*options.indexes, *([options.xslt] if options.xslt else []), *configuration],
        options=extra,
        stdout=lambda: contextlib.nullcontext(sys.stdout),
        progress=progress,
    )

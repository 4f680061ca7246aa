"""The exporter registry: output formats are plug-ins, looked up by name or file suffix.

An exporter is a pure function ``write(data, stream, **options) -> None`` registered with
:func:`exporter`. It never opens files and never imports click or rich. Exporters come in
kinds, each with its own namespace of names, so ``json`` can mean entity rows for
``teikit entities`` and a whole document for ``teikit export``:

``rows``      ``data`` is a :class:`Rows` table (``teikit entities``): csv, json, jsonl, xlsx
``document``  ``data`` is an iterable of :class:`~teikit.document.TeiDocument` (``teikit export``)

The built-in exporters are imported at the end of this module; third-party packages add
theirs through the entry-point group ``teikit.exporters`` (each entry point names a module
or object whose import registers exporters), loaded lazily, once, on the first look-up.

>>> "csv" in available_formats("rows")
True
>>> get_exporter(None, path=Path("out.jsonl")).name
'jsonl'
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from teikit.errors import UnknownFormatError
from teikit.rows import Rows

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExportKind",
    "ExporterSpec",
    "Rows",
    "WriteFn",
    "available_formats",
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


_REGISTRY: dict[tuple[ExportKind, str], ExporterSpec] = {}
_PLUGIN_ERRORS: list[str] = []
_plugins_loaded = False
_plugin_lock = threading.Lock()


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
        key = (export_kind, name)
        if key in _REGISTRY:
            raise ValueError(f"{export_kind} exporter {name!r} is already registered")
        lines = (write.__doc__ or "").strip().splitlines()
        _REGISTRY[key] = ExporterSpec(
            name=name,
            suffixes=tuple(s.lower() for s in suffixes),
            kind=export_kind,
            write=write,
            description=description or (lines[0] if lines else ""),
            newline=newline,
            options=frozenset(options),
            binary=binary,
        )
        return write

    return register


def _load_plugins() -> None:
    """Import the ``teikit.exporters`` entry points once; remember why any failed."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    with _plugin_lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = entry_point.load()
            except Exception as exc:  # a broken plug-in must not break the built-ins
                _PLUGIN_ERRORS.append(
                    f"plug-in {entry_point.name!r} ({entry_point.value}) failed to load: "
                    f"{type(exc).__name__}: {exc}"
                )
                continue
            if isinstance(loaded, ExporterSpec):
                _REGISTRY.setdefault((loaded.kind, loaded.name), loaded)


def plugin_errors() -> list[str]:
    """Return why third-party exporters failed to load (empty when all loaded)."""
    _load_plugins()
    return list(_PLUGIN_ERRORS)


def iter_exporters(kind: ExportKind | str | None = None) -> list[ExporterSpec]:
    """Return the registered exporters (of *kind*, if given), sorted by name."""
    _load_plugins()
    wanted = None if kind is None else _kind(kind)
    return sorted(
        (spec for (k, _), spec in _REGISTRY.items() if wanted is None or k is wanted),
        key=lambda spec: (spec.kind.value, spec.name),
    )


def available_formats(kind: ExportKind | str = ExportKind.ROWS) -> list[str]:
    """Return the names of the exporters of *kind*, sorted.

    >>> available_formats("rows")[:3]
    ['csv', 'json', 'jsonl']
    """
    return [spec.name for spec in iter_exporters(kind)]


def _choices(kind: ExportKind) -> str:
    text = ", ".join(available_formats(kind)) or "none"
    if _PLUGIN_ERRORS:
        text += "; " + "; ".join(_PLUGIN_ERRORS)
    return text


def get_exporter(
    name: str | None, *, path: Path | None = None, kind: ExportKind | str = ExportKind.ROWS
) -> ExporterSpec:
    """Return the exporter called *name*, or else the one whose suffix ends *path*.

    :raises UnknownFormatError: no exporter of *kind* has that name or suffix; the
        message lists the valid names.
    """
    _load_plugins()
    export_kind = _kind(kind)
    if name is not None:
        spec = _REGISTRY.get((export_kind, name))
        if spec is None:
            raise UnknownFormatError(
                f"unknown format {name!r} (choose from {_choices(export_kind)})"
            )
        return spec
    if path is None:
        raise UnknownFormatError(f"no format given (choose from {_choices(export_kind)})")
    file_name = path.name.lower()
    matches = [
        (len(suffix), spec)
        for spec in iter_exporters(export_kind)
        for suffix in spec.suffixes
        if file_name.endswith(suffix)
    ]
    if not matches:
        raise UnknownFormatError(
            f"cannot tell the format of {str(path)!r} from its suffix "
            f"(give one of: {_choices(export_kind)})"
        )
    return max(matches, key=lambda match: match[0])[1]


# The built-in exporters register themselves on import.
from teikit.exporters import to_csv, to_json, to_xlsx  # noqa: E402, F401

from . import to_document_json, to_geojson, to_html, to_markdown, to_text  # noqa: E402, F401

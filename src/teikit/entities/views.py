"""The two views of ``teikit entities`` as :class:`~teikit.rows.Rows` tables."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from typing import Final

from teikit.document import TeiDocument
from teikit.entities.config import MentionTable
from teikit.entities.extract import DocumentSource, Extraction, extract_entities
from teikit.entities.model import MENTION_COLUMNS, REGISTER_COLUMNS, Cell, Mention, Proposal
from teikit.entities.register import build_register
from teikit.indexes import load_indexes as _load_indexes
from teikit.progress import ProgressCallback
from teikit.rows import Rows

__all__ = [
    "REGISTER_TABLE_COLUMNS",
    "TABLE_COLUMNS",
    "common_folder",
    "entity_table",
    "relative_documents",
]

#: Columns that hold document paths (one, or a list).
DOCUMENT_COLUMNS: Final = ("document", "documents", "source")

#: The columns ``--format table`` shows on a terminal (the exporters write all of them).
TABLE_COLUMNS: Final = (
    "document",
    "line",
    "type",
    "text",
    "status",
    "entity_id",
    "canonical_name",
    "date_start",
    "date_end",
    "topics",
)
REGISTER_TABLE_COLUMNS: Final = (
    "id",
    "type",
    "canonical_name",
    "name_forms",
    "mention_count",
    "documents",
)


def entity_table(
    sources: Iterable[DocumentSource],
    *,
    register: bool = False,
    types: Collection[str] | None = None,
    indexes: Iterable[str | os.PathLike[str] | TeiDocument] = (),
    text_only: bool = False,
    mentions: MentionTable | None = None,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
) -> tuple[Rows, Extraction]:
    """Return the mentions view (or the register view) of *sources* and its extraction.

    The mentions view streams: rows are produced while the table is written, and the
    extraction's ``report`` is complete once they have all been read. The register view
    reads every document before its first row.

    :raises TeikitError: an index file cannot be loaded.
    """
    loaded = _load_indexes(indexes)
    extraction = extract_entities(
        sources,
        types=types,
        indexes=loaded,
        text_only=text_only,
        registers=register,
        mentions=mentions,
        jobs=jobs,
        progress=progress,
    )
    if register:
        kinds = None if types is None else set(types)
        return Rows(REGISTER_COLUMNS, _register_rows(extraction, loaded, kinds), "register"), (
            extraction
        )
    return Rows(MENTION_COLUMNS, _mention_rows(extraction), "mentions"), extraction


def _mention_rows(extraction: Extraction) -> Iterator[tuple[Cell, ...]]:
    for record in extraction:
        if isinstance(record, (Mention, Proposal)):
            yield record.as_row()


def _register_rows(
    extraction: Extraction, indexes: list[TeiDocument], types: set[str] | None
) -> Iterator[tuple[Cell, ...]]:
    for row in build_register(extraction, indexes, types=types):
        yield row.as_row()


def common_folder(paths: Iterable[str | os.PathLike[str]]) -> str | None:
    """Return the deepest folder holding every file of *paths* (absolute), or ``None``.

    >>> common_folder(["/data/letters/a.xml", "/data/letters/1900/b.xml"])
    '/data/letters'
    """
    folders = [os.path.dirname(os.path.abspath(path)) for path in paths]
    if not folders:
        return None
    try:
        return os.path.commonpath(folders)
    except ValueError:  # Windows: paths on different drives
        return None


def relative_documents(table: Rows, base: str | None) -> Rows:
    """Return *table* with its document columns as paths relative to the folder *base*.

    A register entry mentioned in a thousand letters then lists ``L00001.xml`` rather than
    a thousand absolute paths (a cell a spreadsheet would cut). Values that are not paths
    of files (``<stdin>``) are kept.
    """
    if base is None:
        return table
    at = [i for i, column in enumerate(table.columns) if column in DOCUMENT_COLUMNS]
    if not at:
        return table
    known: dict[str, str] = {}

    def relative(value: str) -> str:
        found = known.get(value)
        if found is None:
            found = value
            if not value.startswith("<"):
                found = os.path.relpath(os.path.abspath(value), base)
            known[value] = found
        return found

    def rows() -> Iterator[tuple[Cell, ...]]:
        for row in table.rows:
            cells = list(row)
            for i in at:
                value = cells[i]
                if isinstance(value, str):
                    cells[i] = relative(value)
                elif isinstance(value, (list, tuple)):
                    cells[i] = [relative(str(item)) for item in value]
            yield tuple(cells)

    return Rows(table.columns, rows(), table.name)

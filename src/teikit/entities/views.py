"""The two views of ``teikit entities`` as :class:`~teikit.exporters.Rows` tables."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from typing import Final

from teikit.document import TeiDocument
from teikit.entities.config import MentionTable
from teikit.entities.extract import DocumentSource, Extraction, OnDocument, extract_entities
from teikit.entities.extract import load_indexes as _load_indexes
from teikit.entities.model import MENTION_COLUMNS, REGISTER_COLUMNS, Cell, Mention, Proposal
from teikit.entities.register import build_register
from teikit.exporters import Rows

__all__ = ["REGISTER_TABLE_COLUMNS", "TABLE_COLUMNS", "entity_table"]

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
    on_document: OnDocument | None = None,
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
        on_document=on_document,
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

"""JSON and JSON Lines exporters for entity rows.

``json`` writes one array of objects, one object per row, streamed row by row;
``jsonl`` writes one compact object per line. Keys follow the table's column order;
absent values are ``null``, list cells are arrays. Text is UTF-8, not ``\\u``-escaped,
except U+0085, U+2028 and U+2029, which some readers take for line ends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any, Final

from teikit.exporters import Rows, exporter

__all__ = ["write_json", "write_jsonl"]


# Characters that str.splitlines() and JavaScript take as line ends; JSON lets them be
# escaped, and JSON Lines readers that split on them would otherwise break a record.
_LINE_ENDS: Final = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _dumps(value: Any, **options: Any) -> str:
    return json.dumps(value, ensure_ascii=False, **options).translate(_LINE_ENDS)


def _object(row: Sequence[Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


@exporter("json", ".json", kind="rows")
def write_json(table: Rows, stream: IO[str]) -> None:
    """Write *table* as a JSON array of objects, indented by two spaces."""
    stream.write("[")
    first = True
    for row in table.rows:
        text = _dumps(_object(row, table.columns), indent=2)
        stream.write(("\n  " if first else ",\n  ") + text.replace("\n", "\n  "))
        first = False
    stream.write("]\n" if first else "\n]\n")


@exporter("jsonl", ".jsonl", ".ndjson", kind="rows")
def write_jsonl(table: Rows, stream: IO[str]) -> None:
    """Write *table* as JSON Lines: one compact object per row."""
    for row in table.rows:
        stream.write(_dumps(_object(row, table.columns)) + "\n")

"""CSV exporter for entity rows: RFC 4180, UTF-8, a header row, optional BOM for Excel.

Cells hold plain text: lists are joined with ``" | "``, ``None`` is empty. A cell that a
spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written with a leading apostrophe unless ``keep_formulas`` is set
(see :mod:`teikit.exporters.spreadsheet` and ``docs/entities.md``).
"""

from __future__ import annotations

import csv
from typing import IO, Any, Final

from teikit.exporters import Rows, exporter
from teikit.exporters.spreadsheet import EXCEL_CELL_LIMIT, FORMULA_STARTS, Warn

__all__ = ["LIST_SEPARATOR", "cell_text", "write_csv"]

#: How list cells (name forms, documents, topics) are joined in CSV.
LIST_SEPARATOR: Final = " | "
_BOM: Final = "\ufeff"


def cell_text(value: Any) -> str:
    """Return the CSV text of one cell.

    >>> cell_text(["Stalin", "Filippov"]), cell_text(None), cell_text(3)
    ('Stalin | Filippov', '', '3')
    """
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


@exporter(
    "csv",
    ".csv",
    kind="rows",
    newline="",
    options=("bom", "keep_formulas", "warn"),
)
def write_csv(
    table: Rows,
    stream: IO[str],
    *,
    bom: bool = False,
    keep_formulas: bool = False,
    warn: Warn | None = None,
) -> None:
    """Write *table* as RFC 4180 CSV (``\\r\\n`` line ends, minimal quoting)."""
    if bom:
        stream.write(_BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(table.columns)
    too_long = 0
    for row in table.rows:
        cells = ["" if c is None else c if type(c) is str else cell_text(c) for c in row]
        for number, cell in enumerate(cells):
            # numbers are numbers to a spreadsheet too (-33.86 is a latitude, not a formula)
            if (
                not keep_formulas
                and cell.startswith(FORMULA_STARTS)
                and not isinstance(row[number], (int, float))
            ):
                cells[number] = "'" + cell
            if len(cell) > EXCEL_CELL_LIMIT:
                too_long += 1
        writer.writerow(cells)
    if too_long and warn is not None:
        warn(
            f"{too_long} cell(s) hold more than {EXCEL_CELL_LIMIT:,} characters: a spreadsheet "
            "cuts them when it opens the file (the CSV itself is complete)"
        )

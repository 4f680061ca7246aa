"""CSV exporter for entity rows: RFC 4180, UTF-8, a header row, optional BOM for Excel.

Cells hold plain text: lists are joined with ``" | "``, ``None`` is empty. Cells that
begin with ``=``, ``+``, ``-`` or ``@`` are written unchanged (no spreadsheet
formula-injection guard): teikit does not alter data silently, and TEI text rarely begins
so; open untrusted files in a spreadsheet with "import as text" (``docs/entities.md``).
"""

from __future__ import annotations

import csv
from typing import IO, Any, Final

from teikit.exporters import Rows, exporter

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


@exporter("csv", ".csv", kind="rows", newline="", options=("bom",))
def write_csv(table: Rows, stream: IO[str], *, bom: bool = False) -> None:
    """Write *table* as RFC 4180 CSV (``\\r\\n`` line ends, minimal quoting)."""
    if bom:
        stream.write(_BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if c is None else c if type(c) is str else cell_text(c) for c in row])

"""XLSX exporter for entity rows (openpyxl): typed cells a spreadsheet cannot misread.

Text stays text: years (``1951``, ``-0356``), dates before 1900 (``1500-03-01``, which a
spreadsheet reading CSV turns into a date serial, days off), ids with leading zeros and
values beginning with ``=`` are written as text cells, never as numbers, dates or formulas.
Counts, line numbers and coordinates are numbers. Lists are joined with ``" | "`` as in CSV.
A cell longer than Excel's 32,767 characters is cut there (Excel refuses longer ones), with
a warning naming how many were cut.
"""

from __future__ import annotations

import re
from typing import IO, Any, Final

from teikit.exporters import Rows, exporter
from teikit.exporters.spreadsheet import EXCEL_CELL_LIMIT, Warn
from teikit.exporters.to_csv import cell_text

__all__ = ["write_xlsx"]

# Characters XML 1.0 cannot hold: openpyxl refuses them (a file name may carry one).
_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME: Final = re.compile(r"[\[\]:*?/\\]")


def _text(value: Any) -> str:
    return _ILLEGAL.sub("\ufffd", cell_text(value))


@exporter("xlsx", ".xlsx", kind="rows", binary=True, options=("warn",))
def write_xlsx(table: Rows, stream: IO[bytes], *, warn: Warn | None = None) -> None:
    """Write *table* as an Excel workbook: one sheet, a bold frozen header, typed cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_SHEET_NAME.sub("_", table.name)[:31] or "rows")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=_text(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    cut = 0
    for row in table.rows:
        cells: list[Any] = []
        for value in row:
            if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                cells.append(value)
                continue
            text = _text(value)
            if len(text) > EXCEL_CELL_LIMIT:
                text = text[:EXCEL_CELL_LIMIT]
                cut += 1
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"  # text, even "=1+1", "1951" or "1500-03-01"
            cells.append(cell)
        sheet.append(cells)
    if cut and warn is not None:
        warn(
            f"{cut} cell(s) held more than {EXCEL_CELL_LIMIT:,} characters, Excel's limit: "
            "cut there in the XLSX file (CSV or JSON keep them whole)"
        )
    workbook.save(stream)

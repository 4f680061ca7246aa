"""What a spreadsheet makes of a cell: formulas, the length limit, and the guard against both.

Excel, LibreOffice and Google Sheets run a CSV cell that begins with ``=``, ``+``, ``-`` or
``@`` (and, in some versions, a tab or carriage return) as a formula: a value such as
``=HYPERLINK("http://evil", "x")`` in a TEI text would become live in the editor's sheet
(OWASP "CSV injection"). The CSV exporter therefore writes such cells with a leading
apostrophe, which every spreadsheet reads as "this is text" (``-0356`` stays the year
−356 instead of becoming the number −356); ``keep_formulas`` writes them unchanged for
programs that read the CSV themselves. The XLSX exporter types every text cell as text, so
nothing in it is ever run and no apostrophe is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

__all__ = ["EXCEL_CELL_LIMIT", "FORMULA_STARTS", "Warn", "guard_formula", "is_formula_like"]

#: The longest text an Excel cell holds; longer text is cut when the file is opened.
EXCEL_CELL_LIMIT: Final = 32_767
#: The first characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

#: Receives a warning about the table being written (a cell too long for a spreadsheet).
Warn = Callable[[str], None]


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet would read *text*, alone in a CSV cell, as a formula.

    >>> is_formula_like("=SUM(A1)"), is_formula_like("-0356"), is_formula_like("Mao")
    (True, True, False)
    """
    return text.startswith(FORMULA_STARTS)


def guard_formula(text: str) -> str:
    """Return *text* with a leading apostrophe when a spreadsheet would run it as a formula.

    >>> guard_formula("=1+1"), guard_formula("-0356"), guard_formula("1951-07-03")
    ("'=1+1", "'-0356", '1951-07-03')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text

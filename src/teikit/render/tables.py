"""Rich tables of exporter rows, for ``--format table`` on a terminal."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from teikit.exporters import Rows

__all__ = ["TERMINAL_ROWS", "print_rows", "rows_table"]

#: Rows a terminal table shows; past that it says how to write them all to a file.
TERMINAL_ROWS: Final = 300
_MIN_WIDTH: Final = 10  # a column narrower than this is left out rather than folded
_PATH_COLUMNS: Final = ("document", "documents", "source")


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        items = [os.path.basename(str(i)) if column in _PATH_COLUMNS else str(i) for i in value]
        return ", ".join(items)
    text = str(value)
    return os.path.basename(text) if column in _PATH_COLUMNS else text


def rows_table(
    table: Rows,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    width: int | None = None,
    limit: int | None = None,
) -> tuple[Table, int, list[str]]:
    """Return a rich :class:`~rich.table.Table` of *table* (only *columns*), the number of
    rows, and the columns left out to fit *width*.

    Columns left empty in every row are dropped, a ``document`` column with one value
    becomes the title, paths show as file names, and when the columns cannot all be at least
    ten characters wide in *width* the last ones are left out (never folded letter by
    letter). Only the first *limit* rows go into the table; all are counted.
    """
    shown = [c for c in (columns or table.columns) if c in table.columns]
    at = [table.columns.index(column) for column in shown]
    rows: list[list[str]] = []
    count = 0
    for row in table.rows:
        count += 1
        if limit is None or len(rows) < limit:
            rows.append([_cell(row[i], column) for i, column in zip(at, shown, strict=True)])
    if "document" in shown and len({row[shown.index("document")] for row in rows}) == 1:
        where = shown.index("document")
        title = title or rows[0][where]
        shown.pop(where)
        rows = [row[:where] + row[where + 1 :] for row in rows]
    keep = [i for i, _ in enumerate(shown) if any(row[i] for row in rows)] or list(
        range(len(shown))
    )
    natural = {i: max([len(shown[i]), *(len(row[i]) for row in rows)]) for i in keep}
    left_out: list[str] = []
    if width is not None:
        # rich needs 3 characters a column for borders and padding
        while len(keep) > 1 and sum(min(natural[i], _MIN_WIDTH) + 3 for i in keep) > width:
            left_out.insert(0, shown[keep.pop()])
    grid = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for i in keep:
        numeric = bool(rows) and all(
            row[i] == "" or row[i].lstrip("-").replace(".", "", 1).isdigit() for row in rows
        )
        grid.add_column(
            shown[i],
            justify="right" if numeric else "left",
            overflow="ellipsis" if numeric else "fold",
            min_width=min(_MIN_WIDTH, natural[i]),
        )
    for row in rows:
        grid.add_row(*(row[i] for i in keep))
    return grid, count, left_out


def print_rows(
    console: Console,
    table: Rows,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    limit: int | None = None,
) -> int:
    """Print *table* on *console* as a table with a row count; return the count.

    With *limit*, only that many rows are printed, followed by how to write them all.
    """
    width = console.width if console.is_terminal else None  # a file gets every column
    grid, count, left_out = rows_table(table, columns, title=title, width=width, limit=limit)
    console.print(grid)
    plural = "s" if count != 1 else ""
    console.print(f"[dim]{count:,} row{plural}[/]", highlight=False)
    if limit is not None and count > limit:
        console.print(
            f"[dim]only the first {limit:,} are shown: write them all with -o FILE.csv "
            "(or .xlsx, .json), or pipe the output to a file[/]",
            highlight=False,
        )
    if left_out:
        console.print(
            f"[dim]left out to fit the terminal: {', '.join(left_out)} (-o FILE.csv has every "
            "column)[/]",
            highlight=False,
        )
    return count

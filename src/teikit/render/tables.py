"""Rich tables of exporter rows, for ``--format table`` on a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from teikit.exporters import Rows

__all__ = ["print_rows", "rows_table"]

_NUMERIC = (int, float)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def rows_table(
    table: Rows, columns: Sequence[str] | None = None, *, title: str | None = None
) -> tuple[Table, int]:
    """Return a rich :class:`~rich.table.Table` of *table* (only *columns*) and its row count.

    Columns left empty in every row are dropped, and a ``document`` column with one value
    becomes the title, so that the table fits a terminal.
    """
    shown = [c for c in (columns or table.columns) if c in table.columns]
    at = [table.columns.index(column) for column in shown]
    rows = [[_cell(row[i]) for i in at] for row in table.rows]
    if "document" in shown and len({row[shown.index("document")] for row in rows}) == 1:
        where = shown.index("document")
        title = title or rows[0][where]
        shown.pop(where)
        rows = [row[:where] + row[where + 1 :] for row in rows]
    keep = [i for i, _ in enumerate(shown) if any(row[i] for row in rows)] or list(
        range(len(shown))
    )
    grid = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for i in keep:
        numeric = bool(rows) and all(
            row[i] == "" or row[i].lstrip("-").replace(".", "", 1).isdigit() for row in rows
        )
        grid.add_column(shown[i], justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*(row[i] for i in keep))
    return grid, len(rows)


def print_rows(
    console: Console,
    table: Rows,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> int:
    """Print *table* on *console* as a table with a row count; return the count."""
    grid, count = rows_table(table, columns, title=title)
    console.print(grid)
    console.print(f"[dim]{count} row{'s' if count != 1 else ''}[/]", highlight=False)
    return count

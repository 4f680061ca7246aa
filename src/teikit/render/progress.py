"""A progress bar on standard error, shown only on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from teikit.progress import ProgressCallback

__all__ = ["progress_bar"]

_MIN_FILES = 20


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """Yield a ``progress(done, total)`` callback drawing a bar on a terminal, else ``None``."""
    if not enabled or not sys.stderr.isatty():  # rich is imported only to draw a bar
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None, visible=False)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=total >= _MIN_FILES)

        yield update

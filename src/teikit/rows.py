"""The table that ``rows`` exporters write: column names and rows, iterated once.

It lives in the core, below the capabilities, so that :mod:`teikit.entities` can build
tables without importing :mod:`teikit.exporters` (which imports ``teikit.entities``);
``from teikit.exporters import Rows`` gives the same class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Rows"]


@dataclass(frozen=True, slots=True)
class Rows:
    """A table for ``rows`` exporters: its column names and its rows (iterated once).

    Each row is a sequence of cells in column order (tuples: no per-row dictionary on
    the hot path); a cell is ``str``, ``int``, ``float``, ``None`` or a list of ``str``.
    """

    columns: tuple[str, ...]
    rows: Iterable[Sequence[Any]]
    name: str = "rows"

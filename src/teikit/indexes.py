"""Register files given with ``--index``: the one loader every capability uses.

An index file holds the ``listPerson``, ``listPlace``... that ``#id`` pointers of other
documents name; :class:`~teikit.pointers.PointerResolver` searches the loaded indexes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from teikit.document import TeiDocument, load

__all__ = ["IndexSource", "load_indexes"]

#: An index as a caller may give it: a path, or a document already loaded.
IndexSource = str | os.PathLike[str] | TeiDocument


def load_indexes(paths: Iterable[IndexSource]) -> list[TeiDocument]:
    """Load register files given with ``--index`` (documents already loaded are kept).

    :raises TeikitError: an index file cannot be read or is not well-formed (without its
        registers every result would be wrong, so this is not a mere finding).
    """
    return [p if isinstance(p, TeiDocument) else load(p) for p in paths]

"""The one progress-callback signature of the library: ``progress(done, total)``.

Every capability that reads many documents (``validate``, ``lint``, ``export``...) takes a
``progress`` callback called after each document with the number done and the total.
:func:`per_document` adapts it to the capabilities that report each finished document by
its name (``on_document(name)``), until they take ``progress`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

__all__ = ["OnDocument", "ProgressCallback", "per_document"]

#: ``progress(done, total)``: *done* documents of *total* are finished.
ProgressCallback: TypeAlias = Callable[[int, int], None]
#: ``on_document(name)``: the document *name* is finished (the older style).
OnDocument: TypeAlias = Callable[[str], None]


def per_document(progress: ProgressCallback | None, total: int) -> OnDocument:
    """Adapt ``progress(done, total)`` to a callback called once per finished document.

    >>> seen = []
    >>> advance = per_document(lambda done, total: seen.append((done, total)), 2)
    >>> advance("a.xml"); advance("b.xml")
    >>> seen
    [(1, 2), (2, 2)]
    """
    done = 0

    def advance(_name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return advance

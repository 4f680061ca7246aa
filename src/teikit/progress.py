"""The one progress-callback signature of the library: ``progress(done, total)``.

Every capability that reads many documents (``validate``, ``lint``, ``entities``,
``register build``, ``export``) takes a ``progress`` callback, called after each document
with the number of documents done and the total (0 when the sources have no length).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

__all__ = ["ProgressCallback"]

#: ``progress(done, total)``: *done* documents of *total* are finished.
ProgressCallback: TypeAlias = Callable[[int, int], None]

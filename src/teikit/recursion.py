"""Room on Python's stack for walks as deep as the documents the parser accepts.

The loader keeps libxml2's limit on element nesting (:data:`MAX_DEPTH` levels, see
:mod:`teikit.document`), so every document teikit reads is at most that deep. The export
model and its renderers follow the document's structure with recursive functions, a few
Python frames per level of nesting (a ``note`` inside a ``note`` costs five): 200 nested
notes, valid TEI, went past Python's default limit of 1,000 frames (issue 17).
:func:`deep_walks` raises the limit, while the decorated function runs, to what the
deepest accepted document can need; walks over lxml trees elsewhere keep their own stack.

Since Python 3.11 a call from Python code to Python code does not use the C stack, so the
higher limit does not risk the process; it still stops a walk that really runs away.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

__all__ = ["FRAMES_PER_LEVEL", "MAX_DEPTH", "deep_walks"]

#: libxml2's nesting limit without ``huge_tree``, which the loader keeps.
MAX_DEPTH: Final = 256
#: Python frames a walk may spend per level of nesting (model, renderer and JSON encoder
#: together), with a wide margin over the five the deepest path uses.
FRAMES_PER_LEVEL: Final = 24

_P = ParamSpec("_P")
_R = TypeVar("_R")
_lock = threading.Lock()
_active = 0
_saved = 0


def deep_walks(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run *function* with room for :data:`MAX_DEPTH` levels of recursive walking.

    The limit is raised (never lowered) on entry and restored when the last of the
    concurrent callers returns.

    >>> deep_walks(lambda: sys.getrecursionlimit())() >= MAX_DEPTH * FRAMES_PER_LEVEL
    True
    """

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        global _active, _saved
        with _lock:
            if _active == 0:
                _saved = sys.getrecursionlimit()
                sys.setrecursionlimit(max(_saved, MAX_DEPTH * FRAMES_PER_LEVEL + 1_000))
            _active += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _active -= 1
                if _active == 0:
                    sys.setrecursionlimit(_saved)

    return wrapper

"""Turn command-line paths (files, folders, glob patterns) into the list of XML files to read."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from teikit.errors import DocumentLoadError

__all__ = ["expand_paths"]

_GLOB_CHARS = frozenset("*?[")


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Return the XML files named by *paths*: files as given, folders searched recursively
    for ``*.xml`` (sorted), glob patterns (``**`` included) expanded and sorted.

    A file named twice is kept once, at its first place.

    :raises DocumentLoadError: a path does not exist, or a pattern or folder matches no file.

    >>> expand_paths([])
    []
    """
    found: dict[Path, None] = {}
    for raw in paths:
        text = os.fspath(raw)
        path = Path(text)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*.xml") if p.is_file())
            if not matches:
                raise DocumentLoadError(f"{text}: folder holds no *.xml file")
        elif path.exists():
            matches = [path]
        elif _GLOB_CHARS & set(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise DocumentLoadError(f"{text}: pattern matches no file")
        else:
            raise DocumentLoadError(f"{text}: no such file or directory")
        for match in matches:
            found.setdefault(match, None)
    return list(found)

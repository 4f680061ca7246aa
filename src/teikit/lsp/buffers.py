"""The documents the server knows: editor buffers and the files they point into.

A :class:`Buffer` is one document as the editor holds it (text and version), parsed on
demand with the hardened loader. A buffer that stopped being well-formed keeps its last
well-formed tree for completion (the one being typed is broken most of the time).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from teikit.lsp.text import LineIndex

if TYPE_CHECKING:
    from teikit.document import TeiDocument

__all__ = ["Buffer", "Files", "path_of", "uri_of"]

#: A file read for definitions and references is at most this large (bytes).
MAX_READ: Final = 64 << 20


def path_of(uri: str) -> Path | None:
    """Return the file a ``file:`` URI names, ``None`` for another scheme."""
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    found = to_fs_path(uri)
    return Path(found) if found else None


def uri_of(path: str | os.PathLike[str]) -> str:
    """Return the ``file:`` URI of *path*."""
    from pygls.uris import from_fs_path

    found = from_fs_path(os.path.abspath(path))
    return found or Path(os.path.abspath(path)).as_uri()


@dataclass(slots=True)
class Buffer:
    """One document: its URI, text and version, parsed when first needed."""

    uri: str
    text: str
    version: int = 0
    path: Path | None = None
    #: The position encoding agreed with the client (``utf-16``, ``utf-8``, ``utf-32``).
    encoding: str = "utf-16"
    _lines: LineIndex | None = field(default=None, repr=False)
    _tree: TeiDocument | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)
    last_good: TeiDocument | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """Return the name findings are reported under (the path, as the CLI shows it)."""
        return str(self.path) if self.path is not None else self.uri

    @property
    def lines(self) -> LineIndex:
        """Return the line index of the text."""
        if self._lines is None:
            self._lines = LineIndex(self.text, self.encoding)
        return self._lines

    def update(self, text: str, version: int) -> None:
        """Replace the text (a new version from the editor)."""
        self.text, self.version = text, version
        self._lines, self._tree, self._parsed = None, None, False

    def tree(self) -> TeiDocument | None:
        """Return the text parsed by the hardened loader, ``None`` if it is not well-formed."""
        if not self._parsed:
            from teikit.document import load
            from teikit.errors import TeikitError
            from teikit.lsp.project import buffer_bytes

            self._parsed = True
            try:
                self._tree = load(buffer_bytes(self.text), name=self.name, path=self.path)
            except TeikitError:
                self._tree = None
            if self._tree is not None:
                self.last_good = self._tree
        return self._tree

    def best_tree(self) -> TeiDocument | None:
        """Return the current tree, else the last well-formed one."""
        return self.tree() or self.last_good


class Files:
    """Open buffers first, files on disk (read by the hardened reader) otherwise."""

    def __init__(self, open_buffer: Callable[[str], Buffer | None]) -> None:
        self._open = open_buffer
        self._disk: dict[str, tuple[float, Buffer]] = {}

    def get(self, path: Path) -> Buffer | None:
        """Return the buffer of *path*: the editor's if it is open, else the file's text."""
        uri = uri_of(path)
        found = self._open(uri)
        if found is not None:
            return found
        from teikit.document import read_bytes
        from teikit.errors import TeikitError

        try:
            stamp = os.stat(path).st_mtime_ns
            if stamp > 0 and os.path.getsize(path) > MAX_READ:
                return None
            cached = self._disk.get(uri)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            data = read_bytes(path)
        except (OSError, TeikitError):
            return None
        from teikit.encodings import detect_encoding

        try:
            text = data.decode(detect_encoding(data), "replace").lstrip("\ufeff")
        except LookupError:
            return None
        buffer = Buffer(uri, text, 0, Path(path))
        if len(self._disk) > 64:  # bounded: the oldest read goes
            self._disk.pop(next(iter(self._disk)))
        self._disk[uri] = (stamp, buffer)
        return buffer

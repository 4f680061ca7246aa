"""Write output files atomically: a temporary file in the target folder, then a rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from teikit.errors import OutputError

__all__ = ["atomic_open", "check_not_input"]


def check_not_input(output: Path, inputs: Sequence[Path]) -> None:
    """Refuse an *output* path that names one of the *inputs*.

    :raises OutputError: *output* is one of *inputs*.
    """
    target = Path(os.path.realpath(output))
    for source in inputs:
        if Path(os.path.realpath(source)) == target:
            raise OutputError(f"{output}: refusing to overwrite an input file")


@contextlib.contextmanager
def atomic_open(
    path: Path, *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[str]]:
    """Open *path* for writing text so that it appears complete or not at all.

    Data goes to a temporary file in the same folder, which is flushed, synced and
    renamed over *path* when the block ends without an exception; otherwise it is
    removed and the previous version of *path*, if any, is left untouched.

    :raises OutputError: the folder is not writable or the disk is full.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            # keep the permissions of the file being replaced
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

"""Write output files atomically: a temporary file in the target folder, then a rename."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from teikit.errors import OutputError

__all__ = ["atomic_open", "atomic_open_binary", "check_not_input"]


def check_not_input(output: Path, inputs: Sequence[Path]) -> None:
    """Refuse an *output* path that names one of the *inputs*.

    :raises OutputError: *output* is one of *inputs*.
    """
    target = Path(os.path.realpath(output))
    for source in inputs:
        if Path(os.path.realpath(source)) == target:
            raise OutputError(f"{output}: refusing to overwrite an input file")


def _open_anonymous(folder: Path) -> int | None:
    """Return a descriptor of an unnamed file in *folder* (Linux ``O_TMPFILE``), if possible.

    An unnamed file vanishes with the process: even ``kill -9`` in the middle of a large
    export leaves nothing behind. ``None`` where the platform or file system has no
    ``O_TMPFILE`` (or ``/proc`` is missing); the caller then uses a named temporary file.
    """
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None  # the file system cannot do it
        raise


def _give_name(fd: int, folder: Path, name: str) -> Path:
    """Link the unnamed file *fd* into *folder* under a fresh hidden name and return it."""
    # os.link() calls link(2), which does not follow the /proc symlink; passing directory
    # descriptors makes it call linkat(2) with AT_SYMLINK_FOLLOW.
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for _ in range(100):
            candidate = f".{name}.{secrets.token_hex(6)}.tmp"
            try:
                os.link(
                    f"/proc/self/fd/{fd}",
                    candidate,
                    src_dir_fd=directory,
                    dst_dir_fd=directory,
                    follow_symlinks=True,
                )
            except FileExistsError:
                continue
            return folder / candidate
    finally:
        os.close(directory)
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


@contextlib.contextmanager
def atomic_open(
    path: Path, *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[str]]:
    """Open *path* for writing text so that it appears complete or not at all.

    Data goes to an unnamed file in the same folder (or, where the system cannot make one,
    a hidden temporary file), which is flushed, synced and renamed over *path* when the
    block ends without an exception; otherwise it is discarded and the previous version of
    *path*, if any, is left untouched.

    :raises OutputError: the folder is not writable or the disk is full.
    """
    folder = path.parent if str(path.parent) else Path(".")
    tmp: Path | None = None
    try:
        fd = _open_anonymous(folder)
        if fd is None:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            tmp = Path(tmp_name)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
            if tmp is None:
                tmp = _give_name(stream.fileno(), folder, path.name)
        if path.exists():
            # keep the permissions of the file being replaced
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open *path* for writing bytes, appearing complete or not at all (see :func:`atomic_open`).

    :raises OutputError: the folder is not writable or the disk is full.
    """
    with atomic_open(path, encoding="latin-1") as text:
        text.flush()
        binary: IO[bytes] = text.buffer  # type: ignore[attr-defined]
        yield binary
        binary.flush()

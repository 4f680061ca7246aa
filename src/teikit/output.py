"""Write output files atomically: a temporary file in the target folder, then a rename.

An output that is not a regular file (a device such as ``/dev/null``, a FIFO, or a symlink
to one, ``/dev/stdout``) is written into directly, never renamed over (issue 17): the
rename would replace the device or the link with a plain file. A symlink to a regular
file is followed, and the file it points to is replaced (the link stays). ``-`` means
standard output (:data:`STDOUT`); callers that write there check :func:`is_stdout`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from teikit.errors import OutputError

__all__ = ["STDOUT", "atomic_open", "atomic_open_binary", "check_not_input", "is_stdout"]

#: What ``-o -`` names: standard output.
STDOUT = "-"
_FD_LINK = re.compile(r"^/(?:proc/(?:self|thread-self|\d+)/fd|dev/fd)/\d+$")


def is_stdout(output: str | os.PathLike[str] | None) -> bool:
    """Return whether *output* is ``-``, standard output."""
    return output is not None and os.fspath(output) == STDOUT


def check_not_input(output: Path, inputs: Sequence[Path]) -> None:
    """Refuse an *output* path that names one of the *inputs*.

    :raises OutputError: *output* is one of *inputs*.
    """
    if is_stdout(output) or _direct(Path(output)):
        return  # standard output, a device or a FIFO: no file the run read is replaced
    target = Path(os.path.realpath(output))
    for source in inputs:
        if Path(os.path.realpath(source)) == target:
            raise OutputError(f"{output}: refusing to overwrite an input file")


def _through_descriptor(path: Path) -> bool:
    """Return whether *path* is, or links through, a descriptor (``/dev/stdout`` and kin)."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        if _FD_LINK.match(current) or current in ("/dev/stdout", "/dev/stderr"):
            return True
        try:
            target = os.readlink(current)
        except OSError:
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    return False


def _direct(path: Path) -> bool:
    """Return whether *path* must be written into rather than replaced.

    :raises OutputError: *path* is a folder.
    """
    try:
        info = os.stat(path)
    except OSError:
        return _through_descriptor(path)  # a dangling /proc link: let open() say why
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: is a folder, not a file")
    return not stat.S_ISREG(info.st_mode) or _through_descriptor(path)


@contextlib.contextmanager
def _write_into(path: Path, encoding: str, newline: str | None) -> Iterator[IO[str]]:
    """Yield *path* (a device, FIFO or descriptor) opened for writing as it is."""
    try:
        # no O_CREAT, no O_TRUNC: the file is used as it stands; O_APPEND keeps what a
        # shell redirection of stdout has written already
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as stream:
            yield stream
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


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
    block ends without an exception; otherwise (an error, Ctrl-C) it is discarded and the
    previous version of *path*, if any, is left untouched. A device, a FIFO or a link to
    a descriptor (``/dev/stdout``) is written into directly instead.

    :raises OutputError: the folder is not writable or the disk is full.
    """
    if _direct(path):
        with _write_into(path, encoding, newline) as stream:
            yield stream
        return
    if path.is_symlink():  # replace the file the link points to, keep the link
        path = Path(os.path.realpath(path))
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

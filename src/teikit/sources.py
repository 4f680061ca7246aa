"""Turn command-line paths (files, folders, glob patterns) into the list of XML files to read,
and read them: only regular files, never through a symbolic link that leaves the folder the
user named, never a file larger than the limit (see docs/security.md, "Files teikit reads").
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import functools
import glob
import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import DocumentLoadError, FileRefusedError

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "MAX_FILE_SIZE_ENV",
    "ReadPolicy",
    "RefusedPath",
    "expand_paths",
    "parse_size",
    "read_policy",
    "read_regular_file",
    "set_read_policy",
]

_GLOB_CHARS = frozenset("*?[")
#: The largest file teikit reads unless told otherwise (``--max-file-size``,
#: ``TEIKIT_MAX_FILE_SIZE``): libxml2 needs several times a file's size in memory.
DEFAULT_MAX_FILE_SIZE: Final = 512 << 20
MAX_FILE_SIZE_ENV: Final = "TEIKIT_MAX_FILE_SIZE"
#: Folders of the system whose files are not documents, whatever a link says.
_SYSTEM_FOLDERS: Final = ("/proc", "/sys", "/dev")


@dataclass(frozen=True, slots=True)
class ReadPolicy:
    """How input files are read: whether symbolic links may leave the folder the user named,
    and the largest file read (bytes)."""

    follow_symlinks: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE


def parse_size(text: str) -> int:
    """Return the number of bytes *text* names: a number with an optional K, M, G (x 1024).

    >>> parse_size("512M"), parse_size("1024"), parse_size("2 GiB")
    (536870912, 1024, 2147483648)
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:([kmgt])(?:i?b)?|b)?\s*", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"not a size: {text!r} (write e.g. 512M, 2G or a number of bytes)")
    power = "kmgt".index(match.group(2).lower()) + 1 if match.group(2) else 0
    return int(match.group(1)) << (10 * power)


def _default_policy() -> ReadPolicy:
    """Return the default policy, with the environment's size limit.

    :raises ValueError: ``TEIKIT_MAX_FILE_SIZE`` is not a size.
    """
    configured = os.environ.get(MAX_FILE_SIZE_ENV)
    if configured:
        try:
            return ReadPolicy(max_file_size=parse_size(configured))
        except ValueError as exc:
            raise ValueError(f"{MAX_FILE_SIZE_ENV}: {exc}") from None
    return ReadPolicy()


_POLICY: list[ReadPolicy] = []  # the policy set, if one was (--follow-symlinks, ...)


def read_policy() -> ReadPolicy:
    """Return the policy in force: the one set last, else the default (and the environment)."""
    return _POLICY[-1] if _POLICY else _default_policy()


def set_read_policy(policy: ReadPolicy | None) -> None:
    """Set the policy every later read follows (``None``: back to the default)."""
    _POLICY[:] = [] if policy is None else [policy]


if sys.platform == "win32":  # pragma: no cover
    from pathlib import WindowsPath as _ConcretePath
else:
    from pathlib import PosixPath as _ConcretePath


class RefusedPath(_ConcretePath):
    """A path :func:`expand_paths` found but will not read; it carries the finding.

    Every reader (:func:`read_regular_file`) raises that finding instead of opening it,
    so that each command reports it where it reports a file it could not read.
    """

    diagnostic: Diagnostic

    def __reduce__(self) -> tuple[Any, ...]:  # keep the finding across processes (--jobs)
        return (_refused, (str(self), self.diagnostic))


def _refused(path: str, diagnostic: Diagnostic) -> RefusedPath:
    refused = RefusedPath(path)
    refused.diagnostic = diagnostic
    return refused


def _refuse(path: str, code: str, message: str) -> RefusedPath:
    return _refused(path, Diagnostic(Severity.ERROR, code, message, path))


@functools.lru_cache(maxsize=1)
def _system_devices() -> frozenset[int]:
    """Return the devices of the file systems mounted on /proc, /sys and /dev."""
    devices = set()
    for top in _SYSTEM_FOLDERS:
        with contextlib.suppress(OSError):
            devices.add(os.stat(top).st_dev)
    return frozenset(devices)


def _is_system(real: str) -> bool:
    return any(real == top or real.startswith(top + os.sep) for top in _SYSTEM_FOLDERS)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _check_link(path: str, root: str | None, policy: ReadPolicy) -> RefusedPath | None:
    """Return the refusal of the symbolic link *path*, or ``None`` when it may be read.

    *root* is the folder the user named (``None``: the user named the link itself).
    """
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _refuse(path, "io.symlink-loop", "symbolic link loop: the link never ends")
        if exc.errno == errno.ENOENT:
            target = os.readlink(path)
            return _refuse(
                path, "io.dangling-symlink", f"symbolic link to {target!r}, which does not exist"
            )
        return None  # read_regular_file reports it
    real = os.path.realpath(path)
    if _is_system(real):
        return _refuse(
            path,
            "io.symlink-refused",
            f"symbolic link to the system file {real}: teikit never reads /proc, /sys or /dev",
        )
    if root is not None and not policy.follow_symlinks and not _inside(real, root):
        return _refuse(
            path,
            "io.symlink-refused",
            "symbolic link to a file outside the folder named on the command line "
            "(not read; --follow-symlinks allows it)",
        )
    return None


@functools.lru_cache(maxsize=64)
def _pattern(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    """Return one regular expression for *globs* (None for no glob), as fnmatch reads them."""
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(os.path.normcase(g)) for g in globs))


def _matches(name: str, path: str, patterns: tuple[str, ...]) -> bool:
    pattern = _pattern(patterns)
    if pattern is None:
        return False
    match = pattern.match
    return bool(match(os.path.normcase(name)) or match(os.path.normcase(path)))


def _walk(
    folder: str, include: tuple[str, ...], exclude: tuple[str, ...], policy: ReadPolicy
) -> list[Path]:
    """Return the files below *folder* that match *include* and no *exclude*, sorted.

    os.scandir knows from the directory entry what is a file: Path.rglob and is_file()
    cost a system call per file (a tenth of a second on a corpus of a thousand letters,
    in every run). Sorted as paths are (component by component). Linked folders are not
    entered (no loops); what cannot be read (a folder, a link that leads nowhere or out
    of *folder*, a FIFO or device named like a document) is returned as a
    :class:`RefusedPath`, never skipped in silence.
    """
    root = os.path.realpath(folder)
    found: list[str] = []
    refused: dict[str, RefusedPath] = {}
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            refused[current] = _refuse(
                current, "io.unreadable-folder", f"cannot read folder: {exc.strerror or exc}"
            )
            found.append(current)
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):  # no loops through linked folders
                pending.append(entry.path)
            elif _matches(entry.name, entry.path, include) and not _matches(
                entry.name, entry.path, exclude
            ):
                if entry.is_symlink():
                    refusal = _check_link(entry.path, root, policy)
                    if refusal is not None:
                        refused[entry.path] = refusal
                found.append(entry.path)
    found.sort(key=lambda path: path.split(os.sep))
    return [refused.get(path) or Path(path) for path in found]


def expand_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    include: Iterable[str] = ("*.xml",),
    exclude: Iterable[str] = (),
    policy: ReadPolicy | None = None,
) -> list[Path]:
    """Return the XML files named by *paths*: files as given, folders searched recursively
    for files matching *include* and no *exclude* glob (sorted), glob patterns (``**``
    included) expanded and sorted.

    A file named twice is kept once, at its first place. *include* and *exclude* match a
    file's name or its path, and apply inside folders only (as in ``teikit validate``).
    What is found but must not be read (see :func:`_walk`) is a :class:`RefusedPath`;
    a symbolic link found by a pattern may not leave the pattern's fixed leading folder.

    :raises DocumentLoadError: a path does not exist, or a pattern or folder matches no file.

    >>> expand_paths([])
    []
    """
    include, exclude = tuple(include), tuple(exclude)
    policy = policy or read_policy()
    found: dict[Path, None] = {}
    for raw in paths:
        text = os.fspath(raw)
        path = Path(text)
        if path.is_dir():
            matches = _walk(text, include, exclude, policy)
            if not matches:
                wanted = " or ".join(include)
                skipped = " not excluded" if exclude else ""
                raise DocumentLoadError(f"{text}: folder holds no {wanted} file{skipped}")
        elif os.path.lexists(text):
            link = _check_link(text, None, policy) if path.is_symlink() else None
            matches = [link or path]
        elif _GLOB_CHARS & set(text):
            matches = _globbed(text, policy)
            if not matches:
                raise DocumentLoadError(f"{text}: pattern matches no file")
        else:
            raise DocumentLoadError(f"{text}: no such file or directory")
        for match in matches:
            found.setdefault(match, None)
    return list(found)


def _globbed(pattern: str, policy: ReadPolicy) -> list[Path]:
    """Return what *pattern* matches, sorted: folders left out, links checked against the
    pattern's fixed leading folder."""
    fixed = pattern[: min(pattern.index(c) for c in _GLOB_CHARS if c in pattern)]
    root = os.path.realpath(os.path.dirname(fixed) or os.curdir)
    matches: list[Path] = []
    for name in sorted(glob.glob(pattern, recursive=True)):
        if os.path.islink(name):
            matches.append(_check_link(name, root, policy) or Path(name))
        elif os.path.isdir(name):  # a folder named like a document: said, not searched
            matches.append(_refuse(name, "io.not-a-regular-file", "a folder, not a file: not read"))
        else:
            matches.append(Path(name))
    return matches


def _refusal(path: str, code: str, message: str) -> FileRefusedError:
    return FileRefusedError(Diagnostic(Severity.ERROR, code, message, path))


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: str | os.PathLike[str], policy: ReadPolicy | None = None) -> bytes:
    """Return the bytes of the regular file at *path*, checked before it is opened.

    A FIFO, device, socket or folder is never opened, nor a file in ``/proc``, ``/sys`` or
    ``/dev``, nor one larger than the policy's limit; the file is opened without blocking
    and checked again once open (it may have been replaced in between).

    :raises FileRefusedError: the file is not read; its diagnostic says why (``io.*``).
    :raises DocumentLoadError: the file does not exist.
    """
    if isinstance(path, RefusedPath):
        raise FileRefusedError(path.diagnostic)
    policy = policy or read_policy()
    name = os.fspath(path)
    try:
        before = os.lstat(name)
        link = stat.S_ISLNK(before.st_mode)
        if link:
            before = os.stat(name)
    except FileNotFoundError:
        refusal = _check_link(name, None, policy) if os.path.islink(name) else None
        if refusal is not None:  # only the link's target is missing
            raise FileRefusedError(refusal.diagnostic) from None
        raise DocumentLoadError(f"{name}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refusal(
                name, "io.symlink-loop", "symbolic link loop: the link never ends"
            ) from None
        raise _refusal(name, "io.unreadable", f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(before.st_mode):
        raise _refusal(
            name, "io.not-a-regular-file", f"{_kind(before.st_mode)}, not a file: not read"
        )
    # by its file system, whatever the route (a linked folder, /proc/self/cwd, another mount)
    if before.st_dev in _system_devices() or link and _is_system(os.path.realpath(name)):
        raise _refusal(
            name, "io.not-a-regular-file", "a system file (/proc, /sys, /dev), not a document"
        )
    _check_size(name, before.st_size, policy)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not link:
        flags |= getattr(os, "O_NOFOLLOW", 0)  # replaced by a link since lstat: refused
    try:
        descriptor = os.open(name, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refusal(name, "io.not-a-regular-file", "replaced while read: not read") from None
        raise _refusal(name, "io.unreadable", f"cannot read: {exc.strerror or exc}") from None
    try:
        after = os.fstat(descriptor)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            raise _refusal(name, "io.not-a-regular-file", "replaced while read: not read")
        _check_size(name, after.st_size, policy)
        limit = policy.max_file_size
        parts = [_read(descriptor, name, min(after.st_size, limit) + 1)]  # +1 proves the end
        total = len(parts[0])
        while parts[-1] and (len(parts) > 1 or total != after.st_size):
            parts.append(_read(descriptor, name, 1 << 20))
            total += len(parts[-1])
            _check_size(name, total, policy)  # a file that grows while it is read
        return b"".join(parts)
    finally:
        os.close(descriptor)


def _read(descriptor: int, name: str, size: int) -> bytes:
    try:
        return os.read(descriptor, size)
    except OSError as exc:
        raise _refusal(name, "io.unreadable", f"cannot read: {exc.strerror or exc}") from None


def _check_size(name: str, size: int, policy: ReadPolicy) -> None:
    if size > policy.max_file_size:
        raise _refusal(
            name,
            "io.too-large",
            f"file of {size:,} bytes is larger than the limit of {policy.max_file_size:,} "
            f"bytes: not read (--max-file-size or {MAX_FILE_SIZE_ENV} raise it)",
        )

"""Locate the files teikit ships (the project schema, the reference telegram) and its caches.

Cache files are sealed with a keyed hash (HMAC-SHA256) under a per-user secret kept outside
the cache folder, and a cache folder that another user could write to is not used at all:
see "Caches" in docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import warnings
from pathlib import Path
from typing import Any, Final

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
# In a wheel the folders are copied into the package (see pyproject's force-include);
# in a source checkout or an editable install they sit at the repository root.
_CHECKOUT_DIR: Final = _PACKAGE_DIR.parent.parent
_KEY_BYTES: Final = 32
_SEAL_MARK: Final = b"teikit-cache-hmac-sha256 "


def _data_dir(name: str) -> Path:
    for base in (_PACKAGE_DIR, _CHECKOUT_DIR):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"teikit's {name}/ folder is missing from this installation")


def schemas_dir() -> Path:
    """Return the folder holding the project schema (RELAX NG, XSD, Schematron)."""
    return _data_dir("schemas")


def telegram_path() -> Path:
    """Return the path of the bundled reference document, the 1951 telegram."""
    return _data_dir("tei") / "telegram-1951-07-03.xml"


def cache_dir() -> Path:
    """Return the folder of teikit's caches: ``$TEIKIT_CACHE_DIR`` or ``~/.cache/teikit``."""
    configured = os.environ.get("TEIKIT_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "teikit"


def cache_key_path() -> Path:
    """Return the file of the secret that seals cache entries (outside the cache folder).

    ``$XDG_STATE_HOME/teikit/cache-key`` (default ``~/.local/state/teikit/cache-key``).
    """
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "teikit" / "cache-key"


class CacheWarning(UserWarning):
    """The cache folder is not private to the user: teikit runs without a cache.

    Python shows a warning once per text; the command line prints it as
    ``teikit: warning: ...`` once per run.
    """


def _problem(folder: Path, *, strict: bool) -> str | None:
    """Return why the existing *folder* is unsafe for the current user, or ``None``.

    *strict*: the folder must belong to the user and be writable by nobody else; otherwise
    (a folder above) it must belong to the user or root and be writable by nobody else
    unless its sticky bit is set (like /tmp: others cannot rename what is not theirs).
    """
    uid = os.geteuid()
    info = os.stat(folder)
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISDIR(info.st_mode):
        return f"{folder} is not a folder"
    if strict and info.st_uid != uid or info.st_uid not in (uid, 0):
        return f"{folder} belongs to another user (uid {info.st_uid})"
    if mode & 0o022 and (strict or not mode & stat.S_ISVTX):
        others = "others" if mode & 0o002 else "its group"
        return f"{folder} can be written by {others} (mode {mode:04o})"
    return None


def private_folder(folder: Path, what: str = "cache folder") -> bool:
    """Return whether *folder* can hold cache data safely, creating it (mode 0700) if needed.

    Safe means: it and every folder between it and the cache folder belong to the user and
    nobody else can write to them, and no folder above lets another user rename them. An
    unsafe folder gives a :class:`CacheWarning` (shown once per run) and ``False``; a folder
    that cannot be created gives ``False`` silently (a cache only saves time).
    """
    if not hasattr(os, "geteuid"):  # pragma: no cover - not POSIX: no owners to check
        return True
    root, target = Path(os.path.abspath(cache_dir())), Path(os.path.abspath(folder))
    # The folders that must be the user's own, outermost first: each is checked before
    # anything is made inside it.
    own = [target]
    if root in target.parents:
        own = [*reversed([p for p in target.parents if p == root or root in p.parents]), target]
    try:
        problem = None
        for number, each in enumerate(own):
            each.mkdir(mode=0o700, parents=number == 0, exist_ok=True)
            real = Path(os.path.realpath(each))
            problem = _problem(real, strict=True)
            for above in real.parents if number == 0 else ():
                problem = problem or _problem(above, strict=False)
            if problem is not None:
                break
    except OSError:
        return False
    if problem is not None:
        warnings.warn(  # one location and text: shown once per run (see CacheWarning)
            f"running without a cache: {problem} (the {what} must be writable by you alone)",
            CacheWarning,
            stacklevel=1,
        )
        return False
    return True


def cache_key() -> bytes | None:
    """Return the user's secret for sealing cache entries, created on first use.

    The key is 32 random bytes in :func:`cache_key_path`, a file of mode 0600 in a private
    folder; ``None`` when it cannot be had safely (then nothing is cached). It is read
    again each time (a few system calls): a key found unsafe is replaced at once.
    """
    path = cache_key_path()
    if not private_folder(path.parent, "folder of the cache key"):
        return None
    return _read_key(path) or _new_key(path)


def _read_key(path: Path) -> bytes | None:
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != getattr(os, "geteuid", lambda: info.st_uid)()
            or info.st_mode & 0o077
            or info.st_size != _KEY_BYTES
        ):
            return None  # readable by others, or not ours: replaced by a new key
        data = stream.read(_KEY_BYTES + 1)
    return data if len(data) == _KEY_BYTES else None


def _new_key(path: Path) -> bytes | None:
    import secrets
    import tempfile

    key = secrets.token_bytes(_KEY_BYTES)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-key.")
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as stream:  # mkstemp makes it mode 0600
            stream.write(key)
        try:  # atomic create-if-absent: a key another process made first wins
            os.link(temporary, path)
        except FileExistsError:
            found = _read_key(path)
            if found is not None:
                return found
            os.replace(temporary, path)  # the existing key is unsafe: replace it
        except OSError:  # a file system without hard links
            os.replace(temporary, path)
    except OSError:
        return None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return key


def _seal(key: bytes, path: Path, body: bytes) -> bytes:
    """Return the keyed digest of *body* stored as cache file *path* (its name is sealed too)."""
    try:
        name = path.relative_to(cache_dir()).as_posix()
    except ValueError:
        name = path.name
    message = b"teikit-cache\0" + name.encode("utf-8", "surrogateescape") + b"\0" + body
    return hmac.new(key, message, hashlib.sha256).hexdigest().encode()


def read_cache_file(path: Path) -> bytes | None:
    """Return the body of cache file *path* if its seal proves this user wrote it, else ``None``.

    ``None`` also when the file is missing, unreadable or in an unsafe folder.
    """
    if not private_folder(path.parent):
        return None
    key = cache_key()
    if key is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, newline, body = data.partition(b"\n")
    if not newline or not head.startswith(_SEAL_MARK):
        return None
    if not hmac.compare_digest(head[len(_SEAL_MARK) :], _seal(key, path, body)):
        return None
    return body


def read_cache_json(path: Path) -> Any:
    """Return the JSON data of cache file *path*, or ``None`` if it is missing, unreadable,
    unsealed or not JSON (see :func:`read_cache_file`)."""
    data = read_cache_file(path)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def write_cache_file(target: Path, data: bytes, *, sealed: bool = True) -> bool:
    """Write cache file *target* atomically, sealed; return ``False`` (nothing written) on failure.

    A cache that cannot be written only costs time, so failures are not errors. Readers
    running at the same time see the old file or the new one, never half of one. An entry
    that another program must read as it is (a grammar for the RELAX NG loader) is written
    with *sealed* false: its digest must then be kept in a sealed entry and checked.
    """
    import tempfile

    if not private_folder(target.parent):
        return False
    key = cache_key()
    if key is None:
        return False
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem[:16]}.", suffix=".tmp"
        )
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            if sealed:
                stream.write(_SEAL_MARK + _seal(key, target, data) + b"\n")
            stream.write(data)
        os.replace(temporary, target)
    except BaseException as exc:  # Ctrl-C included: no hidden temporary file is left behind
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            return False
        raise
    return True

"""Where teikit's settings come from: one ``teikit.toml`` or ``pyproject.toml`` per input file.

Every command finds its configuration the same way (issue 12, item 6; issue 17, item 7):

1. ``--config FILE`` names the file; nothing is searched for;
2. otherwise the search starts in the folder of each input file and goes up, folder by
   folder: in each, ``teikit.toml`` (all of it is teikit's), else a ``pyproject.toml``
   holding a ``[tool.teikit]`` table;
3. the search stops at the project root, the first folder that holds ``.git`` or a
   ``pyproject.toml`` (that folder is still searched), so a file above a project never
   changes what happens inside it;
4. a file that someone else could have put there is skipped (and said so): one owned by
   another user than the one running teikit or root, one writable by others, or one in a
   folder that others (or a group other than the user's own) may write to without the
   sticky bit.

Findings from the run report which file was used (:attr:`teikit.diagnostics.Report.configuration`).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from teikit.errors import ConfigError, FileRefusedError, TeikitError
from teikit.sources import ReadPolicy, read_regular_file

__all__ = [
    "ConfigError",
    "ConfigFile",
    "Discovery",
    "discover",
    "find_config",
    "load_config",
    "configs_for",
]

STANDALONE: Final = "teikit.toml"
PYPROJECT: Final = "pyproject.toml"
_ROOT_MARKERS: Final = (".git", PYPROJECT)
#: The largest configuration file read (bytes).
MAX_SIZE: Final = 16 << 20


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A configuration file and teikit's settings in it (a pyproject's ``[tool.teikit]``)."""

    path: Path
    settings: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def section(self, name: str) -> Any:
        """Return the table or value *name* of the settings (``None`` when absent)."""
        return self.settings.get(name)


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the search for one folder found: the file used and the files it skipped, with why."""

    path: Path | None
    skipped: tuple[tuple[Path, str], ...] = ()


def _untrusted(candidate: Path, folder_mode: os.stat_result) -> str | None:
    """Return why *candidate* (an existing file) must not be used, or ``None`` if it may."""
    try:
        info = candidate.stat()
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    user = os.geteuid() if hasattr(os, "geteuid") else None
    if user is None:  # pragma: no cover - Windows has no owners to compare
        return None
    if info.st_uid not in (user, 0):
        return "owned by another user"
    if info.st_mode & stat.S_IWOTH:
        return "writable by other users"
    sticky = folder_mode.st_mode & stat.S_ISVTX
    if not sticky and folder_mode.st_mode & stat.S_IWOTH:
        return "its folder is writable by other users"
    if not sticky and folder_mode.st_mode & stat.S_IWGRP and folder_mode.st_gid != os.getegid():
        return "its folder is writable by a group"
    return None


def _read_bytes(path: Path) -> bytes:
    """Return the bytes of configuration file *path*: a regular file, never a FIFO or a
    device (``--config /dev/zero`` must not fill the memory), at most 16 MiB.

    :raises OSError: the file is missing or cannot be read.
    :raises FileRefusedError: it is not a regular file, or too large.
    """
    return read_regular_file(path, ReadPolicy(follow_symlinks=True, max_file_size=MAX_SIZE))


def _declares_teikit(pyproject: Path) -> bool:
    try:
        text = _read_bytes(pyproject).decode("utf-8", errors="replace")
    except (OSError, TeikitError):
        return False
    return "[tool.teikit" in text


def _is(path: Path, kind: Callable[[int], bool] | None = None) -> bool:
    """Return whether *path* exists (and is of *kind*); a folder the user may not read
    holds nothing for them (``Path.is_file`` raises PermissionError there)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return kind is None or kind(mode)


def discover(start: Path) -> Discovery:
    """Return the configuration file that applies in folder *start*, searching upward."""
    folder = Path(os.path.abspath(start))
    skipped: list[tuple[Path, str]] = []
    for current in (folder, *folder.parents):
        try:
            folder_mode = current.stat()
        except OSError:
            continue
        for name in (STANDALONE, PYPROJECT):
            candidate = current / name
            if not _is(candidate, stat.S_ISREG):
                continue
            if name == PYPROJECT and not _declares_teikit(candidate):
                continue
            reason = _untrusted(candidate, folder_mode)
            if reason is not None:
                skipped.append((candidate, reason))
                continue
            return Discovery(candidate, tuple(skipped))
        if any(_is(current / marker) for marker in _ROOT_MARKERS):
            break  # the project root: nothing above it applies
    return Discovery(None, tuple(skipped))


def find_config(start: Path | None = None) -> Path | None:
    """Return the configuration file that applies in folder *start* (default: the current one)."""
    return discover(start if start is not None else Path.cwd()).path


_LOADED: dict[tuple[str, bytes], dict[str, Any]] = {}


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        raw = _read_bytes(path)
    except FileRefusedError as exc:
        reason = exc.diagnostic.message
        if exc.diagnostic.code == "io.too-large":
            reason = f"larger than {MAX_SIZE:,} bytes, the limit for a configuration file"
        raise ConfigError(f"{path}: cannot read configuration: {reason}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    except TeikitError as exc:  # missing: "no such file"
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    key = (os.path.abspath(path), raw)
    if key in _LOADED:
        return _LOADED[key]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read configuration: not UTF-8 (byte {exc.start}); TOML files are UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot read configuration: not valid TOML: {exc}") from None
    _LOADED[key] = data
    return data


def load_config(path: Path) -> ConfigFile:
    """Read *path*: all of a ``teikit.toml``, or the ``[tool.teikit]`` table of another file.

    :raises ConfigError: the file cannot be read or is not valid TOML.
    """
    data = _read_toml(path)
    if path.name != STANDALONE and path.suffix == ".toml" and "tool" in data:
        data = data.get("tool", {}).get("teikit", {})
    return ConfigFile(path, data if isinstance(data, dict) else {})


def configs_for(
    paths: Iterable[str | Path], explicit: Path | None = None
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Return the configuration files that apply to *paths* (files or folders), and those skipped.

    With *explicit* (``--config``), that file alone applies. Each file is listed once, in
    the order of the first path it applies to.
    """
    if explicit is not None:
        return [explicit], []
    found: dict[Path, None] = {}
    skipped: dict[tuple[Path, str], None] = {}
    seen: set[str] = set()
    for raw in paths:
        if str(raw) == "-":
            folder = Path.cwd()
        else:
            path = Path(raw)
            folder = path if _is(path, stat.S_ISDIR) else path.parent
        key = os.path.abspath(folder)
        if key in seen:
            continue
        seen.add(key)
        discovery = discover(folder)
        skipped.update(dict.fromkeys(discovery.skipped))
        if discovery.path is not None:
            found[discovery.path] = None
    return list(found), list(skipped)


def config_for(start: Path, explicit: Path | None = None) -> ConfigFile | None:
    """Return the configuration that applies in folder *start* (or *explicit*), read."""
    path = explicit if explicit is not None else discover(start).path
    return None if path is None else load_config(path)

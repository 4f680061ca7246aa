"""Locate the files teikit ships: the project schema and the reference telegram."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

_PACKAGE_DIR: Final = Path(__file__).resolve().parent
# In a wheel the folders are copied into the package (see pyproject's force-include);
# in a source checkout or an editable install they sit at the repository root.
_CHECKOUT_DIR: Final = _PACKAGE_DIR.parent.parent


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


def read_cache_json(path: Path) -> Any:
    """Return the JSON data of cache file *path*, or ``None`` if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_cache_file(target: Path, data: bytes) -> bool:
    """Write cache file *target* atomically; return ``False`` (nothing written) on failure.

    A cache that cannot be written only costs time, so failures are not errors. Readers
    running at the same time see the old file or the new one, never half of one.
    """
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem[:16]}.", suffix=".tmp"
        )
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException as exc:  # Ctrl-C included: no hidden temporary file is left behind
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            return False
        raise
    return True

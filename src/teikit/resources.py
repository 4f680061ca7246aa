"""Locate the files teikit ships: the project schema and the reference telegram."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

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

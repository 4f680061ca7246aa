"""What flattening, sizing and specialising share: RELAX NG constants, limits and helpers."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from lxml import etree

from teikit.errors import SchemaLoadError
from teikit.namespaces import RNG_NS

_R: Final = f"{{{RNG_NS}}}"
_NSMAP: Final[dict[Any, str]] = {None: RNG_NS}  # lxml-stubs do not allow the None key
# Elements whose text is data: whitespace in them is significant (4.2 strips only names).
_TEXT_ELEMENTS: Final = frozenset({"value", "param", "name"})
#: Patterns (elements) a schema may expand to through include and externalRef: four times
#: the largest schema of the TEI sources (24,000; TEI All has 16,000 in one file). Jing takes
#: some 15 s for a diamond of includes this large.
MAX_PATTERNS: Final = 100_000
#: Files that may include one another in a chain (include or externalRef).
MAX_INCLUDE_DEPTH: Final = 50
#: Times included files may be read in all (a file included from two places counts twice).
MAX_READS: Final = 2_000
#: Patterns libxml2 may build for the content of one element (or ``start``), refs to defines
#: that are not element patterns expanded; and for the whole grammar (TEI All: 900, 201,000).
MAX_CONTENT_PATTERNS: Final = 25_000
MAX_EXPANDED_PATTERNS: Final = 1_000_000


class _Kind(enum.Enum):
    """The two patterns that simplification removes from their parents."""

    NOT_ALLOWED = "notAllowed"
    EMPTY = "empty"


_Result = etree._Element | _Kind


def _local(element: etree._Element) -> str:
    """Return the local name of an RNG element, or "" for anything else."""
    tag = element.tag
    if isinstance(tag, str) and tag.startswith(_R):
        return tag[len(_R) :]
    return ""


def _url_to_path(url: str) -> Path:
    """Return the local path of a file URL or plain path."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file") and not parts.netloc:
        return Path(unquote(parts.path)).resolve()
    if len(parts.scheme) == 1:  # a Windows drive letter, not a scheme
        return Path(url).resolve()
    raise SchemaLoadError(f"{url}: only local files are read (no network access)")


def _where(element: etree._Element) -> str:
    """Return ``FILE:LINE`` for an element of a schema, for error messages."""
    base = element.getroottree().docinfo.URL or "<schema>"
    return f"{base}:{element.sourceline}" if element.sourceline else base

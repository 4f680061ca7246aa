"""teikit: validate, extract entities from and export TEI P5 XML documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.errors import (
    DocumentLoadError,
    InputError,
    NotTeiError,
    NotWellFormedError,
    OutputError,
    RefusedInputError,
    SchemaLoadError,
    TeikitError,
    UnknownFormatError,
)

if TYPE_CHECKING:
    from teikit.document import TeiDocument, load

__all__ = [
    "Diagnostic",
    "annotate",
    "build_register",
    "export_documents",
    "extract_entities",
    "is_valid",
    "iter_diagnostics",
    "propose_register",
    "iter_lint_diagnostics",
    "lint",
    "validate",
    "DocumentLoadError",
    "InputError",
    "NotTeiError",
    "NotWellFormedError",
    "OutputError",
    "RefusedInputError",
    "Report",
    "SchemaLoadError",
    "Severity",
    "TeiDocument",
    "TeikitError",
    "UnknownFormatError",
    "__version__",
    "load",
]

# The heavier parts of the API are imported on first use, so that `import teikit` (and the
# CLI's start-up) stays cheap.
_LAZY = {
    "TeiDocument": "teikit.document",  # lxml is imported on first use of either
    "load": "teikit.document",
    "validate": "teikit.validation",
    "iter_diagnostics": "teikit.validation",
    "is_valid": "teikit.validation",
    "extract_entities": "teikit.entities",
    "build_register": "teikit.entities",
    "propose_register": "teikit.entities",
    "export_documents": "teikit.exporters.model",
    "lint": "teikit.linting",
    "iter_lint_diagnostics": "teikit.linting",
    "annotate": "teikit.linting",
}


def __getattr__(name: str) -> Any:
    """Import ``validate``, ``extract_entities`` and friends lazily."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'teikit' has no attribute {name!r}")

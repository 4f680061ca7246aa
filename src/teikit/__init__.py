"""teikit: validate, extract entities from and export TEI P5 XML documents.

Every name below is the same object on every access, in any order of use: the heavier
parts are imported on first use (:func:`__getattr__`), and the type checker sees each of
them with its real signature (the ``TYPE_CHECKING`` imports; ``py.typed`` is shipped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.errors import (
    AnnotateError,
    ConfigError,
    DocumentLoadError,
    ExportError,
    FileRefusedError,
    InputError,
    MentionRuleError,
    NotTeiError,
    NotWellFormedError,
    OddError,
    OutputError,
    RefusedInputError,
    RenderError,
    SchemaLoadError,
    StylesheetError,
    TeikitError,
    UnknownFormatError,
    UnknownTypeError,
)
from teikit.progress import ProgressCallback

if TYPE_CHECKING:
    from teikit.document import TeiDocument, load
    from teikit.entities import build_register, extract_entities, propose_register
    from teikit.exporters import ExportOptions, export
    from teikit.exporters.model import export_documents
    from teikit.linting import LintOptions, annotate, iter_lint_diagnostics, lint
    from teikit.validation import ValidationOptions, is_valid, iter_diagnostics, validate

__all__ = [
    "Diagnostic",
    "ExportOptions",
    "LintOptions",
    "ProgressCallback",
    "ValidationOptions",
    "annotate",
    "build_register",
    "export",
    "export_documents",
    "extract_entities",
    "is_valid",
    "iter_diagnostics",
    "propose_register",
    "iter_lint_diagnostics",
    "lint",
    "validate",
    "AnnotateError",
    "ConfigError",
    "DocumentLoadError",
    "ExportError",
    "FileRefusedError",
    "InputError",
    "MentionRuleError",
    "NotTeiError",
    "NotWellFormedError",
    "OddError",
    "OutputError",
    "RefusedInputError",
    "RenderError",
    "Report",
    "SchemaLoadError",
    "StylesheetError",
    "Severity",
    "TeiDocument",
    "TeikitError",
    "UnknownFormatError",
    "UnknownTypeError",
    "__version__",
    "load",
]

# The heavier parts of the API are imported on first use, so that `import teikit` (and the
# CLI's start-up) stays cheap. Each name must also be imported under TYPE_CHECKING above.
_LAZY = {
    "TeiDocument": "teikit.document",  # lxml is imported on first use of either
    "load": "teikit.document",
    "ValidationOptions": "teikit.validation",
    "validate": "teikit.validation",
    "iter_diagnostics": "teikit.validation",
    "is_valid": "teikit.validation",
    "extract_entities": "teikit.entities",
    "build_register": "teikit.entities",
    "propose_register": "teikit.entities",
    "ExportOptions": "teikit.exporters",
    "export": "teikit.exporters",
    "export_documents": "teikit.exporters.model",
    "LintOptions": "teikit.linting",
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

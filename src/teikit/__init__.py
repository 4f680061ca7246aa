"""teikit: validate, extract entities from and export TEI P5 XML documents."""

from __future__ import annotations

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument, load
from teikit.errors import (
    DocumentLoadError,
    InputError,
    NotWellFormedError,
    OutputError,
    RefusedInputError,
    SchemaLoadError,
    TeikitError,
    UnknownFormatError,
)

__all__ = [
    "Diagnostic",
    "DocumentLoadError",
    "InputError",
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

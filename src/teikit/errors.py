"""The exception tree: everything teikit raises derives from :class:`TeikitError`.

Exceptions mean teikit could not do the job; what it *found* is reported as
:class:`~teikit.diagnostics.Diagnostic` records instead. Every public exception class is
defined here and exported from :mod:`teikit` (the modules that raise them re-export them
under their old names); only private control-flow exceptions (``_Name``) live elsewhere.
"""

from __future__ import annotations

from teikit.diagnostics import Diagnostic


class TeikitError(Exception):
    """Root of every exception teikit raises on purpose."""


class DocumentLoadError(TeikitError, OSError):
    """A document could not be read (missing, a directory, unreadable)."""


class InputError(TeikitError, ValueError):
    """A document was read but could not be accepted; carries a :class:`Diagnostic`."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.location()}: {diagnostic.message}")
        self.diagnostic = diagnostic

    def __reduce__(self) -> tuple[type[InputError], tuple[Diagnostic]]:
        # keep the diagnostic when the error crosses a process boundary (--jobs)
        return (type(self), (self.diagnostic,))


class NotWellFormedError(InputError):
    """The input is not well-formed XML (or not decodable in its declared encoding)."""


class NotTeiError(InputError):
    """The input is well-formed XML but its root is not TEI P5 (see :mod:`teikit.roots`)."""


class RefusedInputError(InputError):
    """The input needs something teikit refuses to do (external entities, gzip, ...)."""


class FileRefusedError(RefusedInputError, DocumentLoadError):
    """A file was not read: not a regular file, a link out of the corpus, too large, ...

    Its diagnostic's ``io.*`` code says why; it is also a :class:`DocumentLoadError`, as a
    file that could not be read always was.
    """


class SchemaLoadError(TeikitError, ValueError):
    """A schema could not be found, read or compiled."""

    #: The line of the ``<?xml-model?>`` that named the schema, when a document did.
    line: int | None = None


class UnknownFormatError(TeikitError, LookupError):
    """No exporter, report format or register format has the requested name or suffix."""


class OutputError(TeikitError, OSError):
    """An output file could not be written."""


class OddError(TeikitError, ValueError):
    """An ODD customisation could not be compiled (unsupported construct, bad reference)."""


class ConfigError(TeikitError, ValueError):
    """The teikit configuration (``teikit.toml`` or ``[tool.teikit]``) is invalid."""


class MentionRuleError(TeikitError, ValueError):
    """A mention rule's XPath is not valid XPath 1.0."""


class UnknownTypeError(TeikitError, ValueError):
    """A requested type is none of the kinds, configured types or types in the documents."""


class AnnotateError(TeikitError, ValueError):
    """The document cannot be annotated (its source could not be matched with its tree)."""


class ExportError(TeikitError, ValueError):
    """An export cannot run as asked (several documents to one file, no output to write to)."""


class RenderError(TeikitError, ValueError):
    """One document could not be rendered (an ``--xslt`` stylesheet failed on it)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.location()}: {diagnostic.message}")
        self.diagnostic = diagnostic


class StylesheetError(TeikitError, ValueError):
    """An XSLT stylesheet given with ``--xslt`` could not be read or compiled."""

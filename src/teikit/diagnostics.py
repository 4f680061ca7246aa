"""Findings as data: :class:`Severity`, :class:`Diagnostic` and :class:`Report`."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

# What must never reach a report as it is: C0 and C1 controls (newlines, ESC), DEL, the
# surrogates that stand for undecodable bytes of a file name (os.fsdecode), line and
# paragraph separators and the bidirectional overrides ("Trojan source").
_OTHERS: Final = (
    "\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff\\ufffe\\uffff"
)
_UNSAFE: Final = re.compile(f"[\\x00-\\x1f{_OTHERS}]")
_UNSAFE_INLINE: Final = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f{_OTHERS}]")  # \t \n \r kept


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str, *, newlines: bool = False) -> str:
    """Return *text* (a file name, a message) safe to show on one line of any report:
    control characters, undecodable bytes and layout overrides written as ``\\xNN``.

    Every report format uses it, so that no file name can forge a line of a report, end
    a JSON string or an XML attribute, or move the terminal's cursor. With *newlines*,
    tabs and line ends are kept (for a message in a format that escapes them itself).

    >>> escape_text("a\\nb\\x1b[31m.xml"), escape_text("caf\\udce9.xml"), escape_text("é.xml")
    ('a\\\\x0ab\\\\x1b[31m.xml', 'caf\\\\xe9.xml', 'é.xml')
    """
    return (_UNSAFE_INLINE if newlines else _UNSAFE).sub(_escaped, text)


class Severity(enum.IntEnum):
    """How serious a finding is; ordered so that ``INFO < WARNING < ERROR``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Severity:
        """Return the severity called *name* (case-insensitive).

        >>> Severity.parse("Warning")
        <Severity.WARNING: 2>
        """
        try:
            return cls[name.upper()]
        except KeyError:
            choices = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {name!r} (choose from {choices})") from None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a document. Returned, never raised.

    ``line`` and ``column`` are 1-based; ``column`` is ``None`` when the source of the
    finding knows only the line (libxml2's RELAX NG messages, for instance). ``stages``
    names the validation stages that reported this same problem, when more than one did
    (``("integrity", "relaxng", "schematron")``): they are reported as one finding.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    xpath: str | None = None
    stages: tuple[str, ...] = ()

    def location(self) -> str:
        """Return ``FILE:LINE:COL``, ``FILE:LINE`` or ``FILE``, as much as is known.

        >>> Diagnostic(Severity.ERROR, "x", "m", "a.xml", 3, 7).location()
        'a.xml:3:7'
        """
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message} [{self.code}]"

    def escaped(self, *, newlines: bool = False) -> Diagnostic:
        """Return the diagnostic with its texts passed through :func:`escape_text`
        (*newlines*: kept in the message)."""
        return Diagnostic(
            self.severity,
            escape_text(self.code),
            escape_text(self.message, newlines=newlines),
            None if self.file is None else escape_text(self.file),
            self.line,
            self.column,
            None if self.xpath is None else escape_text(self.xpath),
            self.stages,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the diagnostic as a JSON-ready dictionary (``stages`` only when merged)."""
        data: dict[str, Any] = {
            "severity": str(self.severity),
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "xpath": self.xpath,
        }
        if self.stages:
            data["stages"] = list(self.stages)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], file: str | None = None) -> Diagnostic:
        """Return the diagnostic :meth:`as_dict` gave *data* for (*file* replaces its file).

        >>> d = Diagnostic(Severity.ERROR, "x", "m", "a.xml", 3, None, "/a", ("rng", "sch"))
        >>> Diagnostic.from_dict(d.as_dict()) == d
        True

        :raises KeyError, ValueError, TypeError: *data* is not such a dictionary.
        """
        return cls(
            Severity.parse(data["severity"]),
            data["code"],
            data["message"],
            data["file"] if file is None else file,
            data["line"],
            data["column"],
            data["xpath"],
            tuple(str(stage) for stage in data.get("stages", ())),
        )


@dataclass(slots=True)
class Report:
    """The diagnostics of one run over one or more files."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    #: The source lines the findings point at, ``(file, line) -> text``, where the producer
    #: had them at hand (a report shows them without reading the files again).
    sources: dict[tuple[str, int], str] = field(default_factory=dict)
    #: The configuration files the run used (``--config``, or found from each input's folder).
    configuration: list[str] = field(default_factory=list)
    #: Configuration files found but not trusted, ``"path (why)"`` (see :mod:`teikit.config`).
    skipped_configuration: list[str] = field(default_factory=list)
    #: The schema files the run validated against.
    schemas: list[str] = field(default_factory=list)
    #: What the run says once rather than for each file (``file`` is ``None``): the schema
    #: teikit chose for the files that declare none, for instance.
    notices: list[Diagnostic] = field(default_factory=list)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Add *diagnostics* to the report."""
        self.diagnostics.extend(diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)

    def count(self, severity: Severity) -> int:
        """Return how many diagnostics have exactly *severity*."""
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def at_least(self, severity: Severity) -> list[Diagnostic]:
        """Return the diagnostics at *severity* or above."""
        return [d for d in self.diagnostics if d.severity >= severity]

    def by_file(self) -> dict[str, list[Diagnostic]]:
        """Return the diagnostics grouped by file, in the order the files were checked."""
        grouped: dict[str, list[Diagnostic]] = {name: [] for name in self.files}
        for diagnostic in self.diagnostics:
            grouped.setdefault(diagnostic.file or "<input>", []).append(diagnostic)
        return grouped

    def is_clean(self, fail_on: Severity = Severity.ERROR) -> bool:
        """Return whether no diagnostic reaches *fail_on*."""
        return not self.at_least(fail_on)

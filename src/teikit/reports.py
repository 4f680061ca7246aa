"""Serialise a validation :class:`~teikit.diagnostics.Report` for machines: JSON, JUnit, GitHub.

The JSON layout is documented in ``docs/validate.md`` and versioned by ``format_version``.
Every text from outside (file names, messages) passes :func:`~teikit.diagnostics.escape_text`
in every format: no file name can forge a line or break the document.

The formats are in :data:`REPORTS`, a :class:`~teikit.registry.Registry`: the library writes
any of them by name (:func:`write_report`), and a program adds its own with
:func:`report_format`. (``human``, the coloured terminal report, is drawn by
:mod:`teikit.render`.) There is no entry-point group for them: ``teikit validate`` would
pay for reading every installed package's metadata at start-up.

>>> import io
>>> from teikit.diagnostics import Diagnostic
>>> report = Report(files=["a.xml"])
>>> report.extend([Diagnostic(Severity.ERROR, "xml.syntax", "bad", "a.xml", 3, 1)])
>>> stream = io.StringIO()
>>> write_report(report, "github", stream)
>>> stream.getvalue()
'::error file=a.xml,line=3,col=1,title=xml.syntax::bad\\n'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Final, TypeAlias

from teikit.__about__ import __version__
from teikit.diagnostics import Report, Severity, escape_text
from teikit.registry import Registry

__all__ = [
    "REPORTS",
    "REPORT_FORMATS",
    "ReportWriter",
    "Summary",
    "report_format",
    "report_formats",
    "summarise",
    "to_github",
    "to_json",
    "to_junit",
    "write_report",
]

JSON_FORMAT_VERSION: Final = 1
#: ``writer(report, fail_on) -> text``: a report format.
ReportWriter: TypeAlias = Callable[[Report, Severity], str]
#: The machine-readable report formats, by name.
REPORTS: Final = Registry[ReportWriter]("report format")
#: The formats of ``--format``, in the order ``--help`` shows them (plug-ins come after).
REPORT_FORMATS: Final = ("human", "json", "junit", "github")


def report_format(name: str) -> Callable[[ReportWriter], ReportWriter]:
    """Register the decorated ``writer(report, fail_on) -> str`` as the report format *name*.

    :raises ValueError: *name* is already registered.
    """

    def register(writer: ReportWriter) -> ReportWriter:
        return REPORTS.register(name, writer)

    return register


def report_formats() -> tuple[str, ...]:
    """Return every report format name: ``human``, the built-ins, then any registered later."""
    return (*REPORT_FORMATS, *(n for n in REPORTS.names() if n not in REPORT_FORMATS))


def write_report(
    report: Report, fmt: str, stream: IO[str], fail_on: Severity = Severity.ERROR
) -> None:
    """Write *report* to *stream* in the format called *fmt* (``json``, ``junit``, ``github``).

    A finding at or above *fail_on* makes its file invalid (``json``, ``junit``).

    :raises UnknownFormatError: no report format is called *fmt*; the message lists them.
    """
    stream.write(REPORTS.get(fmt)(report, fail_on))


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over a report: a file is valid when none of its findings reaches *fail_on*."""

    files: int
    valid: int
    invalid: int
    errors: int
    warnings: int
    infos: int
    seconds: float


def summarise(report: Report, fail_on: Severity = Severity.ERROR) -> Summary:
    """Return the counts shown in the summary table."""
    grouped = report.by_file()
    invalid = sum(1 for items in grouped.values() if any(d.severity >= fail_on for d in items))
    return Summary(
        files=len(grouped),
        valid=len(grouped) - invalid,
        invalid=invalid,
        errors=report.count(Severity.ERROR),
        warnings=report.count(Severity.WARNING),
        infos=report.count(Severity.INFO),
        seconds=round(report.elapsed, 3),
    )


def to_json(report: Report, fail_on: Severity = Severity.ERROR) -> str:
    """Return the report as a JSON document (one object per file, then a summary)."""
    summary = summarise(report, fail_on)
    files = [
        {
            "file": escape_text(name),
            "valid": not any(d.severity >= fail_on for d in items),
            "diagnostics": [d.escaped(newlines=True).as_dict() for d in items],
        }
        for name, items in report.by_file().items()
    ]
    document = {
        "format_version": JSON_FORMAT_VERSION,
        "teikit_version": __version__,
        "fail_on": str(fail_on),
        "configuration": [escape_text(p) for p in report.configuration],  # used, or found
        "ignored_configuration": [escape_text(p) for p in report.skipped_configuration],
        "schemas": [escape_text(p) for p in report.schemas],
        "files": files,
        "notices": [d.escaped(newlines=True).as_dict() for d in report.notices],
        "summary": {
            "files": summary.files,
            "valid": summary.valid,
            "invalid": summary.invalid,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
            "seconds": summary.seconds,
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_junit(report: Report, fail_on: Severity = Severity.ERROR) -> str:
    """Return the report as JUnit XML: one ``testcase`` per file, one ``failure`` per finding."""
    summary = summarise(report, fail_on)
    from lxml import etree  # only the JUnit format needs it

    suites = etree.Element("testsuites", name="teikit validate")
    suite = etree.SubElement(
        suites,
        "testsuite",
        name="teikit validate",
        tests=str(summary.files),
        failures=str(summary.invalid),
        errors="0",
        skipped="0",
        time=f"{summary.seconds:.3f}",
    )
    _junit_properties(suite, report)
    for name, items in report.by_file().items():
        case = etree.SubElement(
            suite, "testcase", classname="teikit.validate", name=escape_text(name)
        )
        failing = [d for d in items if d.severity >= fail_on]
        if failing:
            failure = etree.SubElement(
                case,
                "failure",
                message=f"{len(failing)} finding(s) at or above {fail_on}",
                type=escape_text(failing[0].code),
            )
            failure.text = "\n".join(str(d.escaped(newlines=True)) for d in failing)
        others = [d for d in items if d.severity < fail_on]
        if others:
            etree.SubElement(case, "system-out").text = "\n".join(
                str(d.escaped(newlines=True)) for d in others
            )
    if report.notices:
        escaped = (notice.escaped() for notice in report.notices)  # one line each
        notes = (f"{d.severity}: {d.message} [{d.code}]" for d in escaped)
        etree.SubElement(suite, "system-out").text = "\n".join(notes)
    return etree.tostring(suites, encoding="unicode", pretty_print=True)


def _junit_properties(suite: Any, report: Report) -> None:
    """Add ``<properties>``: the configuration and schemas the run used (issue 17)."""
    from lxml import etree

    settings = [
        *(("configuration", path) for path in report.configuration),
        *(("ignored-configuration", text) for text in report.skipped_configuration),
        *(("schema", path) for path in report.schemas),
    ]
    if settings:
        properties = etree.SubElement(suite, "properties")
        for name, value in settings:
            etree.SubElement(properties, "property", name=name, value=escape_text(value))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMAND: Final = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def to_github(report: Report) -> str:
    """Return GitHub Actions workflow commands (``::error file=…,line=…,col=…::message``)."""
    lines = [
        f"::{_COMMAND[d.severity]} title={_escape_property(d.code)}::{_escape_data(d.message)}"
        for d in (notice.escaped(newlines=True) for notice in report.notices)
    ]
    for diagnostic in (d.escaped(newlines=True) for d in report):
        properties = [f"file={_escape_property(diagnostic.file or '')}"]
        if diagnostic.line is not None:
            properties.append(f"line={diagnostic.line}")
        if diagnostic.column is not None:
            properties.append(f"col={diagnostic.column}")
        properties.append(f"title={_escape_property(diagnostic.code)}")
        message = _escape_data(diagnostic.message)
        lines.append(f"::{_COMMAND[diagnostic.severity]} {','.join(properties)}::{message}")
    return "".join(f"{line}\n" for line in lines)


REPORTS.register("json", to_json)
REPORTS.register("junit", to_junit)
REPORTS.register("github", lambda report, _fail_on: to_github(report))

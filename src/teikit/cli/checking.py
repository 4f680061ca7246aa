"""What the commands that check files (``validate``, ``lint``) share: options and the report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.options import (
    OutputFile,
    config_option,
    fail_on_option,
    folder_filters,
    format_option,
    refuse_inputs,
)
from teikit.diagnostics import Report, Severity, escape_text
from teikit.output import is_stdout
from teikit.reports import report_formats, write_report

__all__ = ["emit_report", "folder_filters", "report_options", "settings_lines"]

F = TypeVar("F", bound=Callable[..., Any])


def report_options(*, fail_on: str) -> Callable[[F], F]:
    """Add ``-f/--format``, ``-o/--output``, ``--fail-on`` (default *fail_on*) and ``-q``."""

    def decorate(command: F) -> F:
        command = click.option(
            "-q", "--quiet", is_flag=True, help="Only print findings that fail the run."
        )(command)
        command = fail_on_option(fail_on)(command)
        command = click.option(
            "-o",
            "--output",
            type=OutputFile(),
            help="Write a json/junit/github report to FILE (- for stdout) instead of stdout.",
        )(command)
        command = config_option(command)
        return format_option(report_formats(), default="human")(command)

    return decorate


def settings_lines(report: Report) -> list[str]:
    """Return the lines that say which configuration (and schemas) the run used (issue 17)."""
    lines = [f"configuration: {', '.join(report.configuration) or 'none'}"]
    lines.extend(f"ignored configuration: {skipped}" for skipped in report.skipped_configuration)
    if report.schemas:
        lines.append(f"schemas: {', '.join(report.schemas)}")
    return [escape_text(line) for line in lines]  # paths from outside: no forged line


def emit_report(
    report: Report,
    *,
    fmt: str,
    output: Path | None,
    fail_on: Severity,
    quiet: bool,
    protected: Sequence[Path] = (),
    verdicts: tuple[str, str] = ("valid", "invalid"),
) -> None:
    """Print or write *report* in *fmt*; exit with 1 when a finding reaches *fail_on*.

    A report file never replaces a checked file, a schema or configuration file the run
    used, nor one of the *protected* ones (issues 6 and 17); ``-o -`` is standard output.
    """
    if output is not None:
        refuse_inputs(output, report.files, report.schemas, report.configuration, protected)
    if fmt == "human":
        from teikit.render.diagnostics import print_human_report

        print_human_report(  # to stderr
            report,
            fail_on=fail_on,
            quiet=quiet,
            verdicts=verdicts,
            settings=settings_lines(report),
        )
    elif output is None or is_stdout(output):
        write_report(report, fmt, sys.stdout, fail_on)
    else:
        from teikit.output import atomic_open

        with atomic_open(output) as stream:
            write_report(report, fmt, stream, fail_on)
    if not report.is_clean(fail_on):
        sys.exit(EXIT_FINDINGS)

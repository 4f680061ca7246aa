"""What the commands that check files (``validate``, ``lint``) share: options and the report."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from teikit.cli import EXIT_FINDINGS
from teikit.diagnostics import Report, Severity
from teikit.reports import REPORT_FORMATS, to_github, to_json, to_junit

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = click.Choice(["error", "warning", "info"], case_sensitive=False)


def folder_filters(command: F) -> F:
    """Add ``--include`` and ``--exclude``, the globs applied inside folders."""
    command = click.option(
        "--exclude", multiple=True, help="Glob of files to skip inside folders; repeatable."
    )(command)
    return click.option(
        "--include",
        multiple=True,
        default=("*.xml",),
        show_default=True,
        help="Glob for files inside folders; repeatable.",
    )(command)


def report_options(*, fail_on: str) -> Callable[[F], F]:
    """Add ``-f/--format``, ``-o/--output``, ``--fail-on`` (default *fail_on*) and ``-q``."""

    def decorate(command: F) -> F:
        command = click.option(
            "-q", "--quiet", is_flag=True, help="Only print findings that fail the run."
        )(command)
        command = click.option(
            "--fail-on",
            type=SEVERITIES,
            default=fail_on,
            show_default=True,
            help="Exit with 1 when a finding reaches this severity.",
        )(command)
        command = click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write a json/junit/github report to FILE instead of stdout.",
        )(command)
        return click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(REPORT_FORMATS),
            default="human",
            show_default=True,
            help="Report format.",
        )(command)

    return decorate


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

    A report file never replaces a checked file nor one of the *protected* ones (issue 6).
    """
    if fmt == "human":
        from teikit.render.diagnostics import print_human_report

        print_human_report(report, fail_on=fail_on, quiet=quiet, verdicts=verdicts)  # stderr
    else:
        text = {
            "json": lambda: to_json(report, fail_on),
            "junit": lambda: to_junit(report, fail_on),
            "github": lambda: to_github(report),
        }[fmt]()
        if output is None:
            sys.stdout.write(text)
        else:
            from teikit.output import atomic_open, check_not_input

            check_not_input(output, [*(Path(f) for f in report.files), *protected])
            with atomic_open(output) as stream:
                stream.write(text)
    if not report.is_clean(fail_on):
        sys.exit(EXIT_FINDINGS)

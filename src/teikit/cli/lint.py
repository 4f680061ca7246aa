"""``teikit lint``: names and dates left untagged, mentions without pointer, register gaps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.validate import _SEVERITIES
from teikit.diagnostics import Severity
from teikit.lint import LintOptions, parse_kinds
from teikit.lint import lint as run_lint
from teikit.output import atomic_open, check_not_input
from teikit.reports import REPORT_FORMATS, to_github, to_json, to_junit


def _kinds(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    try:
        return parse_kinds(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--index",
    "indexes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A register file whose entries are looked for; repeatable.",
)
@click.option(
    "--include",
    multiple=True,
    default=("*.xml",),
    show_default=True,
    help="Glob for files inside folders; repeatable.",
)
@click.option("--exclude", multiple=True, help="Glob of files to skip inside folders; repeatable.")
@click.option(
    "--only",
    "kinds",
    callback=_kinds,
    metavar="persons,places,orgs,dates",
    help="Look only for these kinds of things (comma-separated).",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="PHRASE",
    help="Never report PHRASE nor a name inside it (besides [lint] ignore); repeatable.",
)
@click.option(
    "--skip",
    "skip",
    multiple=True,
    metavar="ELEMENT",
    help="Do not search the content of this TEI element, e.g. note (besides [lint] skip).",
)
@click.option(
    "--no-register-checks",
    is_flag=True,
    help="Skip the corpus-wide checks (unmentioned entries, authority identifiers...).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="human",
    show_default=True,
    help="Report format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a json/junit/github report to FILE instead of stdout.",
)
@click.option(
    "--fail-on",
    type=_SEVERITIES,
    default="warning",
    show_default=True,
    help="Exit with 1 when a finding reaches this severity.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only print findings that fail the run.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="number of cores",
    help="Worker processes for reading the corpus.",
)
def lint(
    paths: tuple[Path, ...],
    indexes: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    kinds: frozenset[str] | None,
    ignore: tuple[str, ...],
    skip: tuple[str, ...],
    no_register_checks: bool,
    fmt: str,
    output: Path | None,
    fail_on: str,
    quiet: bool,
    jobs: int,
) -> None:
    """Find names and dates left untagged, and gaps in mentions and registers.

    PATHS are files, folders (searched recursively) or - for standard input. Every
    finding proposes the markup that would settle it; see docs/lint.md.

    \b
    Example:
        teikit lint tei/
        teikit lint --index indices/listperson.xml --only persons,dates letters/
    """
    from teikit.render.diagnostics import print_human_report
    from teikit.render.progress import progress_bar

    options = LintOptions(
        indexes, include, exclude, kinds, not no_register_checks, jobs, ignore, skip
    )
    threshold = Severity.parse(fail_on)
    with progress_bar("linting", enabled=fmt == "human" and not quiet) as progress:
        report = run_lint(paths, options, progress=progress)
    if fmt == "human":
        print_human_report(
            report, fail_on=threshold, quiet=quiet, verdicts=("clean", "flagged")
        )  # to stderr
    else:
        formats = {"json": to_json, "junit": to_junit}
        text = formats[fmt](report, threshold) if fmt in formats else to_github(report)
        if output is None:
            sys.stdout.write(text)
        else:
            check_not_input(output, [*(Path(f) for f in report.files), *indexes])
            with atomic_open(output) as stream:
                stream.write(text)
    if not report.is_clean(threshold):
        sys.exit(EXIT_FINDINGS)

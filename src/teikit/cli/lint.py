"""``teikit lint``: names and dates left untagged, mentions without pointer, register gaps."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.cli.checking import emit_report, report_options
from teikit.cli.options import folder_filters, index_option, jobs_option
from teikit.cli.reading import read_options
from teikit.diagnostics import Severity
from teikit.linting import LintOptions, parse_kinds
from teikit.linting import lint as run_lint


def _kinds(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    try:
        return parse_kinds(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@read_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@index_option(", and whose entries are looked for in the text")
@folder_filters
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
@report_options(fail_on="warning")
@jobs_option(all_cores=True)
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
    config: Path | None,
) -> None:
    """Find names and dates left untagged, and gaps in mentions and registers.

    PATHS are files, folders (searched recursively) or - for standard input. Every
    finding proposes the markup that would settle it; see docs/lint.md.

    \b
    Example:
        teikit lint tei/
        teikit lint --index indices/listperson.xml --only persons,dates letters/
    """
    from teikit.render.progress import progress_bar

    options = LintOptions(
        indexes, include, exclude, kinds, not no_register_checks, jobs, ignore, skip, config
    )
    with progress_bar("linting", enabled=fmt == "human" and not quiet) as progress:
        report = run_lint(paths, options, progress=progress)
    emit_report(
        report,
        fmt=fmt,
        output=output,
        fail_on=Severity.parse(fail_on),
        quiet=quiet,
        protected=indexes,
        verdicts=("clean", "flagged"),
    )

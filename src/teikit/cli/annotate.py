"""``teikit annotate``: a copy of a document with lint's proposals inserted, for review."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.lint import _kinds
from teikit.cli.options import OutputFile, config_option, index_option, refuse_inputs
from teikit.cli.reading import read_options
from teikit.config import configs_for
from teikit.errors import NotTeiError
from teikit.linting.annotation import annotate as run_annotate
from teikit.linting.annotation import unified_diff
from teikit.output import atomic_open, is_stdout


@click.command()
@read_options
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=OutputFile(),
    help="Write the annotated document to FILE (never over the input); - is stdout.",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff to stdout.")
@click.option(
    "--only",
    "kinds",
    callback=_kinds,
    metavar="persons,places,orgs,dates",
    help="Propose only these kinds of markup (comma-separated).",
)
@index_option(", and whose entries are looked for in the text")
@config_option
def annotate(
    file: Path,
    output: Path | None,
    show_diff: bool,
    kinds: frozenset[str] | None,
    indexes: tuple[Path, ...],
    config: Path | None,
) -> None:
    """Write FILE with the proposed names and dates tagged to -o OUT, or show --diff.

    Proposed elements carry @cert="medium" and @resp pointing to a respStmt for teikit.

    \b
    Example:
        teikit annotate letter.xml -o letter.annotated.xml
        teikit annotate letter.xml --only dates --diff
    """
    if output is None and not show_diff:
        raise click.UsageError("give -o OUT, --diff, or both")
    if is_stdout(output) and show_diff:
        raise click.UsageError("-o - and --diff both write to stdout: choose one")
    refuse_inputs(output, [file], indexes, configs_for([file], config)[0])
    try:
        result = run_annotate(file, kinds=kinds, indexes=indexes, config=config)
    except NotTeiError as exc:  # a finding, as in every command: exit 1, nothing written
        click.echo(str(exc.diagnostic.escaped()), err=True)
        raise SystemExit(EXIT_FINDINGS) from None
    if is_stdout(output):
        sys.stdout.buffer.write(result.text.encode(result.encoding))  # as -o FILE would hold it
        sys.stdout.buffer.flush()
    elif output is not None:
        with atomic_open(output, encoding=result.encoding, newline="") as stream:
            stream.write(result.text)
    if show_diff:
        sys.stdout.write(unified_diff(result, str(file)))
    for suggestion, reason in result.skipped:  # each left out, with why
        finding = suggestion.diagnostic().escaped()
        click.echo(
            f"{finding.location()}: left out ({reason}): {finding.message} [{finding.code}]",
            err=True,
        )
    click.echo(
        f"{file}: {len(result.applied)} proposals applied, {len(result.skipped)} left out",
        err=True,
    )

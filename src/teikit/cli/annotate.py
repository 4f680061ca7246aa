"""``teikit annotate``: a copy of a document with lint's proposals inserted, for review."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.cli.lint import _kinds
from teikit.errors import NotTeiError
from teikit.lint.annotate import annotate as run_annotate
from teikit.lint.annotate import unified_diff
from teikit.output import atomic_open, check_not_input


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the annotated document to FILE (never over the input).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff to stdout.")
@click.option(
    "--only",
    "kinds",
    callback=_kinds,
    metavar="persons,places,orgs,dates",
    help="Propose only these kinds of markup (comma-separated).",
)
@click.option(
    "--index",
    "indexes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A register file whose entries are looked for; repeatable.",
)
def annotate(
    file: Path,
    output: Path | None,
    show_diff: bool,
    kinds: frozenset[str] | None,
    indexes: tuple[Path, ...],
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
    if output is not None:
        check_not_input(output, [file, *indexes])
    try:
        result = run_annotate(file, kinds=kinds, indexes=indexes)
    except NotTeiError as exc:  # a finding, as in every command: exit 1, nothing written
        click.echo(str(exc.diagnostic), err=True)
        raise SystemExit(EXIT_FINDINGS) from None
    if output is not None:
        with atomic_open(output, encoding=result.encoding, newline="") as stream:
            stream.write(result.text)
    if show_diff:
        sys.stdout.write(unified_diff(result, str(file)))
    for suggestion, reason in result.skipped:  # each left out, with why
        finding = suggestion.diagnostic()
        click.echo(
            f"{finding.location()}: left out ({reason}): {finding.message} [{finding.code}]",
            err=True,
        )
    click.echo(
        f"{file}: {len(result.applied)} proposals applied, {len(result.skipped)} left out",
        err=True,
    )

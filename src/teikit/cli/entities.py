"""``teikit entities``: persons, places, organisations, dates and proposals as rows (issue 4)."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path

import click

from teikit.cli.options import (
    OutputFile,
    config_option,
    format_option,
    index_option,
    jobs_option,
    refuse_inputs,
)
from teikit.cli.reading import read_options
from teikit.cli.streams import open_binary_output, open_output
from teikit.diagnostics import Report, Severity
from teikit.errors import UnknownFormatError
from teikit.exporters import Rows, available_formats, get_exporter
from teikit.output import atomic_open, is_stdout
from teikit.render.progress import progress_bar
from teikit.render.tables import TERMINAL_ROWS


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


class _NothingRead(Exception):
    """Not one input could be read: the output file is not written."""


def _choose_format(fmt: str | None, output: Path | None, bom: bool) -> str:
    try:
        if fmt is None:
            tty = output is None and sys.stdout.isatty()
            fmt = (
                "table"
                if tty
                else "csv"
                if output is None
                else get_exporter(None, path=output).name
            )
    except UnknownFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--output'") from None
    if bom and fmt != "csv":
        raise click.UsageError("--bom applies to CSV output only")
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is a binary file: give -o FILE.xlsx (or redirect stdout)")
    return fmt


def _print_table(table: Rows, output: Path | None, columns: tuple[str, ...]) -> None:
    from rich.console import Console

    from teikit.render.tables import print_rows

    if output is None:
        print_rows(Console(), table, columns, limit=TERMINAL_ROWS)
        return
    with atomic_open(output) as stream:
        print_rows(Console(file=stream, width=160), table, columns)


def _print_findings(report: Report, failed: list[str]) -> None:
    """Print the findings, then the summary with the files that could not be read."""
    unread = [d for d in report if d.file in failed and d.severity is Severity.ERROR]
    for diagnostic in report:
        if diagnostic not in unread:
            click.echo(str(diagnostic.escaped()), err=True)
    counts = Counter(d.code for d in report)
    detail = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
    if detail or len(report.files) > 1:  # a clean single file needs no summary
        click.echo(
            f"teikit entities: {len(report.files)} document(s) read"
            + (f"; findings: {detail}" if detail else ""),
            err=True,
        )
    if unread:
        click.secho(f"error summary: {len(unread)} file(s) could not be read:", err=True, fg="red")
        for diagnostic in unread:
            click.echo(
                f"  {diagnostic.escaped().location()}: {diagnostic.escaped().message}", err=True
            )


@click.command()
@read_options
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-t",
    "--type",
    "types",
    multiple=True,
    metavar="TYPES",
    help="Comma-separated types, singular or plural: person, place, org, date, proposal, a "
    "type from [mentions], or an rs/@type value the documents use.  [default: all]",
)
@format_option(
    ["table", *available_formats("rows")],
    more="table on a terminal, else from -o's suffix, else csv",
)
@click.option(
    "-o",
    "--output",
    type=OutputFile(),
    help="Write to FILE (atomically) instead of stdout; - is stdout.",
)
@index_option()
@click.option("--register", is_flag=True, help="One row per register entry, not per mention.")
@click.option("--text-only", is_flag=True, help="Leave out mentions in the teiHeader.")
@click.option("--bom", is_flag=True, help="Start CSV with a byte-order mark (for Excel).")
@click.option(
    "--keep-formulas",
    is_flag=True,
    help="Write CSV cells that begin with = + - @ unchanged (by default they get a leading "
    "apostrophe, so that a spreadsheet does not run them as formulas).",
)
@jobs_option(all_cores=False)
@config_option
@click.pass_context
def entities(
    ctx: click.Context,
    paths: tuple[str, ...],
    types: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    indexes: tuple[Path, ...],
    register: bool,
    text_only: bool,
    bom: bool,
    keep_formulas: bool,
    jobs: int,
    config: Path | None,
) -> None:
    """List the persons, places, organisations, dates and proposals of PATHS as rows.

    PATHS are TEI files, folders (searched for *.xml) or glob patterns. Rows go to
    stdout, findings and the error summary to stderr. Exit code 1 when a file could not
    be read or a pointer resolves to nothing. Columns: docs/entities.md.

    \b
    Example:
        teikit entities tei/telegram-1951-07-03.xml --register -o register.csv
    """
    # imported here so that `teikit --help` and other commands start quickly
    from teikit.config import configs_for
    from teikit.entities import entity_table, expand_paths, mention_table_for
    from teikit.entities.types import UnknownTypeError, resolve_types
    from teikit.entities.views import (
        REGISTER_TABLE_COLUMNS,
        TABLE_COLUMNS,
        common_folder,
        relative_documents,
    )

    sources = expand_paths(paths)  # a missing path is DocumentLoadError: exit 3
    output = None if is_stdout(output) else output
    fmt = _choose_format(fmt, output, bom)
    configuration = configs_for(sources, config)[0]
    refuse_inputs(output, sources, indexes, configuration)
    mentions = mention_table_for(sources, config)
    try:
        wanted = resolve_types(types, configured=mentions.custom_types(), sources=sources)
    except UnknownTypeError as exc:
        raise click.BadParameter(str(exc), param_hint="'-t' / '--type'") from None
    with progress_bar("entities", enabled=len(sources) > 1) as progress:
        table, extraction = entity_table(
            sources,
            register=register,
            types=wanted,
            indexes=indexes,
            text_only=text_only,
            mentions=mentions,
            jobs=jobs,
            progress=progress,
        )
        # documents as paths relative to the inputs' common folder, not as given
        table = relative_documents(table, common_folder(sources))
        if fmt == "table":  # read everything before the progress bar goes away
            table = Rows(table.columns, list(table.rows), table.name)
        else:
            spec = get_exporter(fmt)
            given = {"bom": bom, "keep_formulas": keep_formulas, "warn": _warn}
            options = {k: v for k, v in given.items() if k in spec.options}

            def nothing_read() -> bool:  # asked once the rows (read as they stream) are out
                return output is not None and len(extraction.failed) == len(extraction.report.files)

            # no document read (not TEI...): the output file is not written, not even empty
            with contextlib.suppress(_NothingRead):
                if spec.binary:
                    with open_binary_output(output) as binary:
                        spec.write(table, binary, **options)
                        if nothing_read():
                            raise _NothingRead
                else:
                    with open_output(output, spec.newline) as stream:
                        spec.write(table, stream, **options)
                        if nothing_read():
                            raise _NothingRead
    if fmt == "table":
        _print_table(table, output, REGISTER_TABLE_COLUMNS if register else TABLE_COLUMNS)
    _print_findings(extraction.report, extraction.failed)
    ctx.exit(1 if extraction.report.at_least(Severity.ERROR) else 0)

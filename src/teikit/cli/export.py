"""``teikit export``: HTML reading editions, Markdown, plain text, JSON and GeoJSON (issue 5)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from teikit.cli.options import (
    config_option,
    ends_as_folder,
    fail_on_option,
    index_option,
    refuse_inputs,
)
from teikit.cli.reading import read_options
from teikit.cli.streams import utf8_stdout
from teikit.config import configs_for
from teikit.diagnostics import Report, Severity
from teikit.entities import expand_paths, mention_table_for
from teikit.errors import UnknownFormatError
from teikit.exporters import ExporterSpec, available_formats, get_exporter
from teikit.exporters.model import ExportResult, export_documents, is_corpus_wide
from teikit.exporters.to_html import load_stylesheet
from teikit.output import is_stdout
from teikit.render.progress import progress_bar


def _plan(
    fmt: str | None, raw: str | None, sources: list[Path]
) -> tuple[ExporterSpec, Path | None, bool]:
    """Return the exporter, the output (``None``: stdout) and whether it is a folder.

    A trailing ``/`` on *raw* always means a folder, even for one document (issue 12).
    Usage errors exit with 2.
    """
    output = None if raw is None or is_stdout(raw) else Path(raw)
    is_folder = output is not None and (output.is_dir() or ends_as_folder(str(raw)))
    try:
        if fmt is None and (output is None or is_folder):
            raise click.UsageError(
                "give the format with --to (" + ", ".join(available_formats("document")) + ")"
            )
        spec = get_exporter(fmt, path=output, kind="document")
    except UnknownFormatError as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--output'") from None
    if len(sources) > 1 and not is_corpus_wide(spec.name) and not is_folder:
        if output is None:
            raise click.UsageError(f"{len(sources)} documents are exported to a folder: add -o DIR")
        if output.exists() or output.suffix:
            raise click.UsageError(
                f"{len(sources)} documents are exported to a folder, not to the file {output}"
            )
        is_folder = True
    if output is not None and output.is_file() and is_folder:  # pragma: no cover - defensive
        raise click.UsageError(f"{output} is a file, not a folder")
    return spec, output, is_folder


def _print_findings(report: Report, result: ExportResult, spec: ExporterSpec, quiet: bool) -> None:
    """Print the findings to stderr, then a summary with the files that could not be read."""
    for diagnostic in report:
        if not quiet or diagnostic.severity >= Severity.ERROR:
            click.echo(str(diagnostic.escaped()), err=True)
    counts = Counter(d.code for d in report)
    detail = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
    if quiet and not report.at_least(Severity.ERROR):
        return
    if detail or len(report.files) > 1:
        click.echo(
            f"teikit export: {result.exported} of {len(report.files)} document(s) exported "
            f"as {spec.name}" + (f"; findings: {detail}" if detail else ""),
            err=True,
        )


@click.command()
@read_options
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--to",
    "fmt",
    type=click.Choice(available_formats("document")),
    help="Output format.  [default: from -o's suffix]",
)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    help="A file (one document, or GeoJSON), or a folder (one file per document; "
    "html adds index.html and registers); DIR/ is always a folder, - is stdout. "
    "Default: stdout.",
)
@index_option()
@click.option(
    "--xslt",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Render HTML with this XSLT 1.0 stylesheet instead of the built-in edition.",
)
@fail_on_option("error")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only, not warnings.")
@config_option
@click.pass_context
def export(
    ctx: click.Context,
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    indexes: tuple[Path, ...],
    xslt: Path | None,
    fail_on: str,
    quiet: bool,
    config: Path | None,
) -> None:
    """Export PATHS as an HTML reading edition, Markdown, plain text, JSON or GeoJSON.

    PATHS are TEI files, folders (searched for *.xml) or glob patterns. One document
    goes to a file or stdout, several to a folder (-o DIR); GeoJSON writes one
    collection for all. Findings go to stderr; exit code 1 when a file could not be read
    (the others are still exported). Formats: docs/export.md.

    \b
    Example:
        teikit export tei/telegram-1951-07-03.xml -o telegram.html
        teikit export letters/ --index indices/listperson.xml --to html -o site/
    """
    sources = expand_paths(paths)  # a missing path is DocumentLoadError: exit 3
    spec, target, folder = _plan(fmt, output, sources)
    if xslt is not None and spec.name != "html":
        raise click.UsageError("--xslt applies to HTML output only")
    configuration = configs_for(sources, config)[0]
    read = [*indexes, *([xslt] if xslt is not None else []), *configuration]
    if not folder:
        refuse_inputs(target, sources, read)
    options = {"xslt": load_stylesheet(xslt)} if xslt is not None else {}
    with progress_bar("export", enabled=len(sources) > 1) as progress:
        result = export_documents(
            sources,
            spec,
            target,
            folder=folder,
            indexes=indexes,
            rules=mention_table_for(sources, config).rules,
            protected=read,
            options=options,
            stdout=lambda: utf8_stdout(spec.newline),
            progress=progress,
        )
    _print_findings(result.report, result, spec, quiet)
    ctx.exit(1 if result.report.at_least(Severity.parse(fail_on)) else 0)

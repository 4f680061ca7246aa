"""``teikit validate``: RELAX NG, XSD, Schematron and integrity checks for TEI files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from teikit.cli import EXIT_FINDINGS
from teikit.diagnostics import Severity
from teikit.reports import REPORT_FORMATS, to_github, to_json, to_junit
from teikit.validation import ValidationOptions
from teikit.validation import validate as run_validation

_SEVERITIES = click.Choice(["error", "warning", "info"], case_sensitive=False)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-s",
    "--schema",
    "schemas",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Validate against this schema (.rng, .xsd, .sch); repeatable.",
)
@click.option(
    "--index",
    "indexes",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A register file that #id pointers may resolve into; repeatable.",
)
@click.option(
    "--include",
    multiple=True,
    default=("*.xml",),
    show_default=True,
    help="Glob for files inside folders; repeatable.",
)
@click.option("--exclude", multiple=True, help="Glob of files to skip inside folders; repeatable.")
@click.option("--no-schematron", is_flag=True, help="Do not run Schematron rules.")
@click.option("--no-integrity", is_flag=True, help="Skip id, pointer, date and root checks.")
@click.option(
    "--engine",
    type=click.Choice(["lxml", "jing"]),
    default="lxml",
    show_default=True,
    help="RELAX NG engine.",
)
@click.option(
    "--xsd-engine",
    type=click.Choice(["lxml", "xmlschema"]),
    default="lxml",
    show_default=True,
    help="XSD engine.",
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
    default="error",
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
    help="Worker processes for corpus runs.",
)
@click.option("--no-cache", is_flag=True, help="Do not reuse verdicts of unchanged files.")
def validate(
    paths: tuple[Path, ...],
    schemas: tuple[Path, ...],
    indexes: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_schematron: bool,
    no_integrity: bool,
    engine: str,
    xsd_engine: str,
    fmt: str,
    output: Path | None,
    fail_on: str,
    quiet: bool,
    jobs: int,
    no_cache: bool,
) -> None:
    """Validate TEI files against their schemas, plus integrity checks.

    PATHS are files, folders (searched recursively), glob patterns or - for standard input;
    a folder with no matching file is an error (exit 3). The schema
    is --schema, else each file's <?xml-model?>, else [tool.teikit] schema, else
    teikit's bundled project schema.

    \b
    Example:
        teikit validate tei/
        teikit validate --schema tei_all.rng --format junit -o report.xml corpus/
    """
    from teikit.render.diagnostics import print_human_report
    from teikit.render.progress import progress_bar

    options = ValidationOptions(
        schemas=schemas,
        indexes=indexes,
        include=include,
        exclude=exclude,
        schematron=not no_schematron,
        integrity=not no_integrity,
        engine=engine,
        xsd_engine=xsd_engine,
        jobs=jobs,
        cache=not no_cache,
    )
    threshold = Severity.parse(fail_on)
    with progress_bar("validating", enabled=fmt == "human" and not quiet) as progress:
        report = run_validation(paths, options, progress=progress)
    if fmt == "human":
        print_human_report(report, fail_on=threshold, quiet=quiet)  # to stderr
    else:
        text = {
            "json": lambda: to_json(report, threshold),
            "junit": lambda: to_junit(report, threshold),
            "github": lambda: to_github(report),
        }[fmt]()
        if output is None:
            sys.stdout.write(text)
        else:
            # a report must never replace a document it reports on (issue 6)
            from teikit.output import atomic_open, check_not_input

            check_not_input(output, [*(Path(f) for f in report.files), *indexes, *schemas])
            with atomic_open(output) as stream:
                stream.write(text)
    if not report.is_clean(threshold):
        sys.exit(EXIT_FINDINGS)

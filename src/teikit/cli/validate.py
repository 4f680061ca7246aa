"""``teikit validate``: RELAX NG, XSD, Schematron and integrity checks for TEI files."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.cli.checking import emit_report, report_options
from teikit.cli.options import folder_filters, index_option, jobs_option
from teikit.cli.reading import read_options
from teikit.diagnostics import Severity
from teikit.validation import ValidationOptions
from teikit.validation import validate as run_validation


@click.command()
@read_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "-s",
    "--schema",
    "schemas",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Validate against this schema (.rng, .xsd, .sch); repeatable.",
)
@index_option()
@folder_filters
@click.option("--no-schematron", is_flag=True, help="Do not run Schematron rules.")
@click.option("--no-integrity", is_flag=True, help="Skip id, pointer, date and root checks.")
@click.option(
    "--schematron-errors",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Severity of a Schematron rule that could not be evaluated.",
)
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
@report_options(fail_on="error")
@jobs_option(all_cores=True)
@click.option("--no-cache", is_flag=True, help="Do not reuse verdicts of unchanged files.")
def validate(
    paths: tuple[Path, ...],
    schemas: tuple[Path, ...],
    indexes: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_schematron: bool,
    no_integrity: bool,
    schematron_errors: str,
    engine: str,
    xsd_engine: str,
    fmt: str,
    output: Path | None,
    fail_on: str,
    quiet: bool,
    jobs: int,
    no_cache: bool,
    config: Path | None,
) -> None:
    """Validate TEI files against their schemas, plus integrity checks.

    PATHS are files, folders (searched recursively), glob patterns or - for standard input;
    a folder with no matching file is an error (exit 3). The schema
    is --schema, else each file's <?xml-model?>, else the configuration's schema
    (--config, or the teikit.toml / pyproject.toml [tool.teikit] found from the file's
    folder up to the project root), else TEI All (TEI P5 4.12.0, bundled with teikit).
    A root that is not TEI P5 is a finding. -o - is stdout.

    \b
    Example:
        teikit validate tei/
        teikit validate --schema tei_all.rng --format junit -o report.xml corpus/
    """
    from teikit.render.progress import progress_bar

    options = ValidationOptions(
        schemas=schemas,
        indexes=indexes,
        include=include,
        exclude=exclude,
        schematron=not no_schematron,
        integrity=not no_integrity,
        schematron_errors=schematron_errors,
        engine=engine,
        xsd_engine=xsd_engine,
        jobs=jobs,
        cache=not no_cache,
        config=config,
    )
    with progress_bar("validating", enabled=fmt == "human" and not quiet) as progress:
        report = run_validation(paths, options, progress=progress)
    emit_report(
        report,
        fmt=fmt,
        output=output,
        fail_on=Severity.parse(fail_on),
        quiet=quiet,
        protected=[*indexes, *schemas],
    )

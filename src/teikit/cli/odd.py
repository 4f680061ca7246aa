"""``teikit odd``: compile an ODD customisation into RELAX NG and Schematron (issue 15)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from teikit.errors import OutputError
from teikit.odd import compile_odd, document_odd
from teikit.output import atomic_open, atomic_open_binary, check_not_input, is_stdout


@click.group()
def odd() -> None:
    """Work with ODD customisations (TEI's schema definition language), without Java.

    \b
    Example:
        teikit odd compile project.odd -o schema/
        teikit odd doc project.odd -o schema.html
    """


#: What both subcommands read the ODD with: another TEI source, and a catalog for its URLs.
_p5subset_option = click.option(
    "--source",
    "p5subset",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The TEI source (a p5subset.xml) to customise instead of the bundled release.",
)
_catalog_option = click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="An OASIS XML catalog mapping the URLs the ODD names to local files.",
)


@odd.command("compile")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder for NAME.compiled.odd, NAME.rng and NAME.isosch.",
)
@_p5subset_option
@click.option("--schema", "schema", help="The schemaSpec to compile when SOURCE has several.")
@_catalog_option
def compile_(
    source: Path, output: Path, p5subset: Path | None, schema: str | None, catalog: Path | None
) -> None:
    """Compile the ODD SOURCE: write the compiled ODD, RELAX NG and ISO Schematron.

    NAME is the schemaSpec's @ident. The RELAX NG embeds the ODD's Schematron
    constraints as TEI's own schemas do.

    \b
    Example:
        teikit odd compile tei_lite.odd -o build/
    """
    started = time.perf_counter()
    result = compile_odd(source, p5subset=p5subset, schema=schema, catalog=catalog)
    for warning in result.warnings:
        click.echo(f"teikit: warning: {warning}", err=True)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{output}: cannot create the folder: {exc.strerror or exc}") from None
    for suffix, data in (
        ("compiled.odd", result.compiled_bytes()),
        ("rng", result.rng_bytes()),
        ("isosch", result.isosch_bytes()),
    ):
        target = output / f"{result.name}.{suffix}"
        with atomic_open_binary(target) as stream:
            stream.write(data)
        click.echo(str(target))
    seconds = time.perf_counter() - started
    click.echo(f"compiled {source} ({result.name}) in {seconds:.1f} s", err=True)


@odd.command("doc")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=Path("-"),
    help="The HTML file to write (default: standard output).",
)
@_p5subset_option
@click.option("--schema", "schema", help="The schemaSpec to document when SOURCE has several.")
@_catalog_option
def doc(
    source: Path, output: Path, p5subset: Path | None, schema: str | None, catalog: Path | None
) -> None:
    """Write HTML documentation of the ODD SOURCE for the project's encoders.

    One static page: every element of the schema (A-Z) with its gloss, description,
    attributes and value lists, content model, Schematron constraints and examples, and
    what the ODD changes from TEI. No script, nothing loaded from the network.

    \b
    Example:
        teikit odd doc project.odd -o schema.html
    """
    check_not_input(output, [source])
    text = document_odd(source, p5subset=p5subset, schema=schema, catalog=catalog)
    if is_stdout(output):
        click.echo(text, nl=False)
        return
    with atomic_open(output) as stream:
        stream.write(text)
    click.echo(str(output))

"""``teikit schema``: keep local copies of remote schemas so validation never downloads."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.resources import schemas_dir
from teikit.validation.schemas import (
    TEI_ALL_NAME,
    TEI_ALL_VERSION,
    add_to_store,
    bundled_schemas,
    schema_search_path,
)


@click.group()
def schema() -> None:
    """Manage local copies of schemas that documents name by URL.

    \b
    Example:
        teikit schema add tei_all.rng ~/Downloads/tei_all.rng
        teikit schema list
    """


@schema.command("add")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def add(name: str, file: Path) -> None:
    """Store FILE as the local copy of schema URLs ending in NAME.

    \b
    Example:
        teikit schema add tei_all.rng ./tei_all.rng
    """
    target = add_to_store(name, file)
    click.echo(f"stored {file} as {target}")


@schema.command("list")
def list_() -> None:
    """List the folders searched for local schema copies, and what they hold.

    \b
    Example:
        TEIKIT_SCHEMA_PATH=./schemas teikit schema list
    """
    for folder in schema_search_path():
        files = sorted(p.name for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
        click.echo(f"{folder}{'' if folder.is_dir() else ' (missing)'}")
        for name in files:
            click.echo(f"  {name}")
    click.echo(f"{schemas_dir()} (bundled with teikit; used when none of the above has it)")
    click.echo(f"  {TEI_ALL_NAME} (TEI All, TEI P5 {TEI_ALL_VERSION}: the default)")
    for ref in bundled_schemas():
        click.echo(f"  {ref.path.name} (teikit's letter customisation, where declared)")

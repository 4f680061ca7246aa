"""``teikit lsp``: run the language server on standard input and output (docs/editors.md)."""

from __future__ import annotations

from pathlib import Path

import click

from teikit.cli.options import config_option, index_option
from teikit.cli.reading import read_options
from teikit.errors import TeikitError


@click.command()
@read_options
@index_option(", and whose entries completion, hover and go to definition offer")
@config_option
@click.option("--no-lint", is_flag=True, help="Publish validation findings only, not lint's.")
@click.option("--stdio", is_flag=True, help="Use standard input and output (the only transport).")
def lsp(indexes: tuple[Path, ...], config: Path | None, no_lint: bool, stdio: bool) -> None:
    """Run the language server (LSP) over standard input and output.

    An editor starts it and talks to it; it publishes validate's and lint's findings as
    you type, completes pointers from the registers, and offers lint's proposals as quick
    fixes. Schemas and configuration are found as by `teikit validate`. An editor runs
    it (see docs/editors.md); run by hand, it waits for a client on standard input.

    \b
    Example:
        teikit lsp --index indices/listperson.xml
    """
    try:
        from teikit.lsp.server import serve
    except ImportError as exc:  # pygls is an optional dependency
        raise TeikitError(
            f'the language server needs pygls ({exc.name} is missing): pip install "teikit[lsp]"'
        ) from None
    from teikit.lsp import Settings

    serve(Settings(indexes=indexes, config=config, lint=not no_lint))

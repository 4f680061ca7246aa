"""Options every command shares: ``--config FILE`` and the ``-o`` path types (issues 12, 17).

``-o -`` is standard output for every command. A trailing ``/`` always means a folder:
``export`` writes into it (creating it), and a command that writes one file refuses it
(exit 2) rather than writing a file named after the folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from teikit.output import check_not_input, is_stdout

F = TypeVar("F", bound=Callable[..., Any])


def config_option(command: F) -> F:
    """Add ``--config FILE``: use this configuration instead of searching for one."""
    return click.option(
        "--config",
        "config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Use this teikit.toml (or pyproject.toml) instead of the one found from each "
        "file's folder up to the project root.",
    )(command)


def ends_as_folder(value: str) -> bool:
    """Return whether the ``-o`` value *value* names a folder by its trailing separator."""
    return value.endswith(("/", os.sep))


class OutputFile(click.Path):
    """``-o FILE``: a file, or ``-`` for standard output; never a folder (``dir/``)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path, allow_dash=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Refuse ``DIR/`` (this command writes one file), else convert as click.Path."""
        if isinstance(value, str) and ends_as_folder(value) and value != os.sep:
            self.fail(
                f"{value} names a folder (trailing '/'); this command writes one file: "
                "give a file name, or - for standard output",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def refuse_inputs(output: Path | None, *groups: Iterable[str | Path]) -> None:
    """Refuse an *output* that names a file the run reads (documents, schemas, configuration).

    :raises OutputError: it does (exit 3, as for every output teikit cannot write).
    """
    if output is None or is_stdout(output):
        return
    check_not_input(output, [Path(p) for group in groups for p in group if str(p) != "-"])

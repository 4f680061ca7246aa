"""Options several commands share, each declared once, with one help text (issue 14).

``--config FILE``, ``--index FILE``, ``-j/--jobs``, ``--fail-on``, ``-f/--format``,
``--include``/``--exclude`` and the ``-o`` path types (issues 12, 17); the reading options
(``--follow-symlinks``, ``--max-file-size``) are in :mod:`teikit.cli.reading`.

``-o -`` is standard output for every command. A trailing ``/`` always means a folder:
``export`` writes into it (creating it), and a command that writes one file refuses it
(exit 2) rather than writing a file named after the folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from teikit.output import check_not_input, is_stdout

F = TypeVar("F", bound=Callable[..., Any])

#: The severities of ``--fail-on``.
SEVERITIES = click.Choice(["error", "warning", "info"], case_sensitive=False)


def config_option(command: F) -> F:
    """Add ``--config FILE``: use this configuration instead of searching for one."""
    return click.option(
        "--config",
        "config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Use this teikit.toml (or pyproject.toml) instead of the one found from each "
        "file's folder up to the project root.",
    )(command)


def index_option(more: str = "") -> Callable[[F], F]:
    """Add ``--index FILE`` (repeatable) as ``indexes``; *more* says what else the command does."""
    return click.option(
        "--index",
        "indexes",
        multiple=True,
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"A register file that #id pointers may resolve into{more}; repeatable.",
    )


def jobs_option(*, all_cores: bool) -> Callable[[F], F]:
    """Add ``-j/--jobs N``: worker processes; the default is every core, or 1."""
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=(os.cpu_count() or 1) if all_cores else 1,
        show_default="number of cores" if all_cores else True,
        help="Read documents in N worker processes (the output keeps the input order).",
    )


def fail_on_option(default: str) -> Callable[[F], F]:
    """Add ``--fail-on SEVERITY`` with the command's *default*."""
    return click.option(
        "--fail-on",
        type=SEVERITIES,
        default=default,
        show_default=True,
        help="Exit with 1 when a finding reaches this severity.",
    )


def format_option(
    choices: Sequence[str], *, default: str | None = None, more: str = ""
) -> Callable[[F], F]:
    """Add ``-f/--format`` as ``fmt``, one of *choices*; *more* says how the default is chosen."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=f"Output format.{f'  [default: {more}]' if more else ''}",
    )


def folder_filters(command: F) -> F:
    """Add ``--include`` and ``--exclude``, the globs applied inside folders."""
    command = click.option(
        "--exclude", multiple=True, help="Glob of files to skip inside folders; repeatable."
    )(command)
    return click.option(
        "--include",
        multiple=True,
        default=("*.xml",),
        show_default=True,
        help="Glob for files inside folders; repeatable.",
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

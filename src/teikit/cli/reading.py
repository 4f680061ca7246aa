"""The options every command that reads documents shares: ``--follow-symlinks`` and
``--max-file-size`` (see docs/security.md, "Files teikit reads")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from teikit.sources import (
    MAX_FILE_SIZE_ENV,
    ReadPolicy,
    parse_size,
    read_policy,
    set_read_policy,
)

F = TypeVar("F", bound=Callable[..., Any])


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _set(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep the option's value and set the read policy from the options seen so far."""
    if param.name == "max_file_size":
        value = _size(ctx, param, value)
    ctx.meta[f"teikit.{param.name}"] = value
    if not ctx.meta.get("teikit.reading"):
        ctx.meta["teikit.reading"] = True
        set_read_policy(None)  # the environment's limit, not a previous command's
        ctx.call_on_close(lambda: set_read_policy(None))
    try:
        limit = ctx.meta.get("teikit.max_file_size") or read_policy().max_file_size
    except ValueError as exc:  # TEIKIT_MAX_FILE_SIZE is not a size
        raise click.UsageError(str(exc)) from None
    follow = bool(ctx.meta.get("teikit.follow_symlinks", False))
    set_read_policy(ReadPolicy(follow_symlinks=follow, max_file_size=limit))
    return value


def read_options(command: F) -> F:
    """Add ``--follow-symlinks`` and ``--max-file-size``; they set the read policy."""
    command = click.option(
        "--max-file-size",
        metavar="SIZE",
        callback=_set,
        expose_value=False,
        help=f"Refuse files larger than SIZE, e.g. 64M or 2G "
        f"(default: ${MAX_FILE_SIZE_ENV}, or 512M).",
    )(command)
    return click.option(
        "--follow-symlinks",
        is_flag=True,
        callback=_set,
        expose_value=False,
        help="Read files that links in a folder lead to outside it (never /proc, /sys, /dev).",
    )(command)

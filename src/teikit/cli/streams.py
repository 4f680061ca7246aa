"""Output streams shared by the commands: stdout as UTF-8, or an atomically written file."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from teikit.output import atomic_open, atomic_open_binary


@contextlib.contextmanager
def utf8_stdout(newline: str | None = None) -> Iterator[IO[str]]:
    """Yield stdout as UTF-8 text whatever the locale; a reader that closes the pipe is fine."""
    # sys.stdout.buffer rather than click.get_binary_stream (deprecated in click 8.5); it is
    # looked up at call time so that click's test runner can swap the stream.
    stream = io.TextIOWrapper(sys.stdout.buffer, "utf-8", newline=newline)
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:  # `teikit ... | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        stream.detach()


@contextlib.contextmanager
def open_output(output: Path | None, newline: str | None = None) -> Iterator[IO[str]]:
    """Yield *output* opened atomically, or UTF-8 stdout when *output* is ``None``."""
    if output is None:
        with utf8_stdout(newline) as stream:
            yield stream
    else:
        with atomic_open(output, newline=newline) as stream:
            yield stream


@contextlib.contextmanager
def open_binary_output(output: Path | None) -> Iterator[IO[bytes]]:
    """Yield *output* opened atomically for bytes, or stdout's bytes when it is ``None``."""
    if output is None:
        try:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    else:
        with atomic_open_binary(output) as stream:
            yield stream

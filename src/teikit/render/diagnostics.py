"""Human-readable validation output: grouped by file, source line with a caret, summary table."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from teikit.diagnostics import Diagnostic, Report, Severity, escape_text
from teikit.reports import Summary, summarise

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["print_human_report", "print_summary"]

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_MAX_SOURCE = 160


def _printable(text: str) -> str:
    # control characters (ESC above all), undecodable bytes of a file name and newlines
    # from a hostile file or name must not reach the terminal nor forge a line
    return escape_text(text.replace("\t", " "))


class _SourceLines:
    """Read source lines lazily, once per file."""

    def __init__(self, known: dict[tuple[str, int], str] | None = None) -> None:
        self._files: dict[str, dict[int, str] | None] = {}
        self._known = known or {}

    def get(self, file: str | None, line: int | None) -> str | None:
        if file is None or line is None:
            return None
        known = self._known.get((file, line))
        if known is not None:  # read by whoever made the report (standard input too)
            return known
        if file not in self._files:
            try:
                # lxml: only when lines are missing
                from teikit.document import lines_of, looks_like_xml, read_bytes

                data = read_bytes(file)  # a regular file only, within the size limit
                # a file that is not XML is never quoted: it may hold anything (secrets)
                ends = data.count(b"\n") + data.count(b"\r") + 2
                self._files[file] = lines_of(data, range(1, ends)) if looks_like_xml(data) else None
            except (OSError, ValueError):
                self._files[file] = None
        lines = self._files[file]
        return None if lines is None else lines.get(line)  # cut before tabs are expanded


def _diagnostic_lines(diagnostic: Diagnostic, sources: _SourceLines, styled: bool) -> list[str]:
    """Return the finding, its source line and a caret, with rich markup when *styled*."""

    def mark(text: str, style: str) -> str:
        return f"[{style}]{_escape(text)}[/]" if styled else text

    def plain(text: str) -> str:
        return _escape(_printable(text)) if styled else _printable(text)

    style = _STYLE[diagnostic.severity]
    lines = [
        f"{plain(diagnostic.location())}: {mark(str(diagnostic.severity), style)}: "
        f"{plain(diagnostic.message)} {mark(f'[{diagnostic.code}]', 'dim')}"
    ]
    source = sources.get(diagnostic.file, diagnostic.line)
    if source is None:
        return lines
    gutter = f"{diagnostic.line:>6} | "
    start = 0
    if diagnostic.column is not None and diagnostic.column > _MAX_SOURCE:
        start = diagnostic.column - _MAX_SOURCE // 2
    lines.append(mark(gutter, "dim") + plain(source[start : start + _MAX_SOURCE].expandtabs(1)))
    if diagnostic.column is not None:
        caret = " " * (len(gutter) + max(diagnostic.column - 1 - start, 0)) + "^"
        lines.append(mark(caret, style))
    return lines


def print_human_report(
    report: Report,
    console: Console | None = None,
    *,
    fail_on: Severity = Severity.ERROR,
    quiet: bool = False,
    min_severity: Severity = Severity.INFO,
    verdicts: tuple[str, str] = ("valid", "invalid"),
    settings: Sequence[str] = (),
) -> Summary:
    """Print diagnostics grouped by file, then the summary; return the summary.

    Without *console*, print to standard error: through rich on a terminal, as plain text
    (without importing rich) when it is redirected. *verdicts* name the summary's columns
    for files without and with a finding at *fail_on* (lint says ``clean``/``flagged``).
    *settings* are lines printed before the summary (the configuration and schemas used).
    """
    if console is None and sys.stderr.isatty():
        from rich.console import Console

        console = Console(stderr=True, highlight=False)
    sources = _SourceLines(report.sources)
    styled = console is not None and console.is_terminal
    out: list[str] = []
    for name, items in report.by_file().items():
        shown = [d for d in items if d.severity >= (fail_on if quiet else min_severity)]
        if not shown:
            continue
        out.append(f"[bold]{_escape(_printable(name))}[/]" if styled else _printable(name))
        for diagnostic in shown:
            out.extend(_diagnostic_lines(diagnostic, sources, styled))
    if not quiet:  # said once for the run: the schema teikit chose, for instance
        for notice in report.notices:
            style = _STYLE[notice.severity]
            text = f"{notice.severity}: {notice.message} [{notice.code}]"
            out.append(f"[{style}]{_escape(_printable(text))}[/]" if styled else _printable(text))
    summary = summarise(report, fail_on)
    if not quiet:
        out.extend(_escape(line) if styled else line for line in settings)
    if console is not None and styled:
        for line in out:
            console.print(line, soft_wrap=True, highlight=False)
    else:
        # plain text when piped: no markup, no wrapping, and much faster than rich per line
        stream: IO[str] = console.file if console is not None else sys.stderr
        if out:
            stream.write("\n".join(out) + "\n")
        if not quiet and console is None:
            stream.write(_plain_summary(summary, verdicts))
            return summary
    if not quiet:
        assert console is not None
        print_summary(console, summary, verdicts)
    return summary


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _columns(verdicts: tuple[str, str]) -> tuple[str, ...]:
    return ("files", *verdicts, "errors", "warnings", "time")


def _summary_cells(summary: Summary) -> list[str]:
    return [
        str(summary.files),
        str(summary.valid),
        str(summary.invalid),
        str(summary.errors),
        str(summary.warnings),
        f"{summary.seconds:.2f} s",
    ]


def _plain_summary(summary: Summary, verdicts: tuple[str, str] = ("valid", "invalid")) -> str:
    """Return the summary table as rich prints it without a terminal (right-aligned)."""
    cells = _summary_cells(summary)
    columns = _columns(verdicts)
    widths = [max(len(h), len(c)) for h, c in zip(columns, cells, strict=True)]
    head = "  ".join(h.rjust(w) for h, w in zip(columns, widths, strict=True))
    row = "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
    return f"{head}\n{row}\n"


def print_summary(
    console: Console, summary: Summary, verdicts: tuple[str, str] = ("valid", "invalid")
) -> None:
    """Print the summary table (files, valid, invalid, errors, warnings, time)."""
    from rich.table import Table

    table = Table(title=None, show_edge=False, box=None, pad_edge=False)
    for column in _columns(verdicts):
        table.add_column(column, justify="right")
    cells = _summary_cells(summary)
    table.add_row(
        cells[0],
        f"[green]{cells[1]}[/]",
        f"[red]{cells[2]}[/]" if summary.invalid else "0",
        f"[red]{cells[3]}[/]" if summary.errors else "0",
        f"[yellow]{cells[4]}[/]" if summary.warnings else "0",
        cells[5],
    )
    console.print(table)

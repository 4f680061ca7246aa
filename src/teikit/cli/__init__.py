"""The ``teikit`` command line: a thin layer of click glue over the library.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage error (click),
3 teikit could not do the job (a :class:`~teikit.errors.TeikitError`, or a bug),
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any, Final

import click

from teikit.__about__ import __version__
from teikit.errors import TeikitError
from teikit.resources import CacheWarning

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILURE = 3
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    """teikit could not run; printed as ``teikit: error: ...`` with exit code 3."""

    exit_code = EXIT_FAILURE

    def show(self, file: Any = None) -> None:
        """Print the message to stderr."""
        click.echo(f"teikit: error: {self.format_message()}", err=True)


_python_showwarning = warnings.showwarning


class _WarningPrinter:
    """Print each of teikit's own warnings once per run, as ``teikit: warning: ...``."""

    def __init__(self) -> None:
        self._shown: set[str] = set()

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        """Print *message* on stderr (Python's own warnings as Python prints them)."""
        if not issubclass(category, CacheWarning):
            _python_showwarning(message, category, filename, lineno, file, line)
        elif str(message) not in self._shown:
            self._shown.add(str(message))
            click.echo(f"teikit: warning: {message}", err=True)


#: The commands, each in its own module (click's examples/complex layout), imported only
#: when used so that ``teikit validate`` does not pay for the exporters' start-up.
COMMANDS: Final = {
    "validate": "teikit.cli.validate:validate",
    "entities": "teikit.cli.entities:entities",
    "export": "teikit.cli.export:export",
    "schema": "teikit.cli.schema:schema",
    "register": "teikit.cli.register:register",
    "lint": "teikit.cli.lint:lint",
    "annotate": "teikit.cli.annotate:annotate",
    "odd": "teikit.cli.odd:odd",
    "lsp": "teikit.cli.lsp:lsp",
}


class TeikitGroup(click.Group):
    """The root group: lazy commands, and the one place where exceptions become exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return every command name, loaded or not."""
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module on first use."""
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, mapping teikit's exceptions onto exit code 3."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", CacheWarning)
                warnings.showwarning = _WarningPrinter()
                return super().invoke(ctx)
        except TeikitError as exc:
            if ctx.params.get("debug"):
                import traceback

                traceback.print_exc(file=sys.stderr)
            raise CliError(str(exc)) from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:  # not 1, which means findings (issue 17)
            click.echo("teikit: interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise CliError(
                f"internal error: {type(exc).__name__}: {exc} "
                "(run again with --debug for a traceback, and please report it)"
            ) from exc


@click.group(cls=TeikitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="teikit")
@click.option("--debug", is_flag=True, help="Show a Python traceback when something fails.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Validate, extract entities from and export TEI P5 XML documents.

    \b
    Example:
        teikit validate tei/telegram-1951-07-03.xml
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    """Run the ``teikit`` command."""
    try:
        from teikit.interrupts import raise_on_terminate

        raise_on_terminate()  # SIGTERM unwinds like Ctrl-C: no temporary file is left behind
        cli(prog_name="teikit")
    except KeyboardInterrupt:  # outside a command (click's parsing, an import): still 130
        sys.stderr.write("teikit: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        _block_late_interrupts()


def _block_late_interrupts() -> None:
    """Block Ctrl-C once the command is over and its exit code is known.

    Python restores the default SIGINT action while it shuts down, so a Ctrl-C arriving in
    those last milliseconds killed a finished run by signal, with no message; blocked, it
    is discarded when the process exits with its own code.
    """
    import signal
    import threading

    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

"""The command line as a whole: version, help, exit codes and the error boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import teikit
from teikit.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"teikit, version {teikit.__version__}\n"
    assert result.stderr == ""


def test_python_dash_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "teikit", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"teikit, version {teikit.__version__}"


def _commands(group: object, prefix: str = "") -> list[str]:
    import click

    assert isinstance(group, click.Group)
    context = click.Context(group)
    names = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        names.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix}{name} "))
    return names


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(
    runner: CliRunner, command: str
) -> None:
    result = runner.invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.stdout
    assert f"teikit {command}" in README


def test_usage_error_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Missing argument 'PATHS...'" in result.stderr


def test_missing_input_exits_3_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    result = runner.invoke(cli, ["validate", str(missing)])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == f"teikit: error: {missing}: no such file or directory\n"
    assert "Traceback" not in result.stderr


def test_missing_schema_exits_3(runner: CliRunner, telegram: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["validate", "--schema", str(tmp_path / "x.rng"), str(telegram)])
    assert result.exit_code == 3
    assert result.stderr == (
        f"teikit: error: {tmp_path / 'x.rng'}: no such schema file; give the path of a .rng, "
        ".xsd or .sch file (`teikit schema list` shows the stored copies)\n"
    )


def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["--debug", "validate", str(tmp_path / "missing.xml")])
    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    assert "DocumentLoadError" in result.stderr


def test_every_capability_reports_progress_as_done_and_total(tmp_path: Path) -> None:
    """One progress signature: ``progress(done, total)`` after each document, everywhere."""
    import teikit
    from teikit.entities import entity_table, extract_entities, propose_register

    files = []
    for n in range(3):
        files.append(tmp_path / f"d{n}.xml")
        files[-1].write_bytes(
            b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body><p>'
            b"<persName>Mao</persName></p></body></text></TEI>"
        )
    runs = {
        "extract_entities": lambda progress: list(extract_entities(files, progress=progress)),
        "entity_table": lambda progress: list(entity_table(files, progress=progress)[0].rows),
        "propose_register": lambda progress: propose_register(files, progress=progress),
        "export": lambda progress: teikit.export(
            files, format="text", output=tmp_path / "out", progress=progress
        ),
        "validate": lambda progress: teikit.validate(files, progress=progress),
        "lint": lambda progress: teikit.lint(files, progress=progress),
    }
    for name, run in runs.items():
        calls: list[tuple[int, int]] = []
        run(lambda done, total, calls=calls: calls.append((done, total)))
        assert calls == [(1, 3), (2, 3), (3, 3)], name

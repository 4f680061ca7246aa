"""``teikit lsp`` in a real editor: Neovim's built-in LSP client, headless, scripted in Lua.

Neovim (Debian's ``neovim``, 0.7 or later) opens the telegram and a broken copy, waits for
the diagnostics, asks for a completion and writes what it received to a JSON file. Outside
CI the test is skipped when ``nvim`` is missing; in CI it fails (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA, REPO, TELEGRAM, command
from teikit.lsp.text import LineIndex


def test_neovim_receives_diagnostics_and_completions(tmp_path: Path) -> None:
    nvim = command("nvim")
    (tmp_path / "tei").mkdir()
    (tmp_path / "schemas").mkdir()
    for schema in ("teikit-letter.rng", "teikit-letter.sch"):
        shutil.copy(REPO / "schemas" / schema, tmp_path / "schemas" / schema)
    shutil.copy(REPO / "tei" / "teikit.toml", tmp_path / "tei" / "teikit.toml")
    text = TELEGRAM.read_text("utf-8")
    good = tmp_path / "tei" / "telegram.xml"
    good.write_text(text, "utf-8")
    broken = tmp_path / "tei" / "broken.xml"
    broken.write_text(text.replace("</salute>", "</salut>", 1), "utf-8")
    out = tmp_path / "neovim.json"
    line, character = LineIndex(text).position(text.index('ref="#stalin">FILIPPOV') + 6)
    environment = {
        **os.environ,
        "TEIKIT_LSP_COMMAND": json.dumps([sys.executable, "-m", "teikit", "lsp"]),
        "TEIKIT_GOOD": str(good),
        "TEIKIT_BROKEN": str(broken),
        "TEIKIT_OUT": str(out),
        "TEIKIT_LINE": str(line),
        "TEIKIT_CHARACTER": str(character),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    script = DATA / "lsp" / "neovim.lua"
    completed = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-c", f"luafile {script}"],
        env=environment,
        capture_output=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert out.exists(), completed.stderr.decode(errors="replace")
    result = json.loads(out.read_text("utf-8"))
    assert result["errors"] == []
    assert (result["version"]["major"], result["version"]["minor"]) >= (0, 7)
    broken_found = result["diagnostics"]["broken"]
    assert [(d["code"], d["line"], d["severity"]) for d in broken_found] == [
        ("xml.not-well-formed", 188, 1)  # vim.diagnostic.severity.ERROR
    ]
    assert broken_found[0]["message"].startswith(
        "Opening and ending tag mismatch: salute line 189 and salut"
    )
    good_found = result["diagnostics"]["good"]
    assert good_found  # lint's notes on the registers: hints, no error
    assert {d["code"] for d in good_found} == {"lint.entry-without-authority"}
    assert {d["severity"] for d in good_found} == {4}  # HINT
    assert [(c["label"], c["detail"]) for c in result["completion"]] == [
        ("#mao", "Mao Zedong (person)"),
        ("#stalin", "Joseph Stalin (person)"),
        ("#kim_il_sung", "Kim Il Sung (person)"),
        ("#li_kenong", "Li Kenong (person)"),
    ]

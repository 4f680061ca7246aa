"""``teikit lint`` and ``teikit annotate`` end to end: formats, exit codes, refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from conftest import TELEGRAM
from teikit.cli import cli
from test_lint import document, strip_telegram, write, write_copy


def run(runner: CliRunner, *args: str, stdin: bytes | None = None) -> Result:
    return runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    return write(tmp_path, document("<p>Filippov wrote on 3.7.51.</p>"), "letter.xml")


def test_lint_human_report_and_exit_code(runner: CliRunner, letter: Path) -> None:
    result = run(runner, "lint", str(letter))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{letter}:1:" in result.stderr
    assert "[lint.untagged-name]" in result.stderr
    assert '"3.7.51" → 1951-07-03' in result.stderr


def test_fail_on(runner: CliRunner, letter: Path) -> None:
    assert run(runner, "lint", "--fail-on", "error", str(letter)).exit_code == 0
    assert run(runner, "lint", "--fail-on", "warning", str(letter)).exit_code == 1
    clean = write(letter.parent, document("<p>nothing here</p>", register=""), "clean.xml")
    assert run(runner, "lint", "--fail-on", "warning", str(clean)).exit_code == 0
    assert run(runner, "lint", "--fail-on", "info", str(letter)).exit_code == 1


def test_json_report(runner: CliRunner, letter: Path) -> None:
    result = run(runner, "lint", "-f", "json", "--only", "persons,dates", str(letter))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (entry,) = report["files"]
    codes = [d["code"] for d in entry["diagnostics"]]
    assert "lint.untagged-name" in codes
    assert "lint.untagged-date" in codes
    assert not any("placeName" in d["message"] for d in entry["diagnostics"])
    name = next(d for d in entry["diagnostics"] if d["code"] == "lint.untagged-name")
    assert (name["line"], name["severity"]) == (1, "warning")
    assert name["column"] > 1


def test_junit_and_github_reports(runner: CliRunner, letter: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = run(runner, "lint", "-f", "junit", "-o", str(out), str(letter))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert etree.parse(str(out)).getroot().tag == "testsuites"
    github = run(runner, "lint", "-f", "github", str(letter))
    lines = github.stdout.splitlines()
    assert lines
    assert all(line.startswith(("::warning ", "::notice ", "::error ")) for line in lines)


def test_report_never_replaces_an_input(runner: CliRunner, letter: Path) -> None:
    before = letter.read_bytes()
    result = run(runner, "lint", "-f", "json", "-o", str(letter), str(letter))
    assert result.exit_code == 3
    assert "refusing to overwrite an input file" in result.stderr
    assert letter.read_bytes() == before


def test_missing_file_and_bad_options(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "lint", str(tmp_path / "nope.xml"))
    assert result.exit_code == 3
    assert "no such file or directory" in result.stderr
    bad = run(runner, "lint", "--only", "people", str(tmp_path))
    assert bad.exit_code == 2
    assert "unknown kind 'people'" in bad.stderr


def test_not_well_formed_input_is_a_finding(runner: CliRunner, tmp_path: Path) -> None:
    bad = write(tmp_path, b"<TEI>\n<p>\n</TEI>\n", "bad.xml")
    result = run(runner, "lint", "-f", "json", str(bad))
    assert result.exit_code == 1
    (diagnostic,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    assert diagnostic["code"] == "xml.not-well-formed"
    assert (diagnostic["line"], diagnostic["column"] is not None) == (3, True)


def test_standard_input(runner: CliRunner) -> None:
    result = run(runner, "lint", "-f", "json", "-", stdin=document("<p>Mao</p>"))
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["file"] == "<stdin>"


def test_annotate_writes_and_diffs(runner: CliRunner, tmp_path: Path) -> None:
    stripped, removed = strip_telegram()
    source = write_copy(tmp_path, stripped)
    before = source.read_bytes()
    out = tmp_path / "out.xml"
    result = run(runner, "annotate", str(source), "-o", str(out), "--diff")
    assert result.exit_code == 0, result.stderr
    assert source.read_bytes() == before
    assert result.stdout.startswith(f"--- {source}\n+++ {source} (annotated)\n")
    assert '+        <respStmt xml:id="teikit">' in result.stdout
    assert f"{len(removed) + 5} proposals applied" in result.stderr
    assert '<persName ref="#stalin" cert="medium" resp="#teikit">FILIPPOV' in out.read_text(
        encoding="utf-8"
    )


def test_annotate_diff_only_and_only_dates(runner: CliRunner, letter: Path) -> None:
    result = run(runner, "annotate", str(letter), "--diff", "--only", "dates")
    assert result.exit_code == 0
    assert "+<TEI" in result.stdout
    assert '<date when="1951-07-03" cert="medium">3.7.51</date>' in result.stdout
    assert "persName ref" not in result.stdout.replace("<persName>", "")


def test_annotate_refusals(runner: CliRunner, letter: Path, tmp_path: Path) -> None:
    before = letter.read_bytes()
    over = run(runner, "annotate", str(letter), "-o", str(letter))
    assert over.exit_code == 3
    assert "refusing to overwrite an input file" in over.stderr
    assert letter.read_bytes() == before
    neither = run(runner, "annotate", str(letter))
    assert neither.exit_code == 2
    assert "give -o OUT, --diff, or both" in neither.stderr
    missing = run(runner, "annotate", str(tmp_path / "nope.xml"), "--diff")
    assert missing.exit_code == 3
    assert "no such file" in missing.stderr
    bad = write(tmp_path, b"<TEI>\n<p>\n</TEI>\n", "bad.xml")
    broken = run(runner, "annotate", str(bad), "--diff")
    assert broken.exit_code == 3
    assert f"{bad}:3:" in broken.stderr


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = run(runner, "--help")
    assert "lint" in result.stdout
    assert "annotate" in result.stdout


# -- what a project leaves untagged on purpose: [lint] ignore and skip --------------------------


def _codes_and_texts(result: Result) -> list[str]:
    return [
        line.split(": ", 2)[2]
        for line in result.stderr.splitlines()
        if ": warning: " in line and "[lint." in line
    ]


def test_ignore_and_skip_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    body = (
        "<p>Mao Zedong's men met Filippov.</p>"
        "<p><note>Filippov was Stalin's cover name, used from 3.7.51.</note></p>"
    )
    letter = write(tmp_path, document(body), "letter.xml")
    plain = run(runner, "lint", "--no-register-checks", str(letter))
    assert plain.exit_code == 1
    assert len(_codes_and_texts(plain)) == 4  # Mao Zedong, Filippov twice, the date
    quiet = run(
        runner,
        "lint",
        "--no-register-checks",
        "--ignore",
        "Mao Zedong's men",
        "--skip",
        "note",
        str(letter),
    )
    assert quiet.exit_code == 1
    assert _codes_and_texts(quiet) == [
        'untagged name "Filippov": propose <persName ref="#stalin"> (register form of #stalin) '
        "[lint.untagged-name]"
    ]


def test_ignore_and_skip_from_teikit_toml(runner: CliRunner, tmp_path: Path) -> None:
    body = "<p>Mao Zedong's men met Filippov.</p><p><note>Filippov, 3.7.51</note></p>"
    letter = write(tmp_path, document(body), "letter.xml")
    (tmp_path / "teikit.toml").write_text(
        '[lint]\nignore = ["Mao Zedong\'s men", "Filippov"]\nskip = ["tei:note"]\n',
        encoding="utf-8",
    )
    result = run(runner, "lint", "--no-register-checks", str(letter))
    assert (result.exit_code, _codes_and_texts(result)) == (0, [])
    (tmp_path / "teikit.toml").write_text('[lint]\nignore = "Filippov"\n', encoding="utf-8")
    broken = run(runner, "lint", str(letter))
    assert broken.exit_code == 3
    assert broken.stderr == (
        f"teikit: error: {tmp_path / 'teikit.toml'}: lint.ignore must be a list of strings\n"
    )


def test_annotate_follows_the_settings(runner: CliRunner, tmp_path: Path) -> None:
    letter = write(tmp_path, document("<p>Filippov met Mao Zedong's men.</p>"), "letter.xml")
    (tmp_path / "teikit.toml").write_text(
        '[lint]\nignore = ["Mao Zedong\'s men"]\n', encoding="utf-8"
    )
    result = run(runner, "annotate", str(letter), "--diff")
    assert result.exit_code == 0
    assert '<persName ref="#stalin" cert="medium">Filippov</persName>' in result.stdout
    assert 'ref="#mao"' not in result.stdout  # inside an ignored phrase


def test_the_bundled_telegram_is_lint_clean(runner: CliRunner) -> None:
    """The demo follows its own encoding policy, written down in tei/teikit.toml."""
    result = run(runner, "lint", str(TELEGRAM))
    assert result.exit_code == 0, result.stderr
    assert "warning:" not in result.stderr
    assert "error:" not in result.stderr
    # lint's summary counts clean and flagged files, not valid ones
    head, row = result.stderr.splitlines()[-2:]
    assert head == "files  clean  flagged  errors  warnings    time"
    assert re.match(r"^\s+1\s+1\s+0\s+0\s+0\s+\d+\.\d\d s$", row)


def test_a_date_that_is_a_year_gets_its_value(runner: CliRunner, tmp_path: Path) -> None:
    """``<date>1853</date>`` (ELTeC's sourceDesc) is the year 1853, not "no date form"."""
    body = "<p>Printed <date>1853</date>, <date> 1853. </date>, <date>0000</date>.</p>"
    path = write(tmp_path, document(body, register=""), "printed.xml")
    result = run(runner, "lint", "--only", "dates", "-f", "json", str(path))
    assert result.exit_code == 1
    messages = [d["message"] for d in json.loads(result.stdout)["files"][0]["diagnostics"]]
    assert messages == [
        '<date> "1853" has no machine-readable value: propose @when="1853"; "1853" → 1853 (yyyy)',
        '<date> "1853." has no machine-readable value: propose @when="1853"; "1853." → 1853 (yyyy)',
        '<date> "0000" has no machine-readable value (no date form recognised in the text)',
    ]
    annotated = run(runner, "annotate", "--only", "dates", str(path), "-o", "-")
    assert annotated.exit_code == 0
    dates = etree.fromstring(annotated.stdout_bytes).findall(".//{*}body//{*}date")
    assert [d.get("when") for d in dates] == ["1853", "1853", None]
    assert "2 proposals applied, 1 left out" in annotated.stderr

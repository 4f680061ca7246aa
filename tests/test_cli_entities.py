"""``teikit entities`` on the command line: formats, streams, exit codes, golden files.

Golden files live in ``tests/golden/entities/``; ``TEIKIT_UPDATE_GOLDEN=1 pytest`` rewrites
them, and a mismatch leaves ``<case>.actual.<fmt>`` next to the golden file for a diff.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REPO, TELEGRAM, check_golden, need, shared_path
from teikit.cli import cli
from teikit.cli.entities import entities
from teikit.entities import MENTION_COLUMNS, REGISTER_COLUMNS

if "entities" not in cli.commands:  # until teikit.cli registers the command itself
    cli.add_command(entities)

GOLDEN = REPO / "tests" / "golden" / "entities"
TELEGRAM_ARG = "tei/telegram-1951-07-03.xml"

BROKEN = '<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<text><p>\n<q>x<q/></p></text></TEI>\n'
DANGLING = (
    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p>'
    '<persName ref="#ghost">Ghost</persName> <date when="1951-07-03">today</date></p>'
    "</text></TEI>\n"
)


def run(runner: CliRunner, *args: str) -> Result:
    """Invoke ``teikit entities ARGS``."""
    return runner.invoke(cli, ["entities", *args], catch_exceptions=False)


def rows_of(text: str) -> list[dict[str, str]]:
    """Parse CSV output."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, so that document names are relative and stable."""
    need(TELEGRAM_ARG, TELEGRAM.is_file())
    monkeypatch.chdir(REPO)
    return REPO


# -- golden files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "args"),
    [
        ("telegram.mentions.csv", ["-f", "csv"]),
        ("telegram.mentions.json", ["-f", "json"]),
        ("telegram.register.csv", ["--register", "-f", "csv"]),
        ("telegram.register.json", ["--register", "-f", "json"]),
    ],
)
def test_telegram_golden(runner: CliRunner, in_repo: Path, case: str, args: list[str]) -> None:
    result = run(runner, TELEGRAM_ARG, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    check_golden(GOLDEN / case, result.stdout_bytes)


def test_golden_files_hold_the_telegram_facts(runner: CliRunner, in_repo: Path) -> None:
    register = json.loads(run(runner, TELEGRAM_ARG, "--register", "-f", "json").stdout)
    persons = [r for r in register if r["type"] == "person"]
    assert len(persons) == 4
    stalin = next(r for r in persons if r["id"] == "stalin")
    assert {"Filippov", "Stalin"} <= set(stalin["name_forms"])
    assert next(r for r in persons if r["id"] == "kim_il_sung")["mention_count"] == 3
    rows = rows_of(run(runner, TELEGRAM_ARG, "--text-only", "-t", "date,proposal").stdout)
    proposals = [r for r in rows if r["type"] == "proposal"]
    assert len(proposals) == 7
    assert all(r["topics"] for r in proposals)
    dates = [r["date_start"] for r in rows if r["type"] == "date"]
    assert sorted(dates) == ["1950-06-25", "1951-07-02", "1951-07-03", "1951-07-05"]


# -- formats and streams --------------------------------------------------------------------


def test_csv_when_piped(runner: CliRunner, in_repo: Path) -> None:
    result = run(runner, TELEGRAM_ARG)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(MENTION_COLUMNS)
    assert result.stdout_bytes.endswith(b"\r\n")
    assert b"\r\n" in result.stdout_bytes
    assert result.stderr == ""


def test_format_from_the_output_suffix(runner: CliRunner, in_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "register.jsonl"
    result = run(runner, TELEGRAM_ARG, "--register", "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert list(json.loads(lines[0])) == list(REGISTER_COLUMNS)
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind


def test_bom_for_excel(runner: CliRunner, in_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "mentions.csv"
    assert run(runner, TELEGRAM_ARG, "--bom", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfdocument,type,")


def test_table_format(runner: CliRunner, in_repo: Path) -> None:
    result = run(runner, TELEGRAM_ARG, "-f", "table", "-t", "person", "--text-only")
    assert result.exit_code == 0
    assert "KIM IL SUNG" in result.stdout
    assert re.search(r"\b7 rows\b", result.stdout)
    assert "document" not in result.stdout.splitlines()[2]  # one document: it is the title


def test_table_to_a_file_and_an_empty_table(
    runner: CliRunner, in_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "register.txt"
    result = run(runner, TELEGRAM_ARG, "--register", "-f", "table", "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert "Joseph Stalin" in out.read_text(encoding="utf-8")
    empty = tmp_path / "empty.xml"
    empty.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p/></body></text></TEI>'
    )
    result = run(runner, str(empty), "-f", "table", "-t", "person")
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("0 rows")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "rows.txt"], "cannot tell the format of 'rows.txt'"),
        (["-f", "ods"], "'ods' is not one of"),
        (["-f", "json", "--bom"], "--bom applies to CSV output only"),
        (["-j", "0"], "0 is not in the range"),
    ],
)
def test_usage_errors(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    need(TELEGRAM_ARG, TELEGRAM.is_file())
    monkeypatch.chdir(tmp_path)  # should anything be written, it lands here
    result = run(runner, str(TELEGRAM), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_paths_could_not_run(runner: CliRunner, tmp_path: Path) -> None:
    # exit 3 like validate: teikit could not run (the brief's "missing file")
    result = run(runner, str(tmp_path / "absent.xml"))
    assert result.exit_code == 3
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(runner, str(tmp_path / "*.xml"))
    assert result.exit_code == 3
    assert "pattern matches no file" in result.stderr
    result = run(runner, str(TELEGRAM), "--index", str(tmp_path / "absent.xml"))
    assert result.exit_code == 3


def test_refuses_to_overwrite_an_input(runner: CliRunner, tmp_path: Path) -> None:
    need(TELEGRAM_ARG, TELEGRAM.is_file())
    copy = tmp_path / "telegram.xml"  # never the real file: a failure would destroy it
    copy.write_bytes(TELEGRAM.read_bytes())
    index = tmp_path / "index.xml"
    index.write_bytes(TELEGRAM.read_bytes())
    for target in (copy, index):
        result = run(runner, str(copy), "--index", str(index), "-f", "csv", "-o", str(target))
        assert result.exit_code == 3
        assert "refusing to overwrite an input file" in result.stderr
        assert target.read_bytes() == TELEGRAM.read_bytes()


def test_types_are_comma_separated_and_repeatable(runner: CliRunner, in_repo: Path) -> None:
    result = run(runner, TELEGRAM_ARG, "-t", "place,org", "--type", "event", "--text-only")
    assert {r["type"] for r in rows_of(result.stdout)} == {"place", "org", "event"}


def test_jobs_keep_the_input_order(runner: CliRunner, tmp_path: Path) -> None:
    need(TELEGRAM_ARG, TELEGRAM.is_file())
    for i in range(4):
        (tmp_path / f"t{i}.xml").write_bytes(TELEGRAM.read_bytes())
    one = run(runner, str(tmp_path), "-f", "jsonl")
    two = run(runner, str(tmp_path), "-f", "jsonl", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    documents = [json.loads(line)["document"] for line in one.stdout.splitlines()]
    assert list(dict.fromkeys(documents)) == [f"t{i}.xml" for i in range(4)]
    assert one.stderr == "teikit entities: 4 document(s) read\n"


# -- findings and exit codes ----------------------------------------------------------------


def test_findings_go_to_stderr_and_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a-broken.xml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "b-dangling.xml").write_text(DANGLING, encoding="utf-8")
    result = run(runner, str(tmp_path))
    assert result.exit_code == 1
    rows = rows_of(result.stdout)
    assert [(r["text"], r["status"]) for r in rows] == [
        ("Ghost", "unresolved"),
        ("today", "no-ref"),
    ]
    lines = result.stderr.splitlines()
    dangling = str(tmp_path / "b-dangling.xml")
    assert lines[0].startswith(f"{dangling}:1: error: <persName> @ref='#ghost' points to nothing")
    assert lines[1] == (
        "teikit entities: 2 document(s) read; findings: 1 entity.unresolved-ref, "
        "1 xml.not-well-formed"
    )
    assert lines[2] == "error summary: 1 file(s) could not be read:"
    assert lines[3].startswith(f"  {tmp_path / 'a-broken.xml'}:3:13: Opening and ending tag")


def test_warnings_alone_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "d.xml"
    doc.write_text(DANGLING.replace('ref="#ghost"', "").replace("07-03", "07-33"), "utf-8")
    result = run(runner, str(doc))
    assert result.exit_code == 0
    assert "warning: <date> @when='1951-07-33' is not an ISO 8601 date" in result.stderr


def test_broken_index_cannot_run(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "index.xml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "doc.xml").write_text(DANGLING, encoding="utf-8")
    result = run(runner, str(tmp_path / "doc.xml"), "--index", str(tmp_path / "index.xml"))
    assert result.exit_code == 3
    assert result.stderr.startswith("teikit: error: ")


def test_config_in_the_current_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "teikit.toml").write_text('[mentions]\nmood = "tei:p"\n', encoding="utf-8")
    (tmp_path / "doc.xml").write_text(DANGLING.replace("#ghost", "#p"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run(runner, "doc.xml", "-t", "mood")
    assert [r["type"] for r in rows_of(result.stdout)] == ["mood"]


def test_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["entities", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    for option in ("--type", "--format", "--output", "--index", "--register", "--text-only",
                   "--bom", "--jobs"):  # fmt: skip
        assert option in result.stdout


# -- the Tillich letters ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tillich_run() -> Result:
    """One run over all the letters with the person and place registers."""
    corpus = shared_path("corpora", "tillich-briefe")
    indices = corpus / "indices"
    return CliRunner().invoke(
        cli,
        ["entities", str(corpus / "editions"), "-f", "csv",
         "--index", str(indices / "listperson.xml"), "--index", str(indices / "listplace.xml")],
        catch_exceptions=False,
    )  # fmt: skip


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_malformed_letters_are_summarised(tillich_run: Result) -> None:
    assert tillich_run.exit_code == 1
    summary = tillich_run.stderr.split("error summary: 5 file(s) could not be read:\n")[1]
    named = re.findall(r"editions/(L\d+)\.xml:(\d+):(\d+): ", summary)
    assert [n[0] for n in named] == ["L00116", "L01059", "L01064", "L01065", "L01069"]
    assert named[0][1:] == ("52", "158")
    documents = {row["document"] for row in rows_of(tillich_run.stdout)}
    assert len(documents) == 1326


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_refs_resolve_against_the_indices(tillich_run: Result) -> None:
    rows = rows_of(tillich_run.stdout)
    named = [
        r
        for r in rows
        if r["pointer"]
        and (r["element"] in ("persName", "placeName") or r["type"] in ("person", "place"))
    ]
    statuses = Counter(r["status"] for r in named)
    assert statuses["resolved"] / len(named) > 0.99
    # the rest are reported with their lines
    unresolved = [r for r in rows if r["status"] == "unresolved"]
    reported = re.findall(r"^(\S+):(\d+): error: .* \[entity\.unresolved-ref\]$",
                          tillich_run.stderr, re.MULTILINE)  # fmt: skip
    reported_names = Counter((Path(name).name, line) for name, line in reported)
    # rows name documents relative to the folder given (issue 12): here, file names
    assert reported_names >= Counter((r["document"], r["line"]) for r in unresolved)

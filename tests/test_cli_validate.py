"""``teikit validate`` end to end: schema choice, formats, exit codes, cache, jobs, stdin."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from conftest import ANY_GRAMMAR, REPO, TELEGRAM
from teikit.cli import cli

EXAMPLES = REPO / "examples"
SCHEMAS = REPO / "schemas"
HEAD = '<TEI xmlns="http://www.tei-c.org/ns/1.0">'
NO_SUCH_SCHEMA = (
    "no such schema file; give the path of a .rng, .xsd or .sch file "
    "(`teikit schema list` shows the stored copies)"
)
SUMMARY = re.compile(
    r"files\s+valid\s+invalid\s+errors\s+warnings\s+time\n\s*(\d+)\s+(\d+)\s+(\d+)"
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)
    return cache


def run(runner: CliRunner, *args: str, stdin: bytes | None = None) -> Result:
    return runner.invoke(cli, ["validate", *args], input=stdin, catch_exceptions=False)


def summary(result: Result) -> tuple[int, int, int]:
    match = SUMMARY.search(result.stderr)
    assert match, result.stderr
    files, valid, invalid = (int(g) for g in match.groups())
    return files, valid, invalid


def test_telegram_is_valid_through_its_xml_model(runner: CliRunner) -> None:
    result = run(runner, str(TELEGRAM))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert summary(result) == (1, 1, 0)
    assert "error" not in result.stderr.split("files")[0]


def test_invalid_example_reports_every_mistake(runner: CliRunner) -> None:
    path = str(EXAMPLES / "invalid-letter.xml")
    result = run(runner, path, "--fail-on", "error")
    assert result.exit_code == 1
    assert result.stdout == ""
    codes = set(re.findall(r"\[([a-z]+\.[a-z-]+)\]\n", result.stderr))
    assert {"rng.invalid", "sch.assert", "integrity.unresolved-pointer"} <= codes
    # every finding line is FILE[:LINE[:COL]]: severity: message [code] (libxml2 gives no
    # position for some RELAX NG attribute errors)
    finding = re.compile(
        rf"^{re.escape(path)}(:\d+(:\d+)?)?: (error|warning|info): .+ \[[\w.-]+\]$"
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith(path + ":")]
    assert lines
    assert all(finding.match(line) for line in lines), lines
    assert summary(result) == (1, 0, 1)


def test_source_line_and_caret(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "doc.xml"
    doc.write_text(f'{HEAD}\n<text><p>\n  <persName ref="#nobody">X</persName></p></text></TEI>\n')
    result = run(runner, "--no-schematron", str(doc))
    assert result.exit_code == 1
    assert f"{doc}:3: error: @ref='#nobody' points to nothing" in result.stderr
    assert '     3 |   <persName ref="#nobody">X</persName></p></text></TEI>' in result.stderr


def test_not_well_formed_gets_line_and_column_and_the_run_goes_on(
    runner: CliRunner, tmp_path: Path
) -> None:
    shutil.copy(TELEGRAM, tmp_path / "a-good.xml")
    (tmp_path / "b-broken.xml").write_text(f"{HEAD}\n<text><p>x</text></TEI>")
    (tmp_path / "ignored.txt").write_text("not xml")
    result = run(runner, "--schema", str(REPO / "schemas" / "teikit-letter.rng"), str(tmp_path))
    assert result.exit_code == 1
    broken = tmp_path / "b-broken.xml"
    assert (
        f"{broken}:2:18: error: Opening and ending tag mismatch: p line 2 and text "
        "[xml.not-well-formed]"
    ) in result.stderr
    assert summary(result) == (2, 1, 1)


def test_json_output_counts_the_same_files(runner: CliRunner) -> None:
    result = run(runner, "--format", "json", str(TELEGRAM), str(EXAMPLES))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    files = {Path(f["file"]).name: f["valid"] for f in data["files"]}
    assert files == {
        "telegram-1951-07-03.xml": True,
        "invalid-letter.xml": False,
        "minimal-letter.xml": True,
    }
    assert data["summary"]["files"] == 3
    assert data["summary"]["invalid"] == 1
    assert data["summary"]["errors"] == sum(
        1 for f in data["files"] for d in f["diagnostics"] if d["severity"] == "error"
    )
    assert result.stderr == ""


def test_junit_output_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    result = run(runner, "--format", "junit", "-o", str(report), str(EXAMPLES))
    assert result.exit_code == 1
    assert result.stdout == ""
    suite = etree.parse(str(report)).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert not list(tmp_path.glob(".report.xml.*"))  # no temporary file left behind


def test_github_annotations(runner: CliRunner) -> None:
    result = run(runner, "--format", "github", str(EXAMPLES / "invalid-letter.xml"))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines
    pattern = re.compile(r"^::(error|warning|notice) file=[^,:]+(,line=\d+)?(,col=\d+)?,title=")
    assert all(pattern.match(line) for line in lines), lines


def test_fail_on_warning(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "doc.xml"
    doc.write_text(
        f'{HEAD}<text><listPerson><person xml:id="mao"/></listPerson>'
        '<persName ref="mao">M</persName></text></TEI>'
    )
    assert (
        run(runner, "--no-schematron", "--schema", str(_any_rng(tmp_path)), str(doc)).exit_code == 0
    )
    result = run(
        runner,
        "--no-schematron",
        "--schema",
        str(_any_rng(tmp_path)),
        "--fail-on",
        "warning",
        str(doc),
    )
    assert result.exit_code == 1
    assert "[integrity.missing-hash]" in result.stderr


def _any_rng(folder: Path) -> Path:
    schema = folder / "any.rng"
    schema.write_text(ANY_GRAMMAR)
    return schema


def test_quiet_prints_only_failures(runner: CliRunner) -> None:
    result = run(runner, "--quiet", str(TELEGRAM))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_stdin(runner: CliRunner) -> None:
    result = run(runner, "--schema", str(REPO / "schemas/teikit-letter.rng"), "-", stdin=b"<TEI")
    assert result.exit_code == 1
    assert "<stdin>:1:5: error:" in result.stderr


def test_tei_all_is_used_with_one_note(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "plain.xml"
    doc.write_bytes(TELEGRAM.read_bytes().replace(b"<?xml-model", b"<?not-a-model"))
    result = run(runner, str(doc))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("[schema.default]") == 1
    assert "TEI All (TEI P5 4.12.0, bundled with teikit)" in result.stderr


def test_remote_schema_without_copy_is_a_finding_about_that_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = tmp_path / "remote.xml"
    doc.write_text(
        '<?xml-model href="https://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_lite.rng"'
        ' schematypens="http://relaxng.org/ns/structure/1.0"?>\n' + HEAD + "</TEI>"
    )
    good = tmp_path / "good.xml"  # no <?xml-model?>: validated with teikit.toml's schema
    good.write_bytes(TELEGRAM.read_bytes().replace(b"<?xml-model", b"<?not-a-model"))
    (tmp_path / "teikit.toml").write_text(f'schema = "{SCHEMAS / "teikit-letter.rng"}"\n')
    result = run(runner, "-f", "json", str(doc), str(good))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 2
    (remote,) = [f for f in report["files"] if f["file"] == str(doc)]
    (finding,) = remote["diagnostics"]
    assert finding["code"] == "schema.unavailable"
    assert finding["line"] == 1
    assert "teikit schema add tei_lite.rng" in finding["message"]
    (other,) = [f for f in report["files"] if f["file"] == str(good)]
    assert other["valid"] is True
    assert result.stderr == ""


def test_a_declared_schema_that_is_missing_does_not_hide_the_others(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = tmp_path / "letter.xml"
    data = TELEGRAM.read_bytes().replace(b"../schemas/teikit-letter.rng", b"missing.rng")
    doc.write_bytes(
        data.replace(b"../schemas/teikit-letter.sch", str(SCHEMAS / "teikit-letter.sch").encode())
    )
    result = run(runner, "--no-cache", str(doc))
    assert result.exit_code == 1
    assert f"{doc}:2: error: schema missing.rng not found" in result.stderr
    assert result.stderr.count("[schema.unavailable]") == 1
    assert "Traceback" not in result.stderr


def test_a_schema_given_with_option_that_is_missing_exits_3(
    runner: CliRunner, tmp_path: Path
) -> None:
    doc = tmp_path / "letter.xml"
    shutil.copyfile(TELEGRAM, doc)
    result = run(runner, "--schema", str(tmp_path / "nowhere.rng"), str(doc))
    assert result.exit_code == 3
    assert result.stderr == f"teikit: error: {tmp_path / 'nowhere.rng'}: {NO_SUCH_SCHEMA}\n"


def test_an_index_file_that_is_not_well_formed_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    """Index files are loaded in a thread while the grammars load: the error still reaches
    the user as one line with file, line and column, and no file is checked."""
    doc = tmp_path / "letter.xml"
    shutil.copyfile(TELEGRAM, doc)
    index = tmp_path / "persons.xml"
    index.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><broken')
    result = run(runner, "--index", str(index), str(doc))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert re.fullmatch(rf"teikit: error: {re.escape(str(index))}:1:\d+: [^\n]+\n", result.stderr)
    # a schema that does not compile is still the error reported, as before the thread
    schema = tmp_path / "broken.rng"
    schema.write_text("<grammar")
    result = run(runner, "--schema", str(schema), "--index", str(index), str(doc))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"teikit: error: {schema}:")
    assert str(index) not in result.stderr
    # a missing --schema is reported before the index, as the options are read
    result = run(runner, "--schema", str(tmp_path / "nowhere.rng"), "--index", str(index), str(doc))
    assert result.exit_code == 3
    assert result.stderr == f"teikit: error: {tmp_path / 'nowhere.rng'}: {NO_SUCH_SCHEMA}\n"


def test_include_and_exclude(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(TELEGRAM, tmp_path / "sub" / "a.tei")
    (tmp_path / "sub" / "b.xml").write_text("<broken")
    schema = ("--schema", str(REPO / "schemas/teikit-letter.rng"))
    result = run(runner, *schema, "--format", "json", "--include", "*.tei", str(tmp_path))
    assert [f["file"] for f in json.loads(result.stdout)["files"]] == [str(tmp_path / "sub/a.tei")]
    result = run(runner, *schema, "--format", "json", "--exclude", "b.*", str(tmp_path))
    assert result.exit_code == 3  # nothing left to check is a mistake worth failing on
    assert result.stdout == ""
    assert result.stderr == f"teikit: error: {tmp_path}: folder holds no *.xml file not excluded\n"


def test_verdict_cache_is_reused_and_invalidated(
    runner: CliRunner, tmp_path: Path, private_cache: Path
) -> None:
    doc = tmp_path / "doc.xml"
    shutil.copy(TELEGRAM, doc)
    shutil.copytree(REPO / "schemas", tmp_path.parent / "schemas", dirs_exist_ok=True)
    first = run(runner, "--format", "json", str(doc))
    assert first.exit_code == 0
    assert list((private_cache / "verdicts").glob("*.json"))
    second = run(runner, "--format", "json", str(doc))
    assert json.loads(second.stdout)["files"] == json.loads(first.stdout)["files"]
    # editing the file invalidates its cached verdict
    doc.write_bytes(doc.read_bytes().replace(b'when="1950-06-25"', b'when="1950-06-31"'))
    os.utime(doc, ns=(1, 1))
    third = run(runner, "--format", "json", str(doc))
    assert third.exit_code == 1
    codes = {d["code"] for d in json.loads(third.stdout)["files"][0]["diagnostics"]}
    assert "integrity.invalid-date" in codes
    no_cache = run(runner, "--no-cache", "--format", "json", str(doc))
    assert json.loads(no_cache.stdout)["files"] == json.loads(third.stdout)["files"]


def test_jobs_keep_input_order_and_verdicts(runner: CliRunner, tmp_path: Path) -> None:
    names = []
    for i in range(40):
        path = tmp_path / f"doc{i:02d}.xml"
        body = '<p><persName ref="#x">X</persName></p>' if i % 7 == 0 else "<p/>"
        path.write_text(f"{HEAD}<text>{body}</text></TEI>")
        names.append(str(path))
    schema = str(_any_rng(tmp_path / ".."))
    serial = run(runner, "--no-cache", "-j", "1", "--schema", schema, "--format", "json", *names)
    parallel = run(runner, "--no-cache", "-j", "2", "--schema", schema, "--format", "json", *names)
    assert serial.exit_code == parallel.exit_code == 1
    assert json.loads(serial.stdout)["files"] == json.loads(parallel.stdout)["files"]
    assert [f["file"] for f in json.loads(parallel.stdout)["files"]] == names
    assert sum(not f["valid"] for f in json.loads(parallel.stdout)["files"]) == 6


def test_control_characters_never_reach_the_terminal(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "escape.xml"
    doc.write_bytes(b"<TEI>\n<p>\x1b[2J\x1b]0;pwned\x07 text</p></TEI>\n")
    result = run(runner, "--schema", str(REPO / "schemas/teikit-letter.rng"), str(doc))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert "<p>\\x1b[2J\\x1b]0;pwned\\x07 text</p></TEI>" in result.stderr


def test_cached_verdict_follows_a_changed_register_file(
    runner: CliRunner, tmp_path: Path, private_cache: Path
) -> None:
    register = tmp_path / "register.xml"
    register.write_text(f'{HEAD}<listPlace><place xml:id="kaesong"/></listPlace></TEI>')
    letter = tmp_path / "letter.xml"
    letter.write_text(f'{HEAD}<text><placeName ref="register.xml#kaesong"/></text></TEI>')
    args = ("--no-schematron", "--schema", str(_any_rng(tmp_path / "..")), str(letter))
    assert run(runner, *args).exit_code == 0
    register.write_text(f'{HEAD}<listPlace><place xml:id="seoul"/></listPlace></TEI>')
    os.utime(register, ns=(1, 1))
    result = run(runner, *args)
    assert result.exit_code == 1  # the cached verdict depended on register.xml
    assert "no element with xml:id 'kaesong' in 'register.xml'" in result.stderr


def test_names_scanned_once_per_unchanged_file(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte scan that picks the specialised grammar is kept per unchanged file."""
    import teikit.validation.cache as cache
    from teikit.validation import ValidationOptions, validate

    folder = tmp_path / "letters"
    folder.mkdir()
    for name in ("a.xml", "b.xml"):
        shutil.copyfile(TELEGRAM, folder / name)
    scanned: list[int] = []
    real_scan = cache.scan_vocabulary

    def counting_scan(data: bytes) -> tuple[set[str], set[str], set[str]]:
        scanned.append(len(data))
        return real_scan(data)

    monkeypatch.setattr(cache, "scan_vocabulary", counting_scan)
    options = ValidationOptions(schemas=(SCHEMAS / "teikit-letter.rng",), cache=False)
    first = validate([folder], options)
    assert len(scanned) == 2
    assert list(private_cache.glob("vocabulary.json"))
    second = validate([folder], options)
    assert len(scanned) == 2  # nothing read twice
    assert second.diagnostics == first.diagnostics
    # a changed file is scanned again; a name the cached scan never saw still validates
    (folder / "b.xml").write_bytes(TELEGRAM.read_bytes().replace(b"<p>", b"<p><bogus/>", 1))
    third = validate([folder], options)
    assert len(scanned) == 3
    assert [d.code for d in third.diagnostics if d.file == str(folder / "b.xml")] == ["rng.invalid"]


def test_a_stale_name_scan_cannot_change_a_verdict(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a wrong cached scan only picks a grammar; the document's own names decide.

    The scan here saw neither <bogus/> nor any attribute of the letter: the grammar is
    widened to the document's own elements and attributes before it is used.
    """
    import teikit.validation.cache as cache
    from teikit.validation import ValidationOptions, validate

    letter = tmp_path / "letter.xml"
    letter.write_bytes(TELEGRAM.read_bytes().replace(b"<p>", b"<p><bogus/>", 1))
    monkeypatch.setattr(cache, "scan_vocabulary", lambda data: ({"TEI"}, set(), set()))
    report = validate([letter], ValidationOptions(schemas=(SCHEMAS / "teikit-letter.rng",)))
    assert [d.code for d in report.diagnostics] == ["rng.invalid"]


def test_engine_jing_runs_one_jing_process_per_batch(
    runner: CliRunner, tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--engine jing used to start a JVM per file: 30 minutes for a corpus of 1,300 letters."""
    import subprocess

    from conftest import command

    command("jing")
    for number in range(3):
        shutil.copyfile(TELEGRAM, tmp_path / f"t{number}.xml")
    (tmp_path / "t1.xml").write_bytes(TELEGRAM.read_bytes().replace(b"<p>", b"<p><bogus/>", 1))
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: object) -> object:
        calls.append(args)
        return real_run(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting_run)
    schema = str(SCHEMAS / "teikit-letter.rng")
    result = run(
        runner,
        "--engine",
        "jing",
        "-j",
        "1",
        "--no-schematron",
        "-f",
        "json",
        "--schema",
        schema,
        str(tmp_path),
    )
    assert len(calls) == 1  # one Jing process for the three files
    assert calls[0][-3:] == [str(tmp_path / f"t{n}.xml") for n in range(3)]
    report = json.loads(result.stdout)
    assert [(f["file"].rsplit("/", 1)[1], f["valid"]) for f in report["files"]] == [
        ("t0.xml", True),
        ("t1.xml", False),
        ("t2.xml", True),
    ]
    assert result.exit_code == 1


def test_standard_input_findings_show_their_source_line(
    runner: CliRunner, private_cache: Path
) -> None:
    """The report quotes the lines the workers read; standard input cannot be read twice."""
    data = (EXAMPLES / "invalid-letter.xml").read_bytes()
    schema = str(SCHEMAS / "teikit-letter.rng")
    result = run(runner, "--schema", schema, "-", stdin=data)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    at = lines.index(
        "<stdin>:92: error: @ref='#goethe' points to nothing: no element with xml:id 'goethe' "
        "in the document [integrity.unresolved-pointer]"
    )
    assert lines[at + 1] == '    92 |           <persName ref="#goethe">Mr Goethe</persName>'


def test_cached_verdicts_keep_their_source_lines(
    runner: CliRunner, tmp_path: Path, private_cache: Path
) -> None:
    letter = tmp_path / "letter.xml"
    letter.write_bytes((EXAMPLES / "invalid-letter.xml").read_bytes())
    schema = str(SCHEMAS / "teikit-letter.rng")
    first = run(runner, "--schema", schema, str(letter))
    second = run(runner, "--schema", schema, str(letter))  # from the verdict cache
    assert first.exit_code == second.exit_code == 1
    strip = re.compile(r"\d+\.\d\d s$", re.MULTILINE)  # the summary's time
    assert strip.sub("", second.stderr) == strip.sub("", first.stderr)
    assert '    92 |           <persName ref="#goethe">Mr Goethe</persName>' in second.stderr
    # The same size and time, another word on line 92: the file is checked again (its bytes
    # changed) and the report quotes the line as it is now.
    stat = letter.stat()
    letter.write_bytes(letter.read_bytes().replace(b"Mr Goethe", b"Mr Schmid"))
    os.utime(letter, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = run(runner, "--schema", schema, str(letter))
    fresh = run(runner, "--no-cache", "--schema", schema, str(letter))
    assert third.exit_code == fresh.exit_code == 1
    assert strip.sub("", third.stderr) == strip.sub("", fresh.stderr)
    assert '    92 |           <persName ref="#goethe">Mr Schmid</persName>' in third.stderr


def test_a_run_served_from_the_verdict_cache_loads_neither_lxml_nor_multiprocessing(
    tmp_path: Path, private_cache: Path
) -> None:
    """A re-run over unchanged files must stay a fraction of a cold run: it reads the
    verdicts and prints them, so parsing and worker machinery are never imported."""
    import subprocess
    import sys

    folder = tmp_path / "letters"
    folder.mkdir()
    for number in range(40):  # enough for two worker processes
        shutil.copyfile(TELEGRAM, folder / f"t{number}.xml")
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['teikit', 'validate', '-q', '-j', '2', '--schema', sys.argv[2], sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('teikit', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print(code, sorted(m for m in ('lxml.etree', 'multiprocessing', 'concurrent.futures')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "TEIKIT_CACHE_DIR": str(private_cache)}

    def run_probe() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, str(folder), str(SCHEMAS / "teikit-letter.rng")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        return done.stdout.strip().splitlines()[-1]

    assert run_probe() == "0 ['concurrent.futures', 'lxml.etree', 'multiprocessing']"
    assert run_probe() == "0 []"  # every verdict from the cache


def test_an_altered_name_scan_cache_is_scanned_again(tmp_path: Path, private_cache: Path) -> None:
    """vocabulary.json keeps numbers into its own string table; numbers that point nowhere
    (a bug) make the run scan the files again, not fail."""
    from teikit.resources import read_cache_json, write_cache_file
    from teikit.validation import ValidationOptions, validate

    folder = tmp_path / "letters"
    folder.mkdir()
    for name in ("a.xml", "b.xml"):
        shutil.copyfile(TELEGRAM, folder / name)
    options = ValidationOptions(schemas=(SCHEMAS / "teikit-letter.rng",), cache=False)
    first = validate([folder], options)
    cache = private_cache / "vocabulary.json"
    data = read_cache_json(cache)
    for entry in data["files"].values():
        entry[5] = [10_000, "x"]  # no such string
    assert write_cache_file(cache, json.dumps(data).encode())  # sealed: as if teikit wrote it
    again = validate([folder], options)
    assert again.diagnostics == first.diagnostics
    repaired = read_cache_json(cache)
    assert all(10_000 not in entry[5] for entry in repaired["files"].values())

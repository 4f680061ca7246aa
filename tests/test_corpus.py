"""``teikit validate`` over real corpora from ../shared, compared with Jing (issue 3)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import command, shared_path
from teikit.cli import cli

MALFORMED = {"L00116", "L01059", "L01064", "L01065", "L01069"}


@pytest.fixture(scope="module")
def tillich() -> Path:
    return shared_path("corpora", "tillich-briefe")


@pytest.fixture(scope="module")
def tei_all() -> Path:
    return shared_path("schemas", "tei-p5", "tei_all.rng")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def run_json(args: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(cache))
    result = CliRunner().invoke(cli, ["validate", "--format", "json", *args])
    assert result.exit_code == 1, result.stderr
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


@pytest.mark.corpus
def test_relaxng_verdicts_equal_jing_on_every_tillich_letter(
    tillich: Path, tei_all: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editions = tillich / "editions"
    data = run_json(
        ["--schema", str(tei_all), "--no-schematron", "--no-integrity", str(editions)],
        cache,
        monkeypatch,
    )
    ours = {Path(f["file"]).stem for f in data["files"] if not f["valid"]}
    assert data["summary"]["files"] == 1331
    assert data["summary"]["valid"] == 1298
    assert len(ours - MALFORMED) == 28
    # the malformed letters are reported with line and column, and the run went on
    for entry in data["files"]:
        if Path(entry["file"]).stem in MALFORMED:
            (finding,) = entry["diagnostics"]
            assert finding["code"] == "xml.not-well-formed"
            assert finding["line"]
            assert finding["column"]
    jing = command("jing")
    # Jing stops a batch at the first file that is not well-formed: give it the others
    files = sorted(str(p) for p in editions.glob("*.xml") if p.stem not in MALFORMED)
    completed = subprocess.run(
        [jing, str(tei_all), *files], capture_output=True, text=True, check=False
    )
    theirs = {
        Path(m.group(1)).stem
        for m in re.finditer(r"^(/[^:]+\.xml):\d+:\d+: (?:fatal|error)", completed.stdout, re.M)
    }
    assert len(theirs) == 28
    assert ours - MALFORMED == theirs


@pytest.mark.corpus
def test_everything_on_with_indexes(
    tillich: Path, tei_all: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    indices = tillich / "indices"
    args = [
        "--schema",
        str(tei_all),
        "--index",
        str(indices / "listperson.xml"),
        "--index",
        str(indices / "listplace.xml"),
        str(tillich / "editions"),
    ]
    data = run_json(args, cache, monkeypatch)
    codes: dict[str, int] = {}
    for entry in data["files"]:
        for finding in entry["diagnostics"]:
            codes[finding["code"]] = codes.get(finding["code"], 0) + 1
    # TEI All's embedded Schematron runs: <p> inside <p> and an empty msIdentifier
    assert codes["sch.report"] == 4
    assert codes["xml.not-well-formed"] == 5
    assert codes["integrity.unresolved-pointer"] > 1000  # rs type="work" keys, letter links
    assert "integrity.duplicate-id" not in codes
    # the verdict cache gives the same answer for unchanged files
    again = run_json(args, cache, monkeypatch)
    assert again["files"] == data["files"]


def test_embedded_schematron_of_tei_all_reports_an_empty_calendar_date(
    tei_all: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "calendar.xml"
    doc.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>t</title>'
        "</titleStmt><publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
        '</fileDesc></teiHeader><text><body><p><date calendar="#julian"/></p></body></text></TEI>'
    )
    data = run_json(["--schema", str(tei_all), str(doc)], tmp_path / "cache", monkeypatch)
    (finding,) = data["files"][0]["diagnostics"]
    assert finding["code"] == "sch.assert"
    assert "@calendar" in finding["message"]
    assert finding["line"] == 1

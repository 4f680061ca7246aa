"""Defaults that fit other people's corpora (issue 12, item 3).

A file that declares no schema is validated against TEI All (bundled, TEI P5 4.12.0, with
its embedded Schematron), said once for the run; the letter customisation applies only
where it is declared or configured, and a declared ``teikit-letter.*`` missing on disk is
replaced by the bundled copy, with a notice; every "schema not found" says how to provide it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REPO, TELEGRAM, shared_path
from teikit.cli import cli
from teikit.namespaces import TEI_NS
from teikit.validation.schemas import TEI_ALL_VERSION, default_schemas

EXAMPLES = REPO / "examples"
DEFAULT_NOTICE = (
    "no schema declared (no <?xml-model?>, --schema or teikit.toml): validated against "
    "TEI All (TEI P5 4.12.0, bundled with teikit) and its embedded Schematron; to use another "
    "schema, declare it with <?xml-model?>, pass --schema FILE, or name it in teikit.toml "
    "(schema = [...]) [schema.default]"
)
# Valid TEI All, but not valid against the letter customisation (no <lg>/<l> there, no
# publicationStmt/p): what a stranger's corpus looks like.
POEM = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}">
  <teiHeader><fileDesc><titleStmt><title>A poem</title></titleStmt>
    <publicationStmt><p>Unpublished.</p></publicationStmt>
    <sourceDesc><p>Born digital.</p></sourceDesc></fileDesc></teiHeader>
  <text><body><lg><l>One line,</l><l>and another.</l></lg></body></text>
</TEI>
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)


def validate(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def corpus(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"poem{n}.xml" for n in range(count)]
    for path in paths:
        path.write_text(POEM, encoding="utf-8")
    return paths


def test_the_bundled_tei_all_is_the_4_12_0_release() -> None:
    (ref,) = default_schemas()
    head = ref.path.read_text(encoding="utf-8").splitlines()[:10]
    edition = f"TEI Edition: P5 Version\u00a0{TEI_ALL_VERSION}."  # a no-break space, as TEI has
    assert any(line.startswith(edition) for line in head)
    assert ref.path.stat().st_size == 1_098_331  # the Vault's file, byte for byte (SOURCE.md)


def test_no_schema_means_tei_all_with_one_notice_for_the_run(tmp_path: Path) -> None:
    paths = corpus(tmp_path / "poems", 3)
    result = validate(str(tmp_path / "poems"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    notices = [line for line in result.stderr.splitlines() if "[schema." in line]
    assert notices == [f"info: 3 of 3 files: {DEFAULT_NOTICE}"]
    assert all(str(path) not in result.stderr for path in paths)  # nothing said per file
    # the same from the verdict cache
    again = validate(str(tmp_path / "poems"))
    assert [line for line in again.stderr.splitlines() if "[schema." in line] == notices


def test_json_report_carries_the_notice_once_and_no_file_carries_it(tmp_path: Path) -> None:
    corpus(tmp_path / "poems", 2)
    shutil.copyfile(TELEGRAM, tmp_path / "poems" / "telegram.xml")  # declares its schemas
    result = validate("--no-cache", "-f", "json", str(tmp_path / "poems"))
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert [(n["code"], n["message"][:54], n["file"]) for n in report["notices"]] == [
        ("schema.default", "2 of 3 files: no schema declared (no <?xml-model?>, --", None),
        # the telegram's ../schemas/ is not beside the copy: teikit's own copies stand in
        ("schema.bundled-copy", "1 of 3 files: schema ../schemas/teikit-letter.rng not ", None),
        ("schema.bundled-copy", "1 of 3 files: schema ../schemas/teikit-letter.sch not ", None),
    ]
    codes = [d["code"] for f in report["files"] for d in f["diagnostics"]]
    assert "schema.default" not in codes
    assert report["summary"]["infos"] == 0


def test_tei_all_embedded_schematron_runs(tmp_path: Path) -> None:
    """TEI All's own Schematron: @calendar on a date without content is reported."""
    path = tmp_path / "calendar.xml"
    path.write_text(POEM.replace("<l>One line,</l>", '<l>On <date calendar="#g"/>,</l>'))
    result = validate("--no-cache", "-f", "json", str(path))
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    assert finding["code"] == "sch.assert"
    assert "calendar" in finding["message"]


def test_the_letter_schema_applies_only_where_declared(tmp_path: Path) -> None:
    poem = corpus(tmp_path / "poems", 1)[0]
    assert validate("--no-cache", str(poem)).exit_code == 0  # TEI All: valid
    letter = str(REPO / "schemas" / "teikit-letter.rng")
    declared = tmp_path / "declared.xml"
    declared.write_text(
        POEM.replace("<TEI ", f'<?xml-model href="{letter}" type="application/xml"?>\n<TEI ', 1)
    )
    result = validate("--no-cache", str(declared))
    assert result.exit_code == 1  # the letter customisation has no <lg>
    assert "[rng.invalid]" in result.stderr
    assert "[schema." not in result.stderr


def test_teikit_toml_names_the_letter_schema_by_name(tmp_path: Path) -> None:
    poem = corpus(tmp_path / "project", 1)[0]
    (tmp_path / "project" / "teikit.toml").write_text('schema = ["teikit-letter.rng"]\n')
    result = validate("--no-cache", str(poem))
    assert result.exit_code == 1  # the letter customisation, from teikit's bundled copy
    assert "[rng.invalid]" in result.stderr
    assert (
        "info: 1 of 1 file: schema teikit-letter.rng not found: validated against teikit's "
        "bundled copy of teikit-letter.rng [schema.bundled-copy]"
    ) in result.stderr.splitlines()


@pytest.mark.parametrize("example", ["minimal-letter.xml", "invalid-letter.xml"])
def test_a_letter_copied_out_of_examples_uses_the_bundled_letter_schema(
    tmp_path: Path, example: str
) -> None:
    copy = tmp_path / "mine" / example
    copy.parent.mkdir()
    shutil.copyfile(EXAMPLES / example, copy)  # declares ../schemas/teikit-letter.rng/.sch
    result = validate("--no-cache", str(copy))
    original = validate("--no-cache", str(EXAMPLES / example))
    assert result.exit_code == original.exit_code == (0 if example.startswith("min") else 1)
    notices = [line for line in result.stderr.splitlines() if "[schema." in line]
    assert notices == [
        f"info: 1 of 1 file: schema ../schemas/teikit-letter.{suffix} not found: validated "
        f"against teikit's bundled copy of teikit-letter.{suffix} [schema.bundled-copy]"
        for suffix in ("rng", "sch")
    ]
    assert "not found (looked for" not in result.stderr
    # the same findings as the original in examples/, where the schema is on disk
    assert [
        line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith(f"{copy}:")
    ] == [
        line.split(": ", 1)[1]
        for line in original.stderr.splitlines()
        if line.startswith(f"{EXAMPLES / example}:")
    ]


def test_every_schema_not_found_says_how_to_provide_it(tmp_path: Path) -> None:
    doc = tmp_path / "letter.xml"
    doc.write_text(POEM.replace("<TEI ", '<?xml-model href="custom/project.rng"?>\n<TEI ', 1))
    result = validate("--no-cache", "-f", "json", str(doc))
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    assert finding["code"] == "schema.unavailable"
    assert finding["line"] == 2
    assert finding["message"] == (
        f"schema custom/project.rng not found (looked for {tmp_path / 'custom/project.rng'}): "
        "give the schema with --schema FILE, store a copy with `teikit schema add project.rng "
        "FILE`, put the folder that holds it in TEIKIT_SCHEMA_PATH, or name one in teikit.toml "
        "(schema = [...])"
    )
    remote = tmp_path / "remote.xml"
    remote.write_text(
        POEM.replace("<TEI ", '<?xml-model href="https://example.org/s/odd.rng"?>\n<TEI ', 1)
    )
    result = validate("--no-cache", "-f", "json", str(remote))
    (finding,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    for advice in ("--schema FILE", "teikit schema add odd.rng FILE", "TEIKIT_SCHEMA_PATH"):
        assert advice in finding["message"]
    assert "teikit.toml" in finding["message"]
    missing = validate("--schema", str(tmp_path / "nowhere.rng"), str(doc))
    assert missing.exit_code == 3
    assert "teikit schema list" in missing.stderr


def test_a_missing_local_schema_is_found_by_name_on_the_schema_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = tmp_path / "copies"
    copies.mkdir()
    shutil.copyfile(REPO / "schemas" / "teikit-letter.rng", copies / "project.rng")
    monkeypatch.setenv("TEIKIT_SCHEMA_PATH", str(copies))
    doc = tmp_path / "letter.xml"
    doc.write_text(POEM.replace("<TEI ", '<?xml-model href="custom/project.rng"?>\n<TEI ', 1))
    result = validate("--no-cache", str(doc))
    assert result.exit_code == 1  # the letter grammar, found as copies/project.rng
    assert "[rng.invalid]" in result.stderr
    assert "[schema.unavailable]" not in result.stderr


def test_a_tei_all_url_uses_the_bundled_copy(tmp_path: Path) -> None:
    url = "https://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_all.rng"
    doc = tmp_path / "poem.xml"
    doc.write_text(POEM.replace("<TEI ", f'<?xml-model href="{url}"?>\n<TEI ', 1))
    result = validate("--no-cache", str(doc))
    assert result.exit_code == 0, result.stderr
    assert (
        f"info: 1 of 1 file: schema {url} not found: validated against teikit's bundled copy "
        "of tei_all.rng [schema.bundled-copy]"
    ) in result.stderr.splitlines()


def test_github_and_junit_reports_carry_the_notice_once(tmp_path: Path) -> None:
    corpus(tmp_path / "poems", 2)
    github = validate("--no-cache", "-f", "github", str(tmp_path / "poems"))
    assert github.exit_code == 0
    notices = [line for line in github.stdout.splitlines() if line.startswith("::notice")]
    assert len(notices) == 1
    assert notices[0].startswith("::notice title=schema.default::2 of 2 files: no schema")
    junit = validate("--no-cache", "-f", "junit", str(tmp_path / "poems"))
    assert junit.stdout.count("[schema.default]") == 1


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_letters_get_tei_all_not_the_letter_schema() -> None:
    """The Tillich letters declare no schema (SOURCE.md): TEI All, the verdicts of --schema."""
    tillich = shared_path("corpora", "tillich-briefe")
    tei_all = shared_path("schemas", "tei-p5", "tei_all.rng")
    editions = str(tillich / "editions")
    default = json.loads(validate("--no-integrity", "-f", "json", editions).stdout)
    explicit = json.loads(
        validate("--no-integrity", "-f", "json", "--schema", str(tei_all), editions).stdout
    )
    (notice,) = default["notices"]
    # 5 of the 1,331 letters are not well-formed (SOURCE.md): no schema is chosen for them
    assert notice["message"].startswith("1326 of 1331 files: no schema declared")
    verdicts = {f["file"]: f["valid"] for f in default["files"]}
    assert verdicts == {f["file"]: f["valid"] for f in explicit["files"]}
    assert sum(verdicts.values()) == explicit["summary"]["valid"] > 1000

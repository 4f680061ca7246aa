"""Configuration you can see and trust (issues 12 and 17): one discovery for every command.

Found from each input file's folder up to the project root; a file someone else could
have planted is skipped; ``--config FILE`` names one; every report says which it used.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from conftest import ANY_GRAMMAR, REPO, TELEGRAM, teikit_as_nobody
from teikit.cli import cli
from teikit.config import configs_for, discover

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TEI_NS = "http://www.tei-c.org/ns/1.0"
#: Invalid against any TEI schema; valid against the grammar below, which takes anything.
INVALID = f'<TEI xmlns="{TEI_NS}"><bogus/></TEI>\n'


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def validate_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, object]]:
    result = invoke(runner, "validate", "--no-cache", "--no-integrity", "-f", "json", *args)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def permissive(tmp_path: Path) -> Path:
    schema = tmp_path / "any.rng"
    schema.write_text(ANY_GRAMMAR)
    return schema


# -- the project root ------------------------------------------------------------------------


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_discovery_stops_at_the_project_root(
    runner: CliRunner, tmp_path: Path, permissive: Path, marker: str
) -> None:
    (tmp_path / "teikit.toml").write_text(f'schema = "{permissive}"\n')
    project = tmp_path / "project"
    (project / "letters").mkdir(parents=True)
    if marker == ".git":
        (project / ".git").mkdir()
    else:
        (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    letter = project / "letters" / "letter.xml"
    letter.write_text(INVALID)
    assert discover(letter.parent).path is None
    code, report = validate_json(runner, str(letter))
    assert code == 1  # the outer teikit.toml's permissive schema does not apply
    assert report["configuration"] == []

    (project / "teikit.toml").write_text(f'schema = "{permissive}"\n')  # at the root: used
    code, report = validate_json(runner, str(letter))
    assert code == 0
    assert report["configuration"] == [str(project / "teikit.toml")]
    assert report["schemas"] == [str(permissive)]


def test_each_file_has_its_own_configuration(
    runner: CliRunner, tmp_path: Path, permissive: Path
) -> None:
    loose, strict = tmp_path / "loose", tmp_path / "strict"
    for folder in (loose, strict):
        folder.mkdir()
        (folder / "letter.xml").write_text(INVALID)
    (loose / "teikit.toml").write_text(f'schema = "{permissive}"\n')
    (strict / "teikit.toml").write_text("[lint]\nskip = ['note']\n")
    code, report = validate_json(runner, str(loose / "letter.xml"), str(strict / "letter.xml"))
    assert code == 1
    files = report["files"]
    assert isinstance(files, list)
    assert [f["valid"] for f in files] == [True, False]
    assert report["configuration"] == [str(loose / "teikit.toml"), str(strict / "teikit.toml")]


def test_the_same_rows_from_any_working_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """entities reads the configuration of the files, not of the folder it is run from."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "teikit.toml").write_text('[mentions]\nmood = "tei:p"\n')
    (corpus / "doc.xml").write_text(f'<TEI xmlns="{TEI_NS}"><text><p>calm</p></text></TEI>')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outputs = []
    for folder in (corpus, elsewhere):
        monkeypatch.chdir(folder)
        result = invoke(runner, "entities", "-f", "json", "-t", "mood", str(corpus / "doc.xml"))
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert [row["type"] for row in json.loads(outputs[1])] == ["mood"]


# -- --config ------------------------------------------------------------------------------


def test_config_option_names_the_file(runner: CliRunner, tmp_path: Path, permissive: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "letter.xml").write_text(INVALID)
    (letters / "teikit.toml").write_text("[lint]\n")  # found, but --config wins
    chosen = tmp_path / "settings" / "strict.toml"
    chosen.parent.mkdir()
    chosen.write_text('schema = "../any.rng"\n[mentions]\nmood = "tei:bogus"\n')
    code, report = validate_json(runner, "--config", str(chosen), str(letters / "letter.xml"))
    assert code == 0
    assert report["configuration"] == [str(chosen)]
    assert report["schemas"] == [str(chosen.parent / "../any.rng")]
    rows = invoke(
        runner, "entities", "--config", str(chosen), "-f", "json", str(letters / "letter.xml")
    )
    assert [row["type"] for row in json.loads(rows.stdout)] == ["mood"]


@pytest.mark.parametrize("command", ["validate", "lint", "entities", "export", "annotate"])
def test_every_command_has_config(runner: CliRunner, command: str) -> None:
    result = invoke(runner, command, "--help")
    assert "--config FILE" in result.stdout
    missing = invoke(runner, command, "--config", "/nonexistent/teikit.toml", str(TELEGRAM))
    assert missing.exit_code == 2
    assert "'/nonexistent/teikit.toml' does not exist" in missing.stderr


def test_lint_reads_the_named_configuration(runner: CliRunner, tmp_path: Path) -> None:
    letter = tmp_path / "telegram.xml"
    letter.write_bytes(TELEGRAM.read_bytes())
    policy = REPO / "tei" / "teikit.toml"  # the telegram's own policy, named explicitly
    plain = invoke(runner, "lint", "-f", "json", str(letter))
    named = invoke(runner, "lint", "-f", "json", "--config", str(policy), str(letter))
    assert json.loads(plain.stdout)["configuration"] == []
    assert json.loads(named.stdout)["configuration"] == [str(policy)]
    assert named.exit_code == 0
    assert plain.exit_code == 1  # without the policy, notes and demonyms are flagged


# -- reports say what they used -----------------------------------------------------------------


def test_reports_name_configuration_and_schemas(
    runner: CliRunner, tmp_path: Path, permissive: Path
) -> None:
    config = tmp_path / "teikit.toml"
    config.write_text('schema = "any.rng"\n')
    letter = tmp_path / "letter.xml"
    letter.write_text(INVALID)
    human = invoke(runner, "validate", "--no-cache", str(letter))
    assert human.exit_code == 0
    lines = human.stderr.splitlines()
    assert f"configuration: {config}" in lines
    assert f"schemas: {permissive}" in lines
    junit = invoke(runner, "validate", "--no-cache", "-f", "junit", str(letter))
    suite = etree.fromstring(junit.stdout.encode()).find("testsuite")
    assert suite is not None
    properties = [(p.get("name"), p.get("value")) for p in suite.iterfind("properties/property")]
    assert properties == [("configuration", str(config)), ("schema", str(permissive))]
    quiet = invoke(runner, "validate", "--no-cache", "-q", str(letter))
    assert quiet.stderr == ""


# -- files someone else could have planted -------------------------------------------------------


@pytest.fixture
def shared_parent() -> Iterator[Path]:
    """A folder like /tmp (mode 1777), in a folder everyone may enter; root only."""
    if not IS_ROOT:
        pytest.skip("needs root to give files to other users")
    base = Path(tempfile.mkdtemp(prefix="teikit-shared-"))
    try:
        base.chmod(0o755)
        shared = base / "shared"
        shared.mkdir()
        shared.chmod(0o1777)
        yield shared
    finally:
        shutil.rmtree(base)


def _plant(shared: Path, owner: int) -> Path:
    """Put a teikit.toml whose schema passes anything into *shared*, owned by *owner*."""
    schema = shared.parent / "any.rng"
    schema.write_text(ANY_GRAMMAR)
    schema.chmod(0o644)
    planted = shared / "teikit.toml"
    planted.write_text(f'schema = "{schema}"\n')
    planted.chmod(0o644)
    os.chown(planted, owner, owner)
    return planted


def _victim_letter(shared: Path, owner: int) -> Path:
    home = shared / "victim"
    home.mkdir()
    letter = home / "letter.xml"
    letter.write_text(INVALID)
    for path in (home, letter):
        os.chown(path, owner, owner)
    home.chmod(0o755)
    letter.chmod(0o644)
    return letter


def test_a_planted_configuration_is_ignored(runner: CliRunner, shared_parent: Path) -> None:
    nobody = pwd.getpwnam("nobody").pw_uid
    planted = _plant(shared_parent, owner=4242)  # another user's
    letter = _victim_letter(shared_parent, owner=os.geteuid())
    found = discover(letter.parent)
    assert found.path is None
    assert found.skipped == ((planted, "owned by another user"),)
    code, report = validate_json(runner, str(letter))
    assert code == 1  # still invalid: the planted schema was not used
    assert report["configuration"] == []
    assert report["ignored_configuration"] == [f"{planted} (owned by another user)"]

    # as a second user, the victim being nobody
    os.chown(letter.parent, nobody, nobody)
    os.chown(letter, nobody, nobody)
    done = _as_nobody(["validate", "--no-cache", "-f", "json", str(letter)], letter.parent)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["ignored_configuration"] == [
        f"{planted} (owned by another user)"
    ]


def test_a_folder_writable_by_others_is_not_trusted(tmp_path: Path, permissive: Path) -> None:
    open_folder = tmp_path / "open"
    (open_folder / "letters").mkdir(parents=True)
    (open_folder / "teikit.toml").write_text(f'schema = "{permissive}"\n')
    open_folder.chmod(0o777)  # no sticky bit: anyone may replace the file
    assert discover(open_folder / "letters").skipped == (
        (open_folder / "teikit.toml", "its folder is writable by other users"),
    )
    open_folder.chmod(0o1777)  # sticky, and the file is ours: trusted
    assert discover(open_folder / "letters").path == open_folder / "teikit.toml"
    (open_folder / "teikit.toml").chmod(0o666)  # but not a file anyone may write
    assert discover(open_folder / "letters").path is None
    used, skipped = configs_for([open_folder / "letters" / "x.xml"])
    assert used == []
    assert skipped == [(open_folder / "teikit.toml", "writable by other users")]


def _as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``teikit ARGS`` as the user nobody (skip where that cannot be done)."""
    return teikit_as_nobody(args, cwd)

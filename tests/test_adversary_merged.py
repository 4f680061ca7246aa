"""Issue 17, checked again on the merged branches: attacks that only exist together.

Each test here is a case found by attacking the merged main (the report lines that name the
configuration and schemas, outputs, caches and the guards of the other branches); the
cases that could hang run in a subprocess with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from conftest import ANY_GRAMMAR, command, run_teikit
from teikit.cli import cli

TEI = "http://www.tei-c.org/ns/1.0"
LETTER = (
    f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>'
    "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
    "</fileDesc></teiHeader><text><body><p>Hello</p></body></text></TEI>\n"
)
HOSTILE = "proj\nFORGED: error \x1b[31m"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def tmp_path_of(project: Path) -> str:
    return str(project.parent)


@pytest.fixture
def hostile_project(tmp_path: Path) -> Path:
    """A project whose folder and schema names hold a newline and an ESC."""
    project = tmp_path / HOSTILE
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    (project / "s\nFORGED2.rng").write_text(ANY_GRAMMAR)
    (project / "teikit.toml").write_text('schema = ["s\\nFORGED2.rng"]\n')
    (project / "a.xml").write_text(LETTER)
    return project


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_configuration_and_schema_lines_cannot_forge_a_line(
    hostile_project: Path, command: str
) -> None:
    result = invoke(command, str(hostile_project / "a.xml"))
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert not [line for line in lines if line.startswith("FORGED")]
    assert "\x1b" not in result.stderr
    configuration = [line for line in lines if line.startswith("configuration: ")]
    base = tmp_path_of(hostile_project)
    assert configuration == [f"configuration: {base}/proj\\x0aFORGED: error \\x1b[31m/teikit.toml"]


def test_junit_properties_escape_hostile_configuration_paths(hostile_project: Path) -> None:
    result = invoke("validate", "-f", "junit", str(hostile_project / "a.xml"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    tree = etree.fromstring(result.stdout.encode())
    values = {p.get("name"): p.get("value") for p in tree.iter("property")}
    base = tmp_path_of(hostile_project)
    assert values == {
        "configuration": f"{base}/proj\\x0aFORGED: error \\x1b[31m/teikit.toml",
        "schema": f"{base}/proj\\x0aFORGED: error \\x1b[31m/s\\x0aFORGED2.rng",
    }


def test_json_configuration_paths_are_escaped_like_file_names(hostile_project: Path) -> None:
    result = invoke("validate", "-f", "json", str(hostile_project / "a.xml"))
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    base = tmp_path_of(hostile_project)
    assert document["configuration"] == [f"{base}/proj\\x0aFORGED: error \\x1b[31m/teikit.toml"]
    assert document["schemas"] == [f"{base}/proj\\x0aFORGED: error \\x1b[31m/s\\x0aFORGED2.rng"]


def teikit_process(
    *args: str, cwd: Path, timeout: float = 60, memory: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run teikit in a child process with a time limit and (*memory*) 1.5 GB of address
    space (too little for Java to start)."""
    return run_teikit(*args, cwd=cwd, timeout=timeout, memory=1536 << 20 if memory else None)


@pytest.mark.parametrize("command", ["validate", "lint", "entities", "export --to text"])
def test_config_naming_a_fifo_or_a_device_is_refused_not_read(tmp_path: Path, command: str) -> None:
    (tmp_path / "a.xml").write_text(LETTER)
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    for name, why in (
        ("fifo.toml", "a FIFO (named pipe), not a file: not read"),
        ("zero.toml", "a character device, not a file: not read"),
    ):
        result = teikit_process(*command.split(), "--config", name, "a.xml", cwd=tmp_path)
        message = f"{name}: cannot read configuration: {why}"
        assert message in result.stderr
        assert "internal error" not in result.stderr
        assert result.returncode == (1 if command == "validate" else 3), result.stderr


def test_a_huge_or_utf16_teikit_toml_found_by_discovery_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.xml").write_text(LETTER)
    toml = tmp_path / "teikit.toml"
    toml.write_text('schema = ["x.rng"]\n', encoding="utf-16")
    result = teikit_process("lint", "a.xml", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == (
        "teikit: error: "
        f"{toml}: cannot read configuration: not UTF-8 (byte 0); TOML files are UTF-8\n"
    )
    toml.unlink()
    with toml.open("wb") as handle:  # 2 GiB, sparse: the address space limit is 1.5 GB
        handle.truncate(2 << 30)
    result = teikit_process("lint", "a.xml", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == (
        f"teikit: error: {toml}: cannot read configuration: larger than 16,777,216 bytes, "
        "the limit for a configuration file\n"
    )


PARTIAL_RESULT = """
import multiprocessing, os, struct, time
from concurrent.futures import ProcessPoolExecutor
from teikit.interrupts import ignore_interrupts, stop_pool

POOL = None

def partial_result(_):
    # what a worker terminated in the middle of writing a large result leaves in the pipe
    os.write(POOL._result_queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"abc")
    time.sleep(60)

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    POOL = ProcessPoolExecutor(2, mp_context=context, initializer=ignore_interrupts)
    POOL.submit(partial_result, 0)
    time.sleep(1)
    stop_pool(POOL)
    print("stopped", flush=True)
"""


def test_a_worker_stopped_while_writing_a_result_does_not_hang_the_exit(tmp_path: Path) -> None:
    """Ctrl-C during ``validate -j 2`` printed "interrupted" and hung now and then: the
    pool's manager thread waited for the rest of a result for ever, and Python joins it."""
    script = tmp_path / "partial.py"
    script.write_text(PARTIAL_RESULT)
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "stopped\n", "")


@pytest.mark.parametrize("engine", ["lxml", "jing"])
@pytest.mark.parametrize("reference", ["include", "externalRef"])
def test_a_relaxng_include_of_a_fifo_or_a_device_is_refused(
    tmp_path: Path, engine: str, reference: str
) -> None:
    if engine == "jing":
        command("jing")  # skipped where jing is missing, except in CI, which requires it
    (tmp_path / "d.xml").write_text(LETTER)
    os.mkfifo(tmp_path / "fifo.rng")
    (tmp_path / "zero.rng").symlink_to("/dev/zero")
    names = ["fifo.rng"]
    if engine == "lxml":  # Java cannot start in the address space that keeps a regression
        names.append("zero.rng")  # reading /dev/zero from filling the memory
    for name in names:
        pattern = f'<{reference} href="{name}"/>'
        if reference == "externalRef":
            pattern = f"<start>{pattern}</start>"
        (tmp_path / "s.rng").write_text(
            f'<grammar xmlns="http://relaxng.org/ns/structure/1.0">{pattern}</grammar>\n'
        )
        result = teikit_process(
            "validate", "--no-cache", "--engine", engine, "--schema", "s.rng", "d.xml",
            cwd=tmp_path, memory=engine == "lxml", timeout=30,
        )  # fmt: skip
        assert result.returncode == 3, result.stderr
        if name == "fifo.rng":
            assert result.stderr == (
                f"teikit: error: {tmp_path / name}: a FIFO (named pipe), not a file: not read\n"
            )
        else:  # refused as a link out of the schema's folder
            assert result.stderr == (
                f"teikit: error: {tmp_path / 's.rng'}:1: refused {reference} of 'zero.rng': "
                f"/dev/zero is outside the schema's folder {tmp_path}\n"
            )


def test_an_xsd_declared_utf7_is_refused_by_the_xmlschema_engine(tmp_path: Path) -> None:
    body = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="TEI"/></xs:schema>'
    )
    hidden = body.replace("<", "+ADw-").replace(">", "+AD4-")
    (tmp_path / "s.xsd").write_bytes(b'<?xml version="1.0" encoding="UTF-7"?>\n' + hidden.encode())
    (tmp_path / "d.xml").write_text(LETTER)
    result = invoke(
        "validate", "--no-cache", "--xsd-engine", "xmlschema",
        "--schema", str(tmp_path / "s.xsd"), str(tmp_path / "d.xml"),
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr == (
        f"teikit: error: {tmp_path / 's.xsd'}: encoding 'UTF-7' is not read by teikit (it can "
        "hide markup: '+ADw-' is '<'); convert the document to UTF-8 (see docs/security.md for "
        "the encodings teikit reads)\n"
    )


@pytest.mark.parametrize("engine", ["lxml", "xmlschema"])
def test_an_xsd_including_a_fifo_is_refused_not_a_hang(tmp_path: Path, engine: str) -> None:
    """xmlschema opened the files of xs:include itself: a FIFO among them hung the run."""
    os.mkfifo(tmp_path / "fifo.xsd")
    (tmp_path / "x.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:include schemaLocation="fifo.xsd"/><xs:element name="a"/></xs:schema>'
    )
    (tmp_path / "d.xml").write_text("<a/>")
    done = teikit_process(
        "validate", "--no-cache", "--xsd-engine", engine, "--schema", "x.xsd", "d.xml",
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "fifo.xsd" in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("name", "engine"),
    [("s.rng", "lxml"), ("s.xsd", "lxml"), ("s.xsd", "xmlschema")],
)
def test_a_schema_declared_utf7_is_refused_by_every_engine(
    tmp_path: Path, name: str, engine: str
) -> None:
    """UTF-7 can hide markup ('+ADw-' is '<'): schemas are input too (issue 17)."""
    body = (
        '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="a">'
        "<empty/></element></start></grammar>"
        if name.endswith(".rng")
        else '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a"/>'
        "</xs:schema>"
    )
    (tmp_path / name).write_bytes(b'<?xml version="1.0" encoding="UTF-7"?>' + body.encode())
    (tmp_path / "d.xml").write_text("<a/>")
    result = invoke(
        "validate", "--no-cache", "--xsd-engine", engine, "--schema", str(tmp_path / name),
        str(tmp_path / "d.xml"),
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "UTF-7" in result.stderr
    assert "internal error" not in result.stderr

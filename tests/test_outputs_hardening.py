"""Outputs that never destroy (issue 17): devices, FIFOs, stdout, ``-o -``, ``DIR/``, Ctrl-C.

CI runs as root, where a rename over ``/dev/null`` succeeds and replaces the device with a
plain file: the device tests need root (``mknod``) and run there.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import ANY_GRAMMAR, REPO, TELEGRAM, teikit_as_nobody
from teikit.cli import cli
from teikit.errors import OutputError
from teikit.output import atomic_open
from teikit.resources import write_cache_file

SCHEMA = REPO / "schemas" / "teikit-letter.rng"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    """A copy of the telegram that names no schema (it is checked with --schema)."""
    copy = tmp_path / "letter.xml"
    copy.write_bytes(TELEGRAM.read_bytes())
    return copy


def _commands(letter: Path, target: str) -> list[list[str]]:
    """One run of every command that has -o, writing to *target*."""
    return [
        [
            "validate",
            "--no-cache",
            "--schema",
            str(SCHEMA),
            "-f",
            "json",
            "-o",
            target,
            str(letter),
        ],
        ["lint", "-f", "json", "-o", target, str(letter)],
        ["entities", "-f", "csv", "-o", target, str(letter)],
        ["export", str(letter), "--to", "json", "-o", target],
        ["register", "build", str(letter), "-f", "json", "-o", target],
        ["annotate", str(letter), "-o", target],
    ]


# -- devices, FIFOs, descriptors ------------------------------------------------------------


@pytest.fixture
def char_device(tmp_path: Path) -> Path:
    """A /dev/null stand-in (major 1, minor 3) in tmp; root only."""
    if not IS_ROOT:
        pytest.skip("mknod of a character device needs root (CI runs as root)")
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:  # pragma: no cover - a container without CAP_MKNOD
        pytest.skip(f"cannot create a device here: {exc}")
    return device


@pytest.mark.parametrize("command", range(6), ids=["validate", "lint", "entities", "export",
                                                   "register", "annotate"])  # fmt: skip
def test_a_character_device_is_written_into_not_replaced(
    runner: CliRunner, letter: Path, char_device: Path, command: int
) -> None:
    args = _commands(letter, str(char_device))[command]
    result = invoke(runner, *args)
    assert result.exit_code in (0, 1), result.stderr
    assert "cannot write" not in result.stderr
    assert stat.S_ISCHR(os.lstat(char_device).st_mode)  # still the device
    assert os.lstat(char_device).st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in char_device.parent.iterdir()) == ["letter.xml", "null"]


def test_a_symlink_to_a_device_stays_a_symlink(
    runner: CliRunner, letter: Path, char_device: Path
) -> None:
    link = letter.parent / "out.json"
    link.symlink_to(char_device)
    result = invoke(runner, *_commands(letter, str(link))[0])
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert stat.S_ISCHR(os.lstat(char_device).st_mode)


def test_a_fifo_is_written_into(letter: Path) -> None:
    fifo = letter.parent / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done = subprocess.run(
        [sys.executable, "-m", "teikit", *_commands(letter, str(fifo))[0]],
        capture_output=True,
        timeout=60,
        check=False,
    )
    reader.join(10)
    assert done.returncode == 0, done.stderr
    assert json.loads(received[0])["summary"]["files"] == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1", "link"])
def test_dev_stdout_reaches_stdout(letter: Path, target: str) -> None:
    """-o /dev/stdout, or a link to the descriptor, writes to stdout; the link is kept."""
    link = letter.parent / "link"
    link.symlink_to("/proc/self/fd/1")
    named = str(link) if target == "link" else target
    done = subprocess.run(
        [sys.executable, "-m", "teikit", *_commands(letter, named)[0]],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["files"] == 1
    assert done.stderr == b""
    assert link.is_symlink()
    assert os.readlink(link) == "/proc/self/fd/1"
    assert os.path.islink("/dev/stdout")


def test_dev_null_as_a_normal_user(letter: Path) -> None:
    """A user who may not create files in /dev can still write a report to /dev/null."""
    base = Path(tempfile.mkdtemp(prefix="teikit-null-"))
    try:
        base.chmod(0o755)
        copy = base / "letter.xml"
        shutil.copyfile(letter, copy)
        copy.chmod(0o644)
        done = _as_nobody(
            [
                "validate",
                "--no-cache",
                "--schema",
                str(SCHEMA),
                "-f",
                "json",
                "-o",
                "/dev/null",
                str(copy),
            ],  # fmt: skip
            cwd=base,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == b""
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    finally:
        shutil.rmtree(base)


def _as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``teikit ARGS`` as the user nobody (skip where that cannot be done)."""
    return teikit_as_nobody(args, cwd)


# -- -o - and -o DIR/ -----------------------------------------------------------------------


@pytest.mark.parametrize("command", range(6), ids=["validate", "lint", "entities", "export",
                                                   "register", "annotate"])  # fmt: skip
def test_dash_is_standard_output_for_every_command(
    runner: CliRunner, letter: Path, monkeypatch: pytest.MonkeyPatch, command: int
) -> None:
    monkeypatch.chdir(letter.parent)
    result = invoke(runner, *_commands(letter, "-")[command])
    assert result.exit_code in (0, 1), result.stderr
    assert not (letter.parent / "-").exists()
    if command == 2:
        assert result.stdout.startswith("document,")
    elif command == 5:
        assert result.stdout.startswith("<?xml")
        assert result.stdout.count("<TEI ") == 1
    else:
        assert json.loads(result.stdout)


def test_trailing_slash_is_a_folder_even_for_one_document(
    runner: CliRunner, letter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(letter.parent)
    result = invoke(runner, "export", str(letter), "--to", "markdown", "-o", "site/")
    assert result.exit_code == 0, result.stderr
    assert (letter.parent / "site").is_dir()
    assert [p.name for p in (letter.parent / "site").iterdir()] == ["letter.md"]


@pytest.mark.parametrize("command", [0, 1, 2, 4, 5], ids=["validate", "lint", "entities",
                                                          "register", "annotate"])  # fmt: skip
def test_one_file_commands_refuse_a_folder(
    runner: CliRunner, letter: Path, monkeypatch: pytest.MonkeyPatch, command: int
) -> None:
    monkeypatch.chdir(letter.parent)
    result = invoke(runner, *_commands(letter, "out/")[command])
    assert result.exit_code == 2
    assert "out/ names a folder (trailing '/'); this command writes one file" in result.stderr
    assert sorted(p.name for p in letter.parent.iterdir()) == ["letter.xml"]


# -- never over what the run read ------------------------------------------------------------


def _refused(result: Result, target: Path, before: bytes) -> None:
    assert result.exit_code == 3, result.stderr
    assert result.stderr == f"teikit: error: {target}: refusing to overwrite an input file\n"
    assert target.read_bytes() == before
    assert [p for p in target.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_output_never_replaces_a_declared_schema(runner: CliRunner, tmp_path: Path) -> None:
    schema = tmp_path / "any.rng"
    schema.write_text(ANY_GRAMMAR)
    doc = tmp_path / "doc.xml"
    doc.write_bytes(
        b'<?xml-model href="any.rng" schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
        + TELEGRAM.read_bytes().split(b"?>", 1)[1].split(b"?>", 2)[-1]
    )
    before = schema.read_bytes()
    _refused(invoke(runner, "validate", "--no-cache", "-f", "json", "-o", str(schema), str(doc)),
             schema, before)  # fmt: skip


def test_output_never_replaces_the_stylesheet(runner: CliRunner, letter: Path) -> None:
    xslt = letter.parent / "view.xsl"
    xslt.write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><html/></xsl:template></xsl:stylesheet>'
    )
    before = xslt.read_bytes()
    result = invoke(runner, "export", str(letter), "--to", "html", "--xslt", str(xslt), "-o",
                    str(xslt))  # fmt: skip
    _refused(result, xslt, before)


@pytest.mark.parametrize("name", ["teikit.toml", "pyproject.toml"])
@pytest.mark.parametrize("command", range(6), ids=["validate", "lint", "entities", "export",
                                                   "register", "annotate"])  # fmt: skip
def test_output_never_replaces_the_configuration(
    runner: CliRunner, letter: Path, name: str, command: int
) -> None:
    config = letter.parent / name
    config.write_text(("[tool.teikit]\n" if name == "pyproject.toml" else "") + "[lint]\n")
    before = config.read_bytes()
    _refused(invoke(runner, *_commands(letter, str(config))[command]), config, before)


# -- interrupted runs -----------------------------------------------------------------------


def test_write_cache_file_leaves_nothing_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(source: str, target: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_cache_file(tmp_path / "cache.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_atomic_open_leaves_nothing_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import teikit.output

    monkeypatch.setattr(teikit.output, "_open_anonymous", lambda folder: None)  # named temp
    target = tmp_path / "out.json"

    def interrupted() -> None:
        with atomic_open(target) as stream:
            stream.write("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="is a folder"), atomic_open(tmp_path) as stream:
        stream.write("x")


def test_ctrl_c_exits_130_with_one_line(runner: CliRunner, letter: Path) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    import teikit.cli.validate

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(teikit.cli.validate, "run_validation", interrupted)
        result = runner.invoke(cli, ["validate", str(letter)])
    assert result.exit_code == 130
    assert result.stderr == "teikit: interrupted\n"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _has_loaded(pid: int, library: str) -> bool:
    """Return whether process *pid* has mapped *library* (teikit is past Python's start)."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.fixture
def corpus() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="teikit-interrupt-"))
    data = TELEGRAM.read_bytes()
    for number in range(480):  # long enough a run that most interrupts land in it
        (folder / f"t{number:03}.xml").write_bytes(data)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_during_validate_jobs_2_never_hangs(corpus: Path) -> None:
    """Twenty interrupts, at several moments of a two-worker run: 130, no hang, no leftover."""
    env = {**os.environ, "TEIKIT_CACHE_DIR": str(corpus / ".cache")}
    args = [sys.executable, "-m", "teikit", "validate", "--jobs", "2", "--no-cache", "--schema",
            str(SCHEMA), "-f", "json", "-o", str(corpus / "report.json"), str(corpus)]  # fmt: skip
    subprocess.run(args, env=env, capture_output=True, timeout=120, check=False)  # warm up
    (corpus / "report.json").unlink()
    rng = random.Random(17)
    outcomes = []
    for attempt in range(20):
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        if attempt % 4 == 0:  # every 4th run: while the command starts, before the workers
            while not _has_loaded(process.pid, "lxml") and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.05)  # past lxml's own start-up, which swallows an interrupt
        while attempt % 4 and len(workers) < 2 and time.monotonic() < deadline:
            workers = _children(process.pid)
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.25))
        if attempt % 2:  # a terminal's Ctrl-C goes to the whole process group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        try:
            _out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - the bug this test is about
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"attempt {attempt}: still running 30 s after Ctrl-C")
        outcomes.append(process.returncode)
        if process.returncode != 0:  # 0: the run was over before the signal came
            assert process.returncode == 130, (attempt, err)
            assert err.decode() == "teikit: interrupted\n", err
        assert [p.name for p in corpus.iterdir() if p.name.endswith(".tmp")] == []
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers - {process.pid}), attempt
        (corpus / "report.json").unlink(missing_ok=True)
    assert outcomes.count(130) >= 12, outcomes

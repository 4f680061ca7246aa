"""Every command over the bad-input corpus in tests/data/bad (issue 6).

The expected outcome of each file is in tests/data/bad/MANIFEST.toml. The corpus is copied
into a temporary folder first (templates get the port of a loopback listener that records
every connection), so no repository file is ever an argument of a command that writes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

import teikit
from conftest import DATA, REPO, TELEGRAM
from teikit.cli import cli
from teikit.errors import DocumentLoadError, InputError
from teikit.namespaces import TEI_NS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BAD = DATA / "bad"
MANIFEST: dict[str, Any] = tomllib.loads((BAD / "MANIFEST.toml").read_text(encoding="utf-8"))
FILES: dict[str, dict[str, Any]] = {
    name.removesuffix(".in"): entry for name, entry in MANIFEST["files"].items()
}
GENERATED: dict[str, dict[str, Any]] = MANIFEST["generated"]
EVERYTHING: dict[str, dict[str, Any]] = {**FILES, **GENERATED}
SECRET = (BAD / "secret.txt").read_text(encoding="utf-8").strip()


#: The commands that read documents and write a report or an output file.
COMMANDS = ["validate", "entities", "export"]
FINDING = re.compile(
    r"^(?P<file>\S+?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?: "
    r"(?P<severity>error|warning|info): (?P<message>.*) \[(?P<code>[\w.-]+)\]$"
)
UNREAD = re.compile(r"^  (?P<file>\S+?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?: (?P<message>.+)$")


class Listener:
    """A loopback TCP server that records every connection made to it."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.port: int = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, address = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(address)
            connection.close()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join()
        self._socket.close()


def materialize(target: Path, port: int) -> Path:
    """Copy the corpus to *target*: templates filled in with *port*, ``x.xml`` a folder."""
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(BAD.iterdir()):
        if source.name == "MANIFEST.toml":
            continue
        if source.name.endswith(".in"):
            text = source.read_bytes().replace(b"@PORT@", str(port).encode())
            (target / source.name.removesuffix(".in")).write_bytes(text)
        else:
            shutil.copyfile(source, target / source.name)
    (target / "x.xml").mkdir()
    return target


def sha256_tree(folder: Path) -> dict[str, str]:
    """Return the SHA-256 of every file below *folder*."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def expected_text(text: str, port: int) -> str:
    """Return a manifest string with the listener's port filled in."""
    return text.replace("@PORT@", str(port))


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Path:
    return materialize(tmp_path_factory.mktemp("bad"), listener.port)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: Path) -> None:
    """Run every command inside the corpus copy, with a private cache and no schema path."""
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)
    monkeypatch.chdir(corpus)


def arguments(command: str, name: str, out: Path) -> list[str]:
    """Return the command line that runs *command* over *name*, writing into *out*."""
    if command == "validate":
        return ["validate", "--no-cache", "-j", "1", name]
    if command == "entities":
        return ["entities", "-o", str(out / "out.csv"), name]
    return ["export", name, "-o", str(out / "out.json")]


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    # anything but a clean exit is a bug: TeikitGroup maps errors onto exit codes itself
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return result


def findings(result: Result, name: str) -> list[str]:
    """Return the findings of *result* at warning level or above as ``LINE:COL code``."""
    found: list[str] = []
    unread: list[str] = []
    for line in result.stderr.splitlines():
        match = FINDING.match(line)
        if match and match["file"] == name and match["severity"] != "info":
            position = ":".join(p for p in (match["line"], match["column"]) if p)
            found.append(f"{position} {match['code']}".strip())
        match = UNREAD.match(line)
        if match and match["file"] == name:
            unread.append(":".join(p for p in (match["line"], match["column"]) if p))
    if unread:  # `entities` names the codes of unread files only in its summary counts
        counts = re.search(r"findings: (.*)$", result.stderr, re.MULTILINE)
        assert counts, result.stderr
        codes = [item.split(" ", 1)[1] for item in counts.group(1).split(", ")]
        unread_codes = [code for code in codes if code.startswith(("xml.", "io.", "tei."))]
        assert len(unread_codes) == len(unread) == 1, result.stderr
        found.append(f"{unread[0]} {unread_codes[0]}".strip())
    return found


# -- the corpus and its manifest ------------------------------------------------------------


def test_manifest_describes_every_file_and_every_class() -> None:
    on_disk = {p.name for p in BAD.iterdir()} - {"MANIFEST.toml", "secret.txt"}
    assert on_disk == set(MANIFEST["files"])
    assert set(GENERATED) == {"x.xml"}
    classes = Counter(entry["class"] for entry in EVERYTHING.values())
    assert set(classes) == {
        "accepted",
        "encoding",
        "not-well-formed",
        "refused",
        "hostile",
        "not-tei",
        "semantic",
    }
    for entry in EVERYTHING.values():
        assert {"class", "what", "load", "validate", "entities"} <= set(entry)


def test_corpus_files_are_small_and_the_secret_is_only_in_secret_txt() -> None:
    for path in BAD.iterdir():
        assert path.stat().st_size < 32_000, path
        if path.name != "secret.txt":
            assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_loader_outcome(corpus: Path, listener: Listener, name: str) -> None:
    entry = EVERYTHING[name]
    if entry["load"] == "ok":
        assert teikit.load(corpus / name).root is not None
        return
    if entry["load"] == "io.unreadable":
        with pytest.raises(DocumentLoadError) as unreadable:
            teikit.load(name)
        assert str(unreadable.value) == entry["message"]
        return
    with pytest.raises(InputError) as caught:
        teikit.load(name)
    diagnostic = caught.value.diagnostic
    position = ":".join(str(p) for p in (diagnostic.line, diagnostic.column) if p is not None)
    assert (diagnostic.code, position) == (entry["load"], entry["position"])
    assert diagnostic.message == expected_text(entry["message"], listener.port)
    assert diagnostic.file == name
    assert "\n" not in diagnostic.message
    assert SECRET not in str(caught.value)
    assert listener.connections == []


def is_read(entry: dict[str, Any]) -> bool:
    """Return whether the commands read the file as TEI (well-formed, a TEI P5 root)."""
    return bool(entry["load"] == "ok" and entry["class"] != "not-tei")


@pytest.mark.parametrize("command", ["validate", "entities"])
@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_command_outcome(
    corpus: Path, listener: Listener, tmp_path: Path, command: str, name: str
) -> None:
    entry = EVERYTHING[name]
    expected = entry[command]
    before = sha256_tree(corpus)
    result = invoke(*arguments(command, name, tmp_path))
    assert result.exit_code == expected["exit"], result.stderr
    assert findings(result, name) == expected["findings"], result.stderr
    if expected["exit"] == 3:
        first, *rest = result.stderr.splitlines()
        assert first.startswith(expected_text(expected["stderr"], listener.port))
        assert rest == []
    if command == "entities" and entry["load"] not in ("ok", "io.unreadable"):
        # the error summary names the file with its position and libxml2's message
        location = ":".join(filter(None, (name, entry["position"])))
        summary = f"  {location}: {expected_text(entry['message'], listener.port)}"
        assert summary in result.stderr.splitlines()
    if command == "entities":
        out = tmp_path / "out.csv"
        assert out.exists() == is_read(entry)  # nothing read: no empty file written
        if out.exists():
            rows = out.read_text(encoding="utf-8").splitlines()
            assert rows[0].startswith("document,type,element,")
    assert sha256_tree(corpus) == before
    assert SECRET not in result.stdout + result.stderr
    assert listener.connections == []


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_export_is_safe_on_every_file(
    corpus: Path, listener: Listener, tmp_path: Path, name: str
) -> None:
    entry = EVERYTHING[name]
    before = sha256_tree(corpus)
    result = invoke(*arguments("export", name, tmp_path))
    out = tmp_path / "out.json"
    if entry["load"] == "io.unreadable":
        # click checks export's PATHS: a usage error (2), where entities says 3
        assert result.exit_code in (2, 3)
        assert not out.exists()
    elif entry["load"] != "ok":
        assert result.exit_code == 1
        location = ":".join(filter(None, (name, entry["position"])))
        assert f"{location}: error: " in result.stderr
        assert f"[{entry['load']}]" in result.stderr
        assert not out.exists()
    elif not is_read(entry):  # not TEI P5: a finding, nothing written
        assert result.exit_code == 1
        assert f"{name}:" in result.stderr
        assert "[tei.not-tei]" in result.stderr
        assert not out.exists()
    else:
        assert result.exit_code in (0, 1)
        assert out.read_text(encoding="utf-8").rstrip().endswith(("}", "]"))
    assert sha256_tree(corpus) == before
    assert SECRET not in result.stdout + result.stderr
    assert listener.connections == []


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_register_build_is_safe_on_every_file(
    corpus: Path, listener: Listener, tmp_path: Path, name: str
) -> None:
    entry = EVERYTHING[name]
    before = sha256_tree(corpus)
    out = tmp_path / "register.xml"
    result = invoke("register", "build", name, "-o", str(out))
    if entry["load"] == "io.unreadable":
        assert result.exit_code == 3  # a directory named x.xml: nothing to read
        assert not out.exists()
    elif entry["load"] != "ok":
        assert result.exit_code == 1  # reported with its position; no document: no proposal
        location = ":".join(filter(None, (name, entry["position"])))
        assert f"{location}: error: " in result.stderr
        assert f"[{entry['load']}]" in result.stderr
        assert not out.exists()
    elif not is_read(entry):
        assert result.exit_code == 1
        assert "[tei.not-tei]" in result.stderr
        assert not out.exists()
    else:
        assert result.exit_code == 0, result.stderr
        assert etree.parse(str(out)).getroot().tag == f"{{{TEI_NS}}}TEI"
    assert sha256_tree(corpus) == before
    assert SECRET not in result.stdout + result.stderr
    assert not out.exists() or SECRET.encode() not in out.read_bytes()
    assert listener.connections == []


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_lint_and_annotate_are_safe_on_every_file(
    corpus: Path, listener: Listener, tmp_path: Path, name: str
) -> None:
    entry = EVERYTHING[name]
    before = sha256_tree(corpus)
    report = tmp_path / "report.json"
    linted = invoke("lint", "-f", "json", "-o", str(report), name)
    out = tmp_path / "annotated.xml"
    annotated = invoke("annotate", name, "-o", str(out))
    if entry["load"] == "io.unreadable":  # a directory named x.xml: nothing to read
        assert linted.exit_code == 3
        assert annotated.exit_code == 2  # click: FILE must be a file, like export's PATHS
        assert not report.exists()
        assert not out.exists()
    elif entry["load"] != "ok":
        # lint: a finding with its position, like validate; annotate: cannot run on it
        assert linted.exit_code == 1
        (found,) = [f for f in json.loads(report.read_text(encoding="utf-8"))["files"]]
        codes = [d["code"] for d in found["diagnostics"] if d["severity"] == "error"]
        assert codes == [entry["load"]]
        assert annotated.exit_code == 3
        assert annotated.stderr.startswith("teikit: error: ")
        assert not out.exists()
    elif not is_read(entry):  # not TEI P5: the same finding from both, nothing written
        assert linted.exit_code == 1
        (found,) = [f for f in json.loads(report.read_text(encoding="utf-8"))["files"]]
        assert [d["code"] for d in found["diagnostics"]] == ["tei.not-tei"]
        assert annotated.exit_code == 1
        assert annotated.stderr.startswith(f"{name}:")
        assert annotated.stderr.rstrip().endswith("[tei.not-tei]")
        assert not out.exists()
    else:
        assert linted.exit_code in (0, 1)
        json.loads(report.read_text(encoding="utf-8"))
        assert annotated.exit_code == 0, annotated.stderr
        teikit.load(out)  # well-formed (duplicate ids are findings, not parse errors)
        assert SECRET.encode() not in out.read_bytes()
    assert sha256_tree(corpus) == before
    for result in (linted, annotated):
        assert SECRET not in result.stdout + result.stderr
    assert not report.exists() or SECRET not in report.read_text(encoding="utf-8")
    assert listener.connections == []


def test_every_command_over_the_whole_folder(
    corpus: Path, listener: Listener, tmp_path: Path
) -> None:
    before = sha256_tree(corpus)
    unreadable = sorted(n for n, e in FILES.items() if not is_read(e))
    result = invoke("validate", "--no-cache", "-j", "2", ".")
    assert result.exit_code == 1
    assert re.search(rf"^\s+{len(FILES)}\s+\d+\s+\d+\s", result.stderr, re.MULTILINE)
    for name in unreadable:
        assert re.search(rf"^{re.escape(name)}(:\d+(:\d+)?)?: error: ", result.stderr, re.M)
    report = tmp_path / "report.json"
    result = invoke("validate", "--no-cache", "-f", "json", "-o", str(report), ".")
    assert result.exit_code == 1
    assert report.read_text(encoding="utf-8").rstrip().endswith("}")
    result = invoke("entities", "-o", str(tmp_path / "all.csv"), ".")
    assert result.exit_code == 1
    assert f"error summary: {len(unreadable)} file(s) could not be read:" in result.stderr
    exported = invoke("export", ".", "--to", "json", "-o", str(tmp_path / "site"))
    assert exported.exit_code == 1
    assert SECRET not in exported.stdout + exported.stderr
    assert sha256_tree(corpus) == before
    assert SECRET not in result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in report.read_text(encoding="utf-8")
    assert listener.connections == []


def test_debug_adds_a_traceback_to_failures_only() -> None:
    plain = invoke("entities", "x.xml")
    assert plain.stderr == "teikit: error: x.xml: folder holds no *.xml file\n"
    debug = CliRunner().invoke(cli, ["--debug", "entities", "x.xml"])
    assert debug.exit_code == 3
    assert "Traceback" in debug.stderr
    assert debug.stderr.endswith("teikit: error: x.xml: folder holds no *.xml file\n")
    finding = CliRunner().invoke(cli, ["--debug", "validate", "--no-cache", "nwf-truncated.xml"])
    assert finding.exit_code == 1
    assert "Traceback" not in finding.stderr  # a finding is not a failure


# -- generated huge inputs: limits with clear messages ---------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (
            b"<p>" * 100_000 + b"</p>" * 100_000,
            "xml.limit-exceeded",
            "element nesting depth exceeds 256 levels; teikit keeps this limit on purpose",
        ),
        (
            b"<p>" + b"x" * 10_000_001 + b"</p>",
            "xml.limit-exceeded",
            "a text node is longer than 10,000,000 characters; teikit keeps this limit on purpose",
        ),
    ],
    ids=["100000-deep", "11-MB-text-node"],
)
@pytest.mark.parametrize("command", ["validate", "entities"])
def test_limits_are_refused_with_a_position(
    tmp_path: Path, command: str, content: bytes, code: str, message: str
) -> None:
    path = tmp_path / "huge.xml"
    path.write_bytes(b'<TEI xmlns="http://www.tei-c.org/ns/1.0">' + content + b"</TEI>")
    result = invoke(*arguments(command, str(path), tmp_path))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if message in line]
    assert lines, result.stderr
    assert re.match(rf"^\s*{re.escape(str(path))}:1:\d+: ", lines[0])
    if command == "validate":
        assert lines[0].endswith(f"[{code}]")


# -- nothing lost -----------------------------------------------------------------------------


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    path = tmp_path / "work" / "letter.xml"
    shutil.copyfile(BAD / "ok-minimal.xml", path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["entities", "-f", "csv", "-o", "{input}", "{input}"],
        ["entities", "-f", "json", "-o", "{input}", "{input}"],
        ["validate", "--no-cache", "-f", "json", "-o", "{input}", "{input}"],
        ["validate", "--no-cache", "-f", "junit", "-o", "{input}", "{folder}"],
        ["export", "{input}", "--to", "json", "-o", "{input}"],
    ],
)
def test_output_naming_an_input_is_refused(letter: Path, args: list[str]) -> None:
    before = letter.read_bytes()
    filled = [a.format(input=letter, folder=letter.parent) for a in args]
    result = invoke(*filled)
    assert result.exit_code == 3
    assert result.stderr == f"teikit: error: {letter}: refusing to overwrite an input file\n"
    assert letter.read_bytes() == before
    assert [p.name for p in letter.parent.iterdir() if p.name.endswith(".tmp")] == []


def _fail_with(number: int) -> Any:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(number, os.strerror(number))

    return fail


@pytest.mark.parametrize(
    ("where", "number", "named"),
    [
        ("teikit.output._open_anonymous", errno.EROFS, False),
        ("teikit.output._open_anonymous", errno.EACCES, False),
        ("tempfile.mkstemp", errno.EROFS, True),
        ("tempfile.mkstemp", errno.EACCES, True),
        ("os.link", errno.EACCES, False),
        ("os.replace", errno.EACCES, False),
        ("os.replace", errno.EACCES, True),
        ("os.fsync", errno.ENOSPC, False),
        ("os.fsync", errno.ENOSPC, True),
    ],
    ids=[
        "read-only-folder",
        "no-permission",
        "read-only-folder-named",
        "no-permission-named",
        "link-refused",
        "rename-refused",
        "rename-refused-named",
        "disk-full-at-sync",
        "disk-full-at-sync-named",
    ],
)
@pytest.mark.parametrize("command", ["entities", "validate"])
def test_unwritable_output_is_a_clear_error_and_leaves_no_file(
    letter: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    where: str,
    number: int,
    named: bool,
) -> None:
    # Tests run as root in CI, where chmod does not stop writes: simulate the failure, with
    # the unnamed temporary file (Linux O_TMPFILE) and with the named fallback.
    out = letter.parent / ("out.csv" if command == "entities" else "report.json")
    if named:
        monkeypatch.setattr("teikit.output._open_anonymous", lambda _folder: None)
    monkeypatch.setattr(where, _fail_with(number))
    if command == "entities":
        result = invoke("entities", "-o", str(out), str(letter))
    else:
        result = invoke("validate", "--no-cache", "-f", "json", "-o", str(out), str(letter))
    assert result.exit_code == 3
    assert result.stderr == f"teikit: error: {out}: cannot write: {os.strerror(number)}\n"
    assert sorted(p.name for p in letter.parent.iterdir()) == ["letter.xml"]


def test_full_disk_in_the_middle_of_writing(letter: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    written: list[int] = []

    class FullDisk(io.FileIO):
        def write(self, data: Any) -> int:
            if sum(written) + len(data) > 256:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(len(data))
            return super().write(data)

    def fdopen(fd: int, mode: str = "r", *, encoding: str, newline: str | None) -> Any:
        assert mode == "w"
        return io.TextIOWrapper(
            io.BufferedWriter(FullDisk(fd, "w"), buffer_size=64),
            encoding,
            newline=newline,
            write_through=True,
        )

    out = letter.parent / "out.csv"
    out.write_text("the previous version\n", encoding="utf-8")
    monkeypatch.setattr("teikit.output.os.fdopen", fdopen)
    result = invoke("entities", "-o", str(out), str(letter))
    assert result.exit_code == 3
    assert result.stderr == f"teikit: error: {out}: cannot write: No space left on device\n"
    assert sum(written) > 0  # it failed in the middle, not before the first byte
    assert out.read_text(encoding="utf-8") == "the previous version\n"
    assert sorted(p.name for p in letter.parent.iterdir()) == ["letter.xml", "out.csv"]


def _output_being_written(pid: int, folder: Path) -> Path | None:
    """Return /proc/PID/fd/N of a non-empty file the process is writing in *folder*."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if target.startswith(f"{folder}/") and fd.stat().st_size > 0:
                return fd
        except OSError:  # the descriptor closed meanwhile
            continue
    return None


#: ``python -c`` program: teikit, whose output stream, after its first write, flushes, tells
#: the test on descriptor ``$READY_FD`` and waits to be killed, half-way through its output.
_PAUSE_AFTER_FIRST_WRITE = """
import contextlib, os, sys
import teikit.output

real_atomic_open = teikit.output.atomic_open


class Pausing:
    def __init__(self, stream):
        self._stream = stream

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def write(self, text):
        written = self._stream.write(text)
        if text:
            self._stream.flush()
            os.write(int(os.environ["READY_FD"]), b"writing\\n")
            sys.stdin.buffer.read()  # blocks until SIGKILL (or until the test has gone)
            os._exit(99)
        return written


@contextlib.contextmanager
def atomic_open(path, **options):
    with real_atomic_open(path, **options) as stream:
        yield Pausing(stream)


teikit.output.atomic_open = atomic_open  # before teikit.cli imports it
from teikit.cli import main

sys.argv[0] = "teikit"
main()
"""


@pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs /proc to watch the writer's files"
)
@pytest.mark.parametrize("previous", [None, "the previous version\n"], ids=["new", "replace"])
def test_sigkill_in_the_middle_of_entities_leaves_no_partial_output(
    tmp_path: Path, previous: str | None
) -> None:
    """kill -9 once teikit has written part of its output (it says so): nothing is left.

    No timing: the child stops itself after its first write and signals on a pipe.
    """
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(5):
        shutil.copyfile(TELEGRAM, corpus / f"t{number:03}.xml")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.csv"
    if previous is not None:
        out.write_text(previous, encoding="utf-8")
    ready_read, ready_write = os.pipe()
    env = {**os.environ, "TEIKIT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ""}
    env["READY_FD"] = str(ready_write)
    with (tmp_path / "stderr").open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PAUSE_AFTER_FIRST_WRITE,
                "entities",
                "-o",
                str(out),
                str(corpus),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            cwd=REPO,
            pass_fds=(ready_write,),
        )
    os.close(ready_write)
    try:
        # a guard against a hang only: the child says "writing", or exits (end of file)
        readable, _, _ = select.select([ready_read], [], [], 120)
        said = os.read(ready_read, 64) if readable else b"(nothing within 120 s)"
        assert said == b"writing\n", (said, (tmp_path / "stderr").read_text(errors="replace"))
        assert process.poll() is None
        assert _output_being_written(process.pid, out_dir) is not None
        os.kill(process.pid, signal.SIGKILL)
    finally:
        os.close(ready_read)
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdin is not None
        process.stdin.close()
    assert process.returncode == -signal.SIGKILL
    if previous is None:
        assert not out.exists()
    else:
        assert out.read_text(encoding="utf-8") == previous
    # The data went to an unnamed file (O_TMPFILE): nothing at all is left behind.
    assert sorted(p.name for p in out_dir.iterdir()) == ([] if previous is None else ["out.csv"])


def test_listener_records_connections() -> None:
    """The loopback listener works, so zero recorded connections means zero were made."""
    server = Listener()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=2):
            pass
        deadline = time.monotonic() + 2
        while not server.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(server.connections) == 1
    finally:
        server.close()

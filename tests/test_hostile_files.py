"""What teikit reads (issue 17): special files, links, sizes, hostile names, encodings.

Every command reads only regular files inside the folder the user named, within a size
limit; what it does not read is a finding (``io.*``), never a hang, an internal error or
a silent skip. No name forges a line of a report, in any format; a file that is not XML is
never quoted. The cases that could hang (a FIFO, /dev/zero) run in a subprocess with a
timeout, so that a regression fails instead of blocking the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import teikit
from conftest import nobody_prefix
from teikit.cli import cli
from teikit.diagnostics import Diagnostic, Report, Severity, escape_text
from teikit.errors import InputError
from teikit.reports import to_github, to_json, to_junit
from teikit.sources import RefusedPath, expand_paths

TEI = "http://www.tei-c.org/ns/1.0"
LETTER = (
    f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>'
    "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
    "</fileDesc></teiHeader><text><body><p>Hello</p></body></text></TEI>\n"
)
SECRET = "TEIKIT-HOSTILE-SECRET-42"
COMMANDS = {
    "validate": ["validate", "--no-cache"],
    "lint": ["lint"],
    "entities": ["entities"],
}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TEIKIT_MAX_FILE_SIZE", raising=False)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def teikit_process(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run teikit in a subprocess: a hang fails the test after *timeout* seconds."""
    return subprocess.run(
        [sys.executable, "-m", "teikit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.xml").write_text(LETTER, encoding="utf-8")
    return folder


# -- special files ---------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("command", ["validate", "lint", "entities", "export"])
@pytest.mark.parametrize("named", ["in a folder", "by name"])
def test_a_fifo_is_a_finding_never_a_hang(corpus: Path, command: str, named: str) -> None:
    os.mkfifo(corpus / "pipe.xml")
    target = "corpus" if named == "in a folder" else "corpus/pipe.xml"
    args = {"export": ["export", "--to", "json", "-o", "out"]}.get(command, COMMANDS.get(command))
    assert args is not None
    result = teikit_process(*args, target, cwd=corpus.parent)
    assert result.returncode == 1, result.stderr
    assert "corpus/pipe.xml: " in result.stderr
    assert "a FIFO (named pipe), not a file: not read" in result.stderr
    assert "io.not-a-regular-file" in result.stderr
    assert "internal error" not in result.stderr


def test_links_to_devices_and_system_files_are_refused(corpus: Path) -> None:
    (corpus / "zero.xml").symlink_to("/dev/zero")
    (corpus / "environ.xml").symlink_to("/proc/self/environ")
    result = teikit_process("validate", "--no-cache", "corpus", cwd=corpus.parent)
    assert result.returncode == 1
    assert (
        "corpus/zero.xml: error: symbolic link to the system file /dev/zero: teikit never "
        "reads /proc, /sys or /dev [io.symlink-refused]" in result.stderr
    )
    assert "corpus/environ.xml: error: symbolic link to the system file /proc/" in result.stderr
    # named on the command line, /dev/zero is not even opened; --follow-symlinks changes nothing
    named = teikit_process(
        "validate", "--no-cache", "--follow-symlinks", "/dev/zero", cwd=corpus.parent
    )
    assert named.returncode == 1
    assert "/dev/zero: error: a character device, not a file: not read" in named.stderr


def test_a_sparse_2_gib_file_is_refused_before_it_is_read(corpus: Path) -> None:
    huge = corpus / "huge.xml"
    with huge.open("wb") as handle:
        os.truncate(handle.fileno(), 2 << 30)
    result = teikit_process("validate", "--no-cache", "corpus", cwd=corpus.parent, timeout=30)
    assert result.returncode == 1
    assert (
        "corpus/huge.xml: error: file of 2,147,483,648 bytes is larger than the limit of "
        "536,870,912 bytes: not read (--max-file-size or TEIKIT_MAX_FILE_SIZE raise it) "
        "[io.too-large]" in result.stderr
    )


def test_the_size_limit_is_an_option_and_an_environment_variable(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = (corpus / "good.xml").stat().st_size
    result = invoke("validate", "--no-cache", "--max-file-size", "100", str(corpus / "good.xml"))
    assert result.exit_code == 1
    assert f"file of {size:,} bytes is larger than the limit of 100 bytes" in result.stderr
    assert invoke("validate", "--no-cache", str(corpus / "good.xml")).exit_code == 0
    monkeypatch.setenv("TEIKIT_MAX_FILE_SIZE", "100")
    result = invoke("lint", str(corpus / "good.xml"))
    assert "larger than the limit of 100 bytes" in result.stderr, result.stderr
    monkeypatch.setenv("TEIKIT_MAX_FILE_SIZE", "1K")
    assert invoke("lint", str(corpus / "good.xml")).exit_code == 0
    assert invoke("validate", "--max-file-size", "lots", str(corpus)).exit_code == 2


def test_loops_dangling_links_and_folders_named_like_documents(corpus: Path) -> None:
    (corpus / "loop.xml").symlink_to("loop.xml")
    (corpus / "dangling.xml").symlink_to("nowhere.xml")
    (corpus / "linked-folder.xml").symlink_to(corpus / "sub", target_is_directory=True)
    (corpus / "sub").mkdir()
    result = invoke("validate", "--no-cache", str(corpus))
    assert result.exit_code == 1, result.stderr
    err = result.stderr.replace(str(corpus), "C")
    assert "C/loop.xml: error: symbolic link loop: the link never ends [io.symlink-loop]" in err
    assert (
        "C/dangling.xml: error: symbolic link to 'nowhere.xml', which does not exist "
        "[io.dangling-symlink]" in err
    )
    assert "C/linked-folder.xml: error: a folder, not a file: not read" in err
    for command in ("entities", "lint"):
        other = invoke(command, str(corpus))
        assert other.exit_code == 1
        assert "io.symlink-loop" in other.stderr or "link never ends" in other.stderr
        assert "internal error" not in other.stderr
    found = expand_paths([corpus])  # the linked folder is refused when it is read
    assert sum(isinstance(p, RefusedPath) for p in found) == 2


def test_a_link_out_of_the_corpus_is_not_read_and_never_quoted(corpus: Path) -> None:
    outside = corpus.parent / "secrets.xml"
    outside.write_text(f"TOKEN={SECRET}\n", encoding="utf-8")
    (corpus / "passwd.xml").symlink_to("/etc/passwd")
    (corpus / "secret.xml").symlink_to(outside)
    (corpus / "inside.xml").symlink_to(corpus / "good.xml")
    for fmt in ("human", "json", "junit", "github"):
        result = invoke("validate", "--no-cache", "-f", fmt, str(corpus))
        assert result.exit_code == 1
        assert SECRET not in result.output
        assert "root:" not in result.output
    err = invoke("validate", "--no-cache", str(corpus)).stderr
    assert "passwd.xml: error: symbolic link to a file outside the folder named" in err
    assert "inside.xml: error" not in err
    report = json.loads(invoke("validate", "--no-cache", "-f", "json", str(corpus)).stdout)
    (inside,) = [f for f in report["files"] if f["file"].endswith("inside.xml")]  # read
    assert not [d for d in inside["diagnostics"] if d["severity"] == "error"]
    # with --follow-symlinks they are read, but a file that is not XML is never quoted
    followed = invoke("validate", "--no-cache", "--follow-symlinks", str(corpus))
    assert "secret.xml:1:1: error: Start tag expected" in followed.stderr
    assert SECRET not in followed.stderr
    assert "root:" not in followed.stderr
    for command in ("lint", "entities"):
        result = invoke(command, "--follow-symlinks", str(corpus))
        assert SECRET not in result.output
        assert "root:" not in result.output


def test_a_text_file_named_like_a_document_is_not_quoted(corpus: Path) -> None:
    (corpus / "notes.xml").write_text(f"API_KEY={SECRET}\n", encoding="utf-8")
    for fmt in ("human", "json", "junit", "github"):
        result = invoke("validate", "--no-cache", "-f", fmt, str(corpus))
        assert result.exit_code == 1
        assert "Start tag expected" in result.output
        assert SECRET not in result.output
    # not-well-formed XML is still quoted: it is what the user has to mend
    (corpus / "notes.xml").write_text("<TEI>\n<p>broken</TEI>\n", encoding="utf-8")
    assert "     2 | <p>broken</TEI>" in invoke("validate", "--no-cache", str(corpus)).stderr


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="teikit-hostile-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


def as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    user = nobody_prefix()
    env = {**os.environ, "HOME": str(cwd), "TEIKIT_CACHE_DIR": str(cwd / "cache")}
    return subprocess.run(
        [*user, sys.executable, "-m", "teikit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreadable_files_and_folders_are_findings_for_another_user(shared_tmp: Path) -> None:
    corpus = shared_tmp / "corpus"
    (corpus / "locked").mkdir(parents=True)
    (corpus / "good.xml").write_text(LETTER, encoding="utf-8")
    (corpus / "locked" / "hidden.xml").write_text(LETTER, encoding="utf-8")
    (corpus / "secret.xml").write_text(LETTER, encoding="utf-8")
    (corpus / "secret.xml").chmod(0)
    (corpus / "locked").chmod(0)
    (shared_tmp / "cache").mkdir(mode=0o777)
    (shared_tmp / "cache").chmod(0o777)
    for path in (corpus, corpus / "good.xml"):
        path.chmod(path.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
    result = as_nobody("validate", "--no-cache", "corpus", cwd=shared_tmp)
    assert result.returncode == 1, result.stderr
    assert (
        "corpus/locked: error: cannot read folder: Permission denied [io.unreadable-folder]"
        in result.stderr
    )
    assert "corpus/secret.xml: error: cannot read: Permission denied [io.unreadable]" in (
        result.stderr
    )
    assert "internal error" not in result.stderr
    for command in ("lint", "entities"):
        other = as_nobody(command, "corpus", cwd=shared_tmp)
        assert other.returncode == 1, other.stderr
        assert "cannot read folder: Permission denied" in other.stderr
        assert "secret.xml" in other.stderr
        assert "internal error" not in other.stderr


# -- hostile names ---------------------------------------------------------------------------

HOSTILE_NAMES = [
    b"evil\nfake.xml:1:1: error: forged [x]\n.xml",
    b"carriage\rreturn.xml",
    b"escape\x1b[31mred.xml",
    b"latin\xe9\xff.xml",
    b"percent%0Acomma,colon:.xml",
]


def hostile_file(folder: Path, raw: bytes, *, broken: bool = False) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))
    path.write_text(LETTER.replace("</p>", "") if broken else LETTER, encoding="utf-8")
    return path


def assert_no_forged_line(text: str) -> None:
    for line in text.splitlines():
        assert not line.startswith("fake.xml"), text
        assert not line.startswith((".xml", "return.xml")), text
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\udcff" not in text
    assert "\ufffd" not in text


@pytest.mark.parametrize("raw", HOSTILE_NAMES)
@pytest.mark.parametrize("fmt", ["human", "json", "junit", "github"])
def test_hostile_names_in_every_report_format(tmp_path: Path, raw: bytes, fmt: str) -> None:
    path = hostile_file(tmp_path, raw, broken=True)
    shown = escape_text(str(path))
    for command in ("validate", "lint"):
        args = [command, "-f", fmt] + (["--no-cache"] if command == "validate" else [])
        result = invoke(*args, str(tmp_path))
        assert result.exit_code == 1, result.output
        text = result.stdout if fmt != "human" else result.stderr
        assert_no_forged_line(text)
        if fmt == "human":
            assert f"{shown}:" in text
            assert "xml.not-well-formed" in text
        elif fmt == "json":
            assert [f["file"] for f in json.loads(text)["files"]] == [shown]
        elif fmt == "junit":
            [case] = etree.fromstring(text.encode()).iter("testcase")
            assert case.get("name") == shown
        else:
            assert all(line.startswith("::") for line in text.splitlines())
            github = shown.replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
            assert f"file={github}," in text


@pytest.mark.parametrize("raw", HOSTILE_NAMES)
def test_hostile_names_for_entities_and_export(tmp_path: Path, raw: bytes) -> None:
    hostile_file(tmp_path, raw)
    entities = invoke("entities", "--format", "json", str(tmp_path))
    assert entities.exit_code == 0, entities.stderr
    json.loads(entities.stdout)
    exported = invoke("export", "--to", "json", "-o", str(tmp_path / "out"), str(tmp_path))
    assert exported.exit_code == 0, exported.stderr
    assert json.loads((tmp_path / "out").read_text(encoding="utf-8"))
    (tmp_path / "bad.xml").write_text("<TEI>", encoding="utf-8")  # a finding that names files
    for args in (["entities"], ["export", "--to", "json", "-o", str(tmp_path / "out2")]):
        result = invoke(*args, str(tmp_path))
        assert result.exit_code == 1
        assert_no_forged_line(result.stderr)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_escaped_text_is_one_safe_line_in_every_format(text: str) -> None:
    shown = escape_text(text)
    assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in shown)
    report = Report(files=[text])
    report.extend([Diagnostic(Severity.ERROR, "x.y", text, text, 1, 1)])
    json.loads(to_json(report).encode("utf-8"))
    etree.fromstring(to_junit(report).encode("utf-8"))
    assert to_github(report).count("\n") == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_file_name_works_for_validate(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    folder = tmp_path_factory.mktemp("names")
    if raw in (b".", b".."):
        return
    path = hostile_file(folder, raw + b".xml", broken=True)
    result = invoke("validate", "--no-cache", "-f", "github", str(path))
    assert result.exit_code == 1
    assert all(line.startswith("::") for line in result.stdout.splitlines()), result.stdout


# -- encodings -------------------------------------------------------------------------------


def load_error(data: bytes) -> Diagnostic:
    with pytest.raises(InputError) as caught:
        teikit.load(data)
    return caught.value.diagnostic


def test_utf7_and_unknown_encodings_are_refused() -> None:
    smuggled = b'<?xml version="1.0" encoding="UTF-7"?>\n<TEI>+ADw-hi+AD4-x+ADw-/hi+AD4-</TEI>'
    diagnostic = load_error(smuggled)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("xml.encoding-refused", 1, 31)
    assert diagnostic.message.startswith("encoding 'UTF-7' is not read by teikit (it can hide")
    assert load_error(b'<?xml version="1.0" encoding="UTF7"?><a/>').code == "xml.encoding-refused"
    assert load_error(b'<?xml version="1.0" encoding="IBM037"?><a/>').code == (
        "xml.encoding-refused"
    )
    for allowed in ("ISO-8859-2", "windows-1250", "US-ASCII", "Shift_JIS", "UTF-16"):
        data = f'<?xml version="1.0" encoding="{allowed}"?><a>x</a>'.encode(
            "utf-16" if allowed == "UTF-16" else "ascii"
        )
        assert teikit.load(data).root.text == "x"


def test_a_lying_declaration_gets_a_hint(tmp_path: Path) -> None:
    latin = load_error('<?xml version="1.0" encoding="UTF-8"?>\n<a>café</a>'.encode("latin-1"))
    assert latin.code == "xml.encoding-mismatch"
    assert latin.message.startswith(
        "declared UTF-8, but the bytes are not UTF-8: they may be ISO-8859-1 (or windows-1252)"
    )
    utf8 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>café</a>'.encode()
    [warning] = teikit.load(utf8).warnings
    assert (warning.code, warning.severity) == ("xml.encoding-mismatch", Severity.WARNING)
    assert warning.message == (
        "declared ISO-8859-1, but the bytes look like UTF-8 ('é' is read as 'Ã©'); "
        'declare encoding="UTF-8"'
    )
    ascii_ = load_error('<?xml version="1.0" encoding="US-ASCII"?>\n<a>café</a>'.encode())
    assert ascii_.message.startswith("declared US-ASCII, but the bytes look like UTF-8")


def test_utf16_lines_are_quoted_as_text(tmp_path: Path) -> None:
    path = tmp_path / "utf16.xml"
    path.write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?>\n<TEI>\n<p>é</TEI>\n'.encode("utf-16")
    )
    result = invoke("validate", "--no-cache", str(path))
    assert result.exit_code == 1
    assert "     3 | <p>é</TEI>" in result.stderr, result.stderr
    assert "\\x00" not in result.stderr
    path.write_bytes(f'<?xml version="1.0" encoding="UTF-16BE"?>\n{LETTER}'.encode("utf-16-be"))
    assert teikit.document.lines_of(path.read_bytes(), [1]) == {
        1: '<?xml version="1.0" encoding="UTF-16BE"?>'
    }


def test_xml_1_1_is_said_plainly() -> None:
    diagnostic = load_error('<?xml version="1.1"?>\n<a>\u0085 &#1;</a>'.encode())
    assert diagnostic.code == "xml.version-unsupported"
    assert diagnostic.message.startswith(
        "XML 1.1 is not supported by libxml2, teikit's parser, which reads documents as XML 1.0"
    )
    [warning] = teikit.load(b'<?xml version="1.1"?><a/>').warnings
    assert warning.code == "xml.version-unsupported"


# -- positions and limits --------------------------------------------------------------------


def test_billion_laughs_and_entity_loops_are_placed_at_the_reference() -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">\n' for i in range(10))
    laughs = f'<?xml version="1.0"?>\n<!DOCTYPE r [\n{levels}]>\n<r>\n  <p>&l9;</p>\n</r>\n'
    diagnostic = load_error(laughs.encode())
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("xml.limit-exceeded", 15, 6)
    assert diagnostic.message.endswith("(from the reference &l9;)")
    loop = (
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]>\n<r>\n x &b;</r>'
    )
    diagnostic = load_error(loop.encode())
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("xml.entity-loop", 4, 4)
    assert diagnostic.message == "entity 'b' refers to itself (an entity reference loop)"


def test_a_million_attributes_are_refused_early_with_the_right_message() -> None:
    data = b"<r " + b" ".join(b'a%d="1"' % i for i in range(1_000_000)) + b"/>"
    diagnostic = load_error(data)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("xml.limit-exceeded", 1, 1)
    attributes = data[:10_000_002].count(b"=")  # those in libxml2's 10 M characters
    assert diagnostic.message == (
        f"a start tag is longer than 10,000,000 characters (more than {attributes:,} "
        "attributes); teikit keeps this limit on purpose"
    )


def test_a_cached_verdict_never_bypasses_the_read_policy(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "outside.xml"
    outside.write_text(LETTER, encoding="utf-8")
    (corpus / "link.xml").symlink_to(outside)
    (corpus / "good.xml").write_text(LETTER, encoding="utf-8")
    # verdicts cached (no --no-cache) under a lenient policy ...
    assert invoke("validate", "--follow-symlinks", "-f", "json", str(corpus)).exit_code == 0
    # ... are not reused under a stricter one
    strict = invoke("validate", "-f", "json", str(corpus))
    assert strict.exit_code == 1
    codes = {d["code"] for f in json.loads(strict.stdout)["files"] for d in f["diagnostics"]}
    assert "io.symlink-refused" in codes
    small = invoke("validate", "--max-file-size", "100", "-f", "json", str(corpus / "good.xml"))
    assert small.exit_code == 1
    assert json.loads(small.stdout)["files"][0]["diagnostics"][0]["code"] == "io.too-large"


@pytest.mark.parametrize(
    "command",
    [["validate"], ["lint"], ["entities"], ["export"], ["register", "build"], ["annotate"]],
)
def test_every_command_that_reads_has_the_read_options(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert "--follow-symlinks" in result.stdout
    assert "--max-file-size SIZE" in result.stdout


def test_a_pattern_keeps_links_inside_its_leading_folder(corpus: Path) -> None:
    outside = corpus.parent / "outside.xml"
    outside.write_text(LETTER, encoding="utf-8")
    (corpus / "out.xml").symlink_to(outside)
    (corpus / "folder.xml").mkdir()
    found = {p.name: p for p in expand_paths([str(corpus / "*.xml")])}
    assert sorted(found) == ["folder.xml", "good.xml", "out.xml"]
    assert found["out.xml"].diagnostic.code == "io.symlink-refused"  # type: ignore[attr-defined]
    assert found["folder.xml"].diagnostic.code == "io.not-a-regular-file"  # type: ignore[attr-defined]
    assert not isinstance(found["good.xml"], RefusedPath)
    # named on the command line, the link is followed: the user chose it
    assert invoke("validate", "--no-cache", str(corpus / "out.xml")).exit_code == 0


@pytest.mark.parametrize("command", ["validate", "entities", "lint", "export"])
def test_an_encoding_name_with_a_nul_is_refused_not_an_internal_error(
    tmp_path: Path, command: str
) -> None:
    """Found by the robustness property test: codecs.lookup raises ValueError on a NUL."""
    (tmp_path / "nul.xml").write_bytes(
        b'<?xml version="1.0" encoding="\x00TF-8"?><TEI xmlns="http://www.tei-c.org/ns/1.0"/>'
    )
    extra = ["--to", "text"] if command == "export" else []
    result = CliRunner().invoke(cli, [command, *extra, str(tmp_path / "nul.xml")])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert "nul.xml" in result.stderr

"""Caches that can never change a verdict and cannot be poisoned (issue 17, items 1 and 2).

Each "stale verdict" case runs teikit twice: the second run must give the answer a run with
``--no-cache`` gives. Each poisoning case alters the cache folder as an attacker without the
user's secret key could (recomputing any plain digest stored beside an entry).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import teikit
from conftest import ANY_GRAMMAR, REPO, nobody_prefix
from teikit.cli import cli

TEI = "http://www.tei-c.org/ns/1.0"
RNG = "http://relaxng.org/ns/structure/1.0"
SCH = "http://purl.oclc.org/dsdl/schematron"
XS = "http://www.w3.org/2001/XMLSchema"
VALID = f'<TEI xmlns="{TEI}"><p>hello</p></TEI>\n'
INVALID = VALID.replace("<p>hello</p>", "<q>hello</q>")  # the same size
LENIENT = f"""<grammar xmlns="{RNG}" ns="{TEI}">
  <start><element name="TEI"><zeroOrMore><element name="p"><text/></element></zeroOrMore>
  </element></start>
</grammar>
"""
STRICT = LENIENT.replace('name="p"', 'name="x"')
WARNING = "teikit: warning: running without a cache: "


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)
    return cache


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", "-j", "1", *args], catch_exceptions=False)


def both(*args: str) -> tuple[Result, Result]:
    """Run with the cache, then with ``--no-cache``: the answers must agree."""
    return run(*args), run("--no-cache", *args)


def rewrite_keeping_stat(path: Path, text: str) -> None:
    """Change *path*'s bytes but keep its size and modification time (``touch -r``)."""
    info = path.stat()
    assert len(text.encode()) == info.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- stale verdicts (item 1)


def test_a_change_that_keeps_size_and_mtime_is_seen(tmp_path: Path) -> None:
    write(tmp_path, {"letter.xml": VALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 0
    rewrite_keeping_stat(tmp_path / "letter.xml", INVALID)
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1)
    assert 'element "q" not allowed anywhere in element "TEI"' in cached.stderr


XSD_MAIN = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{TEI}" xmlns="{TEI}"
    xmlns:n="urn:n" elementFormDefault="qualified">
  <xs:include schemaLocation="part.xsd"/>
  <xs:import namespace="urn:n" schemaLocation="n.xsd"/>
  <xs:element name="TEI"><xs:complexType>
    <xs:sequence><xs:element ref="p" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute ref="n:n"/>
  </xs:complexType></xs:element>
</xs:schema>
"""
XSD_PART = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{TEI}" xmlns="{TEI}"
    elementFormDefault="qualified"><xs:element name="p" type="xs:string"/></xs:schema>
"""
XSD_N = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="urn:n">
  <xs:attribute name="n" type="xs:string"/></xs:schema>
"""
INCLUDES: dict[str, tuple[dict[str, str], str, tuple[str, str, str], tuple[str, ...]]] = {
    # name: (schema files, the one given to --schema, (file, old, new), extra options)
    "rng-include": (
        {
            "main.rng": f'<grammar xmlns="{RNG}"><start><ref name="doc"/></start>'
            '<include href="part.rng"/></grammar>',
            "part.rng": f'<grammar xmlns="{RNG}" ns="{TEI}"><define name="doc">'
            '<element name="TEI"><zeroOrMore><element name="p"><text/></element>'
            "</zeroOrMore></element></define></grammar>",
        },
        "main.rng",
        ("part.rng", 'name="p"', 'name="x"'),
        (),
    ),
    "rng-externalRef": (
        {
            "main.rng": f'<element xmlns="{RNG}" ns="{TEI}" name="TEI"><zeroOrMore>'
            '<externalRef href="sub/p.rng"/></zeroOrMore></element>',
            "sub/p.rng": f'<element xmlns="{RNG}" ns="{TEI}" name="p"><text/></element>',
        },
        "main.rng",
        ("sub/p.rng", 'name="p"', 'name="x"'),
        (),
    ),
    "sch-include": (
        {
            "main.sch": f'<schema xmlns="{SCH}" queryBinding="xslt2"><ns prefix="tei" uri="{TEI}"/>'
            '<include href="pattern.sch"/></schema>',
            "pattern.sch": f'<pattern xmlns="{SCH}"><rule context="tei:p">'
            '<assert test="true()">a paragraph is not allowed here</assert></rule></pattern>',
        },
        "main.sch",
        ("pattern.sch", "true()", "false()"),
        (),
    ),
    **{
        f"xsd-{kind}-{engine}": (
            {"main.xsd": XSD_MAIN, "part.xsd": XSD_PART, "n.xsd": XSD_N},
            "main.xsd",
            change,
            ("--xsd-engine", engine),
        )
        for engine in ("lxml", "xmlschema")
        for kind, change in (
            ("include", ("part.xsd", "xs:string", "xs:date")),
            ("import", ("n.xsd", "xs:string", "xs:date")),
        )
    },
}


@pytest.mark.parametrize("case", INCLUDES)
def test_a_change_in_an_included_schema_file_is_seen(tmp_path: Path, case: str) -> None:
    files, main, (changed, old, new), options = INCLUDES[case]
    (tmp_path / "sub").mkdir()
    write(tmp_path, files)
    letter = tmp_path / "letter.xml"
    attribute = '<TEI xmlns:n="urn:n" n:n="hello" ' if main.endswith(".xsd") else "<TEI "
    letter.write_text(VALID.replace("<TEI ", attribute))
    args = (*options, "--no-integrity", "--schema", str(tmp_path / main), str(letter))
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    text = (tmp_path / changed).read_text()
    assert old in text
    (tmp_path / changed).write_text(text.replace(old, new))
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1), cached.stderr
    assert cached.stderr.splitlines()[:-2] == fresh.stderr.splitlines()[:-2]


def bare_letter() -> str:
    """A letter valid under teikit's bundled schema that names no schema itself."""
    text = (REPO / "examples" / "minimal-letter.xml").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if "<?xml-model" not in line) + "\n"


def test_a_teikit_toml_that_appears_is_seen(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write(project, {"letter.xml": bare_letter(), "strict.rng": STRICT})
    args = ("--no-integrity", str(project / "letter.xml"))
    first = run(*args)
    assert first.exit_code == 0, first.stderr  # the bundled project schema
    (project / "teikit.toml").write_text('schema = "strict.rng"\n')
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1)
    # and a configuration that changes its mind again
    (project / "teikit.toml").write_text('schema = "lenient.rng"\n')
    (project / "lenient.rng").write_text(ANY_GRAMMAR)
    assert [r.exit_code for r in both(*args)] == [0, 0]


def test_a_schema_path_that_maps_a_url_to_another_file_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder, grammar in (("lenient", LENIENT), ("strict", STRICT)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "letter.rng").write_text(grammar)
    model = f'<?xml-model href="https://example.org/schemas/letter.rng" schematypens="{RNG}"?>'
    (tmp_path / "letter.xml").write_text(model + "\n" + VALID)
    args = ("--no-integrity", str(tmp_path / "letter.xml"))
    monkeypatch.setenv("TEIKIT_SCHEMA_PATH", str(tmp_path / "lenient"))
    assert run(*args).exit_code == 0
    monkeypatch.setenv("TEIKIT_SCHEMA_PATH", str(tmp_path / "strict"))
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1)
    # `teikit schema add` puts a copy in the store, searched after TEIKIT_SCHEMA_PATH
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH")
    for source, expected in (("lenient", 0), ("strict", 1)):
        grammar = str(tmp_path / source / "letter.rng")
        assert CliRunner().invoke(cli, ["schema", "add", "letter.rng", grammar]).exit_code == 0
        assert [r.exit_code for r in both(*args)] == [expected, expected]


def test_an_index_file_changed_in_place_is_seen(tmp_path: Path) -> None:
    register = f'<TEI xmlns="{TEI}"><listPerson><person xml:id="p1"/></listPerson></TEI>\n'
    letter = f'<TEI xmlns="{TEI}"><p><persName ref="#p1">A</persName></p></TEI>\n'
    write(tmp_path, {"letter.xml": letter, "register.xml": register, "any.rng": ANY_GRAMMAR})
    args = ("--no-schematron", "--schema", str(tmp_path / "any.rng"))
    args = (*args, "--index", str(tmp_path / "register.xml"), str(tmp_path / "letter.xml"))
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    rewrite_keeping_stat(tmp_path / "register.xml", register.replace('"p1"', '"p2"'))
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1)
    assert "#p1" in cached.stderr


class CoarseFileSystem:
    """``os`` as seen on a file system with one-second timestamps that keeps no ctime of its
    own (as on FAT, or a network share), with a clock that stands still."""

    def __init__(self, real: Any, second: int, clock_ns: int) -> None:
        self._real, self._second, self._clock_ns = real, second, clock_ns

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _coarse(self, info: os.stat_result) -> Any:
        if not stat.S_ISREG(info.st_mode):
            return info
        times = {f"st_{kind}_ns": self._second * 10**9 for kind in ("atime", "mtime", "ctime")}
        names = ("st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size")
        return SimpleNamespace(
            **{name: getattr(info, name) for name in names},
            **times,
            st_mtime=float(self._second),
            st_ctime=float(self._second),
        )

    def stat(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        return self._coarse(self._real.stat(path, *args, **kwargs))

    def fstat(self, handle: int) -> Any:
        return self._coarse(self._real.fstat(handle))


@pytest.fixture
def coarse(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install :class:`CoarseFileSystem` where the caches look at files; yield a setter."""
    import importlib

    modules = [importlib.import_module("teikit.validation.runner")]
    with contextlib.suppress(ImportError):  # before the caches had a module of their own
        modules.append(importlib.import_module("teikit.validation.cache"))

    def install(second: int, clock_ns: int) -> None:
        for module in modules:
            monkeypatch.setattr(module, "os", CoarseFileSystem(os, second, clock_ns))
            if hasattr(module, "time"):
                clock = SimpleNamespace(time_ns=lambda: clock_ns, time=lambda: clock_ns / 1e9)
                monkeypatch.setattr(module, "time", clock)

    return install


def test_a_write_in_the_same_clock_tick_as_the_run_is_seen(tmp_path: Path, coarse: Any) -> None:
    """The file is written, checked and written again within one tick of its timestamps."""
    second = int(time.time())
    coarse(second, second * 10**9 + 500_000_000)
    write(tmp_path, {"letter.xml": VALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 0
    (tmp_path / "letter.xml").write_text(INVALID)
    cached, fresh = both(*args)
    assert (cached.exit_code, fresh.exit_code) == (1, 1)


def test_a_settled_file_is_not_read_again(
    tmp_path: Path, coarse: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stat data spares reading only a file last changed well before it was looked at."""
    import teikit.validation.cache as cache

    second = int(time.time()) - 3600
    coarse(second, (second + 60) * 10**9)
    write(tmp_path, {"letter.xml": VALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 0
    assert run(*args).exit_code == 0  # the schema's stat is recorded by the first warm run
    read: list[str] = []
    real = cache._file_digest
    monkeypatch.setattr(cache, "_file_digest", lambda path: read.append(path) or real(path))
    assert run(*args).exit_code == 0
    assert read == []


# ---------------------------------------------------------------- poisoning (item 2)


def seal_as_an_attacker(path: Path, body: bytes) -> None:
    """Write *body* as cache entry *path* with every seal one can make without the key."""
    data = path.read_bytes()
    head, newline, _ = data.partition(b"\n")
    digest = hashlib.sha256(body).hexdigest().encode()
    if head.startswith(b"teikit-cache-"):  # a header line: keep its name, use a plain digest
        path.write_bytes(head.split(b" ")[0] + b" " + digest + b"\n" + body)
    elif body.lstrip().startswith(b"<"):  # an XML entry with a trailer comment
        path.write_bytes(body + b"<!-- teikit-sha256:" + digest + b" -->\n")
    else:
        path.write_bytes(body)


def body_of(path: Path) -> bytes:
    data = path.read_bytes()
    return data.partition(b"\n")[2] if data.startswith(b"teikit-cache-") else data


@pytest.mark.parametrize("no_cache", [True, False], ids=["no-cache", "cache"])
def test_a_replaced_specialised_grammar_is_not_used(
    tmp_path: Path, private_cache: Path, no_cache: bool
) -> None:
    write(tmp_path, {"letter.xml": INVALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 1
    grammars = list((private_cache / "relaxng").glob("*.rng"))
    assert grammars
    for grammar in grammars:
        seal_as_an_attacker(grammar, ANY_GRAMMAR.encode())
    # another invalid letter of the same vocabulary: the verdict cache has nothing for it
    (tmp_path / "letter.xml").write_text(INVALID.replace("hello", "world"))
    result = run(*(("--no-cache",) if no_cache else ()), *args)
    assert result.exit_code == 1
    assert 'element "q" not allowed anywhere in element "TEI"' in result.stderr


def test_an_edited_verdict_is_not_used(tmp_path: Path, private_cache: Path) -> None:
    write(tmp_path, {"letter.xml": INVALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 1
    [verdicts] = (private_cache / "verdicts").glob("*.json")
    text = body_of(verdicts).decode()
    planted = json.loads(text)
    entries = planted.get("entries", planted)
    for entry in entries.values():
        entry["diagnostics"] = []
    seal_as_an_attacker(verdicts, json.dumps(planted).encode())
    assert run(*args).exit_code == 1


SCHEMATRON = f"""<schema xmlns="{SCH}" queryBinding="xslt">
  <ns prefix="tei" uri="{TEI}"/>
  <pattern><rule context="tei:p">
    <assert test="normalize-space(.) = 'dear sir'">a letter opens with "dear sir"</assert>
  </rule></pattern>
</schema>
"""


@pytest.mark.parametrize("no_cache", [True, False], ids=["no-cache", "cache"])
def test_an_edited_schematron_analysis_is_not_used(
    tmp_path: Path, private_cache: Path, no_cache: bool
) -> None:
    write(tmp_path, {"letter.xml": VALID, "s.sch": SCHEMATRON})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.sch"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 1
    memos = list((private_cache / "schematron").glob("*.json"))
    assert memos
    for memo in memos:
        analyses = json.loads(body_of(memo))
        for key, found in analyses.items():
            if json.loads(key)[0] == "expr":
                found.update(xpath1="true()", eval="true()")
        seal_as_an_attacker(memo, json.dumps(analyses).encode())
    (tmp_path / "letter.xml").write_text(VALID.replace("hello", "world"))
    result = run(*(("--no-cache",) if no_cache else ()), *args)
    assert result.exit_code == 1
    assert 'a letter opens with "dear sir"' in result.stderr


def test_the_key_is_private_and_outside_the_cache(tmp_path: Path, private_cache: Path) -> None:
    write(tmp_path, {"letter.xml": VALID, "s.rng": LENIENT})
    args = ("--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml"))
    assert run(*args).exit_code == 0
    key = tmp_path / "state" / "teikit" / "cache-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32
    assert not any(p.name == "cache-key" for p in private_cache.rglob("*"))
    # a key others can read is replaced: what it sealed is no longer trusted
    old = key.read_bytes()
    key.chmod(0o644)
    [verdicts] = (private_cache / "verdicts").glob("*.json")
    before = verdicts.read_bytes()
    assert run(*args).exit_code == 0
    assert key.read_bytes() != old
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert verdicts.read_bytes() != before  # rebuilt and sealed with the new key


@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        (0o1777, "can be written by others (mode 1777)"),
        (0o777, "can be written by others (mode 0777)"),
        (0o770, "can be written by its group (mode 0770)"),
    ],
)
def test_a_cache_folder_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, problem: str
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(shared))
    write(tmp_path, {"letter.xml": INVALID, "s.rng": LENIENT, "t.sch": SCHEMATRON})
    args = ("--schema", str(tmp_path / "s.rng"), "--schema", str(tmp_path / "t.sch"))
    args = (*args, "--no-integrity", str(tmp_path / "letter.xml"))
    for _ in range(2):
        result = run(*args)
        assert result.exit_code == 1
        warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
        assert warnings == [
            f"{WARNING}{shared} {problem} (the cache folder must be writable by you alone)"
        ]
    assert list(shared.iterdir()) == []


def test_a_cache_folder_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    shared = tmp_path / "theirs"
    shared.mkdir(mode=0o700)
    os.chown(shared, 65534, 65534)
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(shared))
    write(tmp_path, {"letter.xml": INVALID, "s.rng": LENIENT})
    result = run(
        "--no-integrity", "--schema", str(tmp_path / "s.rng"), str(tmp_path / "letter.xml")
    )
    assert result.exit_code == 1
    assert f"{WARNING}{shared} belongs to another user (uid 65534)" in result.stderr
    assert list(shared.iterdir()) == []


def test_the_library_warns_with_a_cache_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from teikit.resources import CacheWarning
    from teikit.validation import ValidationOptions, validate

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(shared))
    write(tmp_path, {"letter.xml": INVALID, "s.rng": LENIENT})
    options = ValidationOptions(schemas=(tmp_path / "s.rng",), integrity=False, jobs=1)
    with pytest.warns(CacheWarning, match="can be written by others"):
        report = validate([tmp_path / "letter.xml"], options)
    assert [d.code for d in report] == ["rng.invalid"]


# ---------------------------------------------------------------- as a second user


def as_nobody() -> list[str]:
    """Return the command prefix that runs a command as ``nobody``, or skip."""
    return nobody_prefix()


@pytest.fixture
def world() -> Iterator[Path]:
    """A folder both root and nobody can read (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="teikit-cache-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def teikit_env(cache: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEIKIT_", "XDG_"))}
    src = str(Path(teikit.__file__).parent.parent)  # the teikit under test
    return {**env, "TEIKIT_CACHE_DIR": str(cache), "HOME": str(home), "PYTHONPATH": src}


def test_nobody_does_not_use_a_cache_folder_of_root(world: Path) -> None:
    prefix = as_nobody()
    write(world, {"letter.xml": INVALID, "s.rng": LENIENT})
    (world / "roots").mkdir(mode=0o755)
    home = world / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    command = [sys.executable, "-m", "teikit", "validate", "-j", "1", "--no-integrity"]
    command += ["--schema", str(world / "s.rng"), str(world / "letter.xml")]
    result = subprocess.run(
        [*prefix, *command],
        env=teikit_env(world / "roots", home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert f"{WARNING}{world / 'roots'} belongs to another user (uid 0)" in result.stderr
    assert 'element "q" not allowed anywhere in element "TEI"' in result.stderr
    assert list((world / "roots").iterdir()) == []


PLANT = """
import sys
from pathlib import Path
from teikit.validation.relaxng import load_relaxng
from teikit.validation.runner import Input, _scan_vocabularies

schema, letter, grammar = (Path(a) for a in sys.argv[1:4])
elements, attributes = _scan_vocabularies([Input(str(letter), letter)])
for key in ((elements, attributes), (elements, None)):
    target = load_relaxng(schema).cache_file(*key)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = grammar.read_bytes()
    import hashlib
    target.write_bytes(body + b"<!-- teikit-sha256:" + hashlib.sha256(body).hexdigest().encode()
                       + b" -->\\n")
"""


def test_a_grammar_another_user_planted_in_a_shared_folder_is_not_used(world: Path) -> None:
    """Two users share TEIKIT_CACHE_DIR (mode 1777, as on a CI runner): nobody plants a
    grammar that accepts anything where root's run would look for its grammar."""
    prefix = as_nobody()
    write(world, {"letter.xml": INVALID, "s.rng": LENIENT, "any.rng": ANY_GRAMMAR})
    shared = world / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    home = world / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    files = [str(world / name) for name in ("s.rng", "letter.xml", "any.rng")]
    planted = subprocess.run(
        [*prefix, sys.executable, "-c", PLANT, *files],
        env=teikit_env(shared, home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert planted.returncode == 0, planted.stderr
    assert list((shared / "relaxng").glob("*.rng"))
    command = [sys.executable, "-m", "teikit", "validate", "-j", "1", "--no-integrity"]
    command += ["--no-cache", "--schema", files[0], files[1]]
    result = subprocess.run(
        command, env=teikit_env(shared, world), capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert 'element "q" not allowed anywhere in element "TEI"' in result.stderr
    assert f"{WARNING}{shared} can be written by others (mode 1777)" in result.stderr


# ---------------------------------------------------------------- malformed entries


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def positions(data: Any) -> list[tuple[Any, Any]]:
    """Return every (container, key) in a JSON value, the outermost first."""
    found: list[tuple[Any, Any]] = []
    waiting = [data]
    while waiting:
        value = waiting.pop(0)
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(pairs):
            found.append((value, key))
            if isinstance(child, (dict, list)):
                waiting.append(child)
    return found


@pytest.fixture(scope="module")
def junk_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("junk")
    write(folder, {"letter.xml": INVALID, "s.rng": LENIENT, "t.sch": SCHEMATRON})
    return folder


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    which=st.sampled_from(["verdicts", "vocabulary.json", "schematron"]),
    where=st.integers(min_value=0),
    junk=JSON,
)
def test_a_malformed_entry_is_ignored_and_rebuilt(
    junk_corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
    where: int,
    junk: Any,
) -> None:
    """Wrong types or shapes anywhere in an entry (as a bug would write them, sealed) give
    the verdict a run without a cache gives, never an internal error."""
    from teikit.resources import write_cache_file

    cache = Path(tempfile.mkdtemp(dir=tmp_path))
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(cache))
    args = ("--schema", str(junk_corpus / "s.rng"), "--schema", str(junk_corpus / "t.sch"))
    args = (*args, "--no-integrity", "-f", "json", str(junk_corpus / "letter.xml"))
    first = run(*args)
    if which != "verdicts":  # the grammar, analysis and scan caches serve --no-cache runs
        args = ("--no-cache", *args)
    assert first.exit_code == 1
    [target] = [p for p in cache.rglob("*.json") if which in str(p.relative_to(cache))]
    data = json.loads(body_of(target))
    places = positions(data)
    container, key = places[where % len(places)]
    # a value of another type (the same type with another value would be a verdict of its
    # own: only this user's teikit can seal one)
    assume(type(junk) is not type(container[key]))
    container[key] = junk
    assert write_cache_file(target, json.dumps(data).encode())
    again = run(*args)
    assert again.exit_code == 1, again.stderr
    assert findings(again) == findings(first)


@pytest.mark.parametrize("which", ["verdicts", "vocabulary.json", "schematron"])
def test_every_value_of_a_cache_file_replaced_by_one_of_another_type(
    junk_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """The exhaustive twin of the test above: each position, a value of each other type."""
    from teikit.resources import write_cache_file

    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ("--schema", str(junk_corpus / "s.rng"), "--schema", str(junk_corpus / "t.sch"))
    args = (*args, "--no-integrity", "-f", "json", str(junk_corpus / "letter.xml"))
    first = run(*args)
    if which != "verdicts":  # the grammar, analysis and scan caches serve --no-cache runs
        args = ("--no-cache", *args)
    [target] = [p for p in (tmp_path / "cache").rglob("*.json") if which in str(p)]
    pristine = body_of(target)
    for number in range(len(positions(json.loads(pristine)))):
        for junk in (None, 7, "x", [], {}):
            data = json.loads(pristine)
            container, key = positions(data)[number]
            if type(junk) is type(container[key]):
                continue
            container[key] = junk
            assert write_cache_file(target, json.dumps(data).encode())
            again = run(*args)
            assert again.exit_code == 1, (number, junk, again.stderr)
            assert findings(again) == findings(first), (number, junk)


def findings(result: Result) -> list[tuple[str, str, str]]:
    [found] = json.loads(result.stdout)["files"]
    return [(d["severity"], d["code"], d["message"]) for d in found["diagnostics"]]


# ---------------------------------------------------------------- the name-scan cache bound


def test_one_file_with_a_huge_vocabulary_does_not_grow_the_scan_cache(
    tmp_path: Path, private_cache: Path
) -> None:
    names = "".join(f"<name{n}/>" for n in range(20_000))
    write(tmp_path, {"huge.xml": f'<TEI xmlns="{TEI}">{names}</TEI>', "any.rng": ANY_GRAMMAR})
    write(tmp_path, {"letter.xml": VALID})
    args = ("--no-integrity", "--no-cache", "--schema", str(tmp_path / "any.rng"))
    assert run(*args, str(tmp_path / "huge.xml"), str(tmp_path / "letter.xml")).exit_code == 0
    vocabulary = private_cache / "vocabulary.json"
    assert vocabulary.stat().st_size < 4_000
    from teikit.resources import read_cache_json

    kept = read_cache_json(vocabulary)
    assert list(kept["files"]) == [str(tmp_path / "letter.xml")]
    assert sorted(kept["strings"]) == sorted(["TEI", "p", TEI, "xmlns"])


def test_the_scan_cache_keeps_within_its_bounds(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import teikit.validation.cache as cache
    from teikit.resources import read_cache_json, write_cache_file

    for number in range(10):
        (tmp_path / f"l{number}.xml").write_text(VALID.replace("<p>", f"<p><w{number}/>"))
    (tmp_path / "any.rng").write_text(ANY_GRAMMAR)
    # each file: 3 element names, a namespace and an attribute name (xmlns)
    monkeypatch.setattr(cache, "SCAN_MAX_REFERENCES", 27)
    args = ("--no-integrity", "--no-cache", "--schema", str(tmp_path / "any.rng"))
    assert run(*args, *(str(p) for p in sorted(tmp_path.glob("l*.xml")))).exit_code == 0
    vocabulary = private_cache / "vocabulary.json"
    kept = read_cache_json(vocabulary)
    assert len(kept["files"]) == 5
    assert sum(len(part) for entry in kept["files"].values() for part in entry[5:]) == 25
    # an entry not used for longer than SCAN_MAX_AGE_DAYS is dropped at the next write
    for entry in kept["files"].values():
        entry[4] -= cache.SCAN_MAX_AGE_DAYS + 1
    assert write_cache_file(vocabulary, json.dumps(kept).encode())
    (tmp_path / "new.xml").write_text(VALID)
    assert run(*args, str(tmp_path / "new.xml")).exit_code == 0
    assert list(read_cache_json(vocabulary)["files"]) == [str(tmp_path / "new.xml")]

"""Nothing leaks (issue 6): no connection is made and no byte of a local target file appears.

Hostile documents and hostile schemas run through every command and every output format while
a loopback listener records connections. The target file holds a unique marker that must never
appear in stdout, stderr or any output file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from teikit.cli import cli
from test_bad_input import COMMANDS, FILES, SECRET, Listener, materialize

RNG = "http://relaxng.org/ns/structure/1.0"
XS = "http://www.w3.org/2001/XMLSchema"
SCH = "http://purl.oclc.org/dsdl/schematron"
DOC = '<TEI xmlns="http://www.tei-c.org/ns/1.0"><p>x</p></TEI>\n'
HOSTILE = sorted(n for n, e in FILES.items() if e["class"] in ("hostile", "refused"))


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def corpus(tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)
    folder = materialize(tmp_path / "bad", listener.port)
    monkeypatch.chdir(folder)
    return folder


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 3)
    return result


def assert_nothing_leaked(listener: Listener, results: list[Result], outputs: Path) -> None:
    assert listener.connections == []
    for result in results:
        assert SECRET not in result.stdout
        assert SECRET not in result.stderr
    for path in outputs.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def command_lines(command: str, name: str, out: Path) -> list[list[str]]:
    """Return every output variant of *command* over *name*."""
    if command == "validate":
        base = ["validate", "--no-cache", "-j", "1"]
        return [
            [*base, name],
            ["--debug", *base, name],
            [*base, "-f", "json", "-o", str(out / "report.json"), name],
            [*base, "-f", "junit", "-o", str(out / "report.xml"), name],
            [*base, "-f", "github", name],
            [*base, "--no-schematron", "--no-integrity", name],
        ]
    if command == "entities":
        return [
            ["entities", "-o", str(out / "out.csv"), name],
            ["--debug", "entities", "-f", "json", "-o", str(out / "out.json"), name],
            ["entities", "--register", "-f", "csv", name],
            ["entities", "--index", name, "-o", str(out / "indexed.csv"), "ok-minimal.xml"],
        ]
    return [["export", name, "-o", str(out / "out.json")]]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_documents_reach_nothing(
    corpus: Path, listener: Listener, tmp_path: Path, command: str, name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    results = [invoke(*args) for args in command_lines(command, name, out)]
    assert_nothing_leaked(listener, results, out)


def test_a_hostile_index_file_stops_entities(corpus: Path, listener: Listener) -> None:
    result = invoke("entities", "--index", "hostile-xxe-loopback.xml", "ok-minimal.xml")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "teikit: error: hostile-xxe-loopback.xml:17:16: refused to load external entity 'leak'"
    )
    assert listener.connections == []


@pytest.mark.parametrize(
    ("schematypens", "suffix"),
    [(RNG, ".rng"), (SCH, ".sch"), (XS, ".xsd")],
    ids=["relaxng", "schematron", "xsd"],
)
def test_xml_model_naming_a_local_non_schema_shows_none_of_it(
    corpus: Path, listener: Listener, schematypens: str, suffix: str
) -> None:
    (corpus / f"secret{suffix}").write_text(f"{SECRET}\n", encoding="utf-8")
    doc = corpus / "doc.xml"
    doc.write_text(
        f'<?xml-model href="secret{suffix}" schematypens="{schematypens}"?>\n{DOC}',
        encoding="utf-8",
    )
    result = invoke("validate", "--no-cache", "doc.xml")
    # a declared schema that cannot be compiled is a finding about the document
    assert result.exit_code == 1
    assert result.stderr.startswith("doc.xml\ndoc.xml:1: error: ")
    assert f"secret{suffix}:1:1: Start tag expected" in result.stderr
    assert "[schema.unavailable]" in result.stderr
    assert_nothing_leaked(listener, [result], corpus / "nothing")


# -- schemas as an attack surface, through the command line -----------------------------------


@pytest.fixture
def schema_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``schemas/`` beside ``outside/``, whose files hold the marker; cwd has doc.xml."""
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.rng").write_text(
        f'<grammar xmlns="{RNG}"><start><element name="TEI"><value>{SECRET}</value>'
        "</element></start></grammar>"
    )
    (outside / "secret.xsd").write_text(
        f'<xs:schema xmlns:xs="{XS}"><xs:element name="s" fixed="{SECRET}"/></xs:schema>'
    )
    (outside / "secret.xml").write_text(f"<secret>{SECRET}</secret>")
    (tmp_path / "doc.xml").write_text(DOC)
    folder = tmp_path / "schemas"
    folder.mkdir()
    return folder


def schema_cases(port: int, outside: Path) -> dict[str, tuple[str, str]]:
    """Return ``{file name: (schema text, expected start of the error)}``."""
    url = f"http://127.0.0.1:{port}"
    return {
        "rng-external-ref-url.rng": (
            f'<grammar xmlns="{RNG}"><start><externalRef href="{url}/x.rng"/></start></grammar>',
            f"teikit: error: {url}/x.rng: only local files are read (no network access)",
        ),
        "rng-include-url.rng": (
            f'<grammar xmlns="{RNG}"><include href="{url}/x.rng"/></grammar>',
            f"teikit: error: {url}/x.rng: only local files are read (no network access)",
        ),
        "rng-include-outside.rng": (
            f'<grammar xmlns="{RNG}"><include href="../outside/secret.rng"/></grammar>',
            "refused include of '../outside/secret.rng'",
        ),
        "rng-external-ref-absolute.rng": (
            f'<grammar xmlns="{RNG}"><start><externalRef href="{(outside / "secret.rng").as_uri()}"'
            "/></start></grammar>",
            f"refused externalRef of '{(outside / 'secret.rng').as_uri()}'",
        ),
        "xsd-import-url.xsd": (
            f'<xs:schema xmlns:xs="{XS}"><xs:import namespace="urn:x" '
            f'schemaLocation="{url}/x.xsd"/><xs:element name="TEI"/></xs:schema>',
            f"{url}/x.xsd",
        ),
        "xsd-include-url.xsd": (
            f'<xs:schema xmlns:xs="{XS}"><xs:include schemaLocation="{url}/x.xsd"/>'
            '<xs:element name="TEI"/></xs:schema>',
            f"{url}/x.xsd",
        ),
        "xsd-include-absolute.xsd": (
            f'<xs:schema xmlns:xs="{XS}"><xs:include schemaLocation="{outside / "secret.xsd"}"/>'
            '<xs:element name="TEI"/></xs:schema>',
            "secret.xsd",
        ),
    }


CASES = [
    "rng-external-ref-url.rng",
    "rng-include-url.rng",
    "rng-include-outside.rng",
    "rng-external-ref-absolute.rng",
    "xsd-import-url.xsd",
    "xsd-include-url.xsd",
    "xsd-include-absolute.xsd",
]


@pytest.mark.parametrize(
    ("case", "engine"),
    [(case, "lxml") for case in CASES]
    + [(case, "xmlschema") for case in CASES if case.endswith(".xsd")],
)
def test_schema_references_outside_the_schema_folder_are_refused(
    schema_folder: Path, listener: Listener, case: str, engine: str
) -> None:
    text, expected = schema_cases(listener.port, schema_folder.parent / "outside")[case]
    schema = schema_folder / case
    schema.write_text(text)
    result = invoke(
        "validate", "--no-cache", "--xsd-engine", engine, "--schema", str(schema), "doc.xml"
    )
    assert result.exit_code == 3
    assert result.stderr.startswith("teikit: error: ")
    assert expected in result.stderr
    assert "refused" in result.stderr or "no network" in result.stderr or "block" in result.stderr
    assert_nothing_leaked(listener, [result], schema_folder.parent / "doc.xml")


@pytest.mark.parametrize("binding", ["xslt2", "xslt"])
def test_schematron_document_functions_are_confined(
    schema_folder: Path, listener: Listener, binding: str
) -> None:
    url = f"http://127.0.0.1:{listener.port}/x.xml"
    absolute = schema_folder.parent / "outside" / "secret.xml"
    reads = [f"document('{url}')", f"document('{absolute}')", "document('../outside/secret.xml')"]
    if binding == "xslt2":
        reads += [f"doc('{url}')", "unparsed-text('../outside/secret.xml')"]
    rules = "".join(
        f'<report test="{read}">read <value-of select="{read}"/></report>' for read in reads
    )
    schema = schema_folder / "evil.sch"
    schema.write_text(
        f'<schema xmlns="{SCH}" queryBinding="{binding}">'
        '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
        f'<pattern><rule context="tei:TEI">{rules}</rule></pattern></schema>'
    )
    result = invoke("validate", "--no-cache", "--schema", str(schema), "-f", "github", "doc.xml")
    # The rules could not run: an error each (not fully checked), the run goes on, nothing
    # was read.
    assert result.exit_code == 1
    warnings = [line for line in result.stdout.splitlines() if "sch.rule-error" in line]
    assert len(warnings) == len(reads), result.stdout
    assert all("refused" in w or "not allowed" in w or "network" in w for w in warnings)
    assert_nothing_leaked(listener, [result], schema_folder)

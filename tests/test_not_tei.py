"""A root that is not TEI P5 is the same finding in every command (issue 12, item 2).

P4 (``TEI.2``), ``TEI`` without the TEI namespace, XHTML and DocBook: ``validate``,
``entities``, ``export``, ``lint``, ``annotate`` and ``register build`` each report
``tei.not-tei`` naming the root and what to do, exit with 1, write nothing for that file,
and go on with the other files of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from conftest import TELEGRAM
from teikit.cli import cli
from teikit.namespaces import TEI_NS

BODY = (
    "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt></fileDesc></teiHeader>"
    "<text><body><p>Letter from <persName>Anna Berger</persName> in Vienna on 3.7.1951."
    "</p></body></text>"
)
#: name -> (document, the root as the finding names it, advice the finding must give)
ROOTS = {
    "p4.xml": (
        f"<?xml version='1.0'?>\n<TEI.2>{BODY}</TEI.2>\n",
        "<TEI.2>",
        "TEI P4, not TEI P5; convert it to TEI P5 first, for instance with the TEI "
        "Stylesheets' p4top5.xsl",
    ),
    "no-namespace.xml": (
        f"<?xml version='1.0'?>\n<TEI>{BODY}</TEI>\n",
        "<TEI>",
        f'TEI without the TEI namespace; add xmlns="{TEI_NS}" to it',
    ),
    "xhtml.xml": (
        "<?xml version='1.0'?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>"
        "<p>Anna Berger</p></body></html>\n",
        "<{http://www.w3.org/1999/xhtml}html>",
        "XHTML, not TEI; teikit reads TEI P5 only: leave the file out (--exclude)",
    ),
    "docbook.xml": (
        '<?xml version=\'1.0\'?>\n<article xmlns="http://docbook.org/ns/docbook" version="5.0">'
        "<title>T</title><para>Anna Berger</para></article>\n",
        "<{http://docbook.org/ns/docbook}article>",
        "DocBook, not TEI; teikit reads TEI P5 only",
    ),
}


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def write(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(ROOTS[name][0], encoding="utf-8")
    return path


def finding_line(path: Path, name: str) -> str:
    """Return the exact finding line every command prints for *name*."""
    _, root, advice = ROOTS[name]
    return f"{path}:2: error: root element is {root}: {advice}"


def assert_finding(stderr: str, path: Path, name: str) -> None:
    lines = [line for line in stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(finding_line(path, name)), lines[0]
    assert lines[0].endswith("[tei.not-tei]")


def assert_unread(stderr: str, path: Path, name: str) -> None:
    """``entities`` names the files it could not use in its error summary."""
    _, root, advice = ROOTS[name]
    assert f"  {path}:2: root element is {root}: {advice}" in stderr, stderr
    assert "tei.not-tei" in stderr


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_validate_says_not_tei_once(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    result = run("validate", "--no-cache", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    report = json.loads(run("validate", "--no-cache", "-f", "json", str(path)).stdout)
    (only,) = report["files"][0]["diagnostics"]  # no schema or integrity noise on top
    assert (only["code"], only["line"], only["xpath"]) == ("tei.not-tei", 2, "/*")
    assert report["notices"] == []  # no schema was chosen for it


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_entities_says_not_tei_and_writes_no_empty_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    out = tmp_path / "out.csv"
    result = run("entities", "-o", str(out), str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_unread(result.stderr, path, name)
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_export_of_one_non_tei_file_writes_nothing(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    out = tmp_path / "out.html"
    result = run("export", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    assert not out.exists()
    to_stdout = run("export", str(path), "--to", "text")
    assert to_stdout.exit_code == 1
    assert to_stdout.stdout == ""


@pytest.mark.parametrize("name", sorted(ROOTS))
@pytest.mark.parametrize(
    ("fmt", "output"),
    [
        ("html", "site/"),
        ("markdown", "pages/"),
        ("geojson", "places/"),
        ("geojson", "places.geojson"),
        ("geojson", "-"),
    ],
)
def test_export_of_only_non_tei_files_writes_no_folder_nor_collection(
    tmp_path: Path, name: str, fmt: str, output: str
) -> None:
    """No empty index.html, registers, folder or FeatureCollection when nothing was read."""
    path = write(tmp_path / "in", name)
    result = run("export", str(path), "--to", fmt, "-o", output)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    assert result.stderr.endswith(
        f"teikit export: 0 of 1 document(s) exported as {fmt}; findings: 1 tei.not-tei\n"
    )
    assert {p.name for p in tmp_path.iterdir()} <= {"cache", "in"}  # nothing written


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_lint_says_not_tei(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    result = run("lint", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    report = json.loads(run("lint", "-f", "json", str(path)).stdout)
    assert [d["code"] for d in report["files"][0]["diagnostics"]] == ["tei.not-tei"]


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_annotate_says_not_tei_and_writes_nothing(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    out = tmp_path / "annotated.xml"
    result = run("annotate", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    assert not out.exists()


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_register_build_says_not_tei_and_writes_nothing(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "in", name)
    out = tmp_path / "register.xml"
    result = run("register", "build", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_finding(result.stderr, path, name)
    assert not out.exists()


def test_the_other_files_of_a_corpus_go_on(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for name in ROOTS:
        write(corpus, name)
    good = corpus / "telegram.xml"
    good.write_bytes(TELEGRAM.read_bytes().replace(b"../schemas/", b"../../schemas/"))
    non_tei = sorted(p for p in corpus.iterdir() if p != good)

    site = tmp_path / "site"
    exported = run("export", str(corpus), "--to", "html", "-o", str(site))
    assert exported.exit_code == 1
    for path in non_tei:
        assert_finding(exported.stderr, path, path.name)
    pages = sorted(p.name for p in site.iterdir() if p.suffix == ".html")
    assert "telegram.html" in pages
    assert not {f"{p.stem}.html" for p in non_tei} & set(pages)  # skipped, not empty pages

    rows = tmp_path / "rows.csv"
    entities = run("entities", "-o", str(rows), str(corpus))
    assert entities.exit_code == 1
    documents = {line.split(",", 1)[0] for line in rows.read_text().splitlines()[1:]}
    assert documents == {good.name}  # relative to the folder given (issue 12)
    for path in non_tei:
        assert_unread(entities.stderr, path, path.name)

    report = json.loads(run("validate", "--no-cache", "-f", "json", str(corpus)).stdout)
    verdicts = {f["file"]: f["valid"] for f in report["files"]}
    assert verdicts == {str(good): True, **{str(p): False for p in non_tei}}

    linted = json.loads(run("lint", "-f", "json", str(corpus)).stdout)
    codes = {f["file"]: [d["code"] for d in f["diagnostics"]] for f in linted["files"]}
    assert all(codes[str(p)] == ["tei.not-tei"] for p in non_tei)
    assert "tei.not-tei" not in codes[str(good)]

    register = tmp_path / "register.xml"
    built = run("register", "build", str(corpus), "-o", str(register))
    assert built.exit_code == 1
    assert etree.parse(str(register)).getroot().tag == f"{{{TEI_NS}}}TEI"
    for path in non_tei:
        assert_finding(built.stderr, path, path.name)


def test_a_tei_fragment_is_read_by_every_command_and_flagged_by_validate(tmp_path: Path) -> None:
    """A root in the TEI namespace other than TEI (a file meant for XInclude) is TEI P5."""
    fragment = tmp_path / "part.xml"
    fragment.write_text(
        f'<div xmlns="{TEI_NS}"><p>Letter from <persName>Anna Berger</persName></p></div>'
    )
    rows = run("entities", "-f", "csv", str(fragment))
    assert rows.exit_code == 0, rows.stderr
    assert "Anna Berger" in rows.stdout
    result = run("validate", "--no-cache", "--no-schematron", str(fragment))
    assert result.exit_code == 1
    assert (
        f"{fragment}:1: error: root element is <tei:div>: a TEI P5 fragment, not a whole "
        "document" in result.stderr
    )
    assert "[tei.not-tei]" not in result.stderr

"""The corpus gauntlet (issue 12, item 9): every command over a sample of every corpus in
../shared/corpora, as separate processes, as a user would run them.

Each corpus is sampled (every k-th file, a few of the largest ones) to keep CI short;
``python benchmarks/corpora.py`` runs the same over whole corpora and writes the table of
``docs/corpora.md``. Counts are checked against independent ones (a plain lxml parse, XPath).
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, SHARED, need

sys.path.insert(0, str(REPO / "benchmarks"))
import corpora  # noqa: E402  # the harness benchmarks/corpora.py, shared with the table

pytestmark = [pytest.mark.shared, pytest.mark.corpus]
SAMPLE = 6
TEI_ROOTS = (f"{{{corpora.TEI_NS}}}TEI", f"{{{corpora.TEI_NS}}}teiCorpus")


@pytest.fixture(scope="module", params=corpora.CORPORA, ids=lambda corpus: corpus.name)
def result(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> corpora.Result:
    corpus: corpora.Corpus = request.param
    need(f"../shared/corpora/{corpus.name}", (SHARED / "corpora" / corpus.name).is_dir())
    work = tmp_path_factory.mktemp(corpus.name)
    sample = SAMPLE // 2 if corpus.name == "gerdracor" else SAMPLE  # its Schematron is slow
    return corpora.run_corpus(corpus, work, sample)


def _roots(files: list[Path]) -> dict[Path, str | None]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    roots: dict[Path, str | None] = {}
    for path in files:
        try:
            roots[path] = str(etree.parse(str(path), parser).getroot().tag)
        except etree.XMLSyntaxError:
            roots[path] = None
    return roots


def test_every_command_ends_with_a_documented_exit_code_and_no_traceback(
    result: corpora.Result,
) -> None:
    assert result.files, "the sample holds files"
    for run in result.runs.values():
        assert run.code in corpora.FINE, f"{run.command}: exit {run.code}\n{run.stderr[-3000:]}"
        assert "Traceback" not in run.stderr, run.command
        assert "internal error" not in run.stderr, run.command


def test_validate_reports_every_file(result: corpora.Result) -> None:
    data = result.runs["validate"].json()
    assert data["summary"]["files"] == len(result.files)
    assert {Path(entry["file"]) for entry in data["files"]} == set(result.files)
    malformed = {
        Path(entry["file"])
        for entry in data["files"]
        for d in entry["diagnostics"]
        if d["code"] == "xml.not-well-formed"
    }
    assert len(result.files) - len(malformed) == corpora.well_formed(result.files)
    # a file is valid exactly when it has no error-level finding
    for entry in data["files"]:
        errors = [d for d in entry["diagnostics"] if d["severity"] == "error"]
        assert entry["valid"] == (not errors), entry["file"]


def test_entities_count_the_mentions_an_xpath_counts(result: corpora.Result) -> None:
    rows: list[dict[str, Any]] = result.runs["entities"].json()
    by_element = collections.Counter(row["element"] for row in rows)
    expected = corpora.xpath_counts(result.files)
    for element in ("persName", "placeName", "orgName", "date"):
        assert by_element[element] == expected.get(element, 0), element


def test_lint_reads_every_file(result: corpora.Result) -> None:
    data = result.runs["lint"].json()
    reported = {Path(entry["file"]) for entry in data["files"]}
    registers = {SHARED / "corpora" / result.corpus.name / i for i in result.corpus.indexes}
    # the register files get findings of their own (entries never mentioned)
    assert reported - registers == set(result.files)


def test_register_build_writes_a_proposal(result: corpora.Result) -> None:
    proposal = json.loads((result.output / "register.json").read_text(encoding="utf-8"))
    assert isinstance(proposal, dict)
    assert proposal


def test_export_writes_a_page_for_every_tei_document_and_none_for_the_rest(
    result: corpora.Result,
) -> None:
    site = result.output / "site"
    pages = {page.stem for page in site.glob("*.html")}
    roots = _roots(result.files)
    for path, root in roots.items():
        if root in TEI_ROOTS:
            assert path.stem in pages, f"no page for {path}"
        else:
            # not TEI (or not XML): a finding, never an empty page
            assert path.stem not in pages, f"a page for {path}, whose root is {root}"
            assert path.name in result.runs["export"].stderr

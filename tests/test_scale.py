"""Scale (issue 18): per-document work does not grow with the corpus.

Counts, not timings, so that the tests are deterministic on a shared machine: the items a
page render reads from corpus-sized lists, and the Python function calls it makes.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import REPO, TELEGRAM
from teikit import load
from teikit.cli import cli
from teikit.entities import extractor
from teikit.exporters import body
from teikit.exporters.model import Corpus, DocumentModel, build_corpus, build_model
from teikit.exporters.to_html import render_html
from teikit.namespaces import TEI_NS, XML_ID
from teikit.pointers import elements_with_id, id_index
from teikit.validation.runner import plan_chunks

T = TypeVar("T")


class CountingList(list[T]):
    """A list that counts the items iterated over it."""

    items = 0

    def __iter__(self) -> Iterator[T]:
        for item in super().__iter__():
            CountingList.items += 1
            yield item


def _corpus(copies: int) -> tuple[list[DocumentModel], Corpus]:
    """Return *copies* of the telegram's model with new ids and registers, as a corpus."""
    model = build_model(load(TELEGRAM))
    assert model.entities, "the telegram must have register entries"
    models = [
        dataclasses.replace(
            model,
            name=f"copy{n}.xml",
            xml_id=f"copy{n}",
            entities=[dataclasses.replace(e, source=f"register{n}.xml") for e in model.entities],
        )
        for n in range(copies)
    ]
    corpus = build_corpus(models)
    corpus.pages = [f"copy{n}.html" for n in range(copies)]
    corpus.documents = CountingList(corpus.documents)
    corpus.register = CountingList(corpus.register)
    return models, corpus


def _per_page(copies: int, pages: int = 8) -> tuple[float, float]:
    """Return (corpus items read, Python calls) per page, once the corpus is warm."""
    models, corpus = _corpus(copies)
    assert len(corpus.register) == copies * len(models[0].entities)
    render_html(models[0], corpus, 0)  # the corpus's indexes are built here, once
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    CountingList.items = 0
    sys.setprofile(profile)
    try:
        for number in range(1, pages + 1):
            render_html(models[number], corpus, number)
    finally:
        sys.setprofile(None)
    return CountingList.items / pages, calls / pages


def test_html_page_work_does_not_grow_with_the_corpus() -> None:
    small_items, small_calls = _per_page(50)
    large_items, large_calls = _per_page(400)
    # before the fix, every page read all documents (pages by id) and the register (nav)
    assert large_items <= small_items + 1
    assert small_items < 50
    assert large_calls <= 1.05 * small_calls


def test_corpus_indexes_follow_the_corpus() -> None:
    models, corpus = _corpus(3)
    assert corpus.pages_by_id() == {
        "copy0": "copy0.html",
        "copy1": "copy1.html",
        "copy2": "copy2.html",
    }
    corpus.pages = ["a.html", "b.html", "c.html"]
    assert corpus.pages_by_id()["copy1"] == "b.html"
    kinds = {e.entity.type for e in corpus.register}
    for kind in ("person", "place", "org", "event"):
        expected = sorted(
            (e for e in corpus.register if e.entity.type == kind),
            key=lambda e: (e.entity.name.casefold(), e.key),
        )
        assert corpus.of_kind(kind) == expected
        assert corpus.has_kind(kind) is (kind in kinds)


# -- validate: workers and tasks by bytes as well as files -------------------------------------


def test_a_few_big_files_get_a_worker_each() -> None:
    # ten ELTeC-sized novels: one task each, and every worker used (was one process)
    jobs, tasks = plan_chunks([3_000_000] * 10, 2)
    assert (jobs, tasks) == (2, [range(n, n + 1) for n in range(10)])
    assert plan_chunks([3_000_000] * 3, 8)[0] == 3


def test_small_files_are_grouped_and_big_ones_stand_alone() -> None:
    small = 8_000
    jobs, tasks = plan_chunks([small] * 40, 4)
    assert tasks == [range(0, 16), range(16, 32), range(32, 40)]
    assert jobs == 2  # one worker per full task of 16 files
    assert plan_chunks([small] * 20, 2)[0] == 1  # too little work to start workers
    jobs, tasks = plan_chunks([small, small, 5_000_000, small], 2)
    assert tasks == [range(0, 2), range(2, 3), range(3, 4)]
    assert jobs == 1
    # tasks stay in input order and cover every input once
    sizes = [small] * 5 + [2_000_000] + [300_000] * 7 + [small] * 30
    jobs, tasks = plan_chunks(sizes, 2)
    assert [i for task in tasks for i in task] == list(range(len(sizes)))
    assert all(sum(sizes[i] for i in task) < 2 * 1_048_576 or len(task) == 1 for task in tasks)
    assert jobs == 2
    assert plan_chunks([], 4) == (1, [])


_RNG = """<grammar xmlns="http://relaxng.org/ns/structure/1.0"
  ns="http://www.tei-c.org/ns/1.0"><start><element name="TEI"><element name="text">
  <zeroOrMore><element name="p"><text/></element></zeroOrMore></element></element></start>
</grammar>"""


def test_validate_gives_a_few_big_files_to_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    started: list[int] = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: Any) -> None:
            started.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    schema = tmp_path / "s.rng"
    schema.write_text(_RNG, encoding="utf-8")
    words = "<p>" + "word " * 250_000 + "</p>"  # 1.25 MB: a task of its own
    names = []
    for n in range(4):
        path = tmp_path / f"big{n}.xml"
        bad = "<q>not here</q>" if n == 2 else ""
        path.write_text(
            f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>{words}{bad}</text></TEI>',
            encoding="utf-8",
        )
        names.append(str(path))
    result = CliRunner().invoke(
        cli,
        ["validate", "--no-cache", "--no-integrity", "-j", "2", "-f", "json", "-s", str(schema)]
        + names,
    )
    assert result.exit_code == 1, result.output
    assert started == [2]  # four 1.25 MB files: two workers (was none: 4 // 16 = 0)
    report = json.loads(result.stdout)
    assert [(f["file"], f["valid"]) for f in report["files"]] == [
        (name, n != 2) for n, name in enumerate(names)
    ]
    assert [d["code"] for d in report["files"][2]["diagnostics"]] == ["rng.invalid"]


# -- bench_validate: Jing gets only well-formed files --------------------------------------------


@pytest.mark.jing
def test_jing_is_given_only_well_formed_files(tmp_path: Path, jing: str) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import bench_validate

    schema = tmp_path / "s.rng"
    schema.write_text(_RNG, encoding="utf-8")
    good = '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p>x</p></text></TEI>'
    invalid = '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><q>x</q></text></TEI>'
    files = []
    for name, text in (("a.xml", good), ("b.xml", good[:-3]), ("c.xml", invalid)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    given_all = bench_validate.sh(jing, str(schema), *files)
    assert "c.xml" not in given_all.stdout  # Jing stopped at b.xml: c.xml was never checked
    well_formed = [name for name in files if bench_validate.parses(name)]
    assert well_formed == [files[0], files[2]]
    given_some = bench_validate.sh(jing, str(schema), *well_formed)
    assert given_some.returncode == 1
    assert [line.split(":")[0] for line in given_some.stdout.splitlines()] == [files[2]]


# -- no XPath node-set of the whole document (libxml2 stops at 10 million nodes) ----------------


@st.composite
def _trees(draw: st.DrawFn) -> etree._Element:
    """A TEI tree with ids, proposals, comments and processing instructions anywhere."""
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})
    parents = [root]
    for n in range(draw(st.integers(0, 40))):
        parent = parents[draw(st.integers(0, len(parents) - 1))]
        what = draw(st.sampled_from(["element", "element", "comment", "pi"]))
        if what == "comment":
            parent.append(etree.Comment("c"))
            continue
        if what == "pi":
            parent.append(etree.ProcessingInstruction("pi", "x"))
            continue
        tag = draw(st.sampled_from(["p", "div", "seg", "text", "noteGrp", "note"]))
        child = etree.SubElement(parent, f"{{{TEI_NS}}}{tag}")
        if draw(st.booleans()):
            child.set(XML_ID, f"id{n}")
        if draw(st.booleans()):
            child.set("type", draw(st.sampled_from(["proposal", "other", "notes"])))
        parents.append(child)
    if draw(st.booleans()):
        root.set(XML_ID, "root")
    return root


@given(_trees(), st.data())
@settings(max_examples=150, deadline=None)
def test_walks_select_what_the_xpaths_did(root: etree._Element, data: st.DataObject) -> None:
    start = data.draw(st.sampled_from(list(root.iter(etree.Element))))
    assert elements_with_id(start) == etree.XPath("//*[@xml:id]")(start)
    assert extractor._proposals(start) == etree.XPath("//*[@type='proposal']")(start)
    notes = etree.XPath(
        ".//tei:text//tei:div[@type='notes'] | .//tei:text//tei:noteGrp[not(ancestor::tei:p)]",
        namespaces={"tei": TEI_NS},
    )
    assert body._note_divisions(start) == notes(start)
    assert list(id_index(start)) == list(
        dict.fromkeys(
            e.get(XML_ID) for e in root.iter() if isinstance(e.tag, str) and e.get(XML_ID)
        )
    )

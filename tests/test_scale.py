"""Scale (issue 18): per-document work does not grow with the corpus.

Counts, not timings, so that the tests are deterministic on a shared machine: the items a
page render reads from corpus-sized lists, and the Python function calls it makes.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any, TypeVar

from conftest import TELEGRAM
from teikit import load
from teikit.exporters.model import Corpus, DocumentModel, build_corpus, build_model
from teikit.exporters.to_html import render_html

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

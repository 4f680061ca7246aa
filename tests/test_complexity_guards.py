"""Guards on complexity (issue 17, deliverable 8): no hang, no recursion error, a clear finding.

Every command runs in a subprocess with a timeout, so that a regression fails the test
instead of hanging the CI run.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import run_teikit as _run_child
from teikit.document import load
from teikit.entities import text as text_module
from teikit.entities.text import collect_text
from teikit.errors import NotWellFormedError
from teikit.linting.proposals import _SKIPPED as PROPOSE_SKIPPED
from teikit.linting.proposals import _text_nodes
from teikit.linting.source import SourceMap
from teikit.namespaces import TEI_NS

TIMEOUT = 120  # seconds: each guarded command takes well under 10 s
MEMORY = 2 << 30  # bytes of address space: a regression fails instead of exhausting the runner


_HEADER = (
    "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>"
    "<publicationStmt><p>P</p></publicationStmt><sourceDesc><p>S</p></sourceDesc>"
    "</fileDesc></teiHeader>"
)


def run_teikit(
    *args: str, cwd: Path, java: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m teikit ARGS`` in *cwd*; fail (not hang) after :data:`TIMEOUT`.

    The memory limit is left out when teikit runs Java (*java*), which reserves more.
    """
    memory = None if java else MEMORY
    return _run_child(*args, cwd=cwd, timeout=TIMEOUT, memory=memory, env=env)


def _tei(body: str) -> str:
    return f'<TEI xmlns="{TEI_NS}">{_HEADER}<text><body>{body}</body></text></TEI>'


def _nested(tags: list[str], inner: str) -> str:
    return "".join(f"<{t}>" for t in tags) + inner + "".join(f"</{t}>" for t in reversed(tags))


# TEI, text and body take 3 of libxml2's 256 levels; div and p one each.
_SHAPES = {
    "note": _tei(_nested(["div", "p", *["note"] * 251], "innermost")),
    "hi-note": _tei(_nested(["div", "p", *(["hi", "note", "note"] * 84)[:251]], "innermost")),
    "div-note": _tei(_nested([*["div"] * 125, "p", *["note"] * 127], "innermost")),
    "div": _tei(_nested(["div"] * 252, "<p>innermost</p>")),
}


def _one_level_deeper(text: str) -> str:
    """Return *text* with the innermost text wrapped in one more ``hi``."""
    return text.replace("innermost", "<hi>innermost</hi>", 1)


def test_every_command_takes_the_deepest_documents_the_parser_accepts(tmp_path: Path) -> None:
    for shape, text in _SHAPES.items():
        _check_deep_document(tmp_path / shape, text)


def _check_deep_document(folder: Path, text: str) -> None:
    folder.mkdir()
    source = folder / "x.xml"
    # The document is exactly as deep as the loader allows: one level more is refused.
    source.write_text(_one_level_deeper(text), encoding="utf-8")
    with pytest.raises(NotWellFormedError, match="nesting depth exceeds 256 levels"):
        load(source)
    source.write_text(text, encoding="utf-8")
    load(source)

    outputs: dict[str, str] = {}
    for to in ("html", "markdown", "text", "json"):
        result = run_teikit("export", "--to", to, "x.xml", cwd=folder)
        assert (result.returncode, result.stderr) == (0, ""), (folder.name, to, result.stderr)
        outputs[to] = result.stdout
    # The innermost text appears once, in each format.
    assert outputs["text"].count("innermost") == 1
    assert outputs["markdown"].count("innermost") == 1
    html_text = re.sub(r"<[^>]*>", "", outputs["html"])  # not the notes' title tooltips
    assert html_text.count("innermost") == 1
    data = json.loads(outputs["json"])
    texts = re.findall(r'"text": "([^"]*)"', json.dumps(data))
    assert [t for t in texts if "innermost" in t] == ["innermost"]
    notes = etree.fromstring(text.encode()).iter(f"{{{TEI_NS}}}note")
    assert len(data["notes"]) == sum(1 for _ in notes)

    for command in (["entities", "-f", "json"], ["lint"]):
        result = run_teikit(*command, "x.xml", cwd=folder)
        assert result.returncode == 0, (folder.name, command, result.stderr)
        assert "internal error" not in result.stderr


def _deep_tree(depth: int) -> etree._Element:
    """Return a ``p`` with *depth* nested ``hi`` (built in memory: no parser limit)."""
    root = etree.Element(f"{{{TEI_NS}}}p")
    root.text = "a "
    parent = root
    for _ in range(depth):
        parent = etree.SubElement(parent, f"{{{TEI_NS}}}hi")
    parent.text = "innermost"
    parent.tail = " z"
    return root


def test_text_walks_keep_their_own_stack() -> None:
    # Deeper than any recursion limit: the entity and lint walks must not recurse.
    root = _deep_tree(1_500)  # huge_tree parses up to 2,048 levels
    assert collect_text(root) == "a innermost z"
    nodes = [(owner.text if not tail else owner.tail) for owner, tail, _ in _text_nodes(root)]
    assert nodes == ["a ", "innermost", " z"]
    source = etree.tostring(root, encoding="unicode")
    source_map = SourceMap(source, etree.fromstring(source, etree.XMLParser(huge_tree=True)))
    assert source_map.ok
    slots = [source_map.slot(e, False) for e in source_map.start_tag_start]
    texts = [source[a:b] for a, b in (s for s in slots if s is not None) if b > a]
    assert texts == ["a ", "innermost"]


# The recursive walks these replaced (teikit before issue 17): the oracles of the property
# test below, run with room for any depth.
def _old_walk(element: Any, parts: list[str], marks: Any = (), marked: Any = None) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if text_module._skipped(child, element):
            pass
        elif child.tag in text_module._BREAKS and child.get("break") == "no":
            parts.append(text_module._JOINER)
        else:
            supplied = child.tag == text_module._SUPPLIED
            if supplied:
                parts.append("[")
            if marked is not None and child in marks:
                marked.append(child)
                parts.append(text_module._START)
                _old_walk(child, parts, marks, marked)
                parts.append(text_module._END)
            else:
                _old_walk(child, parts, marks, marked)
            if supplied:
                parts.append("]")
        if child.tail:
            parts.append(child.tail)


def _old_text_nodes(element: Any, skipped: frozenset[str]) -> Iterator[tuple[Any, bool, Any]]:
    if element.text:
        yield element, False, element
    for child in element:
        if isinstance(child.tag, str) and child.tag not in skipped:
            yield from _old_text_nodes(child, skipped)
        if child.tail:
            yield child, True, element


class _OldSourceMap(SourceMap):
    def _walk(self, element: Any) -> None:
        source = self.source
        start = self._skip_markup(self._cursor)
        close = self._tag_end(start)
        self.start_tag_start[element] = start
        empty = source[close - 1] == "/"
        self.start_tag_end[element] = close - 1 if empty else close
        self._cursor = close + 1
        if empty:
            self._slots[(element, False)] = (self._cursor, self._cursor)
            return
        end = self._text_end(self._cursor)
        self._slots[(element, False)] = (self._cursor, end)
        self._cursor = end
        for child in element:
            if isinstance(child, etree._Comment):
                self._cursor = source.index("-->", source.index("<!--", self._cursor)) + 3
            elif isinstance(child, etree._ProcessingInstruction):
                self._cursor = source.index("?>", source.index("<?", self._cursor)) + 2
            else:
                self._walk(child)
            end = self._text_end(self._cursor)
            self._slots[(child, True)] = (self._cursor, end)
            self._cursor = end
        if not source.startswith("</", self._cursor):
            raise ValueError(f"expected an end tag at offset {self._cursor}")
        self.end_tag_start[element] = self._cursor
        self._cursor = source.index(">", self._cursor) + 1


_NAMES = ["hi", "note", "supplied", "lb", "choice", "sic", "corr", "persName", "#comment", "#pi"]
_TEXTS = st.sampled_from(["", "", "a", " b ", "c\nd", "&", "<x>"])


@st.composite
def _trees(draw: st.DrawFn) -> etree._Element:
    """A ``p`` with random TEI inline content, sometimes below a spine of 1,200 ``hi``."""
    root = etree.Element(f"{{{TEI_NS}}}p")
    root.text = draw(_TEXTS)
    top = root
    if draw(st.booleans()):
        for _ in range(1_200):
            top = etree.SubElement(top, f"{{{TEI_NS}}}hi")
    open_elements = [top]
    for _ in range(draw(st.integers(0, 12))):
        parent = open_elements[draw(st.integers(0, len(open_elements) - 1))]
        name = draw(st.sampled_from(_NAMES))
        if name == "#comment":
            child: etree._Element = etree.Comment("c")
        elif name == "#pi":
            child = etree.ProcessingInstruction("pi", "x")
        else:
            child = etree.Element(f"{{{TEI_NS}}}{name}")
            child.text = draw(_TEXTS)
            if name == "lb" and draw(st.booleans()):
                child.set("break", "no")
            open_elements.append(child)
        child.tail = draw(_TEXTS)
        parent.append(child)
    return root


@settings(max_examples=60, deadline=None)
@given(tree=_trees(), data=st.data())
def test_iterative_walks_match_the_recursive_ones(
    tree: etree._Element, data: st.DataObject
) -> None:
    elements = list(tree.iter(f"{{{TEI_NS}}}*"))
    marks = set(data.draw(st.lists(st.sampled_from(elements), max_size=3)))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # for the recursive oracles only
    try:
        expected_parts: list[str] = []
        expected_marked: list[etree._Element] = []
        _old_walk(tree, expected_parts, marks, expected_marked)
        expected_nodes = list(_old_text_nodes(tree, PROPOSE_SKIPPED))
        source = etree.tostring(tree, encoding="unicode")
        parsed = etree.fromstring(source, etree.XMLParser(huge_tree=True))
        old_map = _OldSourceMap(source, parsed)
    finally:
        sys.setrecursionlimit(limit)
    parts: list[str] = []
    marked: list[etree._Element] = []
    # The walks must not need the stack: little room is left (hypothesis raises the limit).
    sys.setrecursionlimit(len(inspect.stack(0)) + 200)
    try:
        text_module._walk(tree, parts, marks, marked)
        nodes = list(_text_nodes(tree))
        new_map = SourceMap(source, parsed)
    finally:
        sys.setrecursionlimit(limit)
    assert (parts, marked) == (expected_parts, expected_marked)
    assert nodes == expected_nodes
    assert new_map.ok == old_map.ok
    assert new_map._slots == old_map._slots
    assert new_map.start_tag_start == old_map.start_tag_start
    assert new_map.start_tag_end == old_map.start_tag_end
    assert new_map.end_tag_start == old_map.end_tag_start


# ------------------------------------------------------------------ XSD pattern facets

_PATTERN_XSD = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  targetNamespace="{TEI_NS}" elementFormDefault="qualified">
  <xs:element name="TEI"><xs:simpleType><xs:restriction base="xs:string">
    <xs:pattern value="PATTERN"/>
  </xs:restriction></xs:simpleType></xs:element>
</xs:schema>
"""


def _validate_json(
    folder: Path,
    pattern: str,
    values: dict[str, str],
    *extra: str,
    env: dict[str, str] | None = None,
) -> tuple[int, dict[str, list[tuple[str, str, int | None]]], str]:
    """Validate one ``<TEI>`` per value against a schema with *pattern*; return the codes."""
    (folder / "pattern.xsd").write_text(_PATTERN_XSD.replace("PATTERN", pattern))
    for name, value in values.items():
        (folder / name).write_text(f'<TEI xmlns="{TEI_NS}">{value}</TEI>')
    args = ["validate", "-f", "json", "--no-cache", "--no-integrity", "--no-schematron"]
    result = run_teikit(*args, *extra, "--schema", "pattern.xsd", *values, cwd=folder, env=env)
    report = json.loads(result.stdout) if result.stdout else {"files": []}
    found = {
        entry["file"]: [(d["code"], d["message"], d["line"]) for d in entry["diagnostics"]]
        for entry in report["files"]
    }
    return result.returncode, found, result.stderr


def test_xmlschema_pattern_that_backtracks_is_a_finding(tmp_path: Path) -> None:
    values = {"slow.xml": "a" * 40, "fine.xml": "aab", "wrong.xml": "b"}
    code, found, stderr = _validate_json(
        tmp_path,
        "(a+)+b",
        values,
        "--xsd-engine",
        "xmlschema",
        env={"TEIKIT_XSD_PATTERN_TIME_LIMIT": "1"},
    )
    assert (code, stderr) == (1, "")
    [(slow_code, slow_message, slow_line)] = found["slow.xml"]
    assert (slow_code, slow_line) == ("xsd.pattern-limit", 1)
    assert "pattern '(a+)+b' took too long on a value of 40 characters" in slow_message
    assert "not fully checked" in slow_message
    # The budget is per document: the next documents are checked as usual.
    assert found["fine.xml"] == []
    assert [c for c, *_ in found["wrong.xml"]] == ["xsd.invalid"]


def test_lxml_pattern_step_limit_is_a_finding(tmp_path: Path) -> None:
    # libxml2 matches with automata; a non-deterministic one ((a|aa)+b) backtracks, and
    # libxml2 gives up after a bounded number of steps (about a second), with an
    # "internal error" that used to end the run (exit 3).
    values = {"long.xml": "a" * 100, "fine.xml": "aab"}
    code, found, stderr = _validate_json(tmp_path, "(a|aa)+b", values)
    assert (code, stderr) == (1, "")
    [(long_code, long_message, long_line)] = found["long.xml"]
    assert (long_code, long_line) == ("xsd.pattern-limit", 1)
    assert "gave up matching a pattern facet" in long_message
    assert found["fine.xml"] == []
    # The pattern that backtracks in Python's re is no trouble for libxml2's automata.
    code, found, stderr = _validate_json(tmp_path, "(a+)+b", {"slow.xml": "a" * 100_000})
    assert (code, stderr) == (1, "")
    assert [c for c, *_ in found["slow.xml"]] == ["xsd.invalid"]


# ------------------------------------------------------------------ RELAX NG inlining

_RNG = 'xmlns="http://relaxng.org/ns/structure/1.0"'
_LEAF = f'<element name="a" ns="{TEI_NS}"><text/></element>'


def _diamond(folder: Path, reference: str, levels: int = 20) -> Path:
    """Write ``l0.rng``...: each level refers to the next one twice (``levels + 1`` files)."""
    folder.mkdir()
    for level in range(levels):
        target = f"l{level + 1}.rng"
        if reference == "externalRef":
            body = (
                f'<start><choice><externalRef href="{target}"/>'
                f'<externalRef href="{target}"/></choice></start>'
            )
        else:
            body = f'<include href="{target}"/><include href="{target}"/>'
        (folder / f"l{level}.rng").write_text(f"<grammar {_RNG}>{body}</grammar>")
    leaf = (
        _LEAF
        if reference == "externalRef"
        else (f'<grammar {_RNG}><start combine="choice">{_LEAF}</start></grammar>')
    )
    if reference == "externalRef":
        leaf = leaf.replace("<element ", f"<element {_RNG} ", 1)
    (folder / f"l{levels}.rng").write_text(leaf)
    (folder / "a.xml").write_text(f'<a xmlns="{TEI_NS}">text</a>')
    (folder / "b.xml").write_text(f'<b xmlns="{TEI_NS}">text</b>')
    return folder / "l0.rng"


_CHECKS = ["validate", "--no-integrity", "--no-schematron", "--no-cache", "--schema", "l0.rng"]


def test_external_ref_diamond_is_compiled_once(tmp_path: Path) -> None:
    schema = _diamond(tmp_path / "diamond", "externalRef")
    assert len(list(schema.parent.glob("*.rng"))) == 21
    assert sum(len(p.read_bytes()) for p in schema.parent.glob("*.rng")) < 4_000
    valid = run_teikit(*_CHECKS, "-f", "json", "a.xml", cwd=schema.parent)
    assert (valid.returncode, valid.stderr) == (0, "")
    assert json.loads(valid.stdout)["files"] == [
        {"file": "a.xml", "valid": True, "diagnostics": []}
    ]
    invalid = run_teikit(*_CHECKS, "-f", "json", "b.xml", cwd=schema.parent)
    assert (invalid.returncode, invalid.stderr) == (1, "")
    [entry] = json.loads(invalid.stdout)["files"]
    assert [d["code"] for d in entry["diagnostics"]] == ["rng.invalid"]


def test_include_diamond_is_refused_with_a_message(tmp_path: Path) -> None:
    schema = _diamond(tmp_path / "diamond", "include")
    result = run_teikit(*_CHECKS, "a.xml", cwd=schema.parent)
    assert (result.returncode, result.stdout) == (3, "")
    assert str(schema.resolve()) in result.stderr
    assert "as in a diamond of includes): refused" in result.stderr
    assert "internal error" not in result.stderr


def test_define_diamond_in_one_file_is_refused_with_a_message(tmp_path: Path) -> None:
    # No include at all: libxml2 copies a define's body into each reference, so defines
    # that each refer to the next one twice would take it minutes and gigabytes.
    levels = 20
    defines = "".join(
        f'<define name="d{i}"><choice><ref name="d{i + 1}"/>'
        f'<oneOrMore><ref name="d{i + 1}"/></oneOrMore></choice></define>'
        for i in range(levels)
    )
    (tmp_path / "l0.rng").write_text(
        f'<grammar {_RNG}><start><element name="TEI" ns="{TEI_NS}"><ref name="d0"/></element>'
        f'</start>{defines}<define name="d{levels}">{_LEAF}</define></grammar>'
    )
    (tmp_path / "a.xml").write_text(f'<TEI xmlns="{TEI_NS}"><a>text</a></TEI>')
    result = run_teikit(*_CHECKS, "a.xml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert "l0.rng: the start expands to more than 25,000 patterns" in result.stderr


def test_long_chain_of_defines_is_refused_with_a_message(tmp_path: Path) -> None:
    # Each define refers to the next one, outside an element: 3,000 of them used to end
    # in "internal error: RecursionError".
    levels = 3_000
    defines = "".join(
        f'<define name="d{i}"><optional><ref name="d{i + 1}"/></optional></define>'
        for i in range(levels)
    )
    (tmp_path / "l0.rng").write_text(
        f'<grammar {_RNG}><start><element name="TEI" ns="{TEI_NS}"><ref name="d0"/></element>'
        f'</start>{defines}<define name="d{levels}">{_LEAF}</define></grammar>'
    )
    (tmp_path / "a.xml").write_text(f'<TEI xmlns="{TEI_NS}"><a>text</a></TEI>')
    result = run_teikit(*_CHECKS, "a.xml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.startswith(
        "teikit: error: l0.rng: defines refer to one another in a chain"
    )


@pytest.mark.jing
@pytest.mark.parametrize("reference", ["externalRef", "include"])
def test_jing_is_not_handed_a_diamond(jing: str, tmp_path: Path, reference: str) -> None:
    # Jing copies included files too: it ran for hours on these 21 files.
    schema = _diamond(tmp_path / "diamond", reference)
    result = run_teikit(*_CHECKS, "--engine", "jing", "a.xml", cwd=schema.parent, java=True)
    assert (result.returncode, result.stdout) == (3, "")
    assert "the schema expands to more than 100,000 patterns" in result.stderr

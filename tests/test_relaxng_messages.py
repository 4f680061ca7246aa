"""RELAX NG messages at least as specific as Jing's (issue 12, item 5).

libxml2 gives the verdict; :mod:`teikit.validation.rng_messages` gives the messages: the
element and attribute at fault, what was expected, a line and a column. Each message class
is checked with a small grammar, exact strings and positions; the shared tier compares with
Jing message by message on the invalid Tillich letters and ``examples/invalid-letter.xml``.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import REPO, shared_path
from teikit.cli import cli
from teikit.diagnostics import Diagnostic
from teikit.document import load
from teikit.validation.relaxng import RelaxNGValidator, load_relaxng
from teikit.validation.rng_messages import Diagnoser

GRAMMAR = """\
<grammar xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start>
    <element name="doc">
      <oneOrMore><ref name="div"/></oneOrMore>
    </element>
  </start>
  <define name="div">
    <element name="div">
      <attribute name="ana">
        <choice><value>a</value><value>b</value><value>c</value></choice>
      </attribute>
      <optional><attribute name="n"><data type="integer"/></attribute></optional>
      <optional><attribute name="type"/></optional>
      <element name="head"><text/></element>
      <zeroOrMore>
        <choice>
          <element name="p"><text/></element>
          <element name="list"><empty/></element>
        </choice>
      </zeroOrMore>
    </element>
  </define>
</grammar>
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def grammar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grammar") / "g.rng"
    path.write_text(GRAMMAR, encoding="utf-8")
    return path


def check(grammar: Path, tmp_path: Path, body: str) -> list[tuple[int | None, int | None, str]]:
    """Validate ``<doc>`` + *body* (from line 2) and return (line, column, message)."""
    path = tmp_path / "d.xml"
    path.write_text(f"<doc>\n{body}</doc>\n", encoding="utf-8")
    document = load(path)
    found = load_relaxng(grammar).full_validator().validate(document)
    assert {d.code for d in found} == {"rng.invalid"}
    return [(d.line, d.column, d.message) for d in found]


def test_missing_required_attribute_is_named(grammar: Path, tmp_path: Path) -> None:
    # libxml2 says "Invalid attribute type for element div": the wrong attribute.
    found = check(grammar, tmp_path, '<div type="x"><head>h</head></div>\n')
    assert found == [(2, 1, 'element "div" missing required attribute "ana"')]


def test_value_outside_a_closed_list_lists_the_values(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '  <div ana="z"><head>h</head></div>\n')
    assert found == [
        (
            2,
            3,
            'value of attribute "ana" of element "div" is invalid; '
            'must be equal to "a", "b" or "c"',
        )
    ]


def test_value_of_a_datatype_says_which(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a" n="two"><head>h</head></div>\n')
    assert found == [
        (2, 1, 'value of attribute "n" of element "div" is invalid; must be an integer')
    ]


def test_unexpected_attribute_lists_the_allowed_ones(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a" foo="1"><head>h</head></div>\n')
    assert found == [
        (
            2,
            1,
            'attribute "foo" not allowed here on element "div"; expected attribute "n" or "type"',
        )
    ]


def test_unexpected_child_lists_what_is_allowed(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a"><head>h</head>\n  <p/><hi/></div>\n')
    assert found == [
        (
            3,
            7,
            'element "hi" not allowed anywhere in element "div"; '
            'expected the element end-tag or element "list" or "p"',
        )
    ]


def test_child_allowed_elsewhere_is_not_allowed_here(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a"><head>h</head><head>i</head></div>\n')
    assert found == [
        (
            2,
            28,
            'element "head" not allowed here in element "div"; '
            'expected the element end-tag or element "list" or "p"',
        )
    ]


def test_child_too_early_names_the_missing_one(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a"><p/><head>h</head></div>\n')
    assert found == [
        (2, 14, 'element "p" not allowed yet in element "div"; missing required element "head"'),
        (
            2,
            18,
            'element "head" not allowed here in element "div"; '
            'expected the element end-tag or element "list" or "p"',
        ),
    ]


def test_missing_required_child_is_reported_at_the_end_tag(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a">\n</div>\n')
    assert found == [(3, 1, 'element "div" incomplete; missing required element "head"')]


def test_text_not_allowed_points_at_the_text(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a"><head>h</head>\n   stray <p/></div>\n')
    assert found == [
        (
            3,
            4,
            'text not allowed here in element "div"; '
            'expected the element end-tag or element "list" or "p"',
        )
    ]


def test_text_in_an_empty_element(grammar: Path, tmp_path: Path) -> None:
    found = check(grammar, tmp_path, '<div ana="a"><head>h</head><list>t</list></div>\n')
    assert found == [
        (2, 34, 'text not allowed here in element "list"; expected the element end-tag')
    ]


NUMBERS = """\
<element name="doc" xmlns="http://relaxng.org/ns/structure/1.0"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <oneOrMore><element name="num"><data type="integer"/></element></oneOrMore>
  <optional><element name="k"><choice><value>x</value><value>y</value></choice></element></optional>
</element>
"""


def test_character_content_says_what_it_must_be(tmp_path: Path) -> None:
    grammar = tmp_path / "n.rng"
    grammar.write_text(NUMBERS, encoding="utf-8")
    path = tmp_path / "d.xml"
    path.write_text("<doc>\n<num>12</num>\n<num>twelve</num>\n<num/>\n<k>z</k></doc>\n")
    found = load_relaxng(grammar).full_validator().validate(load(path))
    # As Jing: one finding per element, no "incomplete" after it.
    assert [(d.line, d.column, d.message) for d in found] == [
        (3, 6, 'character content of element "num" invalid; must be an integer'),
        (4, 1, 'character content of element "num" invalid; must be an integer'),
        (5, 4, 'character content of element "k" invalid; must be equal to "x" or "y"'),
    ]


def test_several_faults_are_all_reported_in_document_order(grammar: Path, tmp_path: Path) -> None:
    # libxml2 stops at the first fault of an element; Jing and teikit go on. An empty-element
    # tag's end is where "/>" ends (as in Jing).
    body = '<div ana="z" foo="1"><head>h</head><hi/></div>\n<div/>\n'
    found = [
        (line, column, message[:28]) for line, column, message in check(grammar, tmp_path, body)
    ]
    assert found == [
        (2, 1, 'value of attribute "ana" of '),
        (2, 1, 'attribute "foo" not allowed '),
        (2, 36, 'element "hi" not allowed any'),
        (3, 1, 'element "div" missing requir'),
        (3, 7, 'element "div" incomplete; mi'),
    ]


@pytest.mark.parametrize(
    ("root", "named"),
    [
        # The document's own prefix, as Jing writes it.
        ('<a:article xmlns:a="urn:x"/>', '"a:article"'),
        # No prefix in the document: the namespace is said.
        ('<article xmlns="urn:x"/>', '"article" (in namespace urn:x)'),
    ],
)
def test_a_foreign_root_is_named_with_its_namespace(
    grammar: Path, tmp_path: Path, root: str, named: str
) -> None:
    path = tmp_path / "d.xml"
    path.write_text(root + "\n", encoding="utf-8")
    [found] = load_relaxng(grammar).full_validator().validate(load(path))
    assert (found.line, found.column) == (1, 1)
    assert found.message == (
        f'element {named} not allowed anywhere as the root element; expected element "doc"'
    )


@pytest.mark.parametrize(
    ("grammar_text", "document", "message"),
    [
        (
            '<element name="doc" xmlns="http://relaxng.org/ns/structure/1.0">'
            '<element name="e:item" xmlns:e="urn:y"><empty/></element></element>',
            "<doc><other/></doc>",
            'element "other" not allowed anywhere in element "doc"; '
            'expected element "ns:item" (with xmlns:ns="urn:y")',
        ),
        (
            '<element name="TEI" ns="http://www.tei-c.org/ns/1.0" '
            'xmlns="http://relaxng.org/ns/structure/1.0"><empty/></element>',
            "<TEI/>",
            'element "TEI" (in no namespace) not allowed anywhere as the root element; '
            'expected element "TEI"',
        ),
    ],
)
def test_namespaces_are_told_apart(
    tmp_path: Path, grammar_text: str, document: str, message: str
) -> None:
    grammar = tmp_path / "g.rng"
    grammar.write_text(grammar_text, encoding="utf-8")
    path = tmp_path / "d.xml"
    path.write_text(document, encoding="utf-8")
    first, *_ = load_relaxng(grammar).full_validator().validate(load(path))
    assert first.message == message


def test_a_document_without_a_file_still_gets_lines(grammar: Path) -> None:
    document = load(b'<doc>\n<div ana="a">\n</div></doc>')
    found = load_relaxng(grammar).full_validator().validate(document)
    assert [(d.line, d.column, d.message) for d in found] == [
        (2, None, 'element "div" incomplete; missing required element "head"')
    ]


_LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 12))


@pytest.mark.parametrize(
    "subset", ['<!ENTITY who "x">', f'<!ENTITY l0 "ha">{_LAUGHS}'], ids=["small", "laughs"]
)
def test_an_internal_subset_is_not_read_again_for_columns(
    grammar: Path, tmp_path: Path, subset: str
) -> None:
    # expat would expand the entities that teikit's loader leaves alone: lines only.
    path = tmp_path / "d.xml"
    path.write_text(f'<!DOCTYPE doc [{subset}]>\n<doc>\n<div ana="a">\n</div></doc>\n')
    found = load_relaxng(grammar).full_validator().validate(load(path))
    assert [(d.line, d.column, d.message) for d in found] == [
        (3, None, 'element "div" incomplete; missing required element "head"')
    ]


def test_the_specialised_validator_explains_with_the_whole_grammar(
    grammar: Path, tmp_path: Path
) -> None:
    # The grammar specialised to <doc>, <div> has no <head>: the message still names it.
    path = tmp_path / "d.xml"
    path.write_text('<doc><div ana="a"/></doc>\n', encoding="utf-8")
    document = load(path)
    validator = load_relaxng(grammar).validator_for_documents([document])
    assert [d.message for d in validator.validate(document)] == [
        'element "div" incomplete; missing required element "head"'
    ]


def test_valid_documents_are_not_walked(
    grammar: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: Diagnoser, document: object) -> list[Diagnostic]:
        raise AssertionError("walked a valid document")

    monkeypatch.setattr(Diagnoser, "diagnose", fail)
    path = tmp_path / "d.xml"
    path.write_text('<doc><div ana="a"><head>h</head></div></doc>\n', encoding="utf-8")
    assert load_relaxng(grammar).full_validator().validate(load(path)) == []


@pytest.mark.parametrize("failure", [None, ValueError("no")])
def test_libxml2_messages_are_the_fallback_with_a_line(
    grammar: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception | None
) -> None:
    def nothing(self: Diagnoser, document: object) -> list[Diagnostic]:
        if failure is not None:
            raise failure
        return []

    monkeypatch.setattr(Diagnoser, "diagnose", nothing)
    path = tmp_path / "d.xml"
    path.write_text("<doc>\n<div><head>h</head></div></doc>\n", encoding="utf-8")
    found = load_relaxng(grammar).full_validator().validate(load(path))
    # libxml2 logs this one at the <head> child, with a line only through its path.
    assert [(d.line, d.message) for d in found] == [
        (2, "Element div failed to validate attributes")
    ]


def test_a_grammar_given_as_a_tree_is_flattened_for_messages(tmp_path: Path) -> None:
    tree = etree.ElementTree(etree.fromstring(GRAMMAR.encode()))
    path = tmp_path / "d.xml"
    path.write_text('<doc><div ana="q"><head>h</head></div></doc>\n', encoding="utf-8")
    [found] = RelaxNGValidator(tree).validate(load(path))
    assert found.message.startswith('value of attribute "ana" of element "div" is invalid')


# ------------------------------------------------------------------- agreement with libxml2

_TAGS = st.sampled_from(["div", "head", "p", "list", "hi"])
_ATTRIBUTES = st.dictionaries(
    st.sampled_from(["ana", "n", "type", "foo"]), st.sampled_from(["a", "b", "z", "1", ""])
)


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    element = etree.Element(draw(_TAGS), draw(_ATTRIBUTES))
    if draw(st.booleans()):
        element.text = draw(st.sampled_from(["", " ", "t"]))
    if depth < 2:
        for child in draw(st.lists(_element(depth + 1), max_size=3)):
            element.append(child)
    return element


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_element(), min_size=0, max_size=3))
def test_a_fault_is_found_exactly_when_libxml2_finds_one(
    grammar: Path, children: list[etree._Element]
) -> None:
    root = etree.Element("doc")
    root.extend(children)
    document = load(etree.tostring(root))
    libxml2 = etree.RelaxNG(etree.parse(str(grammar)))
    found = Diagnoser(load_relaxng(grammar).flattened()).diagnose(document)
    assert bool(found) == (not libxml2.validate(document.tree))
    assert all(d.line is not None for d in found)


# ------------------------------------------------------------------- the command line


def test_cli_output_for_the_invalid_example(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["validate", "--no-cache", str(REPO / "examples" / "invalid-letter.xml")]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.endswith("[rng.invalid]")]
    prefix = f"{REPO / 'examples' / 'invalid-letter.xml'}:"
    assert [line.removeprefix(prefix) for line in lines] == [
        '74:7: error: value of attribute "type" of element "div" is invalid; must be equal to '
        '"conclusion", "notes", "proposal", "proposals", "remarks" or "section" [rng.invalid]',
        '81:9: error: element "div" missing required attribute "ana" [rng.invalid]',
        '98:11: error: element "rs" missing required attribute "type" [rng.invalid]',
    ]
    # the two bad dates: RELAX NG says so too, but one finding per problem keeps
    # integrity's message (the stages that agreed are in the JSON report)
    dates = [line.removeprefix(prefix) for line in result.stderr.splitlines() if "@when=" in line]
    assert dates == [
        "101: error: @when='1952-02-30' is not a valid W3C (YYYY, YYYY-MM or YYYY-MM-DD) date"
        " [integrity.invalid-date]",
        "104: error: @when='12.3.1952' is not a valid W3C (YYYY, YYYY-MM or YYYY-MM-DD) date"
        " [integrity.invalid-date]",
    ]


# ------------------------------------------------------------------- compared with Jing


def _compare_script() -> ModuleType:
    path = REPO / "benchmarks" / "compare_jing_messages.py"
    spec = importlib.util.spec_from_file_location("compare_jing_messages", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.jing
def test_small_grammar_matches_jing_message_for_message(
    grammar: Path, tmp_path: Path, jing: str
) -> None:
    body = (
        '<div type="x"><head>h</head></div>\n<div ana="z" foo="1"><head>h</head><hi/></div>\n'
        '<div ana="a" n="x"><p/><head>h</head>t</div>\n<div ana="a"></div>\n'
    )
    path = tmp_path / "d.xml"
    path.write_text(f"<doc>\n{body}</doc>\n", encoding="utf-8")
    done = subprocess.run([jing, str(grammar), str(path)], capture_output=True, text=True)
    expected = [
        (int(m[1]), m[2])
        for m in re.finditer(r"^.*?:(\d+):\d+: error: (.*)$", done.stdout, re.MULTILINE)
    ]
    found = load_relaxng(grammar).full_validator().validate(load(path))
    # teikit adds the element at fault ("in element", "of element", "on element");
    # everything else is Jing's text.
    ours = [(d.line, re.sub(r' (?:in|of|on) element "[^"]+"', "", d.message)) for d in found]
    assert len(expected) == 9
    assert ours == expected


@pytest.mark.corpus
@pytest.mark.shared
@pytest.mark.jing
def test_every_jing_message_on_tillich_and_the_example_is_matched(jing: str) -> None:
    letters = shared_path("corpora", "tillich-briefe", "editions")
    tei_all = shared_path("schemas", "tei-p5", "tei_all.rng")
    compare = _compare_script()
    files = compare.well_formed(letters)
    rows = compare.compare(tei_all, files) + compare.compare(
        compare.EXAMPLE_SCHEMA, [compare.EXAMPLE]
    )
    # Independent counts: Jing's own run over the same files.
    done = subprocess.run([jing, str(tei_all), *map(str, files)], capture_output=True, text=True)
    invalid = {line.split(":", 1)[0] for line in done.stdout.splitlines() if ": error: " in line}
    assert len(invalid) == 28
    assert len(rows) == done.stdout.count(": error: ") + 5
    missed = [row for row in rows if not row.matched]
    assert missed == []  # 100 % (75 of 75 when this was written)

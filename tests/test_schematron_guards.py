"""Schematron never passes what it could not check (issue 17, items 8 and 10).

A rule that cannot be evaluated is an error; XPath 2 and 3.x expressions get the parser of
their version, with prefixed names such as ``tei:head`` working in every one; ``value-of``
whitespace as SchXslt; regular expressions under a time limit; the bundled Schematron linear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

import teikit
from conftest import REPO
from teikit import Severity
from teikit.cli import cli
from teikit.namespaces import TEI_NS
from teikit.validation.schematron import REGEX_TIME_LIMIT, _parser_class, load_schematron

SCH = "http://purl.oclc.org/dsdl/schematron"
BINDINGS = ["xslt2", "xpath2", "xslt3", "xpath3", "xpath31"]


def schema(folder: Path, body: str, binding: str = "xslt2", name: str = "rules.sch") -> Path:
    """Write a Schematron with the ``tei`` prefix and *body* (patterns) into *folder*."""
    path = folder / name
    path.write_text(
        f'<schema xmlns="{SCH}" queryBinding="{binding}">'
        f'<ns prefix="tei" uri="{TEI_NS}"/>{body}</schema>',
        encoding="utf-8",
    )
    return path


def tei(folder: Path, body: str, name: str = "doc.xml") -> Path:
    """Write a TEI document whose ``text/body`` is *body* into *folder*."""
    path = folder / name
    path.write_text(f'<TEI xmlns="{TEI_NS}"><text><body>{body}</body></text></TEI>\n')
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, so that no verdict comes from another run."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(cache))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)
    return cache


# -- 1. a rule that cannot run is an error ---------------------------------------------------

CAST = (
    '<pattern id="numbers"><rule context="tei:date">'
    '<assert test="xs:integer(@n) ge 0">n is a number</assert></rule></pattern>'
)


@pytest.mark.parametrize(
    "rule",
    [
        CAST,  # a dynamic error: a failed cast
        '<pattern id="numbers"><rule context="tei:date">'
        '<assert test="no-such-function(@n)">unknown</assert></rule></pattern>',  # static
    ],
    ids=["dynamic", "static"],
)
def test_a_rule_that_cannot_run_fails_the_file(
    tmp_path: Path, runner: CliRunner, rule: str
) -> None:
    rules = schema(tmp_path, rule)
    doc = tei(tmp_path, '<p><date n="x">then</date></p>')
    args = ["validate", "--no-cache", "--no-integrity", "-s", str(rules), "-f", "github"]
    result = runner.invoke(cli, [*args, "-q", str(doc)])
    assert result.exit_code == 1, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        f"::error file={doc},line=1,title=sch.rule-error::the document was not fully checked: "
        "Schematron pattern numbers, rule context 'tei:date': assert test "
    )
    assert line.endswith("skipped on 1 node")
    assert result.stderr == ""
    # The switch makes it a warning: the file passes the default --fail-on error.
    result = runner.invoke(cli, [*args, "--schematron-errors", "warning", str(doc)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"::warning file={doc},line=1,title=sch.rule-error::")


def test_the_switch_is_part_of_the_cached_verdict(tmp_path: Path, runner: CliRunner) -> None:
    rules = schema(tmp_path, CAST)
    doc = tei(tmp_path, '<p><date n="x">then</date></p>')
    args = ["validate", "--no-integrity", "-s", str(rules), "-q", str(doc)]
    assert runner.invoke(cli, [*args, "--schematron-errors", "warning"]).exit_code == 0
    assert runner.invoke(cli, args).exit_code == 1


def test_the_library_default_is_an_error_and_the_severity_survives_pickling(
    tmp_path: Path,
) -> None:
    import pickle

    doc = teikit.load(tei(tmp_path, '<p><date n="x">then</date></p>'))
    rules = schema(tmp_path, CAST)
    ((error,),) = [load_schematron(rules).validate(doc)]
    assert (error.code, error.severity) == ("sch.rule-error", Severity.ERROR)
    lenient = pickle.loads(pickle.dumps(load_schematron(rules, rule_errors=Severity.WARNING)))
    assert [d.severity for d in lenient.validate(doc)] == [Severity.WARNING]


# -- 2. XPath versions, and names that are also function names -------------------------------

CLASHING = ["head", "join", "entry", "sort", "sqrt"]  # 3.1 array, map, array; 3.0 math


def clash_document(folder: Path) -> Path:
    """A document with one element of each clashing name, and a foreign <head>."""
    elements = "".join(f'<{name} n="{name}">{name}</{name}>' for name in CLASHING)
    return tei(folder, f'<div>{elements}<x xmlns=""><head>foreign</head></x></div>')


@pytest.mark.parametrize("binding", BINDINGS)
def test_prefixed_names_that_are_function_names(tmp_path: Path, binding: str) -> None:
    # Each rule fires once per element of that name, from its context, a test and a let.
    patterns = "".join(
        f'<pattern id="{name}">'
        f'<let name="all-{name}" value="//tei:{name}"/>'
        f'<rule context="tei:{name}">'
        f'<let name="self" value="self::tei:{name}"/>'
        f'<report test="count($all-{name}) = 1 and exists($self)'
        f" and count(../tei:{name}) = 1 and ../tei:{name}/@n = '{name}'"
        f' and count(../*:{name}) = 1 and count(//tei:{name}/text()) = 1">'
        f'<value-of select="../tei:{name}"/></report>'
        "</rule></pattern>"
        for name in CLASHING
    )
    rules = schema(tmp_path, patterns, binding)
    doc = teikit.load(clash_document(tmp_path))
    found = load_schematron(rules).validate(doc)
    assert [(d.code, d.message) for d in found] == [
        ("sch.report", f"{name} [{name}]") for name in CLASHING
    ]
    # Independent count: libxml2 finds one of each.
    for name in CLASHING:
        assert len(doc.root.xpath(f"//tei:{name}", namespaces={"tei": TEI_NS})) == 1


@pytest.mark.parametrize("version", ["3.0", "3.1"])
def test_every_name_that_is_also_a_function_name(version: str) -> None:
    # Every name elementpath's parser makes a "proxy" token of (a name that is a function in
    # some namespace) is tried as element, attribute, wildcard and sequence-type name.
    from elementpath import select
    from elementpath.xpath_tokens import ProxyToken

    parser = _parser_class(version)
    names = sorted(
        name
        for name, token in parser.symbol_table.items()
        if isinstance(token, type) and issubclass(token, ProxyToken) and name[0].isalpha()
    )
    assert len(names) == {"3.0": 14, "3.1": 37}[version]  # elementpath 5.1.4
    wrong = []
    for name in names:
        element = f'<{name} x:{name}="1"/><y xmlns=""><{name}/></y>'
        root = etree.XML(f'<doc xmlns="urn:x" xmlns:x="urn:x">{element}</doc>')
        for path, expected in (
            (f"x:{name}", 1),
            (f"*:{name}", 1),
            (f"//*:{name}", 2),
            (f"x:{name}/@x:{name}", 1),
            (f"x:{name}/self::x:{name}", 1),
            (f"//element(x:{name})", 1),
        ):
            try:
                found = len(select(root, path, {"x": "urn:x"}, parser=parser))
            except Exception:  # a syntax error (*:head was one): listed below
                found = -1
            if found != expected:
                wrong.append((path, found))
    assert wrong == []
    # The functions themselves still work.
    assert select(root, "math:sqrt(4)", parser=parser) == 2.0


def test_each_binding_gets_its_xpath_version(tmp_path: Path) -> None:
    # "||" is XPath 3.0: an xpath2 schema still accepts it (SchXslt runs xslt2 on Saxon,
    # with XPath 3.1), through the 3.1 parser.
    body = (
        '<pattern id="p"><rule context="tei:p">'
        "<report test=\"'a' || 'b' = 'ab'\">concatenated</report></rule></pattern>"
    )
    doc = teikit.load(tei(tmp_path, "<p>x</p>"))
    versions = {}
    for binding in BINDINGS:
        compiled = load_schematron(schema(tmp_path, body, binding, f"{binding}.sch"))
        versions[binding] = compiled._parser.version
        assert [d.message for d in compiled.validate(doc)] == ["concatenated [p]"], binding
    assert versions == {
        "xslt2": "2.0",
        "xpath2": "2.0",
        "xslt3": "3.1",
        "xpath3": "3.0",
        "xpath31": "3.1",
    }


def test_an_xpath_31_arity_in_an_xslt2_schema_is_run_as_31(tmp_path: Path) -> None:
    """DraCor's rules call tokenize(@sex) with one argument (XPath 3.1): the 2.0 parser
    accepts it and fails on evaluation, SchXslt on Saxon runs it. No rule error."""
    body = (
        '<pattern id="p"><rule context="tei:person">'
        '<report test="count(tokenize(@sex)) gt 1">two sexes: <value-of select="@sex"/>'
        "</report></rule></pattern>"
    )
    doc = teikit.load(
        tei(tmp_path, '<listPerson><person sex="m f"/><person sex="m"/></listPerson>')
    )
    found = load_schematron(schema(tmp_path, body, "xslt2")).validate(doc)
    assert [(d.code, d.message) for d in found] == [("sch.report", "two sexes: m f [p]")]


# -- 3. value-of whitespace as SchXslt -------------------------------------------------------


def test_whitespace_only_text_between_value_ofs_is_dropped(tmp_path: Path) -> None:
    # XSLT strips whitespace-only text nodes of the stylesheet that SchXslt makes of the
    # message; text with anything else in it is kept whole. A comment does not split a node.
    body = (
        '<pattern id="p"><rule context="tei:date">'
        '<report test="true()"><value-of select="@n"/> <value-of select="@n"/>\n'
        '  <name/> and <value-of select="@n"/><!-- c --> <value-of select="@n"/>'
        '<emph> </emph><value-of select="@n"/> <!-- c -->x</report>'
        "</rule></pattern>"
    )
    doc = teikit.load(tei(tmp_path, '<p><date n="7">then</date></p>'))
    for binding in ("xslt", "xslt2"):
        found = load_schematron(schema(tmp_path, body, binding, f"{binding}.sch")).validate(doc)
        assert [d.message for d in found] == ["77date and 777 x [p]"], binding


# -- 4. regular expressions under a time limit -----------------------------------------------

PATHOLOGICAL = "a" * 40 + "!"


def test_regular_expressions_cannot_backtrack_for_minutes(tmp_path: Path) -> None:
    # With Python's re each of these runs for hours on PATHOLOGICAL: '^(a+)+$' and
    # '^(a|aa)+$' backtrack through every way of splitting forty "a".
    body = (
        '<pattern id="nested"><rule context="tei:date">'
        "<assert test=\"not(matches(@n, '^(a+)+$'))\">nested</assert></rule></pattern>"
        '<pattern id="alternatives"><rule context="tei:date">'
        "<assert test=\"not(matches(@n, '^(a|aa)+$'))\">matches</assert>"
        "<assert test=\"replace(@n, '^(a|aa)+$', 'x') = 'x'\">replace</assert>"
        "<assert test=\"count(tokenize(@n, '(a|aa)+\\.')) = 1\">tokenize</assert>"
        "</rule></pattern>"
    )
    rules = schema(tmp_path, body, "xslt3")
    doc = tei(tmp_path, f'<p><date n="{PATHOLOGICAL}">then</date></p>')
    command = [sys.executable, "-m", "teikit", "validate", "--no-cache", "--no-integrity"]
    result = subprocess.run(
        [*command, "-s", str(rules), "-f", "github", str(doc)],
        capture_output=True,
        text=True,
        timeout=120,  # a regression fails here instead of hanging the suite
        env={**os.environ, "TEIKIT_CACHE_DIR": str(tmp_path / "cache")},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    tests = ["not(matches(@n", "replace(@n", "count(tokenize(@n"]
    for line, test in zip(lines, tests, strict=True):
        assert line.startswith(
            f"::error file={doc},line=1,title=sch.rule-error::the document was not fully "
            f"checked: Schematron pattern alternatives, rule context 'tei:date': assert test "
            f'"{test}'
        )
        assert "a regular expression could not be evaluated in time" in line
        assert f"may take {REGEX_TIME_LIMIT:g} s of processor time in all" in line


def test_regular_expressions_keep_their_meaning(tmp_path: Path) -> None:
    body = (
        '<pattern id="p"><rule context="tei:date">'
        "<report test=\"matches(@n, '^\\p{Lu}\\d+$')\">matches</report>"
        "<report test=\"replace(@n, '(\\d)', '[$1]') = 'A[1][2]'\">replace</report>"
        "<report test=\"string-join(tokenize(@n, '\\d'), '|') = 'A||'\">tokenize</report>"
        "<report test=\"matches(@n, 'a1', 'i')\">flags</report>"
        "</rule></pattern>"
    )
    doc = teikit.load(tei(tmp_path, '<p><date n="A12">then</date></p>'))
    found = load_schematron(schema(tmp_path, body, "xslt2")).validate(doc)
    expected = ["matches", "replace", "tokenize", "flags"]
    assert [d.message for d in found] == [f"{m} [p]" for m in expected]
    # analyze-string (XPath 3.0) goes through the same engine.
    analyzed = (
        '<ns prefix="fn" uri="http://www.w3.org/2005/xpath-functions"/>'
        '<pattern id="p"><rule context="tei:date"><report test="true()">'
        "<value-of select=\"string-join(analyze-string(@n, '\\d')/fn:match, '+')\"/>"
        "</report></rule></pattern>"
    )
    found = load_schematron(schema(tmp_path, analyzed, "xpath31")).validate(doc)
    assert [d.message for d in found] == ["1+2 [p]"]
    found = load_schematron(schema(tmp_path, body.replace("'a1'", "'(a1'"))).validate(doc)
    assert found[-1].code == "sch.rule-error"
    assert "FORX0002" in found[-1].message  # an invalid pattern is elementpath's error


# -- 5. the bundled Schematron is linear -----------------------------------------------------


LINEAR_CHECK = """
import sys, time, teikit
from teikit.validation.schematron import load_schematron
rules = load_schematron(sys.argv[1])
persons = "".join(f'<person xml:id="p{i}"><persName>P</persName></person>' for i in range(8000))
mentions = "".join(f'<p ref="#p{i}"><persName ref="#p{i}">P</persName></p>' for i in range(8000))
doc = teikit.load(
    f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><standOff><listPerson>{persons}</listPerson>'
    f"</standOff><text><body>{mentions}</body></text></TEI>".encode()
)
started = time.process_time()
found = rules.validate(doc)
print(len(found), time.process_time() - started)
"""


def test_the_project_schematron_is_linear(tmp_path: Path) -> None:
    # 8,000 paragraphs and 8,000 persName with @ref: rules that searched the document for
    # every pointer took minutes; a regression fails at the timeout instead of hanging.
    result = subprocess.run(
        [sys.executable, "-c", LINEAR_CHECK, str(REPO / "schemas" / "teikit-letter.sch")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TEIKIT_CACHE_DIR": str(tmp_path / "cache")},
        check=True,
    )
    count, seconds = result.stdout.split()
    assert count == "0"
    assert float(seconds) < 2


def test_only_time_inside_regular_expressions_counts_against_the_limit() -> None:
    """A slow machine or a long Schematron run must not turn a rule into 'not evaluated in
    time': the budget is charged with the time regular expressions take, nothing else."""
    import time

    import regex

    from teikit.validation import schematron

    schematron._regex_clock.left = 0.2
    try:
        start = time.process_time()
        while time.process_time() - start < 0.3:  # Schematron work that is not a regex
            pass
        found = schematron._timed(regex.compile("a+").search, "xaaa")
        assert found is not None
        assert found.group() == "aaa"
        assert 0 < schematron._regex_clock.left <= 0.2
        schematron._regex_clock.left = 0.0
        with pytest.raises(schematron._RegexTimeoutError):
            schematron._timed(regex.compile("a+").search, "xaaa")
    finally:
        del schematron._regex_clock.left

"""One finding per problem (issue 12, item 4).

The same problem on the same node, reported by the integrity checks, RELAX NG and
Schematron, is reported once, with the most specific message, and the JSON report lists
the stages that agreed; two different problems are never merged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import teikit
from conftest import REPO
from teikit.cli import cli
from teikit.diagnostics import Diagnostic, Severity
from teikit.namespaces import NSMAP
from teikit.validation.agreement import merge_agreeing
from teikit.validation.integrity import parse_w3c_date

INVALID = REPO / "examples" / "invalid-letter.xml"
MINIMAL = REPO / "examples" / "minimal-letter.xml"
ALL_THREE = ["integrity", "relaxng", "schematron"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))


def validate(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def diagnostics(*args: str) -> list[dict[str, Any]]:
    result = validate("-f", "json", *args)
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    (report,) = json.loads(result.stdout)["files"]
    found: list[dict[str, Any]] = report["diagnostics"]
    return found


def test_an_impossible_date_is_one_finding_from_three_stages() -> None:
    found = diagnostics("--no-cache", str(INVALID))
    at_101 = [d for d in found if d["line"] == 101]
    assert len(at_101) == 1
    (date,) = at_101
    assert date["code"] == "integrity.invalid-date"
    assert date["message"].startswith("@when='1952-02-30' is not a valid")
    assert date["stages"] == ALL_THREE
    # independent count: one finding per <date> whose @when is no W3C date
    tree = etree.parse(str(INVALID))
    bad = [
        d for d in tree.iterfind(".//tei:date[@when]", NSMAP) if not parse_w3c_date(d.get("when"))
    ]
    assert sorted(d.sourceline for d in bad) == sorted(
        d["line"] for d in found if d["code"] == "integrity.invalid-date"
    )
    assert all(d["stages"] == ALL_THREE for d in found if d["code"] == "integrity.invalid-date")


def test_human_report_shows_the_date_once(tmp_path: Path) -> None:
    result = validate("--no-cache", str(INVALID))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{INVALID}:101:")]
    assert lines == [
        f"{INVALID}:101: error: @when='1952-02-30' is not a valid W3C (YYYY, YYYY-MM or "
        "YYYY-MM-DD) date [integrity.invalid-date]"
    ]


def test_a_merged_finding_takes_the_highest_severity() -> None:
    """integrity calls a place pointing to a person a warning, a Schematron rule an error.

    Made by hand: the letter Schematron's own kind rule may be gone (its integrity twin
    knows --index), but another schema's copy of it may not.
    """
    document = teikit.load(INVALID, name="letter.xml")
    path = "/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p/tei:placeName"
    (node,) = document.xpath(path)
    integrity = Diagnostic(
        Severity.WARNING,
        "integrity.wrong-kind",
        "<placeName> @ref='#keller' points to a <person>, not a place entry",
        "letter.xml",
        node.sourceline,
        None,
        path,
    )
    rule = Diagnostic(
        Severity.ERROR,
        "sch.assert",
        '<placeName> "Vienna" has ref="#keller": a place must point to a <place> in the '
        "register. [ref-kind-place]",
        "letter.xml",
        node.sourceline,
        None,
        path,
    )
    assert merge_agreeing(document, [rule, integrity]) == [
        replace(integrity, severity=Severity.ERROR, stages=("integrity", "schematron"))
    ]
    # the same two about different nodes stay two
    other = replace(rule, xpath="/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p/tei:persName")
    assert merge_agreeing(document, [other, integrity]) == [other, integrity]


def test_stages_survive_the_verdict_cache() -> None:
    first = diagnostics(str(INVALID))
    second = diagnostics(str(INVALID))  # served from the cache
    assert first == second
    assert any("stages" in d for d in second)


def letter_with(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "examples" / "letter.xml"
    path.parent.mkdir(exist_ok=True)
    text = MINIMAL.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas", dirs_exist_ok=True)
    return path


def test_two_dates_on_one_line_are_two_findings(tmp_path: Path) -> None:
    """Same line, same attribute, same concept, but two nodes: two problems."""
    path = letter_with(
        tmp_path,
        '<date when="1952-03-12">the 12th</date>',
        '<date when="1952-02-30">the 30th</date> or <date when="1952-02-31">the 31st</date>',
    )
    found = diagnostics("--no-cache", str(path))
    dates = [d for d in found if d["code"] == "integrity.invalid-date"]
    assert [d["message"][:19] for d in dates] == ["@when='1952-02-30' ", "@when='1952-02-31' "]
    assert dates[0]["line"] == dates[1]["line"]
    assert dates[0]["xpath"] != dates[1]["xpath"]
    assert all(d["stages"] == ALL_THREE for d in dates)
    assert len(found) == 2


def test_two_bad_pointers_in_one_attribute_are_not_merged(tmp_path: Path) -> None:
    """Two tokens of one @ref that point nowhere are two problems, whatever else reports."""
    path = letter_with(
        tmp_path,
        '<salute>Dear <persName ref="#keller">Paul</persName>,</salute>',
        '<salute>Dear <persName ref="#nobody #noone">Paul</persName>,</salute>',
    )
    found = diagnostics("--no-cache", str(path))
    pointers = [d for d in found if d["code"] == "integrity.unresolved-pointer"]
    assert [d["message"][:16] for d in pointers] == ["@ref='#nobody' p", "@ref='#noone' po"]
    assert not any("stages" in d for d in found)


def test_different_attributes_of_one_node_are_not_merged(tmp_path: Path) -> None:
    path = letter_with(
        tmp_path,
        '<date when="1952-03-12">the 12th</date>',
        '<date notBefore="1952-02-30" notAfter="1952-03-12">the 12th</date>',
    )
    found = diagnostics("--no-cache", "--no-schematron", str(path))
    messages = sorted(d["message"] for d in found)
    assert any(m.startswith("@notBefore='1952-02-30'") for m in messages)
    # RELAX NG's finding about @notBefore agrees; nothing is said about @notAfter
    assert [d.get("stages") for d in found] == [["integrity", "relaxng"]]


_DOC = (
    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>'
    '<date when="x"/><date when="y" notBefore="z"/>\n'
    '<date when="w"/></p></body></text></TEI>'
)
_MESSAGES = {
    "integrity": ("integrity.invalid-date", "@{a}='v' is not a valid W3C date"),
    "relaxng": ("rng.invalid", "Invalid attribute {a} for element date"),
    "schematron": ("sch.assert", '@{a}="v" on <date> is not a real date. [date-calendar]'),
}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_MESSAGES)),
            st.integers(min_value=1, max_value=3),
            st.sampled_from(["when", "notBefore"]),
        ),
        max_size=12,
    )
)
def test_merging_never_loses_a_problem_nor_joins_one_stage_twice(
    found: list[tuple[str, int, str]],
) -> None:
    document = teikit.load(_DOC.encode(), name="d.xml")
    nodes = document.xpath("//tei:date")
    inputs = []
    for stage, number, attribute in found:
        code, message = _MESSAGES[stage]
        node = nodes[number - 1]
        path = f"/tei:TEI/tei:text/tei:body/tei:p/tei:date[{number}]"
        inputs.append(
            Diagnostic(
                Severity.ERROR,
                code,
                message.format(a=attribute),
                "d.xml",
                node.sourceline,
                None,
                path,
            )
        )
    output = merge_agreeing(document, inputs)
    # the oracle: per node and attribute, one finding when every stage there said it once
    by_problem: dict[tuple[int, str], list[str]] = {}
    for stage, number, attribute in found:
        by_problem.setdefault((number, attribute), []).append(stage)
    expected = sum(
        1 if len(stages) == len(set(stages)) else len(stages) for stages in by_problem.values()
    )
    assert len(output) == expected
    assert sum(max(1, len(d.stages)) for d in output) == len(inputs)  # each input accounted for
    assert all(len(set(d.stages)) == len(d.stages) for d in output)

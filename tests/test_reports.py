"""Machine-readable reports: JSON, JUnit XML, GitHub annotations."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.reports import summarise, to_github, to_json, to_junit


def sample() -> Report:
    report = Report(files=["a.xml", "b.xml", "c.xml"], elapsed=1.23456)
    report.extend(
        [
            Diagnostic(Severity.ERROR, "rng.invalid", "element x not allowed", "a.xml", 3, None),
            Diagnostic(Severity.WARNING, "integrity.wrong-kind", "50%, odd: here", "a.xml", 4, 2),
            Diagnostic(Severity.WARNING, "integrity.missing-hash", "line one\nline two", "b.xml"),
        ]
    )
    return report


def test_summary_counts_files_once() -> None:
    summary = summarise(sample())
    assert (summary.files, summary.valid, summary.invalid) == (3, 2, 1)
    assert (summary.errors, summary.warnings, summary.infos) == (1, 2, 0)
    assert summarise(sample(), Severity.WARNING).invalid == 2


def test_json_report_is_complete() -> None:
    data = json.loads(to_json(sample()))
    assert data["format_version"] == 1
    assert [f["file"] for f in data["files"]] == ["a.xml", "b.xml", "c.xml"]
    assert [f["valid"] for f in data["files"]] == [False, True, True]
    assert data["files"][0]["diagnostics"][0] == {
        "severity": "error",
        "code": "rng.invalid",
        "message": "element x not allowed",
        "file": "a.xml",
        "line": 3,
        "column": None,
        "xpath": None,
    }
    assert data["summary"] == {
        "files": 3,
        "valid": 2,
        "invalid": 1,
        "errors": 1,
        "warnings": 2,
        "infos": 0,
        "seconds": 1.235,
    }


def test_junit_has_one_testcase_per_file() -> None:
    root = etree.fromstring(to_junit(sample()).encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a.xml", "b.xml", "c.xml"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "rng.invalid"
    assert failure.text == "a.xml:3: error: element x not allowed [rng.invalid]"
    assert cases[1].find("failure") is None
    assert "missing-hash" in (cases[1].findtext("system-out") or "")


_ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=[^,]*(,line=\d+)?(,col=\d+)?,title=[^:]*::.*$"
)


def test_github_annotations_follow_the_syntax() -> None:
    lines = to_github(sample()).splitlines()
    assert lines == [
        "::error file=a.xml,line=3,title=rng.invalid::element x not allowed",
        "::warning file=a.xml,line=4,col=2,title=integrity.wrong-kind::50%25, odd: here",
        "::warning file=b.xml,title=integrity.missing-hash::line one%0Aline two",
    ]
    assert all(_ANNOTATION.match(line) for line in lines)


def test_empty_report() -> None:
    assert to_github(Report()) == ""
    assert json.loads(to_json(Report()))["summary"]["files"] == 0


@pytest.mark.parametrize(
    ("files", "errors", "seconds"), [(1, 0, 0.031), (1331, 1558, 12.5), (120000, 3, 1234.0)]
)
def test_plain_summary_is_what_rich_prints_without_a_terminal(
    files: int, errors: int, seconds: float
) -> None:
    """Piped output skips rich (faster start); the table must look the same."""
    import io

    from rich.console import Console

    from teikit.render.diagnostics import _plain_summary, print_summary
    from teikit.reports import Summary

    summary = Summary(files, files - 1, 1, errors, 7, 0, seconds)
    for verdicts in (("valid", "invalid"), ("clean", "flagged")):
        buffer = io.StringIO()
        print_summary(Console(file=buffer, width=200, force_terminal=False), summary, verdicts)
        assert _plain_summary(summary, verdicts) == buffer.getvalue()

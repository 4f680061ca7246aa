"""Property-based robustness (issue 6): a mutated telegram never crashes a command.

Hypothesis truncates the telegram, flips bytes, inserts entity declarations, deletes end tags
and re-encodes it, then runs ``validate`` and ``entities``: the exit code is one of the
documented ones, there is no traceback, and the output file is complete or absent.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import REPO, TELEGRAM
from teikit.cli import cli

ORIGINAL = TELEGRAM.read_bytes()
SCHEMA = REPO / "schemas" / "teikit-letter.rng"
END_TAGS = [m.span() for m in re.finditer(rb"</[A-Za-z:]+>", ORIGINAL)]
DECLARATIONS = [
    b'<!ENTITY e "text">',
    b'<!ENTITY e SYSTEM "secret.txt">',
    b'<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;',
    b'<!ENTITY a "&b;"><!ENTITY b "&a;">',
    b'<!ENTITY l0 "ha"><!ENTITY l1 "&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;">',
]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def truncate(data: bytes, draw: st.DrawFn) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def flip_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    if not data:
        return data
    mutable = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        mutable[draw(st.integers(0, len(mutable) - 1))] = draw(st.integers(0, 255))
    return bytes(mutable)


def insert_entity(data: bytes, draw: st.DrawFn) -> bytes:
    declaration = draw(st.sampled_from(DECLARATIONS))
    name = re.search(rb"ENTITY\s+(?:%\s+)?(\w+)", declaration)
    assert name is not None
    root = data.index(b"<TEI")
    body = data.index(b"<body>") + len(b"<body>")
    reference = b"&" + name.group(1) + b";" if b"%" not in declaration else b""
    return (
        data[:root]
        + b"<!DOCTYPE TEI [" + declaration + b"]>\n"
        + data[root:body]
        + b"<p>" + reference + b"</p>"
        + data[body:]
    )  # fmt: skip


def delete_end_tags(data: bytes, draw: st.DrawFn) -> bytes:
    chosen = sorted(draw(st.sets(st.sampled_from(END_TAGS), min_size=1, max_size=3)))
    for start, end in reversed(chosen):
        data = data[:start] + data[end:]
    return data


def re_encode(data: bytes, draw: st.DrawFn) -> bytes:
    encoding = draw(st.sampled_from(ENCODINGS))
    text = data.decode("utf-8")
    if draw(st.booleans()):  # say so in the declaration, or (wrongly) keep saying UTF-8
        text = text.replace('encoding="UTF-8"', f'encoding="{encoding.removesuffix("-sig")}"')
    return text.encode(encoding, errors="replace")


# Applied in this order (structure first, bytes last), each one or not at all.
MUTATIONS: list[Callable[[bytes, st.DrawFn], bytes]] = [
    delete_end_tags,
    insert_entity,
    re_encode,
    flip_bytes,
    truncate,
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    chosen = draw(st.sets(st.sampled_from(MUTATIONS), min_size=1))
    data = ORIGINAL
    for mutation in MUTATIONS:
        if mutation in chosen:
            data = mutation(data, draw)
    return data


def check(result: Result, folder: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    if result.exit_code == 3:
        assert result.stderr.startswith("teikit: error: ")
    assert not list(folder.glob(".*.tmp"))  # no temporary file is left behind


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))


@SETTINGS
@given(data=mutated())
def test_validate_survives_any_mutation(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "secret.txt").write_text("TEIKIT-ROBUSTNESS-SECRET")
        doc = folder / "doc.xml"
        doc.write_bytes(data)
        report = folder / "report.json"
        args = ["validate", "--no-cache", "--schema", str(SCHEMA), "-f", "json", "-o", str(report)]
        result = CliRunner().invoke(cli, [*args, str(doc)])
        check(result, folder)
        assert doc.read_bytes() == data
        if result.exit_code == 3:
            assert not report.exists()
        else:
            text = report.read_text(encoding="utf-8")
            assert text.rstrip().endswith("}")
            assert "TEIKIT-ROBUSTNESS-SECRET" not in text
            if result.exit_code == 1:
                assert '"severity": "error"' in text


@SETTINGS
@given(data=mutated())
def test_entities_survives_any_mutation(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "secret.txt").write_text("TEIKIT-ROBUSTNESS-SECRET")
        doc = folder / "doc.xml"
        doc.write_bytes(data)
        out = folder / "out.csv"
        result = CliRunner().invoke(cli, ["entities", "-o", str(out), str(doc)])
        check(result, folder)
        assert doc.read_bytes() == data
        assert result.exit_code != 3 or not out.exists()
        if out.exists():
            text = out.read_text(encoding="utf-8")
            assert text.startswith("document,type,element,")
            assert text.endswith("\n")
            assert "TEIKIT-ROBUSTNESS-SECRET" not in text
        assert "TEIKIT-ROBUSTNESS-SECRET" not in result.stderr
        assert os.path.exists(doc)


def _complete_json(path: Path) -> None:
    json.loads(path.read_text(encoding="utf-8"))


def _complete_xml(path: Path) -> None:
    etree.parse(str(path))


# command line (OUT stands for the output file) and what a complete output looks like
LATER_COMMANDS: dict[str, tuple[list[str], str, Callable[[Path], None]]] = {
    "export": (["export", "DOC", "-o", "OUT"], "out.json", _complete_json),
    "lint": (["lint", "-f", "json", "-o", "OUT", "DOC"], "report.json", _complete_json),
    "annotate": (["annotate", "DOC", "-o", "OUT"], "out.xml", _complete_xml),
    "register": (["register", "build", "DOC", "-o", "OUT"], "register.xml", _complete_xml),
}


@pytest.mark.parametrize("command", sorted(LATER_COMMANDS))
@SETTINGS
@given(data=mutated())
def test_every_other_command_survives_any_mutation(command: str, data: bytes) -> None:
    """export, lint, annotate and register build: exit 0, 1 or 3, outputs whole or absent."""
    template, name, complete = LATER_COMMANDS[command]
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        (folder / "secret.txt").write_text("TEIKIT-ROBUSTNESS-SECRET")
        doc = folder / "doc.xml"
        doc.write_bytes(data)
        out = folder / name
        args = [str(doc) if a == "DOC" else str(out) if a == "OUT" else a for a in template]
        result = CliRunner().invoke(cli, args)
        check(result, folder)
        assert doc.read_bytes() == data
        if out.exists():
            complete(out)  # never half-written
            assert b"TEIKIT-ROBUSTNESS-SECRET" not in out.read_bytes()
        assert result.exit_code != 3 or not out.exists()
        assert "TEIKIT-ROBUSTNESS-SECRET" not in result.stdout + result.stderr

"""Every command reads the same kinds, pointer targets and dates (issue 12, deliverable 1).

The fixtures in ``tests/data/agreement/`` hold one mention per kind, per pointer form (in
the file, ``--index``, ``file.xml#id``, ``prefixDef``, the name inside an entry, the root
``xml:id`` of the other letter, a URL, nothing) and per date form. ``validate``,
``entities``, ``export --to json``, ``lint`` and ``register build`` run over them; each
one's view is turned into the same facts and compared with :data:`EXPECTED`, written by
hand from the fixtures and the rules of ``docs/entities.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from teikit.cli import cli
from teikit.entities import MentionTable, extract_entities, load_mention_table
from teikit.entities.model import Mention
from teikit.linting import build_context
from teikit.validation.runner import ValidationOptions, Validator, expand_inputs

DATA = Path(__file__).parent / "data" / "agreement"
LETTERS = [DATA / "L00001.xml", DATA / "L00002.xml"]
REGISTER = DATA / "register.xml"

# (file, line, element) -> (kind, status, entry reached, date start, date end)
Key = tuple[str, int, str]
Fact = tuple[str, str, str | None, str | None, str | None]
EXPECTED: dict[Key, Fact] = {
    ("L00001.xml", 22, "persName"): ("person", "resolved", "peng", None, None),
    ("L00001.xml", 23, "persName"): ("person", "resolved", "mao", None, None),
    ("L00001.xml", 24, "persName"): ("person", "resolved", "delegation", None, None),
    # the persName inside <person xml:id="mao"> stands for that person
    ("L00001.xml", 25, "persName"): ("person", "resolved", "mao", None, None),
    ("L00001.xml", 26, "placeName"): ("place", "resolved", "kaesong", None, None),
    ("L00001.xml", 27, "orgName"): ("org", "resolved", "un", None, None),  # prefixDef
    ("L00001.xml", 28, "name"): ("org", "resolved", "un", None, None),  # @type synonym
    ("L00001.xml", 29, "rs"): ("event", "resolved", "armistice", None, None),
    ("L00001.xml", 30, "persName"): ("person", "wrong-kind", "kaesong", None, None),
    ("L00001.xml", 31, "persName"): ("person", "unresolved", None, None, None),
    ("L00001.xml", 32, "placeName"): ("place", "unresolved", None, None, None),
    ("L00001.xml", 33, "persName"): ("person", "external", None, None, None),
    # the root xml:id of the other letter of the run: resolves, to no register entry
    ("L00001.xml", 34, "rs"): ("letter", "resolved", None, None, None),
    ("L00001.xml", 35, "date"): ("date", "no-ref", None, "1951-07-03", "1951-07-03"),
    ("L00001.xml", 36, "date"): ("date", "no-ref", None, "1951", "1951"),
    ("L00001.xml", 37, "date"): ("date", "no-ref", None, "1951-07", "1951-07"),
    ("L00001.xml", 38, "date"): (
        "date",
        "no-ref",
        None,
        "1951-07-03T10:00:00+08:00",
        "1951-07-03T10:00:00+08:00",
    ),
    ("L00001.xml", 39, "date"): ("date", "no-ref", None, "1950-06-25", "1951-07"),
    ("L00001.xml", 40, "date"): ("date", "no-ref", None, "1950", "1951-07-03"),
    ("L00001.xml", 41, "date"): ("date", "no-ref", None, "--07-03", "--07-03"),
    ("L00001.xml", 42, "date"): ("date", "no-ref", None, "1951-07-03", "1951-07-03"),
    ("L00001.xml", 43, "date"): ("date", "no-ref", None, None, None),  # T25:00
    ("L00001.xml", 44, "date"): ("date", "no-ref", None, None, None),  # 19510703
    ("L00001.xml", 45, "date"): ("date", "no-ref", None, None, None),  # 1952-02-30
    ("L00002.xml", 12, "rs"): ("letter", "resolved", None, None, None),
    ("L00002.xml", 13, "persName"): ("person", "resolved", "mao", None, None),
    ("L00002.xml", 14, "persName"): ("person", "no-ref", None, None, None),
    ("L00002.xml", 14, "date"): ("date", "no-ref", None, "1951-07-10", "1951-07-10"),
}
ENTITY_KINDS = ("person", "place", "org", "event")


def _lines(status: str, *, kinds: tuple[str, ...] | None = None) -> set[tuple[str, int]]:
    """Return the (file, line) of the expected mentions with *status*."""
    return {
        (file, line)
        for (file, line, _element), fact in EXPECTED.items()
        if fact[1] == status and (kinds is None or fact[0] in kinds)
    }


INVALID_DATES = {("L00001.xml", 43), ("L00001.xml", 44), ("L00001.xml", 45)}


def _run(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result


def _entry(kind: str, entity_id: str | None) -> str | None:
    """Return the entry reached: only mentions of entity kinds reach register entries."""
    return entity_id if kind in ENTITY_KINDS else None


def test_entities_reads_the_expected_facts() -> None:
    result = _run(["entities", "--format", "json", "--index", str(REGISTER), *map(str, LETTERS)])
    assert result.exit_code == 1, result.stderr  # unresolved pointers are errors
    facts = {
        (Path(r["document"]).name, r["line"], r["element"]): (
            r["type"],
            r["status"],
            _entry(r["type"], r["entity_id"]),
            r["date_start"],
            r["date_end"],
        )
        for r in json.loads(result.stdout)
    }
    assert facts == EXPECTED
    warned = {
        (Path(line.split(":")[0]).name, int(line.split(":")[1]))
        for line in result.stderr.splitlines()
        if line.endswith("[entity.invalid-date]")
    }
    assert warned == INVALID_DATES


def test_export_reads_the_expected_facts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(
        ["export", "--to", "json", "--index", str(REGISTER), "-o", f"{out}/", *map(str, LETTERS)]
    )
    assert result.exit_code == 0, result.stderr  # export warns; it does not fail
    facts: dict[Key, Fact] = {}
    for letter in LETTERS:
        model = json.loads((out / f"{letter.stem}.json").read_text(encoding="utf-8"))
        for m in model["mentions"]:
            date = m["date"] or {}
            start = date.get("when") or date.get("start")
            end = date.get("when") or date.get("end")
            key = (letter.name, m["position"]["line"], m["element"])
            entry = m["entities"][0] if m["entities"] else None
            facts[key] = (m["type"], m["status"], _entry(m["type"], entry), start, end)
    assert facts == EXPECTED


def test_validate_reports_what_the_others_read() -> None:
    result = _run(
        [
            "validate", "--no-schematron", "--no-cache", "-f", "json",
            "--index", str(REGISTER), *map(str, LETTERS),
        ]
    )  # fmt: skip
    assert result.exit_code == 1
    found: dict[str, set[tuple[str, int]]] = {}
    for entry in json.loads(result.stdout)["files"]:
        for d in entry["diagnostics"]:
            if d["code"].startswith("integrity."):
                found.setdefault(d["code"], set()).add((Path(d["file"]).name, d["line"]))
    assert found == {
        "integrity.unresolved-pointer": _lines("unresolved"),
        "integrity.wrong-kind": _lines("wrong-kind"),
        "integrity.invalid-date": INVALID_DATES,
    }


def test_lint_reads_the_expected_facts() -> None:
    _corpus, records = build_context(LETTERS, [REGISTER])
    facts: dict[Key, Fact] = {}
    for mention in records.mentions:
        assert isinstance(mention, Mention)
        target = mention.targets[0] if mention.targets else None
        status = target.status.value if target is not None else "no-ref"
        entry = target.entity_id if target is not None else None
        date = mention.date
        facts[(Path(mention.document).name, mention.line, mention.element)] = (
            mention.type,
            status,
            _entry(mention.type, entry),
            date.start if date else None,
            date.end if date else None,
        )
    assert facts == EXPECTED


def test_lint_command_agrees_on_pointers() -> None:
    result = _run(["lint", "--index", str(REGISTER), "-f", "json", *map(str, LETTERS)])
    assert result.exit_code in (0, 1), result.stderr
    found: dict[str, set[tuple[str, int]]] = {}
    for f in json.loads(result.stdout)["files"]:
        for d in f["diagnostics"]:
            found.setdefault(d["code"], set()).add((Path(d["file"]).name, d["line"]))
    # lint asks for a @ref exactly where no command found one, and finds every entry of the
    # register mentioned (each is reached by a pointer the others resolve)
    assert found["lint.mention-without-ref"] == _lines("no-ref", kinds=("person", "place", "org"))
    assert "lint.unmentioned-entry" not in found


def test_register_build_proposes_entries_exactly_where_the_others_find_none(
    tmp_path: Path,
) -> None:
    output = tmp_path / "proposal.json"
    result = _run(
        ["register", "build", "--index", str(REGISTER), "-o", str(output), *map(str, LETTERS)]
    )
    assert result.exit_code in (0, 1), result.stderr
    proposal = json.loads(output.read_text(encoding="utf-8"))
    rewritten = {(Path(r["document"]).name, r["line"]) for r in proposal["rewrites"]}
    kinds = ("person", "place", "org")
    assert rewritten == _lines("unresolved", kinds=kinds) | _lines("no-ref", kinds=kinds)


@pytest.mark.parametrize("letter", LETTERS, ids=lambda p: p.name)
def test_a_run_of_one_letter_does_not_resolve_the_other(letter: Path) -> None:
    """The root ids of a run's other documents count; a document outside the run does not."""
    result = _run(["entities", "--format", "json", "-t", "letter", str(letter)])
    statuses = {r["status"] for r in json.loads(result.stdout)}
    assert statuses == {"unresolved"}


def test_validate_cache_keeps_no_stale_root_pointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verdict with '#L00002' unresolved (L00001 alone) is not reused in a run with both."""
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["validate", "--no-schematron", "-f", "json", "--index", str(REGISTER)]

    def unresolved(*files: Path) -> set[tuple[str, int]]:
        result = _run([*args, *map(str, files)])
        return {
            (Path(d["file"]).name, d["line"])
            for entry in json.loads(result.stdout)["files"]
            for d in entry["diagnostics"]
            if d["code"] == "integrity.unresolved-pointer"
        }

    alone = unresolved(LETTERS[0])
    assert alone == _lines("unresolved") | {("L00001.xml", 34)}
    assert unresolved(*LETTERS) == _lines("unresolved")  # both: the cache must not answer
    assert unresolved(*LETTERS) == _lines("unresolved")  # now from the cache
    assert unresolved(LETTERS[0]) == alone


def test_configured_mention_rules_are_read_by_every_command(tmp_path: Path) -> None:
    """A ``[mentions]`` rule makes ``name type="pers"`` a person for entities, validate, lint."""
    letter = tmp_path / "letter.xml"
    letter.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>\n'
        f'<p><name type="pers" ref="{REGISTER}#kaesong">K.</name></p>\n'
        f'<p><name type="pers" ref="{REGISTER}#mao">M.</name></p>\n'
        "</body></text></TEI>",
        encoding="utf-8",
    )
    (tmp_path / "teikit.toml").write_text(
        "[mentions]\nperson = \"tei:name[@type='pers']\"\n", encoding="utf-8"
    )
    table = load_mention_table(start=tmp_path)

    def facts(mentions: MentionTable | None) -> tuple[Any, Any, Any]:
        read = {
            (m.line, m.type, m.targets[0].status.value)
            for m in extract_entities([letter], mentions=mentions)
            if isinstance(m, Mention)
        }
        _corpus, records = build_context([letter], mentions=mentions)
        linted = {(m.line, m.type, m.targets[0].status.value) for m in records.mentions}
        options = ValidationOptions(
            mentions=None if mentions is None else mentions.rules, cache=False, schematron=False
        )
        validated = {
            (d.line, d.code)
            for _name, found in Validator(options).run(expand_inputs([letter], options))
            for d in found
            if d.code.startswith("integrity.")
        }
        return read, linted, validated

    read, linted, validated = facts(table)
    assert read == linted == {(2, "person", "wrong-kind"), (3, "person", "resolved")}
    assert validated == {(2, "integrity.wrong-kind")}
    read, linted, validated = facts(None)  # without the rule: a "pers" is not kind-checked
    assert read == linted == {(2, "pers", "resolved"), (3, "pers", "resolved")}
    assert validated == set()


@pytest.mark.parametrize(
    ("lint_kinds", "register_kinds"),
    [("persons,dates", "persons,places"), ("person,date", "person,place"),
     ("Persons, Date", "Person, Places")],
)  # fmt: skip
def test_lint_and_register_build_read_kinds_singular_or_plural(
    lint_kinds: str, register_kinds: str
) -> None:
    from teikit.cli.register import _kinds
    from teikit.linting import parse_kinds

    assert parse_kinds(lint_kinds) == frozenset({"person", "date"})
    assert _kinds(register_kinds) == ("person", "place")

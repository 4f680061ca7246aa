"""``teikit register build`` and ``propose_register`` (issue 7, part 3).

The telegram-derived cases work on a copy of the telegram without its ``standOff`` and
without the ``@ref`` of its names, made in ``tmp_path``. Golden files live in
``tests/golden/register/``; ``TEIKIT_UPDATE_GOLDEN=1 pytest`` rewrites them.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import teikit
from conftest import REPO, TELEGRAM, check_golden, shared_path
from teikit.cli import cli
from teikit.entities import (
    RegisterProposal,
    expand_paths,
    grouping_key,
    proposal_formats,
    propose_register,
)
from teikit.entities.proposal_formats import (
    proposal_tree,
    write_proposal_json,
    write_proposal_tei,
)
from teikit.namespaces import NSMAP, TEI_NS, XML_ID
from teikit.validation import ValidationOptions

GOLDEN = REPO / "tests" / "golden" / "register"
DATE = datetime.date(2026, 11, 27)
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
NAMES = ("persName", "placeName", "orgName", "rs", "name")

VARIANTS = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title>Variants</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc>
  </fileDesc></teiHeader>
  <standOff><listPerson><person xml:id="mao"><persName>Mao Zedong</persName></person>
  </listPerson></standOff>
  <text><body>
    <p xml:id="filippov">To <persName>Filippov</persName>, <persName>FILIPPOV</persName> and
      <persName>Filippov </persName>, <persName>[Filippov]</persName>,
      <persName ref="#nobody">filippov</persName>; not <persName>Filipov</persName>.</p>
    <p><persName ref="#mao">MAO</persName> <persName ref="https://d-nb.info/gnd/118577166">Mao</persName>
      <rs type="person" key="ghost">Kim  Il
        Sung</rs> <persName
        type="full">KIM IL SUNG</persName> <placeName>Kim Il Sung</placeName>
      <name type="place">Moscow</name> <orgName>   </orgName> <persName>?</persName></p>
  </body></text>
</TEI>
"""


def strip_telegram(target: Path) -> Path:
    """Write the telegram without its register and without the names' pointers."""
    tree = etree.parse(str(TELEGRAM))
    root = tree.getroot()
    stand_off = root.find(f"{{{TEI_NS}}}standOff")
    assert stand_off is not None
    root.remove(stand_off)
    for element in root.iter(*(f"{{{TEI_NS}}}{name}" for name in NAMES)):
        element.attrib.pop("ref", None)
    tree.write(str(target), xml_declaration=True, encoding="UTF-8")
    return target


@pytest.fixture
def stripped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stripped telegram as ``telegram.xml`` in the current folder (names stay short)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795737600")  # 2026-11-27
    return strip_telegram(tmp_path / "telegram.xml").relative_to(tmp_path)


@pytest.fixture
def variants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The variants fixture as ``variants.xml`` in the current folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "variants.xml").write_text(VARIANTS, encoding="utf-8")
    return Path("variants.xml")


def run(runner: CliRunner, *args: str) -> Result:
    """Invoke ``teikit register ARGS``."""
    return runner.invoke(cli, ["register", *args], catch_exceptions=False)


def entries_by_name(proposal: RegisterProposal) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    return {e.name: (e.id, e.kind, e.variants) for e in proposal.entries}


# -- grouping, ids, rewrites ------------------------------------------------------------------


def test_variants_of_case_whitespace_and_punctuation_are_one_entry(variants: Path) -> None:
    proposal = propose_register([variants], date=DATE)
    filippov = next(e for e in proposal.entries if e.name == "Filippov")
    # "Filippov " is normalised by the extractor; "[Filippov]" only by the grouping key
    assert dict(filippov.forms) == {"Filippov": 2, "FILIPPOV": 1, "[Filippov]": 1, "filippov": 1}
    assert filippov.id == "filippov_2"  # xml:id="filippov" is taken by a <p>
    assert "Filipov" in entries_by_name(proposal)  # no fuzzy matching
    kim = [e for e in proposal.entries if grouping_key(e.name) == "kim il sung"]
    assert [(e.kind, e.name, len(e.rewrites)) for e in kim] == [
        ("person", "Kim Il Sung", 2),
        ("place", "Kim Il Sung", 1),
    ]
    assert [e.id for e in kim] == ["kim_il_sung", "kim_il_sung_2"]  # kinds are never merged
    assert entries_by_name(proposal)["Moscow"][1] == "place"


def test_resolved_external_and_empty_mentions_are_left_alone(variants: Path) -> None:
    proposal = propose_register([variants], date=DATE)
    texts = {r.text for r in proposal.rewrites}
    assert "MAO" not in texts  # resolves to #mao
    assert "Mao" not in texts  # an authority URI
    assert "?" not in texts  # names nothing
    assert len(proposal.rewrites) == 10
    broken = next(r for r in proposal.rewrites if r.old == "#nobody")
    assert (broken.attribute, broken.new) == ("ref", "#filippov_2")
    key = next(r for r in proposal.rewrites if r.element == "rs")
    assert (key.attribute, key.old, key.text) == ("key", "ghost", "Kim Il Sung")


def test_ids_are_unique_ncnames_clashing_with_no_existing_id(stripped: Path) -> None:
    proposal = propose_register([stripped])
    ids = [entry.id for entry in proposal.entries]
    assert len(ids) == len(set(ids)) == 20
    assert all(NCNAME.match(i) for i in ids), ids
    existing = set(etree.parse(str(stripped)).xpath("//@xml:id", namespaces=NSMAP))
    assert not existing & set(ids)
    assert "place_38th_parallel" in ids  # an NCName cannot start with a digit


def test_rewrites_point_at_the_start_tag_of_each_mention(
    variants: Path, stripped: Path, tmp_path: Path
) -> None:
    for document in (stripped, variants):
        lines = (tmp_path / document).read_text(encoding="utf-8").splitlines()
        proposal = propose_register([document], date=DATE)
        assert proposal.rewrites
        tree = etree.parse(str(document))
        for rewrite in proposal.rewrites:
            assert rewrite.line is not None
            assert rewrite.column is not None
            at = lines[rewrite.line - 1][rewrite.column - 1 :]
            assert at.startswith(f"<{rewrite.element}"), (rewrite, at)
            path = rewrite.xml_id_or_xpath
            element = tree.xpath(path, namespaces=NSMAP)[0]
            assert " ".join("".join(element.itertext()).split()) == rewrite.text
    multi_line = next(r for r in proposal.rewrites if r.text == "KIM IL SUNG")
    assert (multi_line.line, multi_line.column) == (14, 19)  # where the tag starts, not ends


def test_new_refs_are_relative_to_each_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "letters" / "a b").mkdir(parents=True)
    (tmp_path / "letters" / "a b" / "l1.xml").write_text(VARIANTS, encoding="utf-8")
    proposal = propose_register(
        ["letters/a b/l1.xml"], register_path="registers/proposed.xml", date=DATE
    )
    assert {r.new.partition("#")[0] for r in proposal.rewrites} == {"../../registers/proposed.xml"}


def test_indexes_keep_their_mentions_and_their_ids(variants: Path, tmp_path: Path) -> None:
    index = tmp_path / "index.xml"
    index.write_text(
        f'<TEI xmlns="{TEI_NS}"><standOff><listPerson><person xml:id="nobody">'
        "<persName>Filippov</persName></person><person xml:id='filipov'><persName>x</persName>"
        "</person></listPerson></standOff></TEI>",
        encoding="utf-8",
    )
    proposal = propose_register([variants], indexes=[index], date=DATE)
    assert "#nobody" not in {r.old for r in proposal.rewrites}  # resolves into the index
    assert entries_by_name(proposal)["Filipov"][0] == "filipov_2"


def test_only_some_kinds(variants: Path) -> None:
    proposal = propose_register([variants], kinds=["place"], date=DATE)
    assert {e.kind for e in proposal.entries} == {"place"}
    assert proposal.counts() == {"person": 0, "place": 2, "org": 0}


# -- output ----------------------------------------------------------------------------------


def test_golden_telegram_proposal(stripped: Path, runner: CliRunner) -> None:
    for fmt in ("xml", "json"):
        result = run(runner, "build", str(stripped), "-o", f"proposal.{fmt}")
        assert result.exit_code == 0, result.output
        check_golden(GOLDEN / f"telegram.{fmt}", Path(f"proposal.{fmt}").read_bytes())


def test_output_is_byte_identical_on_two_runs(stripped: Path, runner: CliRunner) -> None:
    outputs = []
    for name in ("one.xml", "two.xml"):
        assert run(runner, "build", str(stripped), "-o", name).exit_code == 0
        outputs.append(Path(name).read_text(encoding="utf-8").replace(name, "OUT"))
    assert outputs[0] == outputs[1]


def test_tei_output_is_valid_tei_all(
    stripped: Path, variants: Path, tei_all_rng: Path, tmp_path: Path
) -> None:
    outputs = []
    for case, sources in (("stripped", [stripped, variants]), ("empty", [TELEGRAM])):
        proposal = propose_register(
            sources, register_path=f"{case}.xml", text_only=case == "empty", date=DATE
        )
        assert bool(proposal.entries) is (case != "empty")
        outputs.append(tmp_path / f"{case}.xml")
        with outputs[-1].open("w", encoding="utf-8") as stream:
            write_proposal_tei(proposal, stream)
    report = teikit.validate(outputs, ValidationOptions(schemas=(tei_all_rng,), cache=False))
    assert [str(d) for d in report] == []


def test_tei_rows_are_streamed_one_at_a_time(
    stripped: Path, variants: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer holds one rewrite row at a time and writes what the whole tree would."""
    proposal = propose_register([stripped, variants], register_path="p.xml", date=DATE)
    assert len(proposal.rewrites) > 2
    whole = proposal_tree(proposal)
    proposal_formats._layout(whole)
    expected = '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        whole, encoding="unicode"
    )
    held: list[int] = []
    row = proposal_formats._row

    def counting_row(table: etree._Element, rewrite: object) -> None:
        held.append(len(table))  # the label row and the placeholder, never an earlier row
        row(table, rewrite)  # type: ignore[arg-type]

    monkeypatch.setattr(proposal_formats, "_row", counting_row)
    stream = io.StringIO()
    write_proposal_tei(proposal, stream)
    assert stream.getvalue() == expected + "\n"
    assert held == [2] * len(proposal.rewrites)


def test_json_matches_the_tei(stripped: Path, variants: Path, tmp_path: Path) -> None:
    proposal = propose_register([stripped, variants], register_path="p.xml", date=DATE)
    with (tmp_path / "p.xml").open("w", encoding="utf-8") as stream:
        write_proposal_tei(proposal, stream)
    with (tmp_path / "p.json").open("w", encoding="utf-8") as stream:
        write_proposal_json(proposal, stream)
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    tree = etree.parse(str(tmp_path / "p.xml"))
    entries = [
        {
            "id": e.get(XML_ID),
            "kind": etree.QName(e).localname,
            "forms": [" ".join(n.itertext()) for n in e if etree.QName(n).localname != "note"],
        }
        for e in tree.xpath("//tei:standOff/*/*", namespaces=NSMAP)
    ]
    assert entries == [
        {"id": e["id"], "kind": e["kind"], "forms": [f["form"] for f in e["forms"]]}
        for e in data["entries"]
    ]
    rows = [
        ["".join(cell.itertext()) for cell in row]
        for row in tree.xpath("//tei:table/tei:row[not(@role)]", namespaces=NSMAP)
    ]
    columns = ("id", "document", "line", "column", "element", "text", "attribute", "old", "new")
    assert rows == [["" if r[c] is None else str(r[c]) for c in columns] for r in data["rewrites"]]
    assert data["counts"] == proposal.counts()


# -- command line ----------------------------------------------------------------------------


def test_cli_writes_the_file_and_a_summary(stripped: Path, runner: CliRunner) -> None:
    result = run(runner, "build", str(stripped), "-o", "out.xml")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "20 entries proposed (persons 5, places 6, orgs 9) from 37 mentions in 1 file; "
        "wrote out.xml\n"
    )
    result = run(runner, "build", str(stripped), "-o", "out.data", "--format", "json")
    assert json.loads(Path("out.data").read_text(encoding="utf-8"))["register"] == "out.xml"
    result = run(runner, "build", str(stripped), "-o", "p.json", "--only", "places,org")
    assert result.exit_code == 0
    assert "(persons 0, places 6, orgs 9)" in result.stderr


def test_cli_nothing_to_propose_is_success(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "nothing.xml"
    # every name in the telegram's text points into its register
    result = run(runner, "build", str(TELEGRAM), "--text-only", "-o", str(output))
    assert result.exit_code == 0
    assert result.stderr.startswith("0 entries proposed (persons 0, places 0, orgs 0)")
    assert output.is_file()
    # but two organisations in its teiHeader have no @ref
    result = run(runner, "build", str(TELEGRAM), "-o", str(output))
    assert result.exit_code == 0
    assert result.stderr.startswith("2 entries proposed (persons 0, places 0, orgs 2)")


def test_cli_refuses_to_overwrite_an_input(stripped: Path, runner: CliRunner) -> None:
    before = stripped.read_bytes()
    result = run(runner, "build", str(stripped), "-o", str(stripped))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "refusing to overwrite an input file" in result.stderr
    assert stripped.read_bytes() == before


def test_cli_missing_file_and_usage_errors(stripped: Path, runner: CliRunner) -> None:
    missing = run(runner, "build", "missing.xml", "-o", "out.xml")
    assert (missing.exit_code, missing.stdout) == (3, "")
    assert missing.stderr == "teikit: error: missing.xml: no such file or directory\n"
    assert run(runner, "build", str(stripped)).exit_code == 2  # -o is required
    bad = run(runner, "build", str(stripped), "-o", "o.xml", "--only", "people")
    assert bad.exit_code == 2
    assert "people: choose from persons, places, orgs" in bad.stderr
    assert not Path("out.xml").exists()
    assert not Path("o.xml").exists()


def test_cli_broken_file_is_reported_and_the_others_used(
    stripped: Path, runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.xml").write_bytes(stripped.read_bytes())
    (folder / "b.xml").write_text(f'<TEI xmlns="{TEI_NS}">\n<p>\n<q>x<q/></p></TEI>\n')
    (folder / "c.txt").write_text("not read")
    result = run(runner, "build", "in", "--exclude", "c.*", "-o", "out.xml")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert re.match(r"^in/b\.xml:3:\d+: error: .*\[xml\.not-well-formed\]$", lines[0])
    assert lines[1].startswith("20 entries proposed")
    assert lines[2] == "error summary: 1 file(s) could not be read and were left out"
    assert "in/a.xml" in Path("out.xml").read_text(encoding="utf-8")


def test_cli_include_and_exclude(stripped: Path, runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.tei").write_bytes(stripped.read_bytes())
    (folder / "b.xml").write_text("broken")
    result = run(runner, "build", "in", "--include", "*.tei", "-o", "out.json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(Path("out.json").read_text(encoding="utf-8"))["documents"] == ["in/a.tei"]


def test_register_is_a_command_group(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["register", "--help"])
    assert result.exit_code == 0
    assert "build" in result.stdout


# -- properties ------------------------------------------------------------------------------

LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéèçñåøæ", min_size=1, max_size=8)
WORDS = st.lists(LETTERS, min_size=1, max_size=4)


@given(st.text())
def test_grouping_key_is_idempotent(text: str) -> None:
    assert grouping_key(grouping_key(text)) == grouping_key(text)


@settings(max_examples=40, deadline=None)
@given(WORDS, st.lists(st.tuples(st.booleans(), st.sampled_from([" ", "  ", "\n  ", "\t"]))))
def test_case_and_space_variants_land_in_one_entry(
    words: list[str], styles: list[tuple[bool, str]]
) -> None:
    forms = [" ".join(words)]
    for upper, space in styles:
        form = space.join(w.upper() if upper else w for w in words)
        forms.append(f"{space}{form}{space}" if upper else form)
    body = "".join(f"<persName>{form}</persName> " for form in forms)
    document = f'<TEI xmlns="{TEI_NS}"><text><p>{body}</p></text></TEI>'.encode()
    proposal = propose_register([document], date=DATE)
    assert len(proposal.entries) == 1
    assert len(proposal.entries[0].rewrites) == len(forms)


# -- a real corpus ---------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_letters(runner: CliRunner, tmp_path: Path) -> None:
    editions = shared_path("corpora", "tillich-briefe", "editions")
    indices = editions.parent / "indices"
    started = time.perf_counter()
    sources = expand_paths([editions])
    bare = propose_register(sources, register_path=tmp_path / "r.xml")
    bare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    indexed = propose_register(
        sources,
        indexes=[indices / "listperson.xml", indices / "listplace.xml"],
        register_path=tmp_path / "r.xml",
    )
    print(
        f"\nTillich without indexes: {bare.summary()} in {bare_seconds:.1f} s"
        f"\nTillich with indexes: {indexed.summary()} in {time.perf_counter() - started:.1f} s"
    )
    assert len(indexed.documents) > 1000
    assert indexed.counts()["person"] < bare.counts()["person"]
    assert indexed.counts()["place"] < bare.counts()["place"]
    index_ids = set()
    for name in ("listperson.xml", "listplace.xml"):
        index_ids |= set(etree.parse(str(indices / name)).xpath("//@xml:id", namespaces=NSMAP))
    assert not index_ids & {e.id for e in indexed.entries}
    # a mention whose @ref resolves through an index is never rewritten
    assert all(r.old is None or r.old.lstrip("#") not in index_ids for r in indexed.rewrites)


def test_extract_entities_reads_sources_lazily_with_one_process() -> None:
    """propose_register relies on it to hold one document's tree at a time."""
    from teikit.entities import extract_entities

    pulled: list[int] = []

    def sources() -> Iterator[bytes]:
        for n in range(3):
            pulled.append(n)
            text = f"<text><p><persName>P{n}</persName></p></text>"
            yield f'<TEI xmlns="{TEI_NS}">{text}</TEI>'.encode()

    extraction = extract_entities(sources())
    assert pulled == []
    assert next(extraction).text == "P0"
    assert pulled == [0]
    assert [m.text for m in extraction] == ["P1", "P2"]

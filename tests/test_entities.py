"""The entities library: mentions, resolution, proposals, dates, registers (issue 4)."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from conftest import TELEGRAM, need, shared_path
from teikit.diagnostics import Severity
from teikit.entities import (
    MENTION_COLUMNS,
    REGISTER_COLUMNS,
    ConfigError,
    DateRange,
    Location,
    Mention,
    MentionRule,
    Proposal,
    RegisterRow,
    Status,
    build_register,
    expand_paths,
    extract_entities,
    find_config,
    load_mention_table,
)
from teikit.entities.dates import normalise_date
from teikit.entities.extract import EntityOptions, _DocumentExtractor
from teikit.entities.text import collect_text, context_of, normalise_space, readable_path
from teikit.errors import DocumentLoadError
from teikit.namespaces import NSMAP
from teikit.pointers import PointerResolver

TEI_OPEN = '<TEI xmlns="http://www.tei-c.org/ns/1.0">'

# A small letter with a register in standOff, exercising every status and kind.
LETTER = f"""\
<?xml version="1.0" encoding="UTF-8"?>
{TEI_OPEN}
  <teiHeader>
    <fileDesc>
      <titleStmt><title>Letter to <persName ref="#stalin">Filippov</persName></title></titleStmt>
      <publicationStmt><p>test</p></publicationStmt>
      <sourceDesc><p>test</p></sourceDesc>
    </fileDesc>
    <encodingDesc>
      <classDecl><taxonomy>
        <category xml:id="topic-ceasefire"><catDesc>ceasefire</catDesc></category>
        <category xml:id="topic-zone">
          <catDesc><term>buffer zone</term> at the line</catDesc></category>
      </taxonomy></classDecl>
      <listPrefixDef>
        <prefixDef ident="psn" matchPattern="(.+)" replacementPattern="#$1"/></listPrefixDef>
    </encodingDesc>
  </teiHeader>
  <standOff>
    <listPerson>
      <person xml:id="stalin">
        <persName type="main">Joseph Stalin</persName><persName type="cover">Filippov</persName>
        <birth when="1878-12-18"/><death><date when="1953-03-05">5 March 1953</date></death>
        <idno type="wikidata">Q855</idno><idno type="VIAF">https://viaf.org/viaf/101787139</idno>
        <idno type="local">S-1</idno><idno type="gnd">Keine GND-Nummer</idno>
      </person>
      <person xml:id="kim"><persName>Kim Il Sung</persName></person>
      <person xml:id="unmentioned" sameAs="https://d-nb.info/gnd/118643347"><persName>Nobody</persName></person>
    </listPerson>
    <listPlace>
      <place xml:id="kaesong"><placeName>Kaesong</placeName>
        <location><geo>37.97, 126.55</geo></location>
        <idno type="geonames">https://www.geonames.org/1843603/kaesong.html</idno></place>
      <place xml:id="korea"><placeName>Korea</placeName>
        <location><geo>38 127.5</geo></location></place>
    </listPlace>
    <listOrg><org xml:id="gov"><orgName>Korean People's government</orgName></org></listOrg>
  </standOff>
  <text>
    <body>
      <p>To Comrade <persName ref="#stalin">FILIP<lb break="no"/>
         POV</persName><note>a note <persName ref="#kim">in a note</persName></note>!</p>
      <div type="proposal" subtype="main" n="1" xml:id="p1" ana="#topic-ceasefire #topic-zone">
        <p><quote>Cease fire in <placeName ref="#korea">Korea</placeName>.</quote></p>
        <p>Comrade <persName ref="psn:kim">Kim</persName> agrees since
          <date when="1951-07-02">yesterday</date>.</p>
      </div>
      <div type="proposal" subtype="additional" n="2" ana="#topic-missing">
        <p>No quote here, <orgName ref="#gov">the government</orgName> decides.</p>
      </div>
      <p xml:id="last"><rs type="person" ref="#kim">he</rs>, <rs type="person" key="kim">Kim</rs>,
        <persName ref="#nobody-here">Ghost</persName>, <persName ref="#kaesong">Kaesong</persName>,
        <persName ref="https://www.wikidata.org/wiki/Q5816">Mao</persName>,
        <persName>Anonymous</persName>, <name type="ship">Potemkin</name>, <name>untyped</name>,
        <rs type="work" ref="#missing-work">a book</rs>,
        <date from="1950-06-25" to="1951-07">then</date>, <date notBefore-iso="1950">later</date>,
        <date when="1951-02-30">never</date>, <date>someday</date>,
        <choice><sic>Kaesung</sic>
          <corr><placeName ref="#kaesong" xml:id="pl1">Kaesong</placeName></corr></choice>.</p>
    </body>
  </text>
</TEI>
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write *text* to *folder*/*name* and return the path."""
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    """The small letter above, as a file."""
    return write(tmp_path, "letter.xml", LETTER)


def mentions(*sources: object, **options: object) -> list[Mention]:
    """Return the mentions of *sources* (proposals dropped)."""
    return [r for r in extract_entities(sources, **options) if isinstance(r, Mention)]  # type: ignore[arg-type]


def by_text(records: list[Mention]) -> dict[str, Mention]:
    """Index mentions by their text (the last one wins)."""
    return {m.text: m for m in records}


# -- what counts as a mention ------------------------------------------------------------


def test_mention_mapping_table(letter: Path) -> None:
    found = mentions(letter)
    counts = Counter((m.element, m.type) for m in found)
    assert counts == {
        ("persName", "person"): 8,
        ("placeName", "place"): 2,
        ("orgName", "org"): 1,
        ("rs", "person"): 2,
        ("rs", "work"): 1,
        ("name", "ship"): 1,
        ("date", "date"): 5,
    }
    # register entries' own names are not mentions; an untyped name is not either
    assert "Joseph Stalin" not in {m.text for m in found}
    assert "untyped" not in {m.text for m in found}


def test_statuses_and_findings(letter: Path) -> None:
    extraction = extract_entities([letter])
    records = [r for r in extraction if isinstance(r, Mention)]
    found = by_text(records)
    assert found["FILIPPOV"].status is Status.RESOLVED
    assert found["FILIPPOV"].entity_ids == ("stalin",)
    assert found["FILIPPOV"].targets[0].name == "Joseph Stalin"  # the main name
    kim = next(m for m in records if m.pointer == "psn:kim")  # kept as written
    assert kim.entity_ids == ("kim",)  # the prefixDef expanded
    assert found["Ghost"].status is Status.UNRESOLVED
    assert found["Anonymous"].status is Status.NO_REF
    assert found["Mao"].status is Status.EXTERNAL
    assert found["Mao"].pointer == "https://www.wikidata.org/wiki/Q5816"
    wrong = [m for m in records if m.status is Status.WRONG_KIND]
    assert [(m.element, m.entity_ids) for m in wrong] == [("persName", ("kaesong",))]
    codes = Counter(d.code for d in extraction.report)
    assert codes == {
        "entity.unresolved-ref": 3,  # Ghost, the work, the proposal's missing topic
        "entity.wrong-kind": 1,
        "entity.invalid-date": 1,
    }
    unresolved = [d for d in extraction.report if d.code == "entity.unresolved-ref"]
    assert all(d.severity is Severity.ERROR and d.line for d in unresolved)
    ghost = next(d for d in unresolved if "nobody-here" in d.message)
    assert ghost.file == str(letter)
    assert (
        ghost.line
        == LETTER.splitlines().index(
            next(line for line in LETTER.splitlines() if "nobody-here" in line)
        )
        + 1
    )
    assert ghost.xpath == "/tei:TEI/tei:text/tei:body/tei:p[2]/tei:persName[1]"


def test_key_is_a_plain_key(letter: Path) -> None:
    kim = [m for m in mentions(letter) if m.element == "rs" and m.text == "Kim"]
    assert [(m.pointer, m.status, m.entity_ids) for m in kim] == [
        ("kim", Status.RESOLVED, ("kim",))
    ]


def test_text_context_and_place(letter: Path) -> None:
    found = by_text(mentions(letter))
    filippov = found["FILIPPOV"]  # joined across <lb break="no"/>, the note left out
    assert filippov.context == "To Comrade FILIPPOV!"
    assert filippov.location is Location.TEXT
    assert filippov.xml_id is None
    assert filippov.xpath == "/tei:TEI/tei:text/tei:body/tei:p[1]/tei:persName"
    assert found["in a note"].context == "a note in a note"
    header = found["Filippov"]
    assert header.location is Location.HEADER
    assert header.context == "Letter to Filippov"
    corrected = [m for m in found.values() if m.xml_id == "pl1"]
    assert corrected[0].as_dict()["xml_id_or_xpath"] == "pl1"
    assert "Kaesung" not in corrected[0].context  # the sic of the choice is left out


def test_text_only_leaves_out_the_header(letter: Path) -> None:
    found = mentions(letter, text_only=True)
    assert all(m.location is Location.TEXT for m in found)
    assert "Filippov" not in {m.text for m in found}


def test_types_filter(letter: Path) -> None:
    assert {m.type for m in mentions(letter, types={"date"})} == {"date"}
    assert {m.type for m in mentions(letter, types=["ship", "work"])} == {"ship", "work"}
    assert list(extract_entities([letter], types={"nothing"})) == []


# -- proposals --------------------------------------------------------------------------


def test_proposals(letter: Path) -> None:
    proposals = [r for r in extract_entities([letter]) if isinstance(r, Proposal)]
    first, second = proposals
    assert (first.number, first.subtype, first.id) == ("1", "main", "p1")
    assert first.topic_labels == ["ceasefire", "buffer zone"]
    assert first.text == "Cease fire in Korea."  # the quote, not the comment
    assert first.entities == ("korea", "kim")  # dates are not entities
    assert (second.number, second.subtype, second.id) == ("2", "additional", None)
    assert second.text == "No quote here, the government decides."
    assert second.status is Status.UNRESOLVED
    assert second.topic_labels == ["#topic-missing"]
    row = first.as_dict()
    assert (row["type"], row["proposal_n"], row["topics"]) == ("proposal", "1", first.topic_labels)


def test_proposals_alone_still_know_their_entities(letter: Path) -> None:
    records = list(extract_entities([letter], types={"proposal"}))
    assert all(isinstance(r, Proposal) for r in records)
    assert records[0].entities == ("korea", "kim")  # type: ignore[union-attr]


def test_mentions_carry_their_proposal(letter: Path) -> None:
    found = by_text(mentions(letter))
    assert (found["Korea"].proposal_n, found["Korea"].proposal_id) == ("1", "p1")
    assert found["the government"].proposal_n == "2"
    assert found["he"].proposal_n is None


def test_records_come_in_document_order(letter: Path) -> None:
    lines = [r.line or 0 for r in extract_entities([letter]) if not isinstance(r, Proposal)]
    assert lines == sorted(lines)


# -- dates ------------------------------------------------------------------------------


def test_dates(letter: Path) -> None:
    dates = {m.text: m.date for m in mentions(letter, types={"date"})}
    assert dates == {
        "yesterday": DateRange("1951-07-02", "1951-07-02", "exact"),
        "then": DateRange("1950-06-25", "1951-07", "range"),
        "later": DateRange("1950", None, "range"),
        "never": DateRange(None, None, None),
        "someday": DateRange(None, None, None),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1951", "1951"), ("1951-07", "1951-07"), ("19510703", None),
     ("1951-07-03T10:00:00Z", "1951-07-03T10:00:00Z"), ("-0044-03-15", "-0044-03-15"),
     ("1900-02-29", None), ("2000-02-29", "2000-02-29"), ("1951-13", None), ("3.7.51", None),
     ("", None)],
)  # fmt: skip
def test_normalise_date(value: str, expected: str | None) -> None:
    assert normalise_date(value) == expected


def test_normalise_date_basic_format_only_in_iso_attributes() -> None:
    # issue 12: 19510703 is ISO 8601 basic format (@when-iso), no W3C date (@when)
    assert normalise_date("19510703", iso=True) == "1951-07-03"


# -- text helpers ------------------------------------------------------------------------


def test_supplied_text_is_bracketed() -> None:
    p = etree.fromstring(
        f"{TEI_OPEN}<p>To <persName>FILIPPOV</persName> <supplied>Stalin</supplied></p></TEI>"
    )[0]
    assert collect_text(p) == "To FILIPPOV [Stalin]"
    assert context_of(p[0], "FILIPPOV") == "To FILIPPOV [Stalin]"


def test_normalise_space_keeps_no_break_spaces() -> None:
    assert normalise_space(" a\t\n b  ") == "a b"
    assert normalise_space("S.\xa05 \n x") == "S.\xa05 x"


def test_context_is_cut_at_word_boundaries() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    p = etree.fromstring(f"{TEI_OPEN}<p>{words} <persName>Kim</persName> {words}</p></TEI>")[0]
    context = context_of(p[0], "Kim")
    before, after = context.split(" Kim ")
    assert before.startswith("…w")
    assert after.endswith("…")
    assert len(before) <= 61
    assert len(after) <= 61


def test_readable_path_and_text_of_other_namespaces() -> None:
    root = etree.fromstring(f'{TEI_OPEN}<p/><p><x:a xmlns:x="urn:x">t<b/></x:a></p></TEI>')
    assert readable_path(root) == "/tei:TEI"
    assert readable_path(root[1][0]) == "/tei:TEI/tei:p[2]/*[local-name()='a']"
    assert collect_text(root) == "t"


# -- resolution across files -------------------------------------------------------------


REGISTER = f"""\
{TEI_OPEN}<text><body>
  <listPerson><person xml:id="p1"><persName>Paul Tillich</persName>
    <idno type="gnd">https://d-nb.info/gnd/118622994</idno></person></listPerson>
  <listPlace><place xml:id="berlin"><placeName>Berlin</placeName></place></listPlace>
</body></text></TEI>
"""


def test_cross_file_pointers_and_index_files(tmp_path: Path) -> None:
    register = write(tmp_path, "register.xml", REGISTER)
    index = write(tmp_path, "index.xml", REGISTER.replace("p1", "p2").replace("berlin", "b2"))
    doc = write(
        tmp_path,
        "doc.xml",
        f"""{TEI_OPEN}<text><p><persName ref="register.xml#p1">Tillich</persName>
        <persName ref="#p2">Paulus</persName> <placeName ref="missing.xml#x">X</placeName>
        <placeName ref="register.xml#nope">Y</placeName></p></text></TEI>""",
    )
    extraction = extract_entities([doc], indexes=[index], registers=True)
    records = list(extraction)
    found = by_text([r for r in records if isinstance(r, Mention)])
    assert found["Tillich"].entity_ids == ("p1",)
    assert found["Tillich"].targets[0].source == str(register)
    assert found["Paulus"].entity_ids == ("p2",)
    assert found["X"].status is Status.UNRESOLVED
    assert found["Y"].status is Status.UNRESOLVED
    assert "file 'missing.xml' not found" in str(list(extraction.report))
    rows = {row.entry.id: row for row in build_register(records, extraction_indexes(index))}
    # the index's entries, then the entry reached in register.xml (its other entries are not)
    assert list(rows) == ["p2", "b2", "p1"]
    assert rows["p1"].mention_count == 1
    assert rows["p1"].name_forms == ("Paul Tillich", "Tillich")
    assert rows["b2"].mention_count == 0
    assert rows["p1"].as_dict()["gnd"] == "118622994"


def extraction_indexes(*paths: Path) -> list[object]:
    """Load index files as build_register wants them."""
    from teikit.document import load

    return [load(path) for path in paths]


def test_an_index_that_cannot_be_loaded_stops_the_run(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.xml", "<TEI><oops></TEI>")
    with pytest.raises(Exception, match="broken.xml"):
        extract_entities([broken], indexes=[broken])


def test_malformed_files_are_findings(tmp_path: Path, letter: Path) -> None:
    broken = write(tmp_path, "broken.xml", f"{TEI_OPEN}\n<p>\n<q>x<q/></p></TEI>")
    extraction = extract_entities([broken, letter, tmp_path / "absent.xml"])
    records = list(extraction)
    assert records
    assert all(r.document == str(letter) for r in records)  # type: ignore[union-attr]
    assert extraction.failed == [str(broken), str(tmp_path / "absent.xml")]
    failure = next(d for d in extraction.report if d.file == str(broken))
    assert (failure.code, failure.line, failure.column) == ("xml.not-well-formed", 3, 13)
    assert "Opening and ending tag mismatch" in failure.message


def test_parallel_extraction_keeps_input_order(tmp_path: Path, letter: Path) -> None:
    others = [write(tmp_path, f"copy{i}.xml", LETTER) for i in range(5)]
    sources = [letter, *others]
    one = [r.as_row() for r in extract_entities(sources) if not hasattr(r, "identifiers")]
    two = extract_entities(sources, jobs=2)
    assert [r.as_row() for r in two] == one  # type: ignore[union-attr]
    assert two.report.files == [str(s) for s in sources]
    registers = [build_register(extract_entities(sources, registers=True, jobs=j)) for j in (1, 2)]
    assert registers[0] == registers[1]


def test_parallel_extraction_needs_paths(letter: Path) -> None:
    from teikit.document import load

    with pytest.raises(ValueError, match="must be paths or bytes"):
        extract_entities([load(letter), letter], jobs=2)


def test_memory_is_released_document_by_document(tmp_path: Path) -> None:
    sources = [write(tmp_path, f"l{i}.xml", LETTER) for i in range(4)]
    resolver = PointerResolver()
    extractor = _DocumentExtractor(EntityOptions(), resolver)
    from teikit.document import load

    for source in sources:
        extractor.extract(load(source))
        assert resolver._ids == {}  # no tree stays reachable from the caches
        assert extractor.targets == {}
        assert extractor.resolutions == {}


# -- register view ----------------------------------------------------------------------


def test_register_view(letter: Path) -> None:
    rows = {r.entry.id: r for r in build_register(extract_entities([letter], registers=True))}
    assert list(rows) == ["stalin", "kim", "unmentioned", "kaesong", "korea", "gov"]
    stalin = rows["stalin"].as_dict()
    assert list(stalin) == list(REGISTER_COLUMNS)
    assert stalin["canonical_name"] == "Joseph Stalin"
    assert stalin["name_forms"] == ["Joseph Stalin", "Filippov", "FILIPPOV"]
    assert (stalin["wikidata"], stalin["viaf"], stalin["other_ids"]) == (
        "Q855",
        "101787139",
        ["local:S-1", "gnd:Keine GND-Nummer"],
    )
    assert (stalin["birth"], stalin["death"]) == ("1878-12-18", "1953-03-05")
    assert stalin["mention_count"] == 2  # header and text; the wrong-kind one is not counted
    kim = rows["kim"]
    assert kim.mention_count == 4  # in a note, Kim (prefixDef), he, Kim (@key)
    assert rows["unmentioned"].mention_count == 0
    assert rows["unmentioned"].as_dict()["gnd"] == "118643347"  # from @sameAs
    kaesong = rows["kaesong"].as_dict()
    assert (kaesong["latitude"], kaesong["longitude"]) == (37.97, 126.55)  # "lat, long"
    assert kaesong["geonames"] == "1843603"
    assert (rows["korea"].entry.latitude, rows["korea"].entry.longitude) == (38.0, 127.5)
    assert rows["kaesong"].documents == (str(letter),)


def test_register_view_types(letter: Path) -> None:
    records = extract_entities([letter], registers=True, types={"place"})
    rows = build_register(records, types={"place"})
    assert [r.entry.type for r in rows] == ["place", "place"]
    assert all(isinstance(r, RegisterRow) for r in rows)


# -- configuration ------------------------------------------------------------------------


def test_config_adds_mention_types(tmp_path: Path, letter: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """\
        [tool.teikit.mentions]
        vessel = "tei:name[@type='ship']"
        title = ["tei:title"]
        """,
    )
    (tmp_path / "sub").mkdir()
    assert find_config(tmp_path / "sub") == tmp_path / "pyproject.toml"
    table = load_mention_table(start=tmp_path / "sub")
    assert table.custom_types() == ["vessel", "title"]
    found = Counter(m.type for m in mentions(letter, mentions=table))
    assert found["vessel"] == 1  # user rules come first
    assert found["ship"] == 0
    assert found["title"] == 1


def test_teikit_toml_wins_and_errors_name_the_file(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.teikit.mentions]\nship = 'tei:name'\n")
    write(tmp_path, "teikit.toml", "[mentions]\nship = 'tei:name[@type=='\n")
    with pytest.raises(ConfigError, match=r"teikit.toml: mention type 'ship': invalid XPath"):
        load_mention_table(start=tmp_path)
    write(tmp_path, "teikit.toml", "[mentions\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_mention_table(start=tmp_path)
    write(tmp_path, "teikit.toml", "[mentions]\nship = 3\n")
    with pytest.raises(ConfigError, match="must be an XPath string"):
        load_mention_table(start=tmp_path)


def test_pyproject_without_teikit_section_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_mention_table(start=tmp_path).custom_types() == []


def test_simple_rules_are_matched_without_xpath() -> None:
    assert MentionRule("x", "tei:rs[@type]").simple_test() is not None
    assert MentionRule("x", "tei:rs[@type='x']").simple_test() is None


# -- paths ------------------------------------------------------------------------------


def test_expand_paths(tmp_path: Path, letter: Path) -> None:
    (tmp_path / "sub").mkdir()
    nested = write(tmp_path / "sub", "b.xml", LETTER)
    write(tmp_path, "notes.txt", "not xml")
    assert expand_paths([tmp_path]) == [letter, nested]
    assert expand_paths([str(tmp_path / "*.xml"), letter]) == [letter]
    assert expand_paths([str(tmp_path / "**" / "b.xml")]) == [nested]
    with pytest.raises(DocumentLoadError, match="no such file"):
        expand_paths([tmp_path / "absent.xml"])
    with pytest.raises(DocumentLoadError, match="pattern matches no file"):
        expand_paths([str(tmp_path / "*.tei")])


def test_mention_rows_have_the_documented_columns(letter: Path) -> None:
    for record in extract_entities([letter]):
        assert isinstance(record, (Mention, Proposal))
        assert len(record.as_row()) == len(MENTION_COLUMNS)
        assert list(record.as_dict()) == list(MENTION_COLUMNS)


# -- the telegram (the reference document) -------------------------------------------------


@pytest.fixture(scope="module")
def telegram_register() -> dict[str, RegisterRow]:
    """The register view of the telegram, by entity id."""
    need("tei/telegram-1951-07-03.xml", TELEGRAM.is_file())
    rows = build_register(extract_entities([TELEGRAM], registers=True))
    return {row.entry.id: row for row in rows}


def test_telegram_register(telegram_register: dict[str, RegisterRow]) -> None:
    persons = [r for r in telegram_register.values() if r.entry.type == "person"]
    assert sorted(r.entry.id for r in persons) == ["kim_il_sung", "li_kenong", "mao", "stalin"]
    stalin = telegram_register["stalin"]
    assert {"Filippov", "Stalin"} <= set(stalin.name_forms)
    assert telegram_register["kim_il_sung"].mention_count == 3
    places = {r.entry.id for r in telegram_register.values() if r.entry.type == "place"}
    assert {"korea", "north_korea", "south_korea", "parallel_38", "kaesong"} <= places
    orgs = {r.entry.id for r in telegram_register.values() if r.entry.type == "org"}
    assert {"dprk_government", "rok_government", "chinese_volunteers"} <= orgs
    kaesong = telegram_register["kaesong"].entry
    assert kaesong.latitude is not None
    assert kaesong.longitude is not None
    assert all(r.mention_count > 0 for r in telegram_register.values())


def test_telegram_proposals_and_dates() -> None:
    need("tei/telegram-1951-07-03.xml", TELEGRAM.is_file())
    extraction = extract_entities([TELEGRAM], text_only=True)
    records = list(extraction)
    proposals = [r for r in records if isinstance(r, Proposal)]
    assert len(proposals) == 7
    assert all(p.topic_labels and p.status is Status.RESOLVED and p.text for p in proposals)
    assert Counter(p.subtype for p in proposals) == {"main": 5, "additional": 2}
    dates = [r for r in records if isinstance(r, Mention) and r.type == "date"]
    assert sorted(d.date.start for d in dates if d.date) == [  # type: ignore[type-var]
        "1950-06-25",
        "1951-07-02",
        "1951-07-03",
        "1951-07-05",
    ]
    assert all(d.date and d.date.start == d.date.end for d in dates)
    mentions_ = [r for r in records if isinstance(r, Mention) and r.type != "date"]
    assert all(m.status is Status.RESOLVED for m in mentions_)
    assert not extraction.report.at_least(Severity.WARNING)


# -- the Tillich letters ----------------------------------------------------------------

MENTION_XPATHS = {
    "persName": "tei:persName",
    "placeName": "tei:placeName",
    "orgName": "tei:orgName",
    "name": "tei:name[@type]",
    "rs": "tei:rs[@type]",
    "date": "tei:date",
}
NOT_IN_ENTRY = (
    "[not(ancestor::tei:person or ancestor::tei:personGrp or ancestor::tei:persona"
    " or ancestor::tei:place or ancestor::tei:org or ancestor::tei:event)]"
)


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_rows_per_element_equal_an_xpath_count() -> None:
    editions = shared_path("corpora", "tillich-briefe", "editions")
    expected: Counter[str] = Counter()
    well_formed = 0
    for path in sorted(editions.glob("*.xml")):
        try:
            tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError:
            continue
        well_formed += 1
        for element, xpath in MENTION_XPATHS.items():
            expected[element] += int(
                tree.xpath(f"count(//{xpath}{NOT_IN_ENTRY})", namespaces=NSMAP)
            )
    extraction = extract_entities(sorted(editions.glob("*.xml")))
    got = Counter(r.element for r in extraction if isinstance(r, Mention))
    assert well_formed == 1326
    assert got == +expected
    assert len(extraction.failed) == 5


def test_an_empty_name_is_a_warning_and_an_empty_date_is_not() -> None:
    doc = (
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>\n'
        b'<p>Signed by <persName/> on <date when="1951-07-03"/>.</p>\n'
        b"</body></text></TEI>"
    )
    extraction = extract_entities([doc])
    mentions = [r for r in extraction if isinstance(r, Mention)]
    assert [(m.element, m.text) for m in mentions] == [("persName", ""), ("date", "")]
    assert [(d.code, d.severity, d.line, d.message) for d in extraction.report] == [
        (
            "entity.empty-mention",
            Severity.WARNING,
            2,
            "<persName> has no text: an empty person mention (supply the name or remove the "
            "element)",
        )
    ]

"""The reference document tei/telegram-1951-07-03.xml: valid, and the facts it encodes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import REPO, TELEGRAM, shared_path
from test_schema import RNG, SCH, failed_asserts, relaxng, run_jing, xml_schema

NS = {"tei": "http://www.tei-c.org/ns/1.0"}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

# The register: entity id -> number of mentions in <text>.
PERSONS = {"mao": 1, "stalin": 2, "kim_il_sung": 3, "li_kenong": 1}
PLACES = {
    "korea": 5,
    "north_korea": 3,
    "south_korea": 3,
    "parallel_38": 4,
    "china_korea_border": 1,
    "kaesong": 1,
}
ORGS = {
    "dprk_government": 1,
    "rok_government": 1,
    "chinese_volunteers": 1,
    "neutral_control_committee": 4,
}
EVENTS = {"intl_conference": 1}

TOPICS = {
    "topic-ceasefire": "ceasefire",
    "topic-buffer-zone": "buffer zone at the 38th parallel",
    "topic-reinforcements": "halt to reinforcements",
    "topic-neutral-supervision": "supervision by neutral states",
    "topic-prisoners": "exchange of prisoners",
    "topic-withdrawal": "withdrawal of foreign troops",
    "topic-refugees": "return of refugees",
}

# xml:id -> (@n, @subtype, @ana)
PROPOSALS = {
    "proposal-main-1": ("1", "main", "#topic-ceasefire"),
    "proposal-main-2": ("2", "main", "#topic-buffer-zone"),
    "proposal-main-3": ("3", "main", "#topic-reinforcements"),
    "proposal-main-4": ("4", "main", "#topic-neutral-supervision"),
    "proposal-main-5": ("5", "main", "#topic-prisoners"),
    "proposal-additional-1": ("1", "additional", "#topic-withdrawal"),
    "proposal-additional-2": ("2", "additional", "#topic-refugees"),
}

# The dates of the text, in order: (@when, content).
DATES = [
    ("1950-06-25", "25.6.1950"),
    ("1951-07-02", "yesterday"),
    ("1951-07-05", "5.7.1951"),
    ("1951-07-03", "3.7.51"),
]


@pytest.fixture(scope="module")
def doc() -> etree._ElementTree:
    return etree.parse(str(TELEGRAM))


def xpath(node: etree._ElementTree | etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NS)


def mentions(doc: etree._ElementTree, entity: str) -> list[etree._Element]:
    """Return the elements in <text> whose @ref has the token "#entity"."""
    token = f" #{entity} "
    return [
        element
        for element in xpath(doc, "//tei:text//*[@ref]")
        if token in f" {' '.join(element.get('ref').split())} "
    ]


def text_of(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


# ----------------------------------------------------------------------------------------
# Validity


@pytest.mark.jing
@pytest.mark.shared
def test_valid_tei_all(jing: str, tei_all_rng: Path, telegram: Path) -> None:
    result = run_jing(jing, tei_all_rng, telegram)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.jing
def test_valid_against_project_rng_with_jing(jing: str, telegram: Path) -> None:
    result = run_jing(jing, RNG, telegram)
    assert result.returncode == 0, result.stdout + result.stderr


def test_valid_against_project_rng_with_lxml(doc: etree._ElementTree) -> None:
    assert relaxng().validate(doc), relaxng().error_log


def test_valid_against_project_xsd(telegram: Path) -> None:
    xml_schema().validate(str(telegram))


def test_passes_the_schematron(doc: etree._ElementTree) -> None:
    assert failed_asserts(doc) == []


def test_xml_model_instructions_name_existing_schemas(telegram: Path) -> None:
    root = etree.parse(str(telegram)).getroot()
    models = [
        node
        for node in root.itersiblings(preceding=True)
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model"
    ]
    found = {
        (model.get("schematypens"), (telegram.parent / model.get("href")).resolve())
        for model in models
    }
    assert found == {
        ("http://relaxng.org/ns/structure/1.0", RNG.resolve()),
        ("http://purl.oclc.org/dsdl/schematron", SCH.resolve()),
    }
    assert all(model.get("type") == "application/xml" for model in models)


# ----------------------------------------------------------------------------------------
# Transcription


def render(element: etree._Element) -> str:
    """Return the text of *element* as the source prints it: glosses in square brackets."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            inner = render(child)
            parts.append(f"[{inner}]" if etree.QName(child).localname == "supplied" else inner)
        parts.append(child.tail or "")
    return "".join(parts)


@pytest.mark.shared
def test_transcription_matches_the_source(doc: etree._ElementTree) -> None:
    """Every line of the source, quotation marks aside, is one block of the text, in order."""
    source = shared_path("source-text", "telegram-1951-07-03.txt").read_text(encoding="utf-8")
    lines = [line.replace('"', "") for line in source.splitlines() if line.strip()]
    assert lines.pop() == "###"  # the end marker of the source file, not transcribed
    blocks = xpath(
        doc,
        "//tei:body//*[self::tei:addrLine or self::tei:salute or self::tei:p or self::tei:signed"
        " or self::tei:seg[@type = 'telegram-number'] or self::tei:dateline]",
    )
    assert [" ".join(render(block).split()) for block in blocks] == lines


def test_end_marker_is_not_transcribed(telegram: Path) -> None:
    assert "###" not in telegram.read_text(encoding="utf-8")


def test_quotation_marks_and_brackets_are_markup(doc: etree._ElementTree) -> None:
    body = text_of(xpath(doc, "//tei:body")[0])
    assert not set('"[]') & set(body)
    assert [text_of(e) for e in xpath(doc, "//tei:body//tei:soCalled")] == ["Members"]


def test_first_proposal_quote(doc: etree._ElementTree) -> None:
    (quote,) = xpath(doc, "//tei:div[@xml:id = 'proposal-main-1']//tei:quote")
    assert text_of(quote).startswith(
        "Both sides must simultaneously issue an order for a ceasefire"
    )


def test_unclosed_quotation_mark_is_noted(doc: etree._ElementTree) -> None:
    (quote,) = xpath(doc, "//tei:div[@xml:id = 'proposal-additional-1']//tei:quote")
    (note,) = xpath(doc, f"//tei:note[@target = '#{quote.get(XML_ID)}']")
    assert "never closes" in text_of(note)
    assert text_of(quote).endswith("in separate batches.")


# ----------------------------------------------------------------------------------------
# Header


def test_title_author_and_encoder(doc: etree._ElementTree) -> None:
    (title_stmt,) = xpath(doc, "/tei:TEI/tei:teiHeader/tei:fileDesc/tei:titleStmt")
    assert text_of(xpath(title_stmt, "tei:title")[0])
    (author,) = xpath(title_stmt, "tei:author")
    assert (author.get("ref"), text_of(author)) == ("#mao", "Mao Zedong")
    (encoder,) = xpath(title_stmt, "tei:respStmt[@xml:id = 'teikit-encoder']")
    assert text_of(xpath(encoder, "tei:orgName")[0]) == "teikit project"
    assert xpath(doc, "//tei:publicationStmt/tei:availability/tei:licence")


def test_source_keeps_both_numbers_apart(doc: etree._ElementTree) -> None:
    (bibl,) = xpath(doc, "//tei:sourceDesc/tei:bibl")
    assert bibl.get("type") == "ciphered-telegram"
    idnos = {idno.get("type"): idno.text for idno in xpath(bibl, "tei:idno")}
    assert idnos == {"telegram-number": "3305", "archive-record": "21405"}
    (title,) = xpath(bibl, "tei:title[@type = 'archive-record']")
    assert title.text == "Ciphered Telegram No. 21405, Mao Zedong to Cde. Filippov [Stalin]"
    assert text_of(xpath(bibl, "tei:publisher")[0]) == "Wilson Center Digital Archive"
    assert xpath(bibl, "tei:textLang/@mainLang") == ["en"]
    assert xpath(bibl, "tei:date/@when") == ["1951-07-03"]
    # the number printed in the text is the same number, in the closer
    assert xpath(doc, "//tei:closer//tei:idno[@type = 'telegram-number']/text()") == ["3305"]


def test_correspondence(doc: etree._ElementTree) -> None:
    (sent,) = xpath(doc, "//tei:correspDesc/tei:correspAction[@type = 'sent']")
    assert xpath(sent, "tei:persName/@ref") == ["#mao"]
    assert xpath(sent, "tei:date/@when") == ["1951-07-03"]
    (received,) = xpath(doc, "//tei:correspDesc/tei:correspAction[@type = 'received']")
    assert xpath(received, "tei:persName/@ref") == ["#stalin"]
    assert xpath(doc, "//tei:profileDesc/tei:langUsage/tei:language/@ident") == ["en"]


def test_revision(doc: etree._ElementTree) -> None:
    assert "2026-11-27" in xpath(doc, "//tei:revisionDesc/tei:change/@when")


def test_taxonomy_of_topics(doc: etree._ElementTree) -> None:
    (taxonomy,) = xpath(doc, "//tei:classDecl/tei:taxonomy[@xml:id = 'topics']")
    categories = {
        category.get(XML_ID): text_of(xpath(category, "tei:catDesc")[0])
        for category in xpath(taxonomy, "tei:category")
    }
    assert categories == TOPICS


# ----------------------------------------------------------------------------------------
# Register and mentions


@pytest.mark.parametrize(
    ("kind", "entries"),
    [("person", PERSONS), ("place", PLACES), ("org", ORGS), ("event", EVENTS)],
)
def test_register(doc: etree._ElementTree, kind: str, entries: dict[str, int]) -> None:
    ids = xpath(doc, f"/tei:TEI/tei:standOff//tei:{kind}/@xml:id")
    assert ids == list(entries)


def test_register_has_at_least_four_persons(doc: etree._ElementTree) -> None:
    assert len(xpath(doc, "/tei:TEI/tei:standOff/tei:listPerson/tei:person")) >= 4


def test_stalin_cover_name_in_register(doc: etree._ElementTree) -> None:
    (person,) = xpath(doc, "//tei:person[@xml:id = 'stalin']")
    assert xpath(person, "tei:persName[@type = 'cover']/text()") == ["Filippov"]
    assert xpath(person, "tei:idno[@type = 'wikidata']/text()") == ["Q855"]


def test_authority_identifiers_are_only_the_verified_ones(doc: etree._ElementTree) -> None:
    found = {
        (idno.getparent().get(XML_ID), idno.get("type"), idno.text)
        for idno in xpath(doc, "/tei:TEI/tei:standOff//tei:idno")
    }
    assert found == {
        ("mao", "wikidata", "Q5816"),
        ("stalin", "wikidata", "Q855"),
        ("north_korea", "wikidata", "Q423"),
        ("south_korea", "wikidata", "Q884"),
    }
    assert xpath(doc, "//tei:place[tei:location]/@xml:id") == ["kaesong"]


@pytest.mark.parametrize(
    ("entity", "count", "kind"),
    [(entity, count, "person") for entity, count in PERSONS.items()]
    + [(entity, count, "place") for entity, count in PLACES.items()]
    + [(entity, count, "org") for entity, count in ORGS.items()]
    + [(entity, count, "event") for entity, count in EVENTS.items()],
)
def test_mentions_in_text(doc: etree._ElementTree, entity: str, count: int, kind: str) -> None:
    found = mentions(doc, entity)
    assert len(found) == count
    names = {"person": "persName", "place": "placeName", "org": "orgName", "event": "eventName"}
    for element in found:
        name = etree.QName(element).localname
        assert name == names[kind] or (name == "rs" and element.get("type") == kind)


def test_filippov_is_stalin(doc: etree._ElementTree) -> None:
    assert [text_of(e) for e in mentions(doc, "stalin")] == ["FILIPPOV", "FILIPPOV"]
    assert [text_of(e) for e in mentions(doc, "mao")] == ["MAO ZEDONG"]
    assert {text_of(e) for e in mentions(doc, "kim_il_sung")} == {"KIM IL SUNG"}
    assert [text_of(e) for e in mentions(doc, "li_kenong")] == ["Li Kenong"]


def test_glosses_are_supplied_not_names(doc: etree._ElementTree) -> None:
    glosses = xpath(doc, "//tei:text//tei:supplied")
    assert [text_of(gloss) for gloss in glosses] == ["Stalin", "from this proposal"]
    for gloss in glosses:
        assert (gloss.get("reason"), gloss.get("resp")) == ("editorial-gloss", "#wilson")
        assert not xpath(gloss, "ancestor-or-self::tei:persName | .//tei:persName")
    assert xpath(doc, "//tei:respStmt[@xml:id = 'wilson']/tei:orgName/text()") == [
        "Wilson Center Digital Archive"
    ]


def test_every_name_in_text_points_to_the_register(doc: etree._ElementTree) -> None:
    names = xpath(
        doc,
        "//tei:text//*[self::tei:persName or self::tei:placeName or self::tei:orgName"
        " or self::tei:eventName or self::tei:rs]",
    )
    registered = set(xpath(doc, "/tei:TEI/tei:standOff//@xml:id"))
    assert names
    for name in names:
        tokens = name.get("ref", "").split()
        assert tokens, etree.tostring(name)
        assert {token.removeprefix("#") for token in tokens} <= registered


# ----------------------------------------------------------------------------------------
# Dates, durations, proposals


def test_dates(doc: etree._ElementTree) -> None:
    dates = xpath(doc, "//tei:text//tei:date")
    assert [(date.get("when"), text_of(date)) for date in dates] == DATES


def test_yesterday_is_an_inferred_date(doc: etree._ElementTree) -> None:
    (date,) = xpath(doc, "//tei:text//tei:date[. = 'yesterday']")
    assert (date.get("cert"), date.get("resp")) == ("high", "#teikit-encoder")
    (note,) = xpath(doc, f"//tei:note[@target = '#{date.get(XML_ID)}']")
    assert "3.7.51" in text_of(note)


def test_durations_are_measures_not_dates(doc: etree._ElementTree) -> None:
    durations = {
        text_of(measure): (measure.get("quantity"), measure.get("atLeast"), measure.get("atMost"))
        for measure in xpath(doc, "//tei:text//tei:measure[@type = 'duration']")
    }
    assert durations == {
        "four months": ("4", None, None),
        "three-four months": (None, "3", "4"),
        "several months": (None, None, None),
    }
    assert set(xpath(doc, "//tei:measure[@type = 'duration']/@unit")) == {"month"}


def test_proposals(doc: etree._ElementTree) -> None:
    proposals = xpath(doc, "//tei:text//*[@type = 'proposal']")
    found = {p.get(XML_ID): (p.get("n"), p.get("subtype"), p.get("ana")) for p in proposals}
    assert found == PROPOSALS
    assert [p.get(XML_ID) for p in proposals] == list(PROPOSALS)  # document order
    for p in proposals:
        for token in p.get("ana").split():
            (target,) = xpath(doc, f"//*[@xml:id = '{token.removeprefix('#')}']")
            assert etree.QName(target).localname == "category"


@pytest.mark.parametrize("proposal_id", list(PROPOSALS))
def test_proposal_text_is_kept_apart_from_comments(
    doc: etree._ElementTree, proposal_id: str
) -> None:
    (div,) = xpath(doc, f"//tei:div[@xml:id = '{proposal_id}']")
    first, *comments = xpath(div, "tei:p")
    label, quote = xpath(first, "tei:label | tei:quote")
    assert label.text == f"{div.get('n')}."
    assert text_of(quote)
    assert comments, "Mao's comments follow the proposal"
    assert not any(xpath(comment, ".//tei:quote") for comment in comments)


def test_proposal_groups(doc: etree._ElementTree) -> None:
    groups = xpath(doc, "//tei:body/tei:div[@type = 'proposals']")
    assert [(g.get("subtype"), len(xpath(g, "tei:div[@type = 'proposal']"))) for g in groups] == [
        ("main", 5),
        ("additional", 2),
    ]


def test_opener_and_closer(doc: etree._ElementTree) -> None:
    (opener,) = xpath(doc, "//tei:body/tei:opener")
    assert " ".join(render(xpath(opener, ".//tei:addrLine")[0]).split()) == (
        "To Comrade FILIPPOV [Stalin]"
    )
    assert text_of(xpath(opener, "tei:salute")[0]) == "Comrade FILIPPOV!"
    (closer,) = xpath(doc, "//tei:body/tei:closer")
    assert xpath(closer, "tei:signed/tei:persName/@ref") == ["#mao"]
    assert text_of(xpath(closer, "tei:seg[@type = 'telegram-number']")[0]) == "No. 3305"
    assert xpath(closer, "tei:dateline/tei:date/@when") == ["1951-07-03"]


def test_file_is_utf8_and_indented_with_spaces() -> None:
    raw = TELEGRAM.read_bytes()
    raw.decode("utf-8")
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"\t" not in raw
    assert not re.search(rb"[ \t]+$", raw, re.MULTILINE)
    assert TELEGRAM.parent == REPO / "tei"

"""``teikit export``: the document model, the five formats, the command line, golden files.

Golden files live in ``tests/golden/export/``; ``TEIKIT_UPDATE_GOLDEN=1 pytest`` rewrites
them. Markdown, text, JSON and GeoJSON are compared byte for byte, HTML semantically
(parsed and normalised). Every output of these tests goes below ``tmp_path``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import IN_CI, REPO, TELEGRAM, UPDATE_GOLDEN, check_golden, need, shared_path
from teikit import load
from teikit.cli import cli
from teikit.cli.export import export
from teikit.exporters import available_formats, get_exporter
from teikit.exporters.model import (
    Block,
    DocumentModel,
    Node,
    build_corpus,
    build_model,
)
from teikit.exporters.to_document_json import model_as_dict
from teikit.exporters.to_geojson import places_collection
from teikit.exporters.to_html import render_html
from teikit.exporters.to_markdown import render_markdown
from teikit.exporters.to_text import render_text

if "export" not in cli.commands:  # until teikit.cli registers the command itself
    cli.add_command(export)

GOLDEN = REPO / "tests" / "golden" / "export"
SCHEMA = REPO / "schemas" / "teikit-export.schema.json"
TELEGRAM_ARG = "tei/telegram-1951-07-03.xml"
FORMATS = ("html", "markdown", "text", "json", "geojson")
TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'

BROKEN = f"<TEI {TEI}>\n<text><body><p>\n<q>x<q/></p></body></text></TEI>\n"
DANGLING = (
    f'<TEI {TEI}><text><body><p><persName ref="#ghost">Ghost</persName> wrote on '
    '<date when="1951-07-03">3.7.51</date>.</p></body></text></TEI>\n'
)
LETTER = """<TEI {tei} xml:lang="de">
  <teiHeader><fileDesc><titleStmt><title>Brief {n}</title></titleStmt>
    <publicationStmt><p/></publicationStmt><sourceDesc><p>Test</p></sourceDesc></fileDesc>
    <profileDesc><correspDesc>
      <correspAction type="sent"><persName ref="#anna">Anna</persName>
        <date when="1900-01-0{n}">{n}.1.1900</date></correspAction>
      <correspAction type="received"><persName ref="#ben">Ben</persName></correspAction>
    </correspDesc></profileDesc></teiHeader>
  <text><body><p>Liebe <persName ref="#ben">Ben</persName>, ich bin in
    <placeName ref="#wien">Wien</placeName>.<note>Eine
    <rs type="place" ref="#wien">Stadt</rs>.</note></p>
    <closer><signed><persName ref="#anna">Anna</persName></signed></closer></body></text>
</TEI>
"""
REGISTER = f"""<TEI {TEI}><teiHeader><fileDesc><titleStmt><title>Register</title></titleStmt>
<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>
<text><body><listPerson>
  <person xml:id="anna"><persName>Anna Muster</persName><idno type="gnd">118622692</idno></person>
  <person xml:id="ben"><persName>Ben Beispiel</persName></person>
</listPerson><listPlace>
  <place xml:id="wien"><placeName>Wien</placeName><location><geo>48.2082 16.3738</geo></location>
    <idno type="wikidata">https://www.wikidata.org/entity/Q1741</idno></place>
  <place xml:id="nowhere"><placeName>Nirgendwo</placeName></place>
</listPlace></body></text></TEI>
"""


# -- helpers ------------------------------------------------------------------------------


def run(runner: CliRunner, *args: str) -> Result:
    """Invoke ``teikit export ARGS``."""
    return runner.invoke(cli, ["export", *args], catch_exceptions=False)


def html_signature(text: str) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
    """Return the page as (tag, attributes, normalised text) in document order."""
    root = lxml.html.document_fromstring(text)
    signature = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if any(a.tag == "footer" for a in element.iterancestors()):
            continue  # the footer names the teikit version
        attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if k != "content"))
        own = " ".join(
            (element.text or "").split() + [w for c in element for w in (c.tail or "").split()]
        )
        if element.tag == "style":
            own = "<css>"
        if element.tag == "footer":
            own = ""
        signature.append((element.tag, attributes, own))
    return signature


def parse_html(text: str) -> Any:
    """Parse a page with lxml.html."""
    return lxml.html.document_fromstring(text)


def first_block(model: DocumentModel) -> Block:
    """Return the first block of the reading text."""
    nodes: list[Node] = list(model.structure)
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, Block):
            return node
        nodes[:0] = node.children
    raise AssertionError("no block")


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the repository, so that document names in outputs are relative and stable."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture(scope="module")
def telegram_model() -> DocumentModel:
    """The model of the telegram, named as on the command line."""
    return build_model(load(TELEGRAM, name=TELEGRAM_ARG))


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[list[Path], Path]:
    """Three small letters and a register file in tmp_path."""
    letters = []
    for n in (1, 2, 3):
        path = tmp_path / "letters" / f"L{n}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(LETTER.format(tei=TEI, n=n), encoding="utf-8")
        letters.append(path)
    register = tmp_path / "register.xml"
    register.write_text(REGISTER, encoding="utf-8")
    return letters, register


def json_validator() -> Any:
    """Return a JSON Schema validator for schemas/teikit-export.schema.json."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the test extra
        need("the jsonschema package", False)
        raise
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid_export(data: dict[str, Any]) -> None:
    """Validate *data* against the JSON Schema and check its internal references."""
    errors = sorted(json_validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    blocks: dict[str, str] = {}

    def collect(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["node"] == "block":
                assert node["id"] not in blocks, f"block id {node['id']} twice"
                blocks[node["id"]] = node["text"]
            else:
                collect(node["children"])

    collect(data["structure"])
    for note in data["notes"]:
        collect(note["blocks"])
    keys = {e["key"] for e in data["entities"]}
    mention_ids = {m["id"] for m in data["mentions"]}
    for mention in data["mentions"]:
        position = mention["position"]
        if position["block"]:
            text = blocks[position["block"]]
            assert text[position["start"] : position["end"]] == mention["text"]
        assert set(mention["entities"]) <= keys
    for entity in data["entities"]:
        assert set(entity["mentions"]) <= mention_ids
        assert entity["mention_count"] == len(entity["mentions"])
    assert [n["number"] for n in data["notes"]] == list(range(1, len(data["notes"]) + 1))


# -- the registry ------------------------------------------------------------------------


def test_all_five_formats_are_registered() -> None:
    assert set(FORMATS) <= set(available_formats("document"))
    assert get_exporter(None, path=Path("a.md"), kind="document").name == "markdown"
    assert get_exporter(None, path=Path("a.geojson"), kind="document").name == "geojson"
    assert get_exporter(None, path=Path("a.txt"), kind="document").name == "text"
    # the rows exporter of `teikit entities` keeps its own "json"
    assert get_exporter("json", kind="rows").name == "json"
    assert get_exporter("json", kind="document").write is not get_exporter("json").write


# -- the model -------------------------------------------------------------------------------


def test_model_of_the_telegram(telegram_model: DocumentModel) -> None:
    model = telegram_model
    metadata = model.metadata
    assert metadata.title.startswith("Ciphered telegram from Mao Zedong")
    assert [(p.name, p.entity) for p in metadata.senders] == [("Mao Zedong", "mao")]
    assert [p.entity for p in metadata.recipients] == ["stalin"]
    assert metadata.date is not None
    assert metadata.date.when == "1951-07-03"
    assert [(i.type, i.value) for i in metadata.identifiers] == [
        ("archive-record", "21405"),
        ("telegram-number", "3305"),
    ]
    assert metadata.language == "en"
    assert [(p.subtype, p.number) for p in model.proposals] == [
        ("main", "1"),
        ("main", "2"),
        ("main", "3"),
        ("main", "4"),
        ("main", "5"),
        ("additional", "1"),
        ("additional", "2"),
    ]
    assert model.proposals[0].topics[0].label == "ceasefire"
    assert model.proposals[0].text.startswith("Both sides must simultaneously issue")
    assert model.proposals[6].entities == (
        "north_korea",
        "south_korea",
        "kim_il_sung",
        "intl_conference",
    )
    stalin = model.entity("stalin")
    assert stalin is not None
    assert stalin.authorities[0].url == "https://www.wikidata.org/wiki/Q855"
    assert stalin.name_forms == ("Joseph Stalin", "Filippov", "FILIPPOV")
    assert len(stalin.mentions) == 2
    kaesong = model.entity("kaesong")
    assert kaesong is not None
    assert (kaesong.latitude, kaesong.longitude) == (37.97, 126.55)
    assert [e.type for e in model.entities].count("person") == 4
    assert not model.diagnostics


def test_mention_positions_point_into_block_text(telegram_model: DocumentModel) -> None:
    blocks: dict[str, Block] = {}

    def collect(nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, Block):
                blocks[node.id] = node
            else:
                collect(node.children)

    collect(telegram_model.structure)
    for mention in telegram_model.mentions:
        assert blocks[mention.block].text[mention.start : mention.end] == mention.text
    yesterday = telegram_model.mention("date-yesterday")
    assert yesterday is not None
    assert yesterday.date is not None
    assert yesterday.date.when == "1951-07-02"
    assert [m.type for m in telegram_model.mentions].count("date") == 4


def test_notes_are_numbered_where_their_targets_are(telegram_model: DocumentModel) -> None:
    notes = telegram_model.notes
    assert [(n.number, n.id, n.call) for n in notes] == [
        (1, "note-unclosed-quote", "noteref-1"),
        (2, "note-yesterday", "noteref-2"),
    ]
    text = render_text(telegram_model)
    assert "in separate batches.\u201d[1]" in text
    assert "yesterday[2] we sent" in text


def test_whitespace_breaks_and_editorial_additions() -> None:
    doc = load(
        f"<TEI {TEI}><text><body><p>  One\n  <hi rend='italic'>two</hi>\n three<lb/>"
        "  four <lb break='no'/>teen <supplied>five</supplied> <del>gone</del> six "
        "<choice><sic>sevn</sic><corr>seven</corr></choice></p></body></text></TEI>".encode()
    )
    model = build_model(doc)
    block = first_block(model)
    assert block.text == "One two three\nfourteen [five] six seven"
    assert "One *two* three\\\nfourteen [five] six seven" in render_markdown(model)
    reading = parse_html(render_html(model)).xpath("//article")[0]
    assert reading.xpath(".//del")[0].text == "gone"
    assert reading.xpath(".//span[@class='supplied']")[0].text_content() == "[five]"
    assert reading.xpath(".//br")


def test_nested_blocks_keep_html_valid() -> None:
    doc = load(
        f"<TEI {TEI}><text><body><div><head>Head</head><p>A list:"
        "<list><item>one</item><item>two</item></list></p>"
        "<quote><p>Quoted paragraph with <persName>X</persName>.</p></quote>"
        "<list><item>three</item><label>L</label></list>"
        "<lg><l>line 1</l><l>line 2</l></lg>"
        "<figure><figDesc>a drawing</figDesc></figure>"
        "<table><row><cell>c1</cell><cell>c2</cell></row></table>"
        "</div></body></text></TEI>".encode()
    )
    page = parse_html(render_html(build_model(doc)))
    check_html5(page)
    assert page.xpath("//blockquote/p")
    assert page.xpath("//figure/figcaption")[0].text_content() == "[a drawing]"
    assert [td.text_content() for td in page.xpath("//td")] == ["c1", "c2"]


def test_nested_notes_and_headless_divisions() -> None:
    doc = load(
        f"<TEI {TEI}><text><body><div><div><head>Chapter</head>"
        "<p>Text<note>Outer<note>inner</note> note.</note> and more<note>last</note>.</p>"
        "</div></div></body></text></TEI>".encode()
    )
    model = build_model(doc)
    assert [(n.number, n.call) for n in model.notes] == [
        (1, "noteref-1"),
        (2, "noteref-2"),
        (3, "noteref-3"),
    ]
    assert render_text(model).count("[2]") == 2  # the call inside note 1, and note 2 itself
    page = parse_html(render_html(model))
    check_html5(page)  # the chapter head is h3: the outer division has no head
    assert page.xpath("string(//article//h3)") == "Chapter"
    assert "\n## Chapter\n" in render_markdown(model)


# -- golden files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("markdown", "telegram.md"),
        ("text", "telegram.txt"),
        ("json", "telegram.json"),
        ("geojson", "telegram.geojson"),
    ],
)
def test_telegram_golden(
    runner: CliRunner, in_repo: Path, tmp_path: Path, fmt: str, name: str
) -> None:
    result = run(runner, TELEGRAM_ARG, "--to", fmt)
    assert result.exit_code == 0, result.stderr
    check_golden(GOLDEN / name, result.stdout_bytes)


def test_telegram_html_golden(runner: CliRunner, in_repo: Path, tmp_path: Path) -> None:
    result = run(runner, TELEGRAM_ARG, "--to", "html")
    assert result.exit_code == 0, result.stderr
    name = "telegram.html"
    if UPDATE_GOLDEN:
        check_golden(GOLDEN / name, result.stdout_bytes)
        return
    golden = (GOLDEN / name).read_text(encoding="utf-8")
    actual, expected = html_signature(result.stdout), html_signature(golden)
    if actual != expected:
        (tmp_path / name).write_text(result.stdout, encoding="utf-8")
        first = next(i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b)
        pytest.fail(f"HTML differs at element {first}: {actual[first]} != {expected[first]}")


def test_golden_files_hold_the_telegram_facts() -> None:
    text = (GOLDEN / "telegram.txt").read_text(encoding="utf-8")
    assert "To Comrade FILIPPOV [Stalin]\nComrade FILIPPOV!" in text
    assert "\n\nMAO ZEDONG\nNo. 3305\n3.7.51\n" in text
    markdown = (GOLDEN / "telegram.md").read_text(encoding="utf-8")
    assert markdown.startswith('---\ntitle: "Ciphered telegram')
    assert 'date: "1951-07-03"' in markdown
    assert "\n1\\. \u201cBoth sides must" in markdown  # "1." is not a Markdown list
    assert "[^1]: The source opens" in markdown
    assert "<" not in markdown.split("---", 2)[2]  # no mark-up leaks
    data = json.loads((GOLDEN / "telegram.json").read_text(encoding="utf-8"))
    assert len(data["proposals"]) == 7
    geojson = json.loads((GOLDEN / "telegram.geojson").read_text(encoding="utf-8"))
    assert [f["id"] for f in geojson["features"]] == ["kaesong"]


# -- the HTML reading edition -----------------------------------------------------------------


def check_html5(page: Any) -> None:
    """Check the HTML5 rules the exporter could break: ids, nesting, content models."""
    ids = [e.get("id") for e in page.iter() if isinstance(e.tag, str) and e.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert not page.xpath("//a//a"), "a link inside a link"
    phrasing_only = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "span", "a", "q", "em", "i", "b")
    blocks = {"p", "div", "section", "ul", "ol", "li", "table", "blockquote", "figure", "h2"}
    for tag in phrasing_only:
        for element in page.iter(tag):
            inner = {d.tag for d in element.iterdescendants() if isinstance(d.tag, str)}
            assert not inner & blocks, f"<{tag}> holds {inner & blocks}"
    for element in page.xpath("//ul | //ol"):
        assert all(child.tag == "li" for child in element), "a list holds a non-li child"
    for link in page.iter("a"):
        href = link.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, f"link to missing #{href[1:]}"
    levels = [int(h.tag[1]) for h in page.xpath("//h1|//h2|//h3|//h4|//h5|//h6")]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (
        f"heading levels {levels}"
    )


def test_html_is_self_contained_accessible_and_valid(telegram_model: DocumentModel) -> None:
    text = render_html(telegram_model)
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    page = parse_html(text)
    check_html5(page)
    assert page.xpath("//meta[@charset='utf-8']")
    for landmark in ("header", "nav", "main", "footer"):
        assert page.xpath(f"//{landmark}"), landmark
    assert len(page.xpath("//h1")) == 1
    # nothing is fetched: no script, stylesheet link, image, frame or CSS url()
    assert not page.xpath("//script | //link | //img | //iframe | //object | //embed")
    assert not page.xpath("//*[@src]")
    css = page.xpath("//style")[0].text
    assert "url(" not in css
    assert "@import" not in css
    for link in page.xpath("//a[starts-with(@href, 'http')]"):
        assert link.text_content().strip()  # external links have link text


def test_html_marks_names_and_links_them_to_the_register(telegram_model: DocumentModel) -> None:
    page = parse_html(render_html(telegram_model))
    reading = page.xpath("//article[@class='reading']")[0]
    kinds = {
        kind: reading.xpath(f".//a[contains(concat(' ', @class, ' '), ' {kind} ')]")
        for kind in ("person", "place", "org", "event", "date")
    }
    assert [a.text_content() for a in kinds["person"]][:2] == ["FILIPPOV", "FILIPPOV"]
    assert {a.get("href") for a in kinds["person"]} == {
        "#stalin",
        "#kim_il_sung",
        "#li_kenong",
        "#mao",
    }
    assert kinds["person"][0].get("title") == "Person: Joseph Stalin"
    assert len(kinds["place"]) == 17
    assert len(kinds["org"]) == 7
    assert len(kinds["event"]) == 1
    dates = kinds["date"]
    assert [d.xpath("string(time/@datetime)") for d in dates] == [
        "1950-06-25",
        "1951-07-02",
        "1951-07-05",
        "1951-07-03",
    ]
    assert dates[0].get("data-iso") == "1950-06-25"
    assert dates[0].get("title") == "Date: 1950-06-25"
    # every register entry links back to every mention of it
    stalin = page.get_element_by_id("stalin")
    assert stalin.tag == "li"
    backlinks = [a.get("href") for a in stalin.xpath(".//p[@class='backlinks']/a")]
    assert backlinks == ["#m-1", "#m-2"]
    assert stalin.xpath(".//a[@href='https://www.wikidata.org/wiki/Q855']")[0].text == (
        "Wikidata Q855"
    )
    # the editor's additions are visibly different
    supplied = reading.xpath(".//span[@class='supplied']")
    assert [s.text_content() for s in supplied] == ["[Stalin]", "[from this proposal]"]


def test_html_proposals_and_footnotes(telegram_model: DocumentModel) -> None:
    page = parse_html(render_html(telegram_model))
    proposals = page.xpath("//ol[@class='proposals']/li")
    assert len(proposals) == 7
    assert [p.get("class") for p in proposals].count("proposal proposal-main") == 5
    assert [p.get("class") for p in proposals].count("proposal proposal-additional") == 2
    heads = [" ".join(p.xpath("string(p[@class='proposal-head'])").split()) for p in proposals]
    assert heads[0] == "Main point 1 Topic: ceasefire"
    assert heads[5] == "Additional point 1 Topic: withdrawal of foreign troops"
    assert proposals[0].xpath(".//q[@class='quote']")
    calls = page.xpath("//sup[@class='noteref']/a")
    assert [(a.get("id"), a.get("href"), a.text) for a in calls] == [
        ("noteref-1", "#note-unclosed-quote", "1"),
        ("noteref-2", "#note-yesterday", "2"),
    ]
    notes = page.xpath("//section[@id='notes']/ol/li")
    assert [n.xpath("string(.//a[@role='doc-backlink']/@href)") for n in notes] == [
        "#noteref-1",
        "#noteref-2",
    ]


def test_html_escapes_text_by_construction() -> None:
    hostile = "<script>alert(1)</script> & \"quotes\" 'single' </p>"
    doc = etree.Element("{http://www.tei-c.org/ns/1.0}TEI")
    body = etree.SubElement(etree.SubElement(doc, "{http://www.tei-c.org/ns/1.0}text"), "body")
    body.tag = "{http://www.tei-c.org/ns/1.0}body"
    paragraph = etree.SubElement(body, "{http://www.tei-c.org/ns/1.0}p")
    paragraph.text = hostile
    model = build_model(load(etree.tostring(doc)))
    text = render_html(model)
    page = parse_html(text)
    assert not page.xpath("//script")
    assert page.xpath("//article//p")[0].text_content() == hostile.strip()


# -- the command line ---------------------------------------------------------------------------


def test_format_from_the_output_suffix(runner: CliRunner, in_repo: Path, tmp_path: Path) -> None:
    for suffix, start in ((".md", b"---\n"), (".txt", b"Ciphered"), (".html", b"<!DOCTYPE")):
        out = tmp_path / f"telegram{suffix}"
        result = run(runner, TELEGRAM_ARG, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        assert out.read_bytes().startswith(start)
        assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([TELEGRAM_ARG], "give the format with --to"),
        ([TELEGRAM_ARG, "-o", "{tmp}/out.docx"], "cannot tell the format"),
        ([TELEGRAM_ARG, "--to", "pdf"], "Invalid value for '--to'"),
        ([TELEGRAM_ARG, "--to", "text", "--xslt", "schemas/README.md"], "HTML output only"),
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, in_repo: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(runner, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_inputs_could_not_run(runner: CliRunner, in_repo: Path, tmp_path: Path) -> None:
    # exit 3, as for validate and entities: teikit could not do the job
    result = run(runner, TELEGRAM_ARG, TELEGRAM_ARG + "x", "--to", "text")
    assert result.exit_code == 3
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
    result = run(runner, TELEGRAM_ARG, "--to", "text", "--index", str(tmp_path / "none.xml"))
    assert result.exit_code == 3
    assert result.stdout == ""


def test_several_documents_need_a_folder(
    runner: CliRunner, corpus: tuple[list[Path], Path], tmp_path: Path
) -> None:
    letters, register = corpus
    paths = [str(p) for p in letters]
    result = run(runner, *paths, "--to", "text")
    assert result.exit_code == 2
    assert "add -o DIR" in result.stderr
    result = run(runner, *paths, "-o", str(tmp_path / "all.txt"))
    assert result.exit_code == 2
    out = tmp_path / "texts"
    result = run(runner, *paths, "--to", "text", "-o", str(out), "--index", str(register))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["L1.txt", "L2.txt", "L3.txt"]
    assert "teikit export: 3 of 3 document(s) exported as text" in result.stderr


def test_folder_export_of_html_with_index_and_registers(
    runner: CliRunner, corpus: tuple[list[Path], Path], tmp_path: Path
) -> None:
    letters, register = corpus
    out = tmp_path / "site"
    result = run(
        runner, str(letters[0].parent), "--to", "html", "-o", f"{out}/", "--index", str(register)
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["L1.html", "L2.html", "L3.html", "index.html", "persons.html", "places.html"]
    crawl(out)
    index = parse_html((out / "index.html").read_text(encoding="utf-8"))
    rows = [[" ".join(td.text_content().split()) for td in tr] for tr in index.xpath("//tbody/tr")]
    assert rows == [
        ["1900-01-01", "Brief 1", "Anna", "Ben"],
        ["1900-01-02", "Brief 2", "Anna", "Ben"],
        ["1900-01-03", "Brief 3", "Anna", "Ben"],
    ]
    places = parse_html((out / "places.html").read_text(encoding="utf-8"))
    wien = places.get_element_by_id("wien")
    assert "6 mentions in 3 documents" in wien.text_content()
    assert wien.xpath(".//a[@href='L2.html#wien']")
    letter = parse_html((out / "L1.html").read_text(encoding="utf-8"))
    assert letter.get("lang") == "de"
    assert letter.xpath("//a[@href='persons.html#anna']")
    assert letter.xpath("//nav[@aria-label='Corpus']//a[@href='index.html']")


def crawl(folder: Path) -> int:
    """Check that every local link of every page in *folder* resolves; return the count."""
    pages = {p.name: parse_html(p.read_text(encoding="utf-8")) for p in folder.glob("*.html")}
    ids = {
        name: {e.get("id") for e in page.iter() if isinstance(e.tag, str)}
        for name, page in pages.items()
    }
    checked = 0
    for name, page in pages.items():
        check_html5(page)
        for link in page.iter("a"):
            href = link.get("href")
            if not href or re.match(r"^https?:", href):
                continue
            target, _, fragment = href.partition("#")
            target = target or name
            assert target in pages, f"{name}: link to missing page {href}"
            assert not fragment or fragment in ids[target], f"{name}: link to missing {href}"
            checked += 1
    return checked


def test_one_document_into_a_folder_and_geojson_into_a_folder(
    runner: CliRunner, corpus: tuple[list[Path], Path], tmp_path: Path
) -> None:
    letters, _register = corpus
    out = tmp_path / "one"
    out.mkdir()
    result = run(runner, str(letters[0]), "--to", "html", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "L1.html",
        "index.html",
        "persons.html",
        "places.html",
    ]
    result = run(runner, str(letters[0]), "--to", "geojson", "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "places.geojson").read_text(encoding="utf-8"))["features"] == []
    assert run(runner, str(letters[0]), "-o", f"{out}/").exit_code == 2  # a folder needs --to


def test_malformed_input_is_reported_and_the_others_exported(
    runner: CliRunner, corpus: tuple[list[Path], Path], tmp_path: Path
) -> None:
    letters, register = corpus
    broken = letters[0].parent / "L0-broken.xml"
    broken.write_text(BROKEN, encoding="utf-8")
    out = tmp_path / "out"
    result = run(runner, str(letters[0].parent), "--to", "json", "-o", str(out))
    assert result.exit_code == 1
    assert f"{broken}:3:" in result.stderr
    assert "[xml.not-well-formed]" in result.stderr
    assert "teikit export: 3 of 4 document(s) exported" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["L1.json", "L2.json", "L3.json"]
    assert register.exists()


def test_an_invalid_date_is_a_warning_as_in_entities(runner: CliRunner, tmp_path: Path) -> None:
    """Issue 12: validate and entities flag @when='1951-07-03T25:00'; export said nothing."""
    source = tmp_path / "late.xml"
    source.write_text(
        f'<TEI {TEI}><text><body><p>At <date when="1951-07-03T25:00">25 o\'clock</date>,\n'
        '<date when="19510703">run together</date>, <date when="1951-07-03">3.7.51</date>.'
        "</p></body></text></TEI>\n",
        encoding="utf-8",
    )
    result = run(runner, str(source), "--to", "json")
    assert result.exit_code == 0
    assert [d["iso"] for d in json.loads(result.stdout)["dates"]] == ["1951-07-03"]
    assert result.stderr.splitlines() == [
        f"{source}:1: warning: <date> @when='1951-07-03T25:00' is not an ISO 8601 date; "
        "exported without a date value [export.invalid-date]",
        f"{source}:2: warning: <date> @when='19510703' is not an ISO 8601 date; "
        "exported without a date value [export.invalid-date]",
        "teikit export: 1 of 1 document(s) exported as json; findings: 2 export.invalid-date",
    ]
    entities = runner.invoke(cli, ["entities", "-f", "csv", str(source)])
    assert [line.split(": warning: ")[0] for line in entities.stderr.splitlines()[:2]] == [
        f"{source}:1",
        f"{source}:2",
    ]
    assert "[entity.invalid-date]" in entities.stderr


def test_unresolved_pointers_are_warnings(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "dangling.xml"
    source.write_text(DANGLING, encoding="utf-8")
    result = run(runner, str(source), "--to", "html")
    assert result.exit_code == 0
    assert "[export.unresolved-ref]" in result.stderr
    page = parse_html(result.stdout)
    ghost = page.xpath("//article//*[contains(@class, 'person')]")[0]
    assert ghost.tag == "span"  # no link to a register entry that does not exist
    assert ghost.get("title") == "Person: not in the register (#ghost)"
    assert run(runner, str(source), "--to", "html", "--fail-on", "warning").exit_code == 1
    quiet = run(runner, str(source), "--to", "text", "-q")
    assert quiet.stderr == ""


def test_index_files_resolve_pointers(runner: CliRunner, corpus: tuple[list[Path], Path]) -> None:
    letters, register = corpus
    result = run(runner, str(letters[0]), "--to", "json", "--index", str(register))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert_valid_export(data)
    anna = next(e for e in data["entities"] if e["id"] == "anna")
    assert anna["source"] == str(register)
    assert anna["authorities"] == [
        {"authority": "gnd", "id": "118622692", "url": "https://d-nb.info/gnd/118622692"}
    ]
    assert [m["type"] for m in data["mentions"]] == ["person", "place", "place", "person"]
    assert data["mentions"][2]["note"] == 1
    without = run(runner, str(letters[0]), "--to", "json")
    assert "[export.unresolved-ref]" in without.stderr


def test_a_broken_index_file_cannot_run(runner: CliRunner, tmp_path: Path) -> None:
    index = tmp_path / "index.xml"
    index.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(cli, ["export", str(TELEGRAM), "--to", "text", "--index", str(index)])
    assert result.exit_code == 3
    assert "teikit: error:" in result.stderr


def test_output_over_an_input_is_refused_and_writes_are_atomic(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "copy.xml"
    shutil.copyfile(TELEGRAM, source)
    before = source.read_bytes()
    result = runner.invoke(cli, ["export", str(source), "--to", "html", "-o", str(source)])
    assert result.exit_code == 3
    assert "refusing to overwrite an input file" in result.stderr
    assert source.read_bytes() == before
    # an existing output is replaced whole; no temporary file is left behind
    out = tmp_path / "out.txt"
    out.write_text("old", encoding="utf-8")
    assert run(runner, str(source), "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("Ciphered telegram")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.xml", "out.txt"]


def test_geojson_longitude_first_and_places_without_coordinates(
    runner: CliRunner, corpus: tuple[list[Path], Path], tmp_path: Path
) -> None:
    letters, register = corpus
    out = tmp_path / "places.geojson"
    paths = [str(p) for p in letters]
    result = run(runner, *paths, "-o", str(out), "--index", str(register))
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    (wien,) = data["features"]
    # Vienna: latitude 48.2 N, longitude 16.4 E; RFC 7946 wants [longitude, latitude]
    assert wien["geometry"] == {"type": "Point", "coordinates": [16.3738, 48.2082]}
    assert wien["properties"]["mention_count"] == 6
    assert wien["properties"]["documents"] == paths
    assert wien["properties"]["name_forms"] == ["Wien", "Stadt"]
    assert wien["properties"]["authorities"] == {"wikidata": "https://www.wikidata.org/wiki/Q1741"}
    # the telegram's places without coordinates are each named in a warning
    telegram = run(runner, str(TELEGRAM), "--to", "geojson")
    assert telegram.exit_code == 0
    warned = re.findall(r"place '(\w+)' .* \[export.no-coordinates\]", telegram.stderr)
    assert sorted(warned) == sorted(
        ["korea", "north_korea", "south_korea", "parallel_38", "china_korea_border"]
    )
    kaesong = json.loads(telegram.stdout)["features"][0]
    assert kaesong["geometry"]["coordinates"] == [126.55, 37.97]


def test_geojson_is_rfc_7946(telegram_model: DocumentModel) -> None:
    collection, left_out = places_collection(build_corpus([telegram_model]))
    assert set(collection) == {"type", "features"}
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180
        assert -90 <= lat <= 90
        assert {"id", "name", "name_forms", "mention_count", "documents"} <= set(
            feature["properties"]
        )
    assert len(left_out) == 5


def test_xslt_stylesheet_replaces_the_built_in_rendering(runner: CliRunner, tmp_path: Path) -> None:
    stylesheet = tmp_path / "mine.xsl"
    stylesheet.write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        'xmlns:tei="http://www.tei-c.org/ns/1.0"><xsl:output method="html"/>'
        '<xsl:param name="teikit-document"/>'
        '<xsl:template match="/"><html><body><h1><xsl:value-of select="$teikit-document"/>'
        "</h1><p><xsl:value-of select=\"count(//tei:persName[@ref='#stalin'])\"/></p>"
        "</body></html></xsl:template></xsl:stylesheet>",
        encoding="utf-8",
    )
    result = run(runner, str(TELEGRAM), "--to", "html", "--xslt", str(stylesheet))
    assert result.exit_code == 0, result.stderr
    page = parse_html(result.stdout)
    assert page.xpath("string(//h1)") == str(TELEGRAM)
    assert page.xpath("string(//p)") == "4"


def test_xslt_may_not_write_files_or_use_the_network(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "written.txt"
    writer = tmp_path / "writer.xsl"
    writer.write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        'xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">'
        f'<xsl:template match="/"><exsl:document href="{target.as_uri()}">x</exsl:document>'
        "<html/></xsl:template></xsl:stylesheet>",
        encoding="utf-8",
    )
    result = run(runner, str(TELEGRAM), "--to", "html", "--xslt", str(writer))
    assert result.exit_code == 1
    assert "[export.xslt-failed]" in result.stderr
    assert not target.exists()
    fetcher = tmp_path / "fetcher.xsl"
    fetcher.write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><html><xsl:value-of select="document(\'http://127.0.0.1:9/x.xml\')"/>'
        "</html></xsl:template></xsl:stylesheet>",
        encoding="utf-8",
    )
    result = run(runner, str(TELEGRAM), "--to", "html", "--xslt", str(fetcher))
    assert result.exit_code == 1
    assert "[export.xslt-failed]" in result.stderr
    broken = tmp_path / "broken.xsl"
    broken.write_text("<xsl:stylesheet/>", encoding="utf-8")
    result = runner.invoke(cli, ["export", str(TELEGRAM), "--to", "html", "--xslt", str(broken)])
    assert result.exit_code == 3


# -- JSON Schema, every format on every input --------------------------------------------------


def _inputs() -> list[Path]:
    return [TELEGRAM, *sorted((REPO / "examples").glob("*.xml"))]


@pytest.mark.parametrize("source", _inputs(), ids=lambda p: p.name)
def test_every_json_export_validates_against_the_schema(source: Path) -> None:
    data = model_as_dict(build_model(load(source)))
    assert_valid_export(data)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "xml",
    [
        f"<TEI {TEI}/>",
        f"<TEI {TEI}><text><body/></text></TEI>",
        f"<TEI {TEI} xml:lang='ar'><text><body><p>\u0645\u0631\u062d\u0628\u0627 "
        "<persName>\u05e9\u05dc\u05d5\u05dd</persName> e\u0301 \U0001f600 \u00a0"
        "<note>\u2028line</note></p></body></text></TEI>",
    ],
    ids=["empty", "no-text", "unicode"],
)
def test_every_format_handles_empty_and_unicode_input(fmt: str, xml: str) -> None:
    spec = get_exporter(fmt, kind="document")
    model = build_model(load(xml.encode()))
    stream = io.StringIO()
    spec.write([model], stream)
    output = stream.getvalue()
    assert output.endswith("\n")
    if "\U0001f600" in xml and fmt not in ("geojson",):
        assert "\U0001f600" in output
    if fmt in ("json", "geojson"):
        json.loads(output)
    if fmt == "json":
        assert_valid_export(json.loads(output))


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip(" \t\r\n"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_TEXT, name=_TEXT, after=_TEXT)
def test_text_survives_every_format(before: str, name: str, after: str) -> None:
    paragraph = etree.Element("{http://www.tei-c.org/ns/1.0}p")
    paragraph.text = before + " "
    mention = etree.SubElement(paragraph, "{http://www.tei-c.org/ns/1.0}placeName")
    mention.text = name
    mention.tail = " " + after
    root = etree.fromstring(f"<TEI {TEI}><text><body/></text></TEI>")
    root[0][0].append(paragraph)
    model = build_model(load(etree.tostring(root, encoding="utf-8")))
    expected = re.sub(r"[ \t\r\n]+", " ", f"{before} {name} {after}").strip(" ")
    block = first_block(model)
    assert block.text == expected
    (mentioned,) = model.mentions
    assert mentioned.text == re.sub(r"[ \t\r\n]+", " ", name).strip(" ")
    page = parse_html(render_html(model))
    assert " ".join(page.xpath("string(//article//p)").split()) == " ".join(expected.split())
    data = json.loads(json.dumps(model_as_dict(model)))
    assert data["structure"][0]["children"][0]["text"] == expected
    assert expected in render_text(model)


_MARKDOWN_TEXT = (
    st.lists(
        st.sampled_from([*"ab 1.)-+=>#*_`[]()<>!&;:|~\\\"'\n\u00e9", "&amp;", "1. ", "\n- "]),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda s: s.strip(" \t\r\n"))
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_MARKDOWN_TEXT, emphasised=_MARKDOWN_TEXT)
def test_markdown_reads_back_as_the_plain_text(text: str, emphasised: str) -> None:
    from markdown_it import MarkdownIt  # CommonMark; installed with rich

    root = etree.fromstring(f"<TEI {TEI}><text><body/></text></TEI>")
    paragraph = etree.SubElement(root[0][0], "{http://www.tei-c.org/ns/1.0}p")
    paragraph.text = text
    hi = etree.SubElement(paragraph, "{http://www.tei-c.org/ns/1.0}hi", rend="italic")
    hi.text = emphasised
    etree.SubElement(paragraph, "{http://www.tei-c.org/ns/1.0}lb").tail = "[x]"
    model = build_model(load(etree.tostring(root, encoding="utf-8")))
    markdown = render_markdown(model).split("\n---\n", 1)[1]
    html = MarkdownIt("commonmark").render(markdown)
    page = lxml.html.fragment_fromstring(html, create_parent="div")
    paragraphs = page.xpath("p")
    assert len(paragraphs) == 1, html  # one paragraph, no list, heading or code block
    shown = "".join(
        "\n" if isinstance(node, etree._Element) and node.tag == "br" else str(node)
        for node in paragraphs[0].xpath(".//text() | .//br")
    )
    assert shown.replace("\n\n", "\n") == first_block(model).text
    assert not page.xpath("//a | //code | //img | //h2 | //blockquote | //ol | //ul | //hr")


# -- the Tillich letters: a real corpus -----------------------------------------------------


@pytest.mark.corpus
@pytest.mark.shared
def test_fifty_tillich_letters_to_a_linked_site(runner: CliRunner, tmp_path: Path) -> None:
    base = shared_path("corpora", "tillich-briefe")
    letters = sorted((base / "editions").glob("L*.xml"))[:50]
    out = tmp_path / "site"
    indexes = [
        arg
        for name in ("listperson.xml", "listplace.xml", "listbibl.xml")
        for arg in ("--index", str(base / "indices" / name))
    ]
    result = run(runner, *map(str, letters), *indexes, "--to", "html", "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr[-2000:]
    pages = sorted(p.name for p in out.iterdir())
    assert len(pages) == 53
    assert {"index.html", "persons.html", "places.html"} <= set(pages)
    assert crawl(out) > 3000
    index = parse_html((out / "index.html").read_text(encoding="utf-8"))
    assert len(index.xpath("//tbody/tr")) == 50
    persons = parse_html((out / "persons.html").read_text(encoding="utf-8"))
    paul = persons.get_element_by_id("tillich_person_id__1928")
    assert "Tillich, Paul" in paul.xpath("string(h2)")
    assert len(paul.xpath(".//ul[@class='occurrences']/li")) >= 40


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_exports_validate_and_keep_their_notes(tmp_path: Path) -> None:
    base = shared_path("corpora", "tillich-briefe")
    letters = sorted((base / "editions").glob("L*.xml"))[:25]
    for letter in letters:
        model = build_model(load(letter))
        assert_valid_export(model_as_dict(model))
    model = build_model(load(base / "editions" / "L00049.xml"))
    assert len(model.notes) == 1
    assert model.notes[0].call == "noteref-1"
    assert "[1] Noch stehen" in render_text(model)


@pytest.mark.corpus
@pytest.mark.shared
def test_a_malformed_tillich_letter_is_located(runner: CliRunner, tmp_path: Path) -> None:
    base = shared_path("corpora", "tillich-briefe", "editions")
    broken, good = base / "L00116.xml", base / "L00001.xml"
    result = run(runner, str(broken), str(good), "--to", "markdown", "-o", str(tmp_path / "md"))
    assert result.exit_code == 1
    assert f"{broken}:52:158: error:" in result.stderr
    assert (tmp_path / "md" / "L00001.md").exists()


def test_ci_has_what_the_tests_need() -> None:
    if IN_CI:
        json_validator()

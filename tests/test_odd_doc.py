"""``teikit odd doc``: HTML documentation of an ODD customisation (issue 15, item 4).

Exact content is checked against what an independent reading of the ODD (XPath on the ODD
and on the compiled ODD) says; the page is valid HTML5 (the Nu Html Checker) and loads in
headless Chromium without errors or requests.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import command, shared_path
from teikit.cli import cli
from teikit.odd import compile_odd, document_odd
from test_export_browser import DevTools
from test_export_html5 import validate_html
from test_odd import odd

TEI = "http://www.tei-c.org/ns/1.0"
NS = {"tei": TEI}

SMALL = odd(
    '<moduleRef key="core" include="list item hi"/>'
    '<elementSpec ident="hi" mode="delete"/>'
    '<elementSpec ident="list" mode="change"><attList>'
    '<attDef ident="type" mode="change" usage="req"><valList type="closed" mode="replace">'
    '<valItem ident="bulleted"><gloss>bulleted</gloss><desc>items with a bullet</desc></valItem>'
    '<valItem ident="ordered"><desc>items with a number</desc></valItem>'
    "</valList></attDef></attList>"
    '<constraintSpec ident="two" scheme="schematron"><constraint>'
    '<sch:rule xmlns:sch="http://purl.oclc.org/dsdl/schematron" context="tei:list">'
    '<sch:assert test="count(tei:item) &gt; 1">A list has two items or more.</sch:assert>'
    "</sch:rule></constraint></constraintSpec>"
    '<exemplum><egXML xmlns="http://www.tei-c.org/ns/Examples"><list type="ordered">'
    "<item>one &amp; two</item></list></egXML></exemplum>"
    "</elementSpec>"
)


def entries(page: str) -> dict[str, lxml.html.HtmlElement]:
    """Return the element entries of *page* by element name."""
    root = lxml.html.fromstring(page)
    found = {}
    for article in root.xpath("//article[@class='element']"):
        name = article.xpath("string(h4/code)").strip("<>")
        found[name] = article
    return found


def attribute_row(article: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement:
    """Return the table row of attribute *name* in an element entry."""
    rows = article.xpath(f".//tr[td[1]/code = '@{name}']")
    assert len(rows) == 1, f"@{name}: {len(rows)} rows"
    return rows[0]


def test_small_odd_documents_changes_values_constraints_and_examples() -> None:
    page = document_odd(SMALL)
    found = entries(page)
    compiled = compile_odd(SMALL).compiled
    expected = compiled.xpath("//tei:schemaSpec/tei:elementSpec/@ident", namespaces=NS)
    assert list(found) == sorted(expected, key=str.lower)  # alphabetical, every element
    assert "hi" not in found  # deleted by the ODD
    assert 'id="el-hi"' not in page
    row = attribute_row(found["list"], "type")
    cells = [c.text_content() for c in row.xpath("td")]
    assert cells[1] == "required"
    assert cells[2] == '("bulleted" | "ordered")'
    assert "closed list: only these values:" in cells[3]
    assert row.xpath(".//dl[@class='values']/dt/text()") == ["bulleted", "ordered"]
    assert row.xpath(".//dl[@class='values']/dd")[0].text_content() == (
        "bulleted items with a bullet"
    )
    # the constraint and the example, escaped
    assert "count(tei:item) &gt; 1" in page
    assert "A list has two items or more." in found["list"].text_content()
    example = found["list"].xpath(".//pre/code")[0].text_content()
    assert example == '<list type="ordered"><item>one &amp; two</item></list>'
    assert "&lt;list type=&quot;ordered&quot;&gt;" in page  # as text, not as markup
    # what the ODD changes
    root = lxml.html.fromstring(page)
    changes = {
        tr.xpath("string(td[2])"): tr.xpath("string(td[3])")
        for tr in root.xpath("//tr[@class='change']")
    }
    assert changes["hi"] == "deleted"
    assert changes["list"].startswith("changed")
    assert (
        "attribute @type changed, now required; closed value list: bulleted, ordered"
        in (changes["list"])
    )
    assert "constraint two added" in changes["list"]
    # content models link to the elements they allow
    content = found["list"].xpath(".//dd[@class='model']")[0]
    assert "#el-item" in content.xpath(".//a/@href") or "#el-item" in found["list"].xpath(
        ".//a/@href"
    )
    assert found["item"].xpath(".//dt[.='contained by']/following-sibling::dd[1]/a/text()") == [
        "list"
    ]


@pytest.fixture(scope="module")
def cmif() -> tuple[Path, str]:
    """The CMIF ODD and its documentation page."""
    source = shared_path("schemas", "cmif", "odd", "cmi-customization.odd")
    return source, document_odd(source)


def test_cmif_closed_value_lists_as_in_the_odd(cmif: tuple[Path, str]) -> None:
    source, page = cmif
    tree = etree.parse(str(source))
    found = entries(page)
    for element, attribute in (("correspAction", "type"), ("bibl", "type")):
        values = tree.xpath(
            f"//tei:elementSpec[@ident='{element}']//tei:attDef[@ident='{attribute}']"
            "/tei:valList[@type='closed']/tei:valItem/@ident",
            namespaces=NS,
        )
        assert values, f"{element}/@{attribute}"
        row = attribute_row(found[element], attribute)
        assert row.xpath(".//dl[@class='values']/dt/text()") == values
        assert row.xpath("string(td[3])") == "(" + " | ".join(f'"{v}"' for v in values) + ")"
        assert row.xpath("string(td[2])") == "required"
    assert list(found) == sorted(
        compile_odd(source).compiled.xpath(
            "//tei:schemaSpec/tei:elementSpec/@ident", namespaces=NS
        ),
        key=str.lower,
    )
    included = set()
    for ref in tree.xpath("//tei:moduleRef[@include]/@include", namespaces=NS):
        included |= set(ref.split())
    assert set(found) == included
    assert "div" not in found  # textstructure is included with body, TEI and text only
    # the replaced idno keeps the ODD's description and example
    assert found["idno"].xpath("string(p)") == "Provides the URL of the CMI file"
    assert found["idno"].xpath("string(.//pre)") == (
        '<idno type="url">http://weber-gesamtausgabe.de/correspDesc.xml</idno>'
    )


def test_tei_lite_counts_and_deletions() -> None:
    source = shared_path("schemas", "tei-odd", "source", "Exemplars", "tei_lite.odd")
    page = document_odd(source)
    found = entries(page)
    compiled = compile_odd(source).compiled
    count = compiled.xpath("count(//tei:schemaSpec/tei:elementSpec)", namespaces=NS)
    assert len(found) == int(count) == 140
    # tei_lite deletes att.calendarSystem (@calendar) and attributes of att.datable.w3c
    deleted = etree.parse(str(source)).xpath(
        "//tei:classSpec[@ident='att.datable.w3c']//tei:attDef[@mode='delete']/@ident",
        namespaces=NS,
    )
    assert "notBefore" in deleted
    date = found["date"]
    names = {c.strip("@") for c in date.xpath(".//tr/td[1]/code/text()")}
    assert {"when", "rend", "xml:id", "atLeast"} <= names
    assert not ({"calendar", *deleted} & names)
    root = lxml.html.fromstring(page)
    letters = root.xpath("//nav[@class='az']/a/@href")
    assert letters
    assert all(root.xpath(f"//*[@id='{h[1:]}']") for h in letters)
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_cli_odd_doc(tmp_path: Path, runner: CliRunner) -> None:
    source = tmp_path / "small.odd"
    source.write_bytes(SMALL)
    out = tmp_path / "schema.html"
    result = runner.invoke(cli, ["odd", "doc", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert result.stderr == ""
    assert out.read_text(encoding="utf-8") == document_odd(source)
    result = runner.invoke(cli, ["odd", "doc", str(source)])
    assert result.exit_code == 0
    assert result.stdout == document_odd(source)
    broken = tmp_path / "broken.odd"
    broken.write_bytes(SMALL.replace(b'<moduleRef key="tei"/>', b'<elementRef key="nope"/>'))
    result = runner.invoke(cli, ["odd", "doc", str(broken), "-o", str(tmp_path / "b.html")])
    assert result.exit_code == 3
    assert "elementRef key='nope': no elementSpec 'nope' in the TEI source" in result.stderr
    assert not (tmp_path / "b.html").exists()
    result = runner.invoke(cli, ["odd", "doc", str(source), "-o", str(source)])
    assert result.exit_code == 3
    assert "refusing to overwrite an input file" in result.stderr
    assert source.read_bytes() == SMALL


def test_pages_are_valid_html5(tmp_path: Path, cmif: tuple[Path, str]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "cmif.html").write_text(cmif[1], encoding="utf-8")
    (site / "small.html").write_text(document_odd(SMALL), encoding="utf-8")
    assert validate_html(site) == ""


PROBE = """
(() => {
  const links = [...document.querySelectorAll("a[href^='#']")];
  return {
    broken: links.filter(a => !document.getElementById(a.hash.slice(1))).map(a => a.hash),
    links: links.length,
    entry: !!document.getElementById("el-correspAction"),
    scripts: document.scripts.length,
    title: document.title,
  };
})()
"""


def test_cmif_page_in_a_browser(tmp_path: Path, cmif: tuple[Path, str]) -> None:
    chromium = command("chromium")
    page = tmp_path / "cmif.html"
    page.write_text(cmif[1], encoding="utf-8")
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=f"{page.as_uri()}#el-correspAction")
        browser.wait_for("Page.loadEventFired")
        probe = browser.send("Runtime.evaluate", session, expression=PROBE, returnByValue=True)[
            "result"
        ]["value"]
        browser.send("Runtime.evaluate", session, expression="1")  # drain late events
    finally:
        browser.close()
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests == [f"{page.as_uri()}#el-correspAction"] or requests == [page.as_uri()]
    console = [
        e["params"]
        for e in browser.events
        if e.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert console == []
    assert probe["entry"] is True
    assert probe["broken"] == []
    assert probe["links"] > 100
    assert probe["scripts"] == 0
    assert probe["title"] == (
        "Correspondence Metadata Interchange Format (cmi-customization): schema documentation"
    )

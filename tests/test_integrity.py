"""Integrity checks: ids, pointers (local, --index, cross-file, prefixDef), dates, root."""

from __future__ import annotations

from pathlib import Path

import pytest

from teikit import load
from teikit.document import readable_path
from teikit.pointers import PointerResolver, PointerStatus
from teikit.validation.integrity import check_integrity, parse_w3c_date

HEAD = '<TEI xmlns="http://www.tei-c.org/ns/1.0">'


def findings(body: str, resolver: PointerResolver | None = None) -> list[tuple[str, int | None]]:
    document = load(f"{HEAD}\n{body}\n</TEI>".encode(), name="t.xml")
    return [(d.code, d.line) for d in check_integrity(document, resolver)]


def test_clean_document_has_no_findings() -> None:
    body = """<standOff><listPerson><person xml:id="mao"/></listPerson></standOff>
<text><p><persName ref="#mao">Mao</persName> <date when="1951-07-03">3.7.51</date></p></text>"""
    assert findings(body) == []


def test_duplicate_id_reported_on_second_occurrence() -> None:
    document = load(f'{HEAD}\n<p xml:id="a"/>\n<p xml:id="a"/>\n</TEI>'.encode(), name="t.xml")
    (diagnostic,) = check_integrity(document)
    assert diagnostic.code == "integrity.duplicate-id"
    assert diagnostic.line == 3
    assert diagnostic.message == "xml:id 'a' is already used on line 2"
    assert diagnostic.xpath == "/tei:TEI/tei:p[2]"


@pytest.mark.parametrize("value", ["1abc", "a b", "a:b", ""])
def test_malformed_id(value: str) -> None:
    assert ("integrity.invalid-id", 2) in findings(f'<p xml:id="{value}"/>')


def test_unresolved_pointer_names_the_attribute_and_target() -> None:
    document = load(f'{HEAD}\n<p><persName ref="#nobody">X</persName></p>\n</TEI>'.encode())
    (diagnostic,) = check_integrity(document)
    assert diagnostic.code == "integrity.unresolved-pointer"
    assert diagnostic.line == 2
    assert diagnostic.message == (
        "@ref='#nobody' points to nothing: no element with xml:id 'nobody' in the document"
    )


def test_every_token_of_a_multi_valued_pointer_is_checked() -> None:
    body = '<p xml:id="a" ana="#a #b #c"/>'
    assert findings(body) == [("integrity.unresolved-pointer", 2)] * 2


def test_pointer_into_an_index_file(tmp_path: Path) -> None:
    index = tmp_path / "listperson.xml"
    index.write_text(f'{HEAD}<listPerson><person xml:id="p1"/></listPerson></TEI>')
    resolver = PointerResolver([load(index)])
    assert findings('<persName ref="#p1">A</persName>', resolver) == []
    document = load(f'{HEAD}<persName ref="#p2">A</persName></TEI>'.encode())
    (diagnostic,) = check_integrity(document, resolver)
    assert "in the document or the index files" in diagnostic.message


def test_cross_file_pointer(tmp_path: Path) -> None:
    (tmp_path / "register.xml").write_text(
        f'{HEAD}<listPlace><place xml:id="kaesong"/></listPlace></TEI>'
    )
    letter = tmp_path / "letter.xml"
    letter.write_text(
        f'{HEAD}<placeName ref="register.xml#kaesong"/><placeName ref="register.xml#nowhere"/>'
        '<placeName ref="gone.xml#x"/></TEI>'
    )
    messages = [d.message for d in check_integrity(load(letter))]
    assert messages == [
        "@ref='register.xml#nowhere' points to nothing: no element with xml:id 'nowhere' "
        "in 'register.xml'",
        "@ref='gone.xml#x' points to nothing: file 'gone.xml' not found",
    ]


def test_prefix_def_is_expanded() -> None:
    body = """<teiHeader><encodingDesc><listPrefixDef>
<prefixDef ident="psn" matchPattern="([a-z]+)" replacementPattern="#$1"/>
</listPrefixDef></encodingDesc></teiHeader>
<standOff><listPerson><person xml:id="stalin"/></listPerson></standOff>
<text><persName ref="psn:stalin">Filippov</persName><persName ref="psn:kim">Kim</persName></text>"""
    assert findings(body) == [("integrity.unresolved-pointer", 6)]


def test_external_and_non_xml_targets_are_not_checked() -> None:
    body = (
        '<licence target="https://creativecommons.org/licenses/by/4.0/"/>'
        '<pb facs="page1.jpg"/><persName ref="http://www.wikidata.org/entity/Q855"/>'
    )
    assert findings(body) == []


def test_wrong_kind_is_an_error() -> None:
    """A name pointing at the wrong kind of entry is a broken reference (issue 12)."""
    document = load(
        f"""{HEAD}<standOff><listPlace><place xml:id="kaesong"/></listPlace></standOff>
<p><persName ref="#kaesong">Kaesong</persName></p></TEI>""".encode()
    )
    (diagnostic,) = check_integrity(document)
    assert (diagnostic.code, str(diagnostic.severity)) == ("integrity.wrong-kind", "error")
    assert (
        diagnostic.message == "<persName> @ref='#kaesong' points to a <place>, not a person entry"
    )


def test_missing_hash_is_a_warning() -> None:
    body = '<listPerson><person xml:id="mao"/></listPerson><persName ref="mao">M</persName>'
    assert findings(body) == [("integrity.missing-hash", 2)]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('when="1951-07-03"', []),
        ('when="1951-07"', []),
        ('when="1951"', []),
        ('when="1951-07-03T10:00:00Z"', []),
        ('when="--07-03"', []),
        ('when="3.7.51"', ["integrity.invalid-date"]),
        ('when="1951-02-30"', ["integrity.invalid-date"]),
        ('when="1951-02-29"', ["integrity.invalid-date"]),
        ('when="1952-02-29"', []),
        ('when="1900-02-29"', ["integrity.invalid-date"]),
        ('when="2000-02-29"', []),
        ('when="1951-13"', ["integrity.invalid-date"]),
        ('when-iso="1951-W27"', []),
        ('when-iso="19"', []),
        ('when-iso="July 1951"', ["integrity.invalid-date"]),
        ('from="1951-07-01" to="1951-07-31"', []),
        ('from="1951-08" to="1951-07-31"', ["integrity.inverted-range"]),
        ('notBefore="1951-07-04" notAfter="1951-07-03"', ["integrity.inverted-range"]),
        ('notBefore="1951" notAfter="1951-07"', []),
        ('notBefore-iso="1952" notAfter="1951"', ["integrity.inverted-range"]),
    ],
)
def test_dates(attributes: str, expected: list[str]) -> None:
    assert [code for code, _ in findings(f"<p><date {attributes}>d</date></p>")] == expected


def test_from_to_on_pointer_elements_are_not_dates() -> None:
    assert findings('<p><biblScope from="12" to="15"/></p>') == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<TEI/>", 'add xmlns="http://www.tei-c.org/ns/1.0"'),
        (b"<TEI.2/>", "TEI P4, not TEI P5; convert it to TEI P5 first"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "{http://www.w3.org/1999/xhtml}html"),
    ],
)
def test_root_must_be_tei(document: bytes, message: str) -> None:
    (diagnostic,) = check_integrity(load(document))
    assert diagnostic.code == "tei.not-tei"  # the finding of every command (teikit.roots)
    assert message in diagnostic.message


def test_a_tei_fragment_is_not_a_whole_document() -> None:
    (diagnostic,) = check_integrity(load(b'<div xmlns="http://www.tei-c.org/ns/1.0"/>'))
    assert diagnostic.code == "integrity.root"
    assert diagnostic.message.startswith(
        "root element is <tei:div>: a TEI P5 fragment, not a whole document"
    )


def test_tei_corpus_root_is_accepted() -> None:
    assert check_integrity(load(b'<teiCorpus xmlns="http://www.tei-c.org/ns/1.0"/>')) == []


def test_parse_w3c_date_bounds() -> None:
    assert parse_w3c_date("1951") == ("1951-01-01", "1951-12-31")
    assert parse_w3c_date("1952-02") == ("1952-02-01", "1952-02-29")
    assert parse_w3c_date("0000") is None
    assert parse_w3c_date("-0044-03-15") == ("-0044-03-15", "-0044-03-15")


def test_resolver_reports_status() -> None:
    document = load(f'{HEAD}<p xml:id="x"/></TEI>'.encode())
    resolver = PointerResolver()
    assert resolver.resolve("#x", document).status is PointerStatus.RESOLVED
    assert resolver.resolve("#y", document).status is PointerStatus.UNRESOLVED
    assert resolver.resolve("urn:x", document).status is PointerStatus.EXTERNAL


def test_readable_path_without_namespace() -> None:
    document = load(b"<a><b/><b><c/></b></a>")
    assert readable_path(document.root[1][0]) == "/a/b[2]/c"


def test_element_paths_match_lxml_and_scan_each_parent_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lxml import etree

    from teikit.document import ElementPaths

    body = "".join(f"<persName>{i}</persName><lb/>" for i in range(50))
    document = load(f"{HEAD}<text><p>{body}<hi/></p></text><other xmlns='urn:x'/></TEI>".encode())
    paths = ElementPaths()
    scans: list[object] = []
    original = ElementPaths._index
    monkeypatch.setattr(
        ElementPaths, "_index", lambda self, parent: (scans.append(parent), original(self, parent))
    )
    tree = document.tree
    for element in document.root.iter(tag=etree.Element):
        expected = readable_path(element)  # one fresh ElementPaths per call
        assert paths.path(element) == expected
        if element is not document.root:
            lxml_path = tree.getelementpath(element).replace(
                "{http://www.tei-c.org/ns/1.0}", "tei:"
            )
            assert expected.endswith(lxml_path.replace("{urn:x}other", "*[local-name()='other']"))
    scans.clear()
    fresh = ElementPaths()
    for element in document.root.iter(tag=etree.Element):
        fresh.path(element)
    parents = [id(parent) for parent in scans]
    assert len(parents) == len(set(parents))  # every parent's children scanned once
    assert (
        paths.path(document.xpath("//tei:persName")[49])
        == "/tei:TEI/tei:text/tei:p/tei:persName[50]"
    )


def test_a_document_with_very_many_marked_elements_is_walked_twice_with_the_same_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past a limit, the elements with ids, pointers and dates are not held in a list (a
    200 MB file has millions): the checks walk the tree again and must find the same."""
    import teikit.validation.integrity as integrity

    body = "".join(
        f'<p xml:id="p{n}"><date when="1951-07-{n % 40:02d}"/><persName ref="#x{n % 3}"/>'
        f'<placeName ref="#p{n}"/></p>'
        for n in range(30)
    )
    xml = (
        f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>{body}'
        '<p xml:id="p1"/><x:q xmlns:x="urn:x" xml:id="x1"/></body></text></TEI>'
    ).encode()
    held = [(d.code, d.line, d.xpath, d.message) for d in check_integrity(load(xml))]
    monkeypatch.setattr(integrity, "_MARKED_LIMIT", 5)
    walked = [(d.code, d.line, d.xpath, d.message) for d in check_integrity(load(xml))]
    assert walked == held
    codes = {code for code, *_ in held}
    assert {"integrity.invalid-date", "integrity.unresolved-pointer"} <= codes
    assert {"integrity.duplicate-id", "integrity.wrong-kind"} <= codes


def test_wrong_kind_names_an_event_with_an() -> None:
    document = load(
        f"""{HEAD}<standOff><listPlace><place xml:id="kaesong"/></listPlace></standOff>
<p><rs type="event" ref="#kaesong">the talks</rs></p></TEI>""".encode()
    )
    (diagnostic,) = check_integrity(document)
    assert diagnostic.message == "<rs> @ref='#kaesong' points to a <place>, not an event entry"

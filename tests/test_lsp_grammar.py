"""Completion from the RELAX NG grammar (teikit.lsp.grammar), checked against the schema files
(read with XPath here) and against Jing's verdicts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import REPO, TELEGRAM
from teikit.lsp.grammar import DETAIL_LENGTH, SchemaCompletion, complete_at

TEI_ALL = REPO / "schemas" / "tei_all.rng"
LETTER = REPO / "schemas" / "teikit-letter.rng"
RNG = {"r": "http://relaxng.org/ns/structure/1.0"}
TEI_OPEN = '<TEI xmlns="http://www.tei-c.org/ns/1.0">'
A_DOC = "{http://relaxng.org/ns/compatibility/annotations/1.0}documentation"


def labels(text: str, schema: Path | None = None, offset: int | None = None) -> list[str]:
    """Return the labels offered at *offset* (default: the end of *text*)."""
    return [c.label for c in complete_at(text, len(text) if offset is None else offset, schema)]


def xpath(schema: Path, path: str) -> list[str]:
    found = etree.parse(str(schema)).xpath(path, namespaces=RNG)
    assert isinstance(found, list)
    return [str(item) for item in found]


def test_root_elements_are_those_of_start() -> None:
    assert xpath(TEI_ALL, "/r:grammar/r:start//r:ref/@name") == ["TEI", "teiCorpus"]
    assert labels("<") == ["TEI", "teiCorpus"]
    assert labels("<?xml version='1.0'?>\n<!-- a comment -->\n<te") == ["teiCorpus"]


def test_tei_header_starts_with_file_desc() -> None:
    # TEI All: teiHeader = (fileDesc, model.teiHeaderPart*, revisionDesc?)
    content = xpath(TEI_ALL, "//r:define[@name='teiHeader']/r:element/r:group/*[1]/@name")
    assert content == ["fileDesc"]
    assert labels(TEI_OPEN + "<teiHeader><") == ["fileDesc"]
    assert labels(TEI_OPEN + "<teiHeader>\n  <f") == ["fileDesc"]
    assert labels(TEI_OPEN + "<teiHeader><p") == []


def test_after_file_desc_the_header_parts_follow() -> None:
    parts = xpath(TEI_ALL, "//r:define[@name='model.teiHeaderPart']//r:ref/@name")
    expected = sorted([*parts, "revisionDesc"])
    assert expected == ["encodingDesc", "profileDesc", "revisionDesc", "xenoData"]
    text = TEI_OPEN + "<teiHeader><fileDesc><titleStmt/></fileDesc>\n<"
    assert labels(text) == expected
    # After revisionDesc nothing more may come in the header.
    assert labels(TEI_OPEN + "<teiHeader><fileDesc/><revisionDesc/><") == []


def test_elements_in_a_paragraph_of_the_telegram() -> None:
    text = TELEGRAM.read_text(encoding="utf-8")
    spot = text.index("<p>", text.index("<body>")) + len("<p>")
    offered = labels(text[:spot] + "<" + text[spot:], offset=spot + 1)
    assert {"persName", "hi", "emph", "date", "lb"} <= set(offered)
    assert not {"p", "div", "body", "teiHeader", "TEI"} & set(offered)
    assert offered == sorted(offered)
    with_prefix = labels(text[:spot] + "<pe" + text[spot:], offset=spot + 3)
    assert with_prefix == [name for name in offered if name.startswith("pe")]
    assert "persName" in with_prefix


def test_the_letter_schema_offers_less_than_tei_all() -> None:
    # emph is a TEI All phrase element that the restricted letter grammar does not define.
    assert xpath(LETTER, "//r:element[@name='emph']") == []
    assert xpath(TEI_ALL, "//r:element[@name='emph']/@name") == ["emph"]
    text = TEI_OPEN + "<text><body><p>Text <"
    assert "emph" in labels(text)
    letter = labels(text, LETTER)
    assert "emph" not in letter
    assert {"persName", "hi", "date"} <= set(letter)
    assert set(letter) < set(labels(text))


def test_attributes_of_pers_name() -> None:
    text = TEI_OPEN + "<text><body><p><persName "
    offered = labels(text)
    assert {"ref", "xml:id", "xml:lang", "full", "sort", "when"} <= set(offered)
    assert "unit" not in offered  # att.measurement, not on persName
    assert offered == sorted(offered)
    # xml: attributes: exactly those TEI All defines anywhere (att.global has them all).
    xml_names = sorted(set(xpath(TEI_ALL, "//r:attribute/@name[starts-with(., 'xml:')]")))
    assert labels(text + "xml:") == xml_names == ["xml:base", "xml:id", "xml:lang", "xml:space"]
    # Attributes already present, before or after the cursor, are not offered again.
    assert "ref" not in labels(text + 'ref="#a" ')
    after = TEI_OPEN + '<text><body><p><persName  full="yes">Kim</persName>'
    cursor = after.index(' full="yes"')
    present = labels(after, offset=cursor)
    assert "full" not in present
    assert "ref" in present
    # Typed in the middle of a name: what is after the cursor is the rest of that name.
    middle = TEI_OPEN + '<text><body><p><persName re xml:id="a">'
    assert labels(middle, offset=middle.index(" xml:id")) == ["ref", "rend", "rendition", "resp"]


def test_closed_value_list_of_full() -> None:
    values = xpath(TEI_ALL, "//r:define[@name='att.personal.attribute.full']//r:value/text()")
    assert values == ["yes", "abb", "init"]
    text = TEI_OPEN + '<text><body><p><persName full="'
    found = complete_at(text, len(text))
    assert [c.label for c in found] == sorted(values)
    assert {c.kind for c in found} == {"value"}
    glosses = xpath(
        TEI_ALL,
        "//r:define[@name='att.personal.attribute.full']//r:value[.='abb']"
        "/following-sibling::*[1]/text()",
    )
    assert found[0] == SchemaCompletion("value", "abb", glosses[0])
    assert labels(text + "i") == ["init"]
    assert labels(TEI_OPEN + "<text><body><p><persName full='a") == ["abb"]


def test_open_values_give_nothing() -> None:
    # @rend is a list of data tokens in TEI All: no closed list.
    assert xpath(TEI_ALL, "//r:define[@name='att.global.rendition.attribute.rend']//r:value") == []
    assert labels(TEI_OPEN + '<text><body><p><hi rend="') == []
    assert labels(TEI_OPEN + '<text><body><p><persName ref="#') == []


def test_details_are_the_documentation() -> None:
    text = TEI_OPEN + "<text><body><p><persN"
    (found,) = complete_at(text, len(text))
    doc = etree.parse(str(TEI_ALL)).xpath("//r:element[@name='persName']/*[1]", namespaces=RNG)
    assert isinstance(doc, list)
    assert isinstance(doc[0], etree._Element)
    assert doc[0].tag == A_DOC
    full = " ".join((doc[0].text or "").split())
    assert found.kind == "element"
    assert found.label == "persName"
    assert found.detail is not None
    assert len(found.detail) == DETAIL_LENGTH
    assert full.startswith(found.detail[:-1])
    assert found.detail.endswith("…")
    (xml_id,) = complete_at(TEI_OPEN + "<p xml:i", len(TEI_OPEN + "<p xml:i"))
    assert xml_id.detail == (
        "(identifier) provides a unique identifier for the element bearing the attribute."
    )


def test_prefixed_tei_names() -> None:
    text = '<tei:TEI xmlns:tei="http://www.tei-c.org/ns/1.0"><tei:teiHeader><'
    assert labels(text) == ["tei:fileDesc"]


def test_broken_text_still_gets_answers() -> None:
    # A start tag without ">" ends where the next tag begins.
    assert labels(TEI_OPEN + "<teiHeader <fileDesc><titleStmt><") == ["title"]
    # End tags of nothing open, and comments and PIs holding "<", are passed over.
    text = TEI_OPEN + "<teiHeader><fileDesc/></foo><!-- <x --><?pi <y?><"
    assert labels(text) == ["encodingDesc", "profileDesc", "revisionDesc", "xenoData"]
    # An end tag closes the elements left open inside it.
    text = TEI_OPEN + "<teiHeader><fileDesc><titleStmt><title>T</fileDesc><"
    assert labels(text) == ["encodingDesc", "profileDesc", "revisionDesc", "xenoData"]
    # Unclosed tags and garbage after the cursor do not matter.
    telegram = TELEGRAM.read_text(encoding="utf-8")
    spot = telegram.index("<p>", telegram.index("<body>")) + len("<p>")
    intact = labels(telegram[:spot] + "<" + telegram[spot:], offset=spot + 1)
    assert labels(telegram[:spot] + "<" + "<div><p><hi rend='x", offset=spot + 1) == intact
    # An element that is not allowed where it stands is followed with its own content.
    assert labels(TEI_OPEN + "<teiHeader><titleStmt><") == ["title"]
    # Inside comments, end tags and text there is nothing to complete.
    assert labels(TEI_OPEN + "<!-- <") == []
    assert labels(TEI_OPEN + "<teiHeader></te") == []
    assert labels(TEI_OPEN + "<teiHeader>text") == []


def test_grammar_is_compiled_again_when_the_file_changes(tmp_path: Path) -> None:
    schema = tmp_path / "s.rng"
    grammar = (
        '<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="urn:x">'
        '<start><element name="a"><zeroOrMore><element name="{}"><empty/></element>'
        "</zeroOrMore></element></start></grammar>"
    )
    schema.write_text(grammar.format("b"), encoding="utf-8")
    assert labels('<a xmlns="urn:x"><', schema) == ["b"]
    schema.write_text(grammar.format("cc"), encoding="utf-8")
    os.utime(schema, ns=(1, 1))
    assert labels('<a xmlns="urn:x"><', schema) == ["cc"]
    assert labels('<a xmlns="urn:x"><', str(schema)) == ["cc"]


_XMLISH = st.lists(
    st.sampled_from(list("<>/=\"' !?-[]\n") + ["p", "hi", "TEI", "xml:id", "rend", "persName"]),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_XMLISH, st.text(max_size=40)), offset=st.integers(-5, 80))
def test_complete_at_never_raises(text: str, offset: int) -> None:
    found = complete_at(TEI_OPEN + text, offset + len(TEI_OPEN))
    assert all(isinstance(c, SchemaCompletion) for c in found)
    assert isinstance(complete_at(text, offset, LETTER), list)


def jing_refusals(jing: str, schema: Path, files: dict[Path, int], message: str) -> set[Path]:
    """Run Jing once over *files*; return those with an error matching *message* (a regular
    expression) on the line given for the file."""
    result = subprocess.run(
        [jing, str(schema), *map(str, files)], capture_output=True, text=True, check=False
    )
    refused: set[Path] = set()
    for line in result.stdout.splitlines():
        found = re.match(rf"(.*?):(\d+):\d+: error: {message}", line)
        if found and int(found.group(2)) == files.get(Path(found.group(1))):
            refused.add(Path(found.group(1)))
    return refused


@pytest.mark.jing
def test_jing_agrees_on_what_may_start_at_the_cursor(jing: str, tmp_path: Path) -> None:
    """Every element of the letter grammar inserted at two places in the telegram: Jing
    reports "not allowed" on its line exactly for the elements that were not offered."""
    text = TELEGRAM.read_text(encoding="utf-8")
    names = sorted(set(xpath(LETTER, "//r:element/@name")))
    spots = {
        "paragraph": text.index("<p>", text.index("<body>")) + len("<p>"),
        "header": text.index("</fileDesc>") + len("</fileDesc>"),
    }
    files: dict[Path, int] = {}
    offered_files: set[Path] = set()
    for where, spot in spots.items():
        offered = set(labels(text[:spot] + "<" + text[spot:], LETTER, offset=spot + 1))
        assert offered
        assert offered < set(names)
        for name in names:
            path = tmp_path / f"{where}-{name}.xml"
            path.write_text(f"{text[:spot]}\n<{name}/>\n{text[spot:]}", encoding="utf-8")
            files[path] = text[:spot].count("\n") + 2
            if name in offered:
                offered_files.add(path)
    refused = jing_refusals(jing, LETTER, files, r'element "\w+" not allowed')
    assert refused == set(files) - offered_files
    assert refused
    assert offered_files


_SMALL_TEI = (
    TEI_OPEN + "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>"
    "<publicationStmt><p>P</p></publicationStmt><sourceDesc><p>S</p></sourceDesc>"
    "</fileDesc></teiHeader>\n<text><body><p>Text{}</p></body></text></TEI>\n"
)


@pytest.mark.jing
def test_jing_agrees_with_tei_all_on_elements_and_attributes(jing: str, tmp_path: Path) -> None:
    """Each of TEI All's 588 element names inserted in a paragraph, and each of its
    attribute names put on a persName: Jing refuses exactly those that were not offered."""
    before, after = _SMALL_TEI.split("{}")
    offered = set(labels(before + "<"))
    assert {"persName", "hi"} <= offered
    files: dict[Path, int] = {}
    for name in sorted(set(xpath(TEI_ALL, "//r:element/@name"))):
        path = tmp_path / f"element-{name}.xml"
        path.write_text(f"{before}\n<{name}/>\n{after}", encoding="utf-8")
        files[path] = 3
    refused = jing_refusals(jing, TEI_ALL, files, r'element "\w+" not allowed')
    assert {path.name[8:-4] for path in set(files) - refused} == offered
    tag = before + "<persName "
    attributes = set(labels(tag))
    assert {"ref", "xml:id"} <= attributes
    files = {}
    for name in sorted(set(xpath(TEI_ALL, "//r:attribute/@name"))):
        path = tmp_path / f"attribute-{name}.xml"
        path.write_text(f'{tag}\n{name}="x">N</persName>{after}', encoding="utf-8")
        files[path] = 3
    refused = jing_refusals(jing, TEI_ALL, files, r'attribute "[\w:.-]+" not allowed')
    assert {path.name[10:-4] for path in set(files) - refused} == attributes


@pytest.fixture(scope="module")
def letter_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The letter grammar under another path, so that its walks start afresh."""
    copy = tmp_path_factory.mktemp("grammar") / "letter.rng"
    copy.write_bytes(LETTER.read_bytes())
    return copy


_EDIT = st.tuples(
    st.floats(0, 1),  # where, as a share of the text
    st.integers(0, 30),  # characters deleted
    st.lists(st.sampled_from(["<", ">", "/", '"', " ", "p", "hi", "</p>", "<hi "]), max_size=6),
    st.floats(0, 1),  # the cursor, as a share of the text
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(_EDIT, min_size=1, max_size=4))
def test_edits_give_what_a_fresh_walk_gives(
    letter_copy: Path, edits: list[tuple[float, int, list[str], float]]
) -> None:
    # complete_at keeps checkpoints of its walks through a buffer and resumes from them
    # after an edit: the answers must be those of a walk from the start of the buffer.
    text = TELEGRAM.read_text(encoding="utf-8")
    for where, deleted, inserted, cursor in edits:
        complete_at(text, len(text), LETTER)  # a walk through the whole buffer
        at = int(where * len(text))
        text = text[:at] + "".join(inserted) + text[at + deleted :]
        offset = int(cursor * len(text))
        for _ in range(4):  # push every earlier walk out of the copy's memory
            complete_at("x", 1, letter_copy)
            complete_at("y", 1, letter_copy)
        asked = text[:offset] + "<" + text[offset:]  # elements, where the cursor is in content
        for buffer, at in ((text, offset), (asked, offset + 1)):
            assert complete_at(buffer, at, LETTER) == complete_at(buffer, at, letter_copy)


def test_an_edit_before_the_cursor_is_seen() -> None:
    text = TELEGRAM.read_text(encoding="utf-8")
    spot = text.index("<p>", text.index("<body>")) + len("<p>") + 1
    asked = text[: spot - 1] + "<" + text[spot - 1 :]
    before = labels(asked, LETTER, offset=spot)
    assert "persName" in before
    # The same buffer with the root in another namespace: no element is TEI's any more.
    edited = asked.replace(' xmlns="http://www.tei-c.org/ns/1.0"', ' xmlns="urn:x"', 1)
    moved = len(edited) - len(asked)
    assert labels(edited, LETTER, offset=spot + moved) == []
    assert labels(asked, LETTER, offset=spot) == before
    # An element closed early: the cursor is in the division, after the paragraph.
    closed = asked[: spot - 1] + "</p>" + asked[spot - 1 :]
    after_p = labels(closed, LETTER, offset=spot + 4)
    assert "persName" not in after_p
    assert "p" in after_p

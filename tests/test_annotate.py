"""``teikit.annotate``: lint's proposals written into a copy, text content and validity kept."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import TELEGRAM
from teikit import extract_entities, validate
from teikit.diagnostics import Severity
from teikit.document import load
from teikit.entities import Mention
from teikit.errors import NotWellFormedError
from teikit.linting import annotate, parse_kinds, unified_diff
from teikit.namespaces import TEI_NS
from teikit.validation import ValidationOptions
from test_lint import BASELINE, HEAD, SENT, document, strip_telegram, write, write_copy

INSERTED = re.compile(
    r'<(\w+:|)(\w+) (?:ref|when)="[^"]*" cert="medium" resp="#teikit">(.*?)</\1\2>'
)


def text_content(data: bytes) -> list[str]:
    root = load(data).root
    return ["".join(str(t) for t in text.itertext()) for text in root.iter(f"{{{TEI_NS}}}text")]


def mention_keys(path: Path) -> Counter[tuple[object, ...]]:
    return Counter(
        (m.type, m.text, m.entity_ids, m.date.start if m.date else None, m.location.value)
        for m in extract_entities([path])
        if isinstance(m, Mention)
    )


def errors(path: Path) -> list[str]:
    report = validate([path], ValidationOptions(cache=False))
    return [str(d) for d in report if d.severity >= Severity.ERROR]


def test_annotate_restores_the_stripped_telegram(tmp_path: Path) -> None:
    stripped, removed = strip_telegram()
    source = write_copy(tmp_path, stripped, "stripped.xml")
    before = source.read_bytes()
    result = annotate(source)
    assert source.read_bytes() == before  # the input is never modified
    output = tmp_path / "annotated.xml"
    output.write_bytes(result.data)
    original = write_copy(tmp_path, TELEGRAM.read_text(encoding="utf-8"), "original.xml")

    # the text content is the input's, to the character, and the original's
    assert text_content(result.data) == text_content(before) == text_content(original.read_bytes())
    # valid against the telegram's own schemas (RELAX NG and Schematron) and integrity checks
    assert errors(original) == []
    assert errors(output) == []
    # every removed mention is back with the same entity or date; the extras are the
    # proposals lint makes on the untouched telegram too (see test_lint.BASELINE)
    restored, expected = mention_keys(output), mention_keys(original)
    assert expected - restored == Counter()
    extras = restored - expected
    assert sorted((k[1], k[2] or k[3]) for k in extras.elements()) == sorted(
        (text, (value.lstrip("#"),) if value.startswith("#") else value) for text, value in BASELINE
    )
    assert len(result.applied) == len(removed) + len(BASELINE)


def test_annotate_under_the_projects_policy_gives_back_the_original_entities(
    tmp_path: Path,
) -> None:
    """With tei/teikit.toml beside the copy, the restored telegram lists what the original does."""
    shutil.copyfile(TELEGRAM.parent / "teikit.toml", tmp_path / "teikit.toml")
    stripped, removed = strip_telegram()
    source = write_copy(tmp_path, stripped, "stripped.xml")
    result = annotate(source)
    assert len(result.applied) == len(removed)
    output = tmp_path / "annotated.xml"
    output.write_bytes(result.data)
    original = write_copy(tmp_path, TELEGRAM.read_text(encoding="utf-8"), "original.xml")
    assert errors(output) == []
    assert mention_keys(output) == mention_keys(original)


def test_every_other_byte_is_kept(tmp_path: Path) -> None:
    stripped, _removed = strip_telegram()
    source = write_copy(tmp_path, stripped)
    result = annotate(source)
    old, new = source.read_text(encoding="utf-8").splitlines(), result.text.splitlines()
    assert new[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    added = [line for line in new if line not in old]
    assert len(new) == len(old) + 1  # the respStmt
    (statement,) = [line for line in added if "<respStmt" in line]
    assert statement == (
        '        <respStmt xml:id="teikit"><resp>markup proposed by teikit annotate '
        "(cert=medium), to be reviewed</resp><name>teikit</name></respStmt>"
    )
    changed = [line for line in new if line not in old and line != statement]
    assert changed
    restored = iter(changed)
    for line in old:
        if line not in new:
            assert INSERTED.sub(r"\3", next(restored)) == line


def test_diff_shows_the_proposals(tmp_path: Path) -> None:
    path = write(tmp_path, document("<p>Mao wrote on 3.7.51.</p>", header=""))
    result = annotate(path)
    diff = unified_diff(result, "doc.xml")
    assert diff.startswith("--- doc.xml\n+++ doc.xml (annotated)\n")
    assert (
        '<p><persName ref="#mao" cert="medium">Mao</persName> wrote on '
        '<date when="1951-07-03" cert="medium">3.7.51</date>.</p>' not in diff
    )  # no header: no document date, and no respStmt for @resp
    assert '<persName ref="#mao" cert="medium">Mao</persName> wrote on 3.7.51.' in diff


def test_date_without_value_gets_an_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, document("<p><date>25.6.1950</date>, <date type='x'/></p>"))
    result = annotate(path)
    assert '<date when="1950-06-25" cert="medium">25.6.1950</date>' in result.text
    assert "<date type='x'/>" in result.text


def test_ambiguous_and_misplaced_names_are_left_alone(tmp_path: Path) -> None:
    body = "<div>Mao<p>Kim and 3/7/1951</p></div>"
    result = annotate(write(tmp_path, document(body)))
    assert result.applied == ()
    reasons = sorted(reason for _s, reason in result.skipped)
    assert reasons == [
        "<persName> is not allowed inside <div>",
        "nothing to propose (ambiguous or impossible)",
        "nothing to propose (ambiguous or impossible)",
    ]
    assert result.text == document(body).decode()


def test_only_kinds(tmp_path: Path) -> None:
    result = annotate(write(tmp_path, document("<p>Mao, 3.7.51</p>")), kinds=parse_kinds("dates"))
    assert [s.kind for s in result.applied] == ["date"]


def test_prefixed_namespace_and_resp_statement(tmp_path: Path) -> None:
    data = (
        f'<?xml version="1.0"?>\n<!-- kept -->\n<tei:TEI xmlns:tei="{TEI_NS}"><tei:teiHeader>'
        "<tei:fileDesc><tei:titleStmt><tei:title>T</tei:title></tei:titleStmt></tei:fileDesc>"
        "</tei:teiHeader><tei:standOff><tei:listPerson><tei:person xml:id='mao'>"
        "<tei:persName>Mao</tei:persName></tei:person></tei:listPerson></tei:standOff>"
        "<tei:text><tei:p>Mao</tei:p></tei:text></tei:TEI>"
    )
    result = annotate(data.encode())
    assert result.text.startswith('<?xml version="1.0"?>\n<!-- kept -->\n')
    assert '<tei:respStmt xml:id="teikit">' in result.text
    assert '<tei:p><tei:persName ref="#mao" cert="medium" resp="#teikit">Mao</tei:persName>' in (
        result.text
    )


def test_existing_ids_are_respected(tmp_path: Path) -> None:
    header = (
        "<teiHeader><fileDesc><titleStmt><title xml:id='teikit'>T</title></titleStmt>"
        "</fileDesc></teiHeader>"
    )
    result = annotate(document("<p>Mao</p>", header=header))
    assert 'xml:id="teikit-2"' in result.text
    assert 'resp="#teikit-2"' in result.text
    again = annotate(result.data)
    assert again.applied == ()
    assert again.text == result.text


def test_other_encodings_are_kept(tmp_path: Path) -> None:
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + document(
        "<p>Caf\xe9 Mao</p>".replace("\xe9", "é"), header=""
    ).decode().encode("iso-8859-1")
    result = annotate(write(tmp_path, data))
    assert result.data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert b"Caf\xe9 <persName" in result.data


def test_not_well_formed_input_raises(tmp_path: Path) -> None:
    with pytest.raises(NotWellFormedError):
        annotate(write(tmp_path, b"<TEI><p></TEI>"))


_FRAGMENTS = st.sampled_from(
    [
        "Mao",
        "Mao Zedong",
        "North Korea",
        "Kim",
        "3.7.51",
        "yesterday",
        "3 July",
        "25.6.1950",
        "José Martí",
        "&",
        "<",
        ">",
        "\r\n",
        "\n",
        " ",
        "]]>",
        "'",
        '"',
        "Maoism",
        "31.2.1951",
    ]
)
_TEXT = st.lists(
    st.one_of(
        _FRAGMENTS,
        st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co")), max_size=8),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_TEXT, second=_TEXT, reference=st.booleans())
def test_text_content_never_changes(first: str, second: str, reference: bool) -> None:
    def encode(text: str) -> str:
        if not reference:
            return escape(text)
        # character references instead of some characters, CR among them
        special = {"a": "&#97;", "o": "&#x6F;", "\r": "&#13;"}
        return "".join(special.get(char) or escape(char) for char in text)

    body = f"<p>{encode(first)}<hi>{encode(second)}</hi>{encode(second)}</p><p>{encode(first)}</p>"
    data = document(body)
    result = annotate(data)
    assert text_content(result.data) == text_content(data)
    etree.fromstring(result.data)  # well-formed
    for suggestion in result.applied:
        assert suggestion.value


def test_header_only_documents_are_left_alone() -> None:
    data = f"{HEAD}{SENT}</TEI>".encode()
    result = annotate(data)
    assert result.applied == ()
    assert result.text == data.decode()


def test_text_from_internal_entities_is_not_annotated() -> None:
    data = b'<!DOCTYPE TEI [<!ENTITY m "Mao">]>\n' + document("<p>&m; and Filippov</p><p>Mao</p>")
    result = annotate(data)
    assert [s.text for s in result.applied] == ["Mao"]
    assert [reason for _s, reason in result.skipped] == [
        "its position in the source is unknown"
    ] * 2
    assert "<p>&m; and Filippov</p>" in result.text


STRICT_SCHEMA = """<grammar xmlns="http://relaxng.org/ns/structure/1.0"
    ns="http://www.tei-c.org/ns/1.0">
  <start>
    <element name="TEI">
      <element name="standOff"><element name="listPerson"><oneOrMore>
        <element name="person">
          <attribute name="xml:id" ns="http://www.w3.org/XML/1998/namespace"/>
          <oneOrMore><element name="persName"><text/></element></oneOrMore>
        </element>
      </oneOrMore></element></element>
      <element name="text"><element name="body"><oneOrMore><choice>
        <element name="p"><text/></element>
        <element name="ab"><zeroOrMore><choice>
          <text/>
          <element name="persName">
            <attribute name="ref"/>
            <optional><attribute name="cert"/></optional>
            <optional><attribute name="resp"/></optional>
            <text/>
          </element>
        </choice></zeroOrMore></element>
      </choice></oneOrMore></element></element>
    </element>
  </start>
</grammar>
"""


def test_a_valid_document_stays_valid_against_its_own_schema(tmp_path: Path) -> None:
    """A schema that allows no name in <p>: that proposal is left out, the other applied."""
    (tmp_path / "strict.rng").write_text(STRICT_SCHEMA, encoding="utf-8")
    letter = tmp_path / "letter.xml"
    letter.write_text(
        '<?xml-model href="strict.rng" schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
        f'<TEI xmlns="{TEI_NS}"><standOff><listPerson>'
        '<person xml:id="stalin"><persName>Filippov</persName></person>'
        "</listPerson></standOff>\n<text><body>\n"
        "<p>Filippov wrote.</p>\n<ab>Filippov again.</ab>\n"
        "</body></text></TEI>\n",
        encoding="utf-8",
    )
    assert errors(letter) == []
    result = annotate(letter)
    assert [(s.text, s.line) for s in result.applied] == [("Filippov", 5)]
    assert [(s.line, reason) for s, reason in result.skipped] == [
        (4, "would make the document invalid against its schema")
    ]
    output = tmp_path / "annotated.xml"
    output.write_bytes(result.data)
    assert errors(output) == []
    assert '<ab><persName ref="#stalin" cert="medium">Filippov</persName> again.</ab>' in (
        result.text
    )
    # the command line says what was left out and why
    from click.testing import CliRunner

    from teikit.cli import cli

    shown = CliRunner().invoke(cli, ["annotate", str(letter), "--diff"])
    assert shown.exit_code == 0
    assert shown.stderr.splitlines() == [
        f"{letter}:4:4: left out (would make the document invalid against its schema): "
        'untagged name "Filippov": propose <persName ref="#stalin"> (register form of #stalin) '
        "[lint.untagged-name]",
        f"{letter}: 1 proposals applied, 1 left out",
    ]
    # without the guarantee both go in, and the result is invalid
    unchecked = annotate(letter, keep_valid=False)
    assert len(unchecked.applied) == 2
    output.write_bytes(unchecked.data)
    assert any("rng.invalid" in e for e in errors(output))

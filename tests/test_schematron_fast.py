"""The Schematron shortcut of :mod:`teikit.validation.schematron.fast` changes no finding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

import teikit
from conftest import shared_path
from teikit.namespaces import TEI_NS
from teikit.validation import schematron
from teikit.validation.schematron import fast as schematron_fast
from teikit.validation.schematron import load_schematron
from teikit.validation.schematron import parsers as schematron_parsers

NS = {"tei": TEI_NS}

RULES = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>
  <pattern id="who">
    <rule context="tei:sp[@who]">
      <let name="refs" value="tokenize(normalize-space(@who), '\\s+')"/>
      <let name="valid" value="ancestor::tei:TEI//tei:person[@xml:id]/@xml:id"/>
      <let name="missing" value="$refs[not(substring(., 2) = $valid)]"/>
      <assert test="empty($missing)">unknown: <value-of select="$missing"/></assert>
    </rule>
  </pattern>
  <pattern id="notes">
    <rule context="tei:note">
      <let name="around" value="ancestor::tei:div//tei:note"/>
      <report test="count($around) gt 2">crowded</report>
    </rule>
  </pattern>
  <pattern id="sources">
    <rule context="tei:*[@source]">
      <let name="srcs" value="tokenize(normalize-space(@source), ' ')"/>
      <report test="(self::tei:sp | self::tei:note) and $srcs[2]">two sources</report>
    </rule>
  </pattern>
  <pattern id="people">
    <rule context="tei:p">
      <let name="people" value="//tei:person/@xml:id"/>
      <report test="count($people) = 3">three people</report>
    </rule>
  </pattern>
</schema>"""

PLAY = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><profileDesc><particDesc>
  <listPerson>{people}</listPerson></particDesc></profileDesc></teiHeader>
  <text><body><div source="a b"><div><note source="a b"/><note source="a"/></div><note/><p/></div>
  {speeches}</body></text></TEI>"""


def corpus() -> bytes:
    """Two plays in one teiCorpus, each with its own cast: the anchor is per play."""
    first = PLAY.format(
        people='<person xml:id="a"/><person xml:id="b"/>',
        speeches='<sp who="#a #b" source="x y"/><sp who="#c"/><sp who="#a #d"/>',
    )
    second = PLAY.format(
        people='<person xml:id="c"/>',
        speeches='<sp who="#c"/><sp who="#a"/>',
    )
    return f'<teiCorpus xmlns="{TEI_NS}">{first}{second}</teiCorpus>'.encode()


def findings(
    sch: Path | schematron.SchematronSchema, document: teikit.TeiDocument, *, fast: bool
) -> list[tuple[object, ...]]:
    """Return the findings of *sch* on *document* with the shortcut on or off."""
    schema = load_schematron(sch) if isinstance(sch, Path) else sch
    saved = schematron_fast.ENABLED
    schematron_fast.ENABLED = fast
    try:
        found = schema.validate(document)
    finally:
        schematron_fast.ENABLED = saved
    return [(d.code, d.severity, d.line, d.xpath, d.message) for d in found]


def expected_unknown(root: etree._Element) -> list[str]:
    """Compute the 'unknown' messages with lxml alone, per play."""
    out = []
    for sp in root.iterfind(".//tei:sp", NS):
        cast = set(sp.xpath("ancestor::tei:TEI[1]//tei:person/@xml:id", namespaces=NS))
        missing = [ref for ref in sp.get("who", "").split() if ref[1:] not in cast]
        if missing:
            out.append("unknown: " + " ".join(missing) + " [who]")
    return out


def test_an_anchor_per_play_and_fallbacks(tmp_path: Path) -> None:
    sch = tmp_path / "rules.sch"
    sch.write_text(RULES)
    document = teikit.load(corpus())
    fast = findings(sch, document, fast=True)
    assert fast == findings(sch, document, fast=False)
    messages = [m for *_, m in fast]
    assert [m for m in messages if m.startswith("unknown")] == expected_unknown(document.root)
    assert messages.count("unknown: #c [who]") == 1  # #c is in the second play's cast only
    # ancestor::tei:div selects two divs for the inner notes (evaluated as usual), one for
    # the outer note: 3 notes around each note, in each play.
    assert messages.count("crowded [notes]") == 6
    # the left operand of "and" screens the div out in libxml2: one note and one sp per play
    assert messages.count("two sources [sources]") == 3
    # an absolute path: the whole corpus's people, 3 in all, seen from the p of each play
    assert messages.count("three people [people]") == 2


@pytest.mark.parametrize(
    ("source", "anchored"),
    [
        ("ancestor::tei:TEI//tei:particDesc//(tei:person|tei:personGrp)[@xml:id]/@xml:id", True),
        ("ancestor-or-self::tei:TEI/tei:teiHeader", True),
        ("ancestor::*/tei:x", True),
        ("//tei:particDesc//tei:person", True),
        ("/tei:TEI/@xml:id/string()", True),
        ("ancestor::tei:TEI//tei:a | tei:b", False),  # a union, not a path
        ("ancestor::tei:TEI[@n]//tei:a", False),  # a predicate on the anchor step
        ("ancestor::tei:TEI//tei:l[. = current()]", False),
        ("ancestor::tei:TEI//tei:l[@n = $n]", False),
        ("ancestor::tei:TEI//tei:l[position() = 2]", False),
        ("//tei:l[last()]", False),
        ("parent::tei:TEI//tei:l", False),  # not the ancestor axis
        ("ancestor::tei:TEI", False),  # nothing after the anchor
        ("count(//tei:l)", False),  # not a path
        ("tei:l//tei:p", False),
    ],
)
def test_which_expressions_are_anchored(source: str, anchored: bool, tmp_path: Path) -> None:
    sch = tmp_path / "rules.sch"
    sch.write_text(RULES)
    schema = load_schematron(sch)  # its parser knows current()

    def parse(text: str) -> object:
        return schema._parse(text)[0]

    found = schematron_fast.find_anchor(source, parse(source), parse)
    assert (found is not None) == anchored


@pytest.mark.parametrize(
    ("source", "left"),
    [
        ("(self::tei:a | self::tei:b) and $srcs[2]", "(self::tei:a | self::tei:b) "),
        ("@a and @b and tokenize(@c)[2]", "@a and @b "),
        ("@a and (@b or tokenize(@c)[2])", "@a "),
        ("@a or @b and tokenize(@c)[2]", None),  # the top operator is "or"
        ("$x and @a", None),  # a variable on the left
        ("tei:band and @a", "tei:band "),  # "and" inside a name is no operator
    ],
)
def test_the_left_operand_of_and(source: str, left: str | None, tmp_path: Path) -> None:
    sch = tmp_path / "rules.sch"
    sch.write_text(RULES)
    schema = load_schematron(sch)

    def parse(text: str) -> object:
        return schema._parse(text)[0]

    assert schematron_fast.left_of_and(source, parse(source), parse) == left


def shared_samples() -> Iterator[tuple[Path, list[Path]]]:
    """A few files of each corpus of benchmarks/schematron_findings.py with their schema."""
    plays = shared_path("corpora", "gerdracor", "tei")
    yield (
        shared_path("corpora", "gerdracor", "schema", "dracor_1.6.0.rng"),
        [plays / name for name in ("stephanie-der-schauspieldirektor.xml",)]
        + sorted(plays.glob("*.xml"), key=lambda p: p.stat().st_size)[:3],
    )
    tests = sorted(shared_path("corpora", "tei-p5-test").glob("*.xml"))
    yield shared_path("schemas", "tei-p5", "tei_all.rng"), tests[::8]
    pta = sorted(shared_path("corpora", "pta", "data").glob("**/*.xml"))
    yield shared_path("corpora", "pta", "schema", "tei-pta.rng"), pta[::40]


@pytest.mark.corpus
@pytest.mark.shared
def test_real_corpora_give_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the shortcut a long play outlives the regular-expression budget: lift it.
    monkeypatch.setattr(schematron_parsers, "REGEX_TIME_LIMIT", 1e9)
    compared = 0
    for sch, files in shared_samples():
        schema = load_schematron(sch)
        for file in files:
            document = teikit.load(file)
            fast = findings(schema, document, fast=True)
            assert fast == findings(schema, document, fast=False), file.name
            compared += len(fast)
    assert compared > 0


AMONG = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>
  <pattern id="next">
    <rule context="tei:l[@part = ('I', 'M')]">
      <assert test="following::tei:l[1]/@part = ('M', 'F')">no next part</assert>
      <report test="(@n | tei:seg) != ('1', 'x')">other than 1 or x</report>
      <report test="@part = ('it''s', 'M')">kept for elementpath</report>
    </rule>
  </pattern>
</schema>"""


def test_comparisons_with_a_sequence_of_strings_run_in_libxml2(tmp_path: Path) -> None:
    sch = tmp_path / "rules.sch"
    sch.write_text(AMONG)
    schema = load_schematron(sch)
    engines = [engine for rule in schema.rules for _kind, _test, engine in rule.checks]
    assert engines == ["lxml", "lxml", "elementpath"]
    assert schema.rules[0].selector == "lxml"
    document = teikit.load(
        f'<TEI xmlns="{TEI_NS}"><text><body><lg>'
        '<l part="I" n="1"/><l part="M" n="2"/><l part="I"><seg>x</seg></l><l part="F"/>'
        '<l part="M" n="1"><seg>1</seg></l><l/><l part="I"/></lg></body></text></TEI>'.encode()
    )
    found = [(d.line, d.xpath, d.message) for d in schema.validate(document)]
    assert found == [(d.line, d.xpath, d.message) for d in schema.without_lxml().validate(document)]
    # != is true when some pair differs: for any node, as '1' != 'x'; l[7] has neither
    assert [(path.rsplit("/", 1)[1], message) for _line, path, message in found] == [
        ("tei:l[1]", "other than 1 or x [next]"),
        ("tei:l[2]", "no next part [next]"),
        ("tei:l[2]", "other than 1 or x [next]"),
        ("tei:l[2]", "kept for elementpath [next]"),
        ("tei:l[3]", "other than 1 or x [next]"),
        ("tei:l[5]", "no next part [next]"),
        ("tei:l[5]", "other than 1 or x [next]"),
        ("tei:l[5]", "kept for elementpath [next]"),
        ("tei:l[7]", "no next part [next]"),
    ]

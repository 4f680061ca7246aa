"""The project schema: RELAX NG, its generated XSD, the Schematron rules and the examples.

Every Schematron rule has passing and failing cases, each failing case asserting the exact
assertion ids that fire (``svrl:failed-assert/@id``). The cases are small inline documents
built from ``TEMPLATE``; all of them except the invalid dates are valid against the RNG (and
against TEI All, which ``test_rule_cases_are_valid_tei_all`` checks), so each exercises the
Schematron alone. That the RNG is a subset of TEI All is checked on the documents of the
project and on random instances of the RNG.
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest
import xmlschema
from lxml import etree, isoschematron

from conftest import REPO
from random_documents import RandomInstances
from teikit import load
from teikit.odd import compile_odd
from teikit.validation.integrity import check_integrity
from teikit.validation.schematron import load_schematron

SCHEMAS = REPO / "schemas"
RNG = SCHEMAS / "teikit-letter.rng"
ODD = SCHEMAS / "teikit-letter.odd"
XSD = SCHEMAS / "teikit-letter.xsd"
SCH = SCHEMAS / "teikit-letter.sch"
EXAMPLES = REPO / "examples"
MINIMAL = EXAMPLES / "minimal-letter.xml"
INVALID = EXAMPLES / "invalid-letter.xml"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
UNRESOLVED = "integrity.unresolved-pointer"
WRONG_KIND = "integrity.wrong-kind"

# Every document that must be valid: the corpus and the examples not named invalid-*.
VALID_DOCUMENTS = sorted((REPO / "tei").glob("*.xml")) + sorted(
    path for path in EXAMPLES.glob("*.xml") if not path.name.startswith("invalid-")
)


# ----------------------------------------------------------------------------------------
# Helpers (tests/test_telegram.py uses them too).


@functools.cache
def relaxng() -> etree.RelaxNG:
    """Return the project RELAX NG schema, compiled by lxml."""
    return etree.RelaxNG(etree.parse(str(RNG)))


@functools.cache
def xml_schema() -> xmlschema.XMLSchema:
    """Return the generated XSD, loaded by xmlschema."""
    return xmlschema.XMLSchema(str(XSD))


@functools.cache
def schematron() -> isoschematron.Schematron:
    """Return the project Schematron, compiled by lxml (XSLT 1.0)."""
    return isoschematron.Schematron(etree.parse(str(SCH)), store_report=True)


def failed_asserts(doc: etree._ElementTree) -> list[tuple[str, etree._Element]]:
    """Run the Schematron on *doc*; return (assertion id, element) for each failed assert."""
    rules = schematron()
    rules.validate(doc)
    report = rules.validation_report
    assert report.find("svrl:fired-rule", SVRL) is not None, "no Schematron rule fired"
    failures = []
    for failed in report.iterfind("svrl:failed-assert", SVRL):
        (element,) = doc.xpath(failed.get("location"))
        failures.append((failed.get("id"), element))
    return failures


def failed_ids(doc: etree._ElementTree) -> list[str]:
    """Return the ids of the Schematron assertions that fail on *doc*, in report order."""
    return [assert_id for assert_id, _ in failed_asserts(doc)]


def run_jing(jing: str, schema: Path, *documents: Path) -> subprocess.CompletedProcess[str]:
    """Validate *documents* against *schema* with jing; its messages are on stdout."""
    return subprocess.run(
        [jing, str(schema), *map(str, documents)],
        capture_output=True,
        text=True,
        check=False,
    )


def jing_error_lines(output: str, document: Path) -> set[int]:
    """Return the line numbers of jing's messages about *document*."""
    pattern = re.compile(rf"^{re.escape(str(document))}:(\d+):\d+: error:", re.MULTILINE)
    return {int(line) for line in pattern.findall(output)}


# ----------------------------------------------------------------------------------------
# Small documents for the rule cases: a register with one entry of each kind and a taxonomy.

TEMPLATE = """\
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>Rule case</title></titleStmt>
      <publicationStmt><p>Test document.</p></publicationStmt>
      <sourceDesc><p>Invented.</p></sourceDesc>
    </fileDesc>
    <encodingDesc>
      <classDecl>
        <taxonomy>
          <category xml:id="topic-travel"><catDesc>travel</catDesc></category>
        </taxonomy>
      </classDecl>
    </encodingDesc>
  </teiHeader>
  <standOff>
    <listPerson><person xml:id="berger"><persName>Anna Berger</persName></person></listPerson>
    <listPlace><place xml:id="vienna"><placeName>Vienna</placeName></place></listPlace>
    <listOrg><org xml:id="uni"><orgName>University of Vienna</orgName></org></listOrg>
    <listEvent><event xml:id="ball"><eventName>Opera Ball</eventName></event></listEvent>
  </standOff>
  <text>
    <body>
      {body}
    </body>
  </text>
</TEI>
"""


def document(body: str) -> etree._ElementTree:
    """Return the rule-case document whose body is *body*."""
    return etree.ElementTree(etree.fromstring(TEMPLATE.format(body=body)))


def proposal(n: str, subtype: str = "main", ana: str = "#topic-travel", ident: str = "") -> str:
    """Return a proposal division numbered *n* (*ident* keeps xml:ids unique)."""
    return (
        f'<div type="proposal" subtype="{subtype}" n="{n}" xml:id="proposal-{subtype}-{n}{ident}"'
        f' ana="{ana}"><p><quote>A proposal.</quote></p></div>'
    )


# Pointers: checked by the integrity checks, not by the Schematron (its rules 1 and 2 once did
# it by searching the whole document for every pointer, and could not see --index registers).
# (case id, body, the integrity codes expected, in order)
POINTER_CASES = [
    ("pointer-ok", '<p><persName ref="#berger">Anna</persName></p>', []),
    ("pointer-ok-list", '<p><ref target="#berger #vienna">Anna in Vienna</ref></p>', []),
    ("pointer-ok-external", '<p><ref target="https://example.org/letters">web</ref></p>', []),
    ("pointer-ok-resp", '<p><supplied resp="#berger">gloss</supplied></p>', []),
    ("pointer-bad-ref", '<p><persName ref="#goethe">Goethe</persName></p>', [UNRESOLVED]),
    ("pointer-bad-ana", '<p ana="#topic-nothing">Text.</p>', [UNRESOLVED]),
    ("pointer-bad-resp", '<p><supplied resp="#nobody">gloss</supplied></p>', [UNRESOLVED]),
    ("pointer-bad-corresp", '<p corresp="#nothing">Text.</p>', [UNRESOLVED]),
    ("pointer-bad-who", '<p><q who="#nobody">Hello.</q></p>', [UNRESOLVED]),
    ("pointer-bad-source", '<quote source="#nothing">Words.</quote>', [UNRESOLVED]),
    ("pointer-bad-target", '<p><ref target="#berger #nothing">x</ref></p>', [UNRESOLVED]),
    (
        "pointer-bad-two-attributes",
        '<p corresp="#nothing" ana="#nothing-either">Text.</p>',
        [UNRESOLVED, UNRESOLVED],
    ),
    ("kind-person-ok", '<p><persName ref="#berger">Anna</persName></p>', []),
    ("kind-person-ok-rs", '<p><rs type="person" ref="#berger">my aunt</rs></p>', []),
    ("kind-person-bad", '<p><persName ref="#vienna">Anna</persName></p>', [WRONG_KIND]),
    ("kind-person-bad-rs", '<p><rs type="person" ref="#uni">she</rs></p>', [WRONG_KIND]),
    ("kind-place-ok", '<p><placeName ref="#vienna">Wien</placeName></p>', []),
    ("kind-place-ok-rs", '<p><rs type="place" ref="#vienna">the city</rs></p>', []),
    ("kind-place-bad", '<p><placeName ref="#berger">Wien</placeName></p>', [WRONG_KIND]),
    ("kind-place-bad-rs", '<p><rs type="place" ref="#ball">there</rs></p>', [WRONG_KIND]),
    ("kind-org-ok", '<p><orgName ref="#uni">the University</orgName></p>', []),
    ("kind-org-ok-rs", '<p><rs type="org" ref="#uni">the faculty</rs></p>', []),
    ("kind-org-bad", '<p><orgName ref="#vienna">the University</orgName></p>', [WRONG_KIND]),
    ("kind-org-bad-rs", '<p><rs type="org" ref="#berger">they</rs></p>', [WRONG_KIND]),
    ("kind-event-ok", '<p><eventName ref="#ball">the Ball</eventName></p>', []),
    ("kind-event-ok-rs", '<p><rs type="event" ref="#ball">the dance</rs></p>', []),
    ("kind-event-bad", '<p><eventName ref="#uni">the Ball</eventName></p>', [WRONG_KIND]),
    ("kind-event-bad-rs", '<p><rs type="event" ref="#vienna">it</rs></p>', [WRONG_KIND]),
    ("kind-mixed-bad", '<p><persName ref="#berger #vienna">A.</persName></p>', [WRONG_KIND]),
]

# (case id, body, the assertion ids that must fail, in report order)
RULE_CASES = [
    # Rule 2: the topics of a proposal are taxonomy categories.
    ("kind-category-ok", proposal("1"), []),
    ("kind-category-bad", proposal("1", ana="#topic-travel #vienna"), ["ana-kind-category"]),
    # Rule 3: proposals are numbered 1, 2, 3 ... within each subtype.
    ("numbering-ok", proposal("1") + proposal("2") + proposal("1", "additional"), []),
    (
        "numbering-ok-interleaved",
        proposal("1") + proposal("1", "additional") + proposal("2") + proposal("2", "additional"),
        [],
    ),
    ("numbering-gap", proposal("1") + proposal("3"), ["proposal-numbering"]),
    ("numbering-repeat", proposal("1") + proposal("1", ident="-bis"), ["proposal-numbering"]),
    ("numbering-start", proposal("2", "additional"), ["proposal-numbering"]),
    ("numbering-zero-padded", proposal("1") + proposal("02"), ["proposal-numbering"]),
    # Rule 4: dates are real calendar dates (valid cases; invalid ones are in DATE_CASES).
    ("date-ok-day", '<p><date when="1951-07-03">3.7.51</date></p>', []),
    ("date-ok-month", '<p><date when="1951-07">July 1951</date></p>', []),
    ("date-ok-year", '<p><date when="1951">1951</date></p>', []),
    ("date-ok-leap-1952", '<p><date when="1952-02-29">29.2.52</date></p>', []),
    ("date-ok-leap-2000", '<p><date when="2000-02-29">29.2.2000</date></p>', []),
    ("date-ok-range", '<p><date from="1951-07-01" to="1951-07-31">July</date></p>', []),
    ("date-ok-bounds", '<p><date notBefore="1951-06" notAfter="1951-08">summer</date></p>', []),
]

# Dates that are not real: the RNG datatypes reject them too, so these documents are invalid
# against the RNG as well; the Schematron must report them on its own.
DATE_CASES = [
    ("1951-02-29", "when", "date-calendar"),
    ("1900-02-29", "when", "date-calendar"),
    ("1951-04-31", "when", "date-calendar"),
    ("1951-06-31", "from", "date-calendar"),
    ("1951-13", "to", "date-calendar"),
    ("1951-00-10", "notBefore", "date-calendar"),
    ("1951-07-00", "notAfter", "date-calendar"),
    ("0000", "when", "date-calendar"),
    ("3.7.51", "when", "date-format"),
    ("1951-7-3", "when", "date-format"),
    ("51-07-03", "when", "date-format"),
    ("1951-07-03T12:00:00", "when", "date-format"),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES]
)
def test_schematron_rule(body: str, expected: list[str]) -> None:
    doc = document(body)
    assert relaxng().validate(doc), relaxng().error_log
    assert failed_ids(doc) == expected


@pytest.mark.parametrize(("value", "attribute", "assert_id"), DATE_CASES)
def test_schematron_rejects_unreal_date(value: str, attribute: str, assert_id: str) -> None:
    doc = document(f'<p><date {attribute}="{value}">a date</date></p>')
    failures = failed_asserts(doc)
    assert [assert_id for assert_id, _ in failures] == [assert_id]
    assert etree.QName(failures[0][1]).localname == "date"
    assert not relaxng().validate(doc), "the RNG datatypes should reject the date as well"


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in POINTER_CASES], ids=[c[0] for c in POINTER_CASES]
)
def test_pointers_are_checked_by_integrity_not_by_the_schematron(
    body: str, expected: list[str]
) -> None:
    doc = document(body)
    assert relaxng().validate(doc), relaxng().error_log
    loaded = load(etree.tostring(doc))
    assert [d.code for d in check_integrity(loaded)] == expected
    assert load_schematron(SCH).validate(loaded) == []


def test_every_assertion_has_a_tested_failure() -> None:
    declared = set(etree.parse(str(SCH)).xpath("//sch:assert/@id", namespaces={"sch": SCH_NS}))
    tested = {i for case in RULE_CASES for i in case[2]} | {case[2] for case in DATE_CASES}
    assert declared == tested


@pytest.mark.jing
@pytest.mark.shared
def test_rule_cases_are_valid_tei_all(jing: str, tei_all_rng: Path, tmp_path: Path) -> None:
    paths = []
    for name, body, _ in RULE_CASES + POINTER_CASES:
        path = tmp_path / f"{name}.xml"
        document(body).write(str(path), encoding="UTF-8", xml_declaration=True)
        paths.append(path)
    result = run_jing(jing, tei_all_rng, *paths)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------------------
# The subset guarantee for documents nobody has written yet: random instances of the RNG.


@pytest.mark.jing
@pytest.mark.shared
def test_random_documents_of_the_rng_are_valid_tei_all(
    jing: str, tei_all_rng: Path, tmp_path: Path
) -> None:
    """Whatever the RNG allows, TEI All allows: checked on 60 random instances."""
    generator = RandomInstances(RNG, seed=20261127)
    paths = []
    for number in range(60):
        path = tmp_path / f"random-{number}.xml"
        generator.document().write(str(path), encoding="UTF-8", xml_declaration=True)
        paths.append(path)
    own = run_jing(jing, RNG, *paths)
    assert own.returncode == 0, f"the generator wrote invalid documents:\n{own.stdout[:2000]}"
    tei_all = run_jing(jing, tei_all_rng, *paths)
    assert tei_all.returncode == 0, tei_all.stdout[:2000]
    names = {etree.QName(e).localname for p in paths for e in etree.parse(str(p)).iter()}
    declared = set(etree.parse(str(RNG)).xpath("//rng:element/@name", namespaces={"rng": RNG_NS}))
    assert names == declared  # every element of the schema was exercised


# ----------------------------------------------------------------------------------------
# The generated XSD.


def test_rng_is_generated_from_the_odd() -> None:
    """The committed RNG is exactly what ``teikit odd compile`` makes of teikit-letter.odd
    (but for the teikit version its first comment names)."""
    generated = compile_odd(ODD).rng_bytes()

    def unversioned(data: bytes) -> bytes:
        return re.sub(rb"compiled by teikit \S+ from ODD", b"compiled by teikit from ODD", data)

    assert unversioned(RNG.read_bytes()) == unversioned(generated), (
        "schemas/teikit-letter.rng is out of date: run teikit odd compile "
        "schemas/teikit-letter.odd -o build/ && cp build/teikit-letter.rng schemas/"
    )


def test_xsd_is_up_to_date(trang: str, tmp_path: Path) -> None:
    """The committed XSD files are exactly what trang makes of the RNG."""
    result = subprocess.run(
        [trang, "-I", "rng", "-O", "xsd", str(RNG), str(tmp_path / XSD.name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    generated = sorted(path.name for path in tmp_path.glob("*.xsd"))
    assert generated == sorted(path.name for path in SCHEMAS.glob("*.xsd"))
    for name in generated:
        assert (SCHEMAS / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"schemas/{name} is out of date: run "
            "trang -I rng -O xsd schemas/teikit-letter.rng schemas/teikit-letter.xsd"
        )


def test_xsd_is_looser_than_the_rng_where_documented() -> None:
    # The XSD cannot require a proposal's attributes (schemas/README.md); the RNG does.
    doc = document('<div type="proposal" subtype="main" n="1"><p>A proposal.</p></div>')
    assert xml_schema().is_valid(doc)
    assert not relaxng().validate(doc)


# ----------------------------------------------------------------------------------------
# The RNG on its own.


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('<div type="chapter"><p>x</p></div>', id="div-type-outside-the-list"),
        pytest.param(
            '<div type="proposal" subtype="main" n="1" xml:id="p1"><p>x</p></div>',
            id="proposal-without-ana",
        ),
        pytest.param(
            '<div type="proposal" subtype="other" n="1" xml:id="p1" ana="#topic-travel">'
            "<p>x</p></div>",
            id="proposal-subtype-outside-the-list",
        ),
        pytest.param(
            '<div type="proposal" subtype="main" n="one" xml:id="p1" ana="#topic-travel">'
            "<p>x</p></div>",
            id="proposal-number-not-a-number",
        ),
        pytest.param('<p><rs ref="#berger">she</rs></p>', id="rs-without-type"),
        pytest.param("<p><idno>3305</idno></p>", id="idno-without-type"),
        pytest.param('<p><seg subtype="x">y</seg></p>', id="subtype-without-type"),
        pytest.param(
            '<p><date when="1951-07-03" from="1951-07-01">x</date></p>', id="when-and-from"
        ),
        pytest.param('<p><date when="1951-07-03Z">x</date></p>', id="date-with-time-zone"),
        pytest.param("<p><foo>x</foo></p>", id="unknown-element"),
    ],
)
def test_rng_rejects(body: str) -> None:
    assert not relaxng().validate(document(body))


# ----------------------------------------------------------------------------------------
# The documents: valid ones against everything, the invalid example where it says.


@pytest.mark.parametrize("path", VALID_DOCUMENTS, ids=lambda path: path.name)
def test_document_is_valid_against_the_project_schemas(path: Path) -> None:
    doc = etree.parse(str(path))
    assert relaxng().validate(doc), relaxng().error_log
    assert xml_schema().is_valid(str(path)), list(xml_schema().iter_errors(str(path)))
    assert failed_ids(doc) == []


@pytest.mark.jing
@pytest.mark.parametrize("path", VALID_DOCUMENTS, ids=lambda path: path.name)
def test_document_is_valid_against_the_rng_with_jing(jing: str, path: Path) -> None:
    result = run_jing(jing, RNG, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.jing
@pytest.mark.shared
@pytest.mark.parametrize("path", VALID_DOCUMENTS, ids=lambda path: path.name)
def test_document_is_valid_tei_all(jing: str, tei_all_rng: Path, path: Path) -> None:
    """Whatever the project schema accepts, TEI All accepts (the subset guarantee)."""
    result = run_jing(jing, tei_all_rng, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_minimal_example_is_among_the_valid_documents() -> None:
    assert MINIMAL in VALID_DOCUMENTS
    assert INVALID not in VALID_DOCUMENTS


def declared_mistakes(path: Path) -> dict[int, set[str]]:
    """Read the "N. [checkers] explanation" list from the first comment of *path*."""
    comment = next(etree.parse(str(path)).getroot().itersiblings(etree.Comment, preceding=True))
    return {
        int(number): {checker.strip() for checker in checkers.split(",")}
        for number, checkers in re.findall(r"^\s*(\d+)\. \[([^\]]+)\]", comment.text, re.M)
    }


def marked_elements(doc: etree._ElementTree) -> dict[int, etree._Element]:
    """Map N to the element that follows the comment "mistake N" in the document."""
    marked = {}
    for comment in doc.getroot().iter(etree.Comment):
        match = re.fullmatch(r"\s*mistake (\d+)\s*", comment.text)
        if match:
            element = comment.getnext()
            assert isinstance(element, etree._Element), comment.text
            assert isinstance(element.tag, str), comment.text
            marked[int(match.group(1))] = element
    return marked


def test_invalid_example_lists_and_marks_the_same_mistakes() -> None:
    mistakes = declared_mistakes(INVALID)
    assert len(mistakes) >= 5
    assert set(marked_elements(etree.parse(str(INVALID)))) == set(mistakes)


def test_invalid_example_fails_the_schematron_where_its_comment_says() -> None:
    doc = etree.parse(str(INVALID))
    marked = marked_elements(doc)
    expected = {
        (checker, marked[number])
        for number, checkers in declared_mistakes(INVALID).items()
        for checker in checkers - {"schema"}
        if not checker.startswith("integrity.")
    }
    assert set(failed_asserts(doc)) == expected


def test_invalid_example_fails_the_integrity_checks_where_its_comment_says() -> None:
    marked = marked_elements(etree.parse(str(INVALID)))
    expected = {
        (checker, marked[number].sourceline)
        for number, checkers in declared_mistakes(INVALID).items()
        for checker in checkers
        if checker.startswith("integrity.")
    }
    assert expected, "the example lists no integrity mistake"
    found = {(d.code, d.line) for d in check_integrity(load(INVALID))}
    assert expected <= found


@pytest.mark.jing
def test_invalid_example_fails_the_rng_where_its_comment_says(jing: str) -> None:
    doc = etree.parse(str(INVALID))
    marked = marked_elements(doc)
    expected_lines = {
        marked[number].sourceline
        for number, checkers in declared_mistakes(INVALID).items()
        if "schema" in checkers
    }
    result = run_jing(jing, RNG, INVALID)
    assert result.returncode == 1
    assert jing_error_lines(result.stdout, INVALID) == expected_lines
    assert not relaxng().validate(doc)
    assert not xml_schema().is_valid(str(INVALID))


def test_documents_name_both_schemas_in_xml_model() -> None:
    for path in [*VALID_DOCUMENTS, INVALID]:
        models = [
            node
            for node in etree.parse(str(path)).getroot().itersiblings(preceding=True)
            if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model"
        ]
        hrefs = sorted((path.parent / model.get("href")).resolve() for model in models)
        assert hrefs == sorted([RNG.resolve(), SCH.resolve()]), path.name


def test_xsd_compiles_in_libxml2_too() -> None:
    """lxml (teikit's default XSD engine) needs deterministic content models (issue 3)."""
    from teikit.validation.xsd import load_xsd

    schema = load_xsd(XSD, engine="lxml")
    assert schema.validate(load(REPO / "tei" / "telegram-1951-07-03.xml")) == []
    assert schema.validate(load(REPO / "examples" / "minimal-letter.xml")) == []
    assert schema.validate(load(REPO / "examples" / "invalid-letter.xml"))

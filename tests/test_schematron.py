"""The Java-free ISO Schematron engine: fixtures per semantic, TEI All, the project schema."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from lxml import etree, isoschematron

import teikit
from conftest import DATA, REPO, TELEGRAM, shared_path
from teikit import Diagnostic, Severity
from teikit.errors import SchemaLoadError
from teikit.namespaces import SVRL_NS, TEI_NS
from teikit.validation.schematron import SchematronSchema, load_schematron
from teikit.validation.schematron import reading as schematron_reading
from teikit.validation.schematron import runtime as schematron_runtime

FIXTURES = DATA / "schematron"
LETTER = FIXTURES / "letter.xml"
TEI_ALL_RNG = ("schemas", "tei-p5", "tei_all.rng")
TILLICH = ("corpora", "tillich-briefe", "editions")
MALFORMED_LETTERS = frozenset({"L00116", "L01059", "L01064", "L01065", "L01069"})
CALENDAR_RULE = (
    "tei_all-att.calendarSystem-calendar-calendar_attr_on_empty_element-constraint-rule-10"
)


def letter() -> teikit.TeiDocument:
    """Return the test letter, loaded afresh."""
    return teikit.load(LETTER, name="letter.xml")


def line_of(snippet: str, path: Path = LETTER) -> int:
    """Return the number of the first line of *path* that contains *snippet*."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if snippet in text:
            return number
    raise AssertionError(f"{snippet!r} not in {path}")


def run(schema_name: str, **kwargs: Any) -> list[Diagnostic]:
    """Validate the test letter with fixture schema *schema_name*."""
    return load_schematron(FIXTURES / schema_name, **kwargs).validate(letter())


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    """Return the messages of *diagnostics*."""
    return [d.message for d in diagnostics]


# -- semantics, one fixture each ------------------------------------------------------------


def test_first_matching_rule_of_a_pattern_wins() -> None:
    found = run("first-rule.sch")
    paragraphs = [(d.message, d.xpath) for d in found if d.message.endswith("[paragraphs]")]
    assert paragraphs == [
        (
            "plain paragraph [paragraphs]",
            "/tei:TEI/tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:p",
        ),
        (
            "plain paragraph [paragraphs]",
            "/tei:TEI/tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:p",
        ),
        ("rendered paragraph [paragraphs]", "/tei:TEI/tei:text/tei:body/tei:p[1]"),
        ("plain paragraph [paragraphs]", "/tei:TEI/tei:text/tei:body/tei:p[2]"),
        ("plain paragraph [paragraphs]", "/tei:TEI/tei:text/tei:body/tei:p[3]"),
    ]
    # Another pattern sees every node again; a union context reports each node once.
    again = [(d.message, d.line) for d in found if d.message.endswith("[again]")]
    assert again == [
        ("second pattern sees p [again]", line_of('<p rend="indent">')),
        ("second pattern sees p [again]", line_of('<p xml:id="p3">')),
    ]


def test_a_report_on_absent_attributes_is_skipped_only_where_it_claims_nothing(
    tmp_path: Path,
) -> None:
    """A last rule that only reports ``@a | @b`` cannot fire in a document without those
    attributes (its screen is skipped); an earlier rule still claims its nodes."""
    sch = tmp_path / "reports.sch"
    sch.write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
        '<pattern id="A"><rule context="tei:p"><report test="@rend | @n">rendered</report>'
        "</rule></pattern>"
        '<pattern id="B"><rule context="tei:p"><report test="@foo">foo</report></rule>'
        '<rule context="tei:p"><assert test="false()">never: claimed above</assert></rule>'
        "</pattern>"
        '<pattern id="C"><rule context="tei:p"><report test=" @foo|@bar ">absent</report>'
        "</rule></pattern></schema>"
    )
    schema = load_schematron(sch)
    assert [r.fires_on for p in schema._patterns for r in p.rules] == [
        frozenset({"rend", "n"}),
        None,  # not the last rule of its pattern: it claims nodes
        None,  # an assert
        frozenset({"foo", "bar"}),
    ]
    found = [(d.message, d.line) for d in schema.validate(letter())]
    assert found == [("rendered [A]", line_of('<p rend="indent">'))]
    assert [(d.message, d.line) for d in schema.without_lxml().validate(letter())] == found


@pytest.mark.parametrize(
    ("context", "needed"),
    [
        ("/*[count(//tei:constraintDecl) gt 1]", {"constraintDecl"}),
        ("/*[0 < count(//tei:constraintDecl)]", {"constraintDecl"}),
        ("/*[count(//tei:constraintDecl) ge 1]", {"constraintDecl"}),
        ("/*[count(//tei:constraintDecl) >= 0]", set()),  # true without any
        ("/*[count(//tei:constraintDecl) = 0]", set()),
        ("/*[count(//tei:constraintDecl) lt 2]", set()),
    ],
)
def test_a_context_counting_more_than_zero_needs_what_it_counts(
    tmp_path: Path, context: str, needed: set[str]
) -> None:
    """TEI All's one-constraintDecl-per-scheme rule, /*[count(//tei:constraintDecl) gt 1],
    cannot match a document without constraintDecl: it is skipped there unevaluated."""
    sch = tmp_path / "count.sch"
    sch.write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
        '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
        f'<pattern><rule context="{escape(context)}"><assert test="false()">x</assert></rule>'
        "</pattern></schema>"
    )
    (rule,) = load_schematron(sch)._patterns[0].rules
    assert rule.needs is not None
    ((elements, attributes),) = rule.needs
    assert elements == {f"{{{TEI_NS}}}{name}" for name in needed}
    assert attributes == set()


def test_lets_at_schema_pattern_and_rule_level() -> None:
    (finding,) = run("lets.sch")
    assert finding == Diagnostic(
        Severity.ERROR,
        "sch.assert",
        "body has 3 paragraphs, 1 more than 2 (document: 5) [too-many]",
        "letter.xml",
        line_of("<body>"),
        None,
        "/tei:TEI/tei:text/tei:body",
    )


def test_abstract_rules_and_abstract_patterns() -> None:
    assert [(d.message, d.line) for d in run("abstract.sch")] == [
        ('persName "Mao" has no @ref [needs-ref]', line_of("<persName>Mao")),
        ("<date> needs @when [required]", line_of('calendar="#julian"')),
    ]


def test_roles_map_to_severities_and_ids_label_messages() -> None:
    found = run("messages.sch")
    roles = [(d.severity, d.code, d.message) for d in found if "[text]" not in d.message]
    assert roles == [
        (Severity.WARNING, "sch.report", "a warning [ref-rule]"),
        (Severity.WARNING, "sch.report", "a nonfatal [ref-rule]"),
        (Severity.INFO, "sch.report", "some information [ref-rule]"),
        (Severity.ERROR, "sch.report", "an error [loud]"),
        (Severity.ERROR, "sch.report", "no role [ref-rule]"),
        (Severity.ERROR, "sch.report", "an unknown role [ref-rule]"),
        (Severity.WARNING, "sch.report", "the rule's role applies [rule-role]"),
    ]
    assert {d.xpath for d in found[:6]} == {"/tei:TEI/tei:text/tei:body/tei:p[3]/tei:ref[1]"}


def test_message_substitutes_value_of_name_and_diagnostics_and_normalises_space() -> None:
    (text,) = [d for d in run("messages.sch") if d.message.endswith("[text]")]
    assert text.message == 'measure measures "10" in p (unit: words) [text]'
    assert text.line == line_of("<measure")
    assert text.xpath == "/tei:TEI/tei:text/tei:body/tei:p[3]/tei:measure"


def test_assert_fires_when_false_and_report_when_true() -> None:
    found = run("xpath2.sch")
    pointers = [
        (d.code, d.message) for d in found if "paragraph]" in d.message or "several" in d.message
    ]
    assert pointers == [
        ("sch.report", "several targets: #p3 #nowhere [several]"),
        ("sch.assert", 'target "#nowhere" is not a paragraph [paragraph]'),
    ]


def test_query_binding_decides_xpath_1_or_2_semantics() -> None:
    assert load_schematron(FIXTURES / "xpath1.sch").query_binding == "xslt"
    assert load_schematron(FIXTURES / "xpath2.sch").query_binding == "xslt2"
    # string(@quantity) < string(@n): numbers in XPath 1.0, strings in XPath 2.0.
    assert '"10" is less than "9" [less]' not in messages(run("xpath1.sch"))
    assert '"10" is less than "9" [less]' in messages(run("xpath2.sch"))


@pytest.mark.parametrize("schema_name", ["xpath1.sch", "xpath2.sch"])
def test_current_is_the_rule_context_node(schema_name: str) -> None:
    current = [(d.message, d.line) for d in run(schema_name) if d.message.endswith("[current]")]
    assert current == [
        ("another name beside Filippov [current]", line_of('<persName ref="#filippov">')),
        ("another name beside Mao [current]", line_of("<persName>Mao")),
    ]


@pytest.mark.parametrize("binding", ["xslt2", "xslt"])
def test_attribute_contexts(binding: str, tmp_path: Path) -> None:
    text = (FIXTURES / "attributes.sch").read_text(encoding="utf-8")
    schema_path = tmp_path / "attributes.sch"
    schema_path.write_text(text.replace('queryBinding="xslt2"', f'queryBinding="{binding}"'))
    (finding,) = load_schematron(schema_path).validate(letter())
    assert finding.message == '@target of <ref> has several pointers: "#p3 #nowhere" [one-target]'
    assert finding.line == line_of('<ref target="#p3 #nowhere">')
    assert finding.xpath == "/tei:TEI/tei:text/tei:body/tei:p[3]/tei:ref[1]/@target"


def test_document_node_context_subject_and_unconvertible_global_let() -> None:
    found = [(d.message, d.line, d.xpath) for d in run("contexts.sch")]
    ref = "/tei:TEI/tei:text/tei:body/tei:p[3]/tei:ref"
    line = line_of('<ref target="#p3 #nowhere">')
    assert found == [
        ("the document has 5 paragraphs [paragraphs]", None, "/"),
        ("several pointers [rule-subject]", line, f"{ref}[1]/@target"),
        ("inside a paragraph [check-subject]", line, "/tei:TEI/tei:text/tei:body/tei:p[3]"),
        ("inside a paragraph [check-subject]", line, "/tei:TEI/tei:text/tei:body/tei:p[3]"),
        ("points to an xml:id: #p3 [local]", line, f"{ref}[2]"),
    ]


def test_phases() -> None:
    default = messages(run("phases.sch"))
    assert default == ["name [name-pattern]", "name [name-pattern]"]
    assert messages(run("phases.sch", phase="dates")) == ["date in 1951 [date-pattern]"]
    # Without the phase, its sch:let is not declared: a rule error, not a crash.
    every = run("phases.sch", phase="#ALL")
    assert [d.message for d in every if d.code == "sch.report"] == default
    (error,) = [d for d in every if d.code == "sch.rule-error"]
    assert "undeclared variable $year" in error.message
    with pytest.raises(SchemaLoadError, match="no phase 'nope'.*#ALL, dates, names"):
        load_schematron(FIXTURES / "phases.sch", phase="nope")


def test_include_from_the_schema_folder_only() -> None:
    assert messages(run("include.sch")) == ['title "A test letter" [included]']
    with pytest.raises(SchemaLoadError, match="outside the schema's folder"):
        load_schematron(FIXTURES / "include-outside.sch")


# -- rule errors and the sandbox ------------------------------------------------------------


def test_failing_tests_give_one_error_each_not_a_crash() -> None:
    schema = load_schematron(FIXTURES / "errors.sch")
    (compile_warning,) = schema.warnings
    assert compile_warning.code == "sch.rule-error"
    assert "unknown-function(.)" in compile_warning.message
    found = schema.validate(letter())
    errors = [d for d in found if d.code == "sch.rule-error"]
    # The document was not fully checked: an error, so that it cannot pass.
    assert [d.severity for d in errors] == [Severity.ERROR, Severity.ERROR]
    assert [d.line for d in errors] == [line_of('<persName ref="#filippov">')] * 2
    cast, unknown = (d.message for d in errors)
    assert cast.startswith(
        "the document was not fully checked: Schematron pattern broken, rule context "
        "'tei:persName': assert test 'xs:integer(.) ge 0' could not be evaluated ("
    )
    assert "FORG0001" in cast
    assert cast.endswith("skipped on 2 nodes")
    assert "unknown function 'unknown-function'" in unknown
    assert unknown.endswith("skipped on 2 nodes")
    # The other checks still run.
    assert [d.message for d in found if d.code != "sch.rule-error"] == [
        "empty date [still-running]"
    ]


@pytest.fixture
def sandboxed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A schema folder beside a tempting outside.xml; every file read or URL opened is recorded."""
    folder = tmp_path / "schemas"
    folder.mkdir()
    for name in ("sandbox.sch", "sandbox-xpath1.sch", "inside.xml"):
        shutil.copy(FIXTURES / name, folder / name)
    (tmp_path / "outside.xml").write_text("<outside>secret</outside>")
    opened: list[str] = []
    real_load = schematron_runtime.load

    def recording_load(source: Any, **kwargs: Any) -> Any:
        opened.append(str(source))
        return real_load(source, **kwargs)

    def recording_urlopen(url: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(url))
        raise AssertionError(f"urlopen({url!r})")

    from elementpath.xpath30 import _xpath30_functions

    # The schema is read in .reading, the sandboxed documents in .runtime.
    monkeypatch.setattr(schematron_reading, "load", recording_load)
    monkeypatch.setattr(schematron_runtime, "load", recording_load)
    monkeypatch.setattr(_xpath30_functions, "urlopen", recording_urlopen)
    return folder, opened


def test_document_functions_read_only_inside_the_schema_folder(
    sandboxed: tuple[Path, list[str]],
) -> None:
    folder, opened = sandboxed
    found = load_schematron(folder / "sandbox.sch").validate(letter())
    assert [d.message for d in found if d.code == "sch.report"] == [
        "read a file beside the schema [inside]"
    ]
    errors = {d.message.split("': ", 1)[1].split(" could not")[0]: d for d in found[1:]}
    assert set(errors) == {
        "report test \"exists(doc('../outside.xml'))\"",
        "report test \"exists(document('/etc/passwd'))\"",
        "report test \"string-length(unparsed-text('/etc/passwd')) gt 0\"",
        "report test \"exists(doc('http://example.org/letter.xml'))\"",
    }
    assert all(d.code == "sch.rule-error" and d.severity == Severity.ERROR for d in found[1:])
    assert "refused to read" in errors["report test \"exists(doc('../outside.xml'))\""].message
    assert "never accesses the network" in found[-1].message
    # Nothing but the schema and the file beside it was ever opened.
    assert opened == [str(folder / "sandbox.sch"), str(folder / "inside.xml")]


def test_document_function_sandbox_with_xpath_1(sandboxed: tuple[Path, list[str]]) -> None:
    folder, opened = sandboxed
    found = load_schematron(folder / "sandbox-xpath1.sch").validate(letter())
    assert [(d.code, d.message.split(" could not")[0].rsplit(": ", 1)[-1]) for d in found] == [
        ("sch.report", "read a file beside the schema [inside]"),
        ("sch.rule-error", "report test \"count(document('../outside.xml')/*) > 0\""),
    ]
    assert "refused to read" in found[1].message
    assert opened == [str(folder / "sandbox-xpath1.sch"), str(folder / "inside.xml")]


# -- loading ----------------------------------------------------------------------------------


def test_schematron_embedded_in_relax_ng() -> None:
    schema = load_schematron(FIXTURES / "embedded.rng")
    assert schema.query_binding == "xslt2"
    assert [p.id for p in schema.patterns] == ["calendar-needs-content"]
    (finding,) = schema.validate(letter())
    assert finding.message == "@calendar on an empty <date> [calendar-needs-content]"
    assert finding.xpath == "/tei:TEI/tei:text/tei:body/tei:p[2]/tei:date[1]"


def test_relax_ng_without_schematron_has_no_patterns() -> None:
    schema = load_schematron(FIXTURES / "plain.rng")
    assert schema.patterns == ()
    assert schema.validate(letter()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("<schema", "cannot load Schematron schema"),
        ("<html/>", "not a Schematron schema or a RELAX NG grammar"),
        (
            '<schema xmlns="http://www.ascc.net/xml/schematron"/>',
            "Schematron 1.5 .* is not supported",
        ),
        ('<schema xmlns="{sch}" queryBinding="xquery"/>', "unsupported queryBinding 'xquery'"),
        (
            '<schema xmlns="{sch}"><pattern><rule><report test="1"/></rule></pattern></schema>',
            "sch:rule without @context",
        ),
        (
            '<schema xmlns="{sch}"><pattern><rule context="*"><let name="x"/></rule></pattern>'
            "</schema>",
            "sch:let 'x' without @value",
        ),
        (
            '<schema xmlns="{sch}"><pattern><rule context="*"><extends rule="nope"/></rule>'
            "</pattern></schema>",
            "names no abstract rule 'nope'",
        ),
    ],
)
def test_unusable_schemas_raise_schema_load_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "broken.sch"
    if content is not None:
        path.write_text(content.replace("{sch}", "http://purl.oclc.org/dsdl/schematron"))
    with pytest.raises(SchemaLoadError, match=message):
        load_schematron(path)


ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.sch") if "include" not in p.name) + [
    "include.sch",
    "embedded.rng",
]


@pytest.mark.parametrize("schema_name", ALL_FIXTURES)
def test_libxml2_shortcuts_agree_with_elementpath(schema_name: str) -> None:
    schema = load_schematron(FIXTURES / schema_name)
    assert schema.validate(letter()) == schema.without_lxml().validate(letter())


def test_schema_survives_pickling() -> None:
    schema = load_schematron(FIXTURES / "xpath2.sch")
    copy = pickle.loads(pickle.dumps(schema))
    assert isinstance(copy, SchematronSchema)
    assert copy.validate(letter()) == schema.validate(letter())


_FORKED: SchematronSchema | None = None


def _validate_in_child(path: str) -> list[Diagnostic]:
    assert _FORKED is not None
    return _FORKED.validate(teikit.load(path, name="letter.xml"))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_schema_works_after_fork() -> None:
    global _FORKED
    _FORKED = load_schematron(FIXTURES / "xpath2.sch")
    expected = _FORKED.validate(letter())
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(_validate_in_child, [str(LETTER)] * 2)
    assert results == [expected, expected]


def test_rule_descriptions_name_the_engines() -> None:
    schema = load_schematron(FIXTURES / "xpath2.sch")
    by_context = {r.context: r for r in schema.rules}
    assert by_context["tei:persName"].selector == "lxml"
    # tokenize() needs XPath 2: elementpath; count($targets) gt 1 too ($targets is a sequence).
    assert [engine for _, _, engine in by_context["tei:ref"].checks] == [
        "elementpath",
        "elementpath",
    ]
    assert [r.context for r in schema.applicable_rules(letter())] == [
        "tei:measure",
        "tei:persName",
        "tei:ref",
    ]


# -- TEI All (../shared) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tei_all() -> SchematronSchema:
    return load_schematron(shared_path(*TEI_ALL_RNG))


TEI_HEADER = (
    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>t</title>'
    "</titleStmt><publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
    "</fileDesc></teiHeader>\n"
)


@pytest.mark.shared
def test_tei_all_embedded_schematron_is_compiled(tei_all: SchematronSchema) -> None:
    assert tei_all.query_binding == "xslt2"
    assert len(tei_all.patterns) == 93
    assert len(tei_all.rules) == 98
    assert sum(len(r.checks) for r in tei_all.rules) == 103
    assert tei_all.warnings == []
    assert "error" not in {r.selector for r in tei_all.rules}


@pytest.mark.shared
def test_tei_all_reports_calendar_on_an_empty_date(tei_all: SchematronSchema) -> None:
    document = teikit.load(
        (
            TEI_HEADER
            + '<text><body><p>Written <date calendar="#julian"/>.</p></body></text></TEI>'
        ).encode(),
        name="calendar.xml",
    )
    assert tei_all.validate(document) == [
        Diagnostic(
            Severity.ERROR,
            "sch.assert",
            "@calendar indicates one or more systems or calendars to which the date represented "
            "by the content of this element belongs, but this <date> element has no textual "
            f"content. [{CALENDAR_RULE}]",
            "calendar.xml",
            2,
            None,
            "/tei:TEI/tei:text/tei:body/tei:p/tei:date",
        )
    ]
    filled = document.root.find(".//{http://www.tei-c.org/ns/1.0}date")
    assert filled is not None
    filled.text = "1 May"
    assert tei_all.validate(document) == []


def tillich_letters() -> list[Path]:
    folder = shared_path(*TILLICH)
    return sorted(p for p in folder.glob("L*.xml") if p.stem not in MALFORMED_LETTERS)


@pytest.mark.corpus
@pytest.mark.shared
def test_tei_all_over_the_tillich_letters(tei_all: SchematronSchema) -> None:
    letters = tillich_letters()
    assert len(letters) == 1326
    found: list[Diagnostic] = []
    for path in letters:
        found.extend(tei_all.validate(teikit.load(path, name=path.name)))
    assert [(d.file, d.line, d.code, d.message.rsplit("[", 1)[1]) for d in found] == [
        (
            "L00280.xml",
            87,
            "sch.report",
            "tei_all-p-abstractModel-structure-p-in-ab-or-p-constraint-rule-11]",
        ),
        (
            "L00363.xml",
            94,
            "sch.report",
            "tei_all-p-abstractModel-structure-p-in-ab-or-p-constraint-rule-11]",
        ),
        (
            "L00363.xml",
            101,
            "sch.report",
            "tei_all-p-abstractModel-structure-p-in-ab-or-p-constraint-rule-11]",
        ),
        ("L00372.xml", 39, "sch.report", "tei_all-msIdentifier-msId_minimal-constraint-rule-40]"),
    ]


@pytest.mark.corpus
@pytest.mark.shared
def test_tei_all_libxml2_shortcuts_agree_with_elementpath(tei_all: SchematronSchema) -> None:
    """Cross-check every libxml2 shortcut against elementpath on real and TEI test files."""
    pure = tei_all.without_lxml()
    samples = tillich_letters()[::60]
    tests_folder = shared_path("corpora", "tei-p5-test")
    samples += [
        tests_folder / n for n in ("detest.xml", "testms.xml", "testall.xml", "testnames.xml")
    ]
    disagreements = []
    total: Counter[str] = Counter()
    for path in samples:
        document = teikit.load(path, name=path.name)
        fast, slow = tei_all.validate(document), pure.validate(document)
        total.update(d.code for d in fast)
        if fast != slow:
            disagreements.append((path.name, set(fast) ^ set(slow)))
    assert disagreements == []
    assert total["sch.rule-error"] == 0
    assert total["sch.assert"] + total["sch.report"] > 40  # detest.xml breaks many rules


@pytest.mark.corpus
@pytest.mark.shared
def test_standalone_extract_agrees_with_the_embedded_rules(tei_all: SchematronSchema) -> None:
    extract = load_schematron(shared_path("schemas", "tei-p5", "tei_all.isosch"))
    assert extract.query_binding == "xslt2"
    assert len(extract.patterns) == len(tei_all.patterns)
    document = teikit.load(shared_path("corpora", "tei-p5-test", "detest.xml"))
    assert extract.validate(document) == tei_all.validate(document)


# -- the project's own schema -----------------------------------------------------------------

PROJECT_SCH = REPO / "schemas" / "teikit-letter.sch"


def _svrl_failures(schema_path: Path, document_path: Path) -> Counter[tuple[str | None, str]]:
    schematron = isoschematron.Schematron(etree.parse(str(schema_path)), store_report=True)
    schematron.validate(etree.parse(str(document_path)))
    svrl = f"{{{SVRL_NS}}}"
    report = schematron.validation_report
    return Counter(
        (e.get("id"), " ".join("".join(e.itertext()).split()))
        for e in report.iter(svrl + "failed-assert", svrl + "successful-report")
    )


def _own_failures(schema: SchematronSchema, document_path: Path) -> Counter[tuple[str | None, str]]:
    found = schema.validate(teikit.load(document_path))
    out: Counter[tuple[str | None, str]] = Counter()
    for d in found:
        assert d.code in ("sch.assert", "sch.report"), d
        text, _, label = d.message.rpartition(" [")
        out[(label.rstrip("]"), text)] += 1
    return out


def test_project_schema_agrees_with_lxml_isoschematron() -> None:
    schema = load_schematron(PROJECT_SCH)
    assert schema.query_binding == "xslt"
    assert schema.warnings == []
    assert schema.validate(teikit.load(TELEGRAM)) == []
    documents = sorted((REPO / "examples").glob("*.xml")) + [TELEGRAM]
    assert len(documents) >= 3  # the minimal letter, the invalid one and the telegram
    for path in documents:
        assert _own_failures(schema, path) == _svrl_failures(PROJECT_SCH, path), path.name

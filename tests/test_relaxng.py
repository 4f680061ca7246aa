"""RELAX NG: grammar specialisation, the lxml validator, its disk cache and Jing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

import teikit
from conftest import shared_path
from teikit.diagnostics import Severity
from teikit.document import TeiDocument
from teikit.errors import NotWellFormedError, SchemaLoadError
from teikit.namespaces import RNG_NS, TEI_NS, XML_ID
from teikit.validation import relaxng
from teikit.validation.relaxng import JingValidator, RelaxNGSchema, load_relaxng
from teikit.validation.specialize import specialize_relaxng, vocabulary_of

R = f"{{{RNG_NS}}}"
TEIX = "http://www.tei-c.org/ns/Examples"
MALFORMED = {"L00116", "L01059", "L01064", "L01065", "L01069"}


def grammar(body: str, **attributes: str) -> etree._ElementTree:
    """Return a grammar tree with *body* inside ``<grammar>``."""
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    text = f'<grammar xmlns="{RNG_NS}"{extra}>{body}</grammar>'
    return etree.ElementTree(etree.fromstring(text))


def names(tree: etree._ElementTree) -> list[str]:
    """Return the names of the element patterns left in a grammar."""
    return [e.get("name") or "*" for e in tree.iter(f"{R}element")]


def shape(tree: etree._ElementTree) -> str:
    """Return the start pattern and defines as a compact string, for exact assertions."""
    text = etree.tostring(tree.getroot(), encoding="unicode")
    return text.replace(f' xmlns="{RNG_NS}"', "").replace(' ns=""', "")


def valid(tree: etree._ElementTree, xml: str) -> bool:
    """Return whether libxml2 accepts *xml* against the grammar *tree*."""
    return bool(etree.RelaxNG(tree).validate(etree.fromstring(xml)))


def clark(*local: str, ns: str = "") -> frozenset[str]:
    """Return a vocabulary of Clark names."""
    return frozenset(f"{{{ns}}}{name}" if ns else name for name in local)


# ---------------------------------------------------------------- simplification rules


def test_choice_drops_absent_elements() -> None:
    tree = grammar(
        '<start><element name="a"><zeroOrMore><choice>'
        '<element name="b"><empty/></element><element name="c"><empty/></element><text/>'
        "</choice></zeroOrMore></element></start>"
    )
    result = specialize_relaxng(tree, clark("a", "b"))
    assert names(result) == ["a", "b"]
    assert "notAllowed" not in shape(result)


def test_choice_of_only_absent_elements_is_not_allowed_and_its_group_too() -> None:
    # group(b, choice(c, d)) with c and d absent: the group can never match; the element
    # that requires it keeps its name and gets notAllowed content (4.19 keeps elements).
    tree = grammar(
        '<start><element name="a"><choice><group><element name="b"><empty/></element><choice>'
        '<element name="c"><empty/></element><element name="d"><empty/></element></choice>'
        '</group><element name="e"><empty/></element></choice></element></start>'
    )
    result = specialize_relaxng(tree, clark("a", "b", "e"))
    assert shape(result) == (
        '<grammar><start><element name="a"><element name="e"><empty/></element>'
        "</element></start></grammar>"
    )
    assert valid(result, "<a><e/></a>")
    assert not valid(result, "<a><b/></a>")


def test_interleave_oneormore_and_list_with_not_allowed_become_not_allowed() -> None:
    tree = grammar(
        '<start><element name="a"><choice>'
        '<interleave><element name="b"><empty/></element><element name="x"><empty/></element>'
        "</interleave>"
        '<oneOrMore><element name="y"><empty/></element></oneOrMore>'
        '<list><ref name="nothing"/></list>'
        "<text/></choice></element></start>"
        '<define name="nothing"><notAllowed/></define>'
    )
    result = specialize_relaxng(tree, clark("a", "b"))
    assert shape(result) == '<grammar><start><element name="a"><text/></element></start></grammar>'


def test_optional_attributes_no_document_uses_are_dropped() -> None:
    """Attribute vocabulary: an optional attribute named by no document can only match
    nothing; a required one is kept (a document without it must get libxml2's message)."""
    tree = grammar(
        '<start><element name="a"><optional><attribute name="n"/></optional>'
        '<optional><attribute name="xml:id"/></optional>'
        '<zeroOrMore><attribute name="rend"/></zeroOrMore>'
        '<attribute name="type"/>'
        '<zeroOrMore><attribute><nsName ns="urn:x"/></attribute></zeroOrMore>'
        "<empty/></element></start>"
    )
    kept = specialize_relaxng(tree, clark("a"), frozenset({"n"}))
    assert shape(kept) == (
        '<grammar><start><element name="a"><optional><attribute name="n"><text/></attribute>'
        '</optional><attribute name="type"><text/></attribute><zeroOrMore><attribute>'
        '<nsName ns="urn:x"/><text/></attribute></zeroOrMore></element></start></grammar>'
    )
    assert valid(kept, '<a n="1" type="t"/>')
    assert not valid(kept, "<a/>")  # the required attribute is still required
    # xml:id is kept when its Clark name is in the vocabulary; None keeps every attribute
    with_id = specialize_relaxng(tree, clark("a"), frozenset({XML_ID}))
    assert 'name="id"' in shape(with_id)
    assert "rend" in shape(specialize_relaxng(tree, clark("a")))


def test_pattern_facets_every_list_token_matches_are_dropped() -> None:
    """TEI's teidata.pointer (anyURI, pattern \\S+) inside a list: the facet cannot fail on
    a list token, so it goes; outside a list it stays (a value with a space must fail)."""
    pointer = '<data type="anyURI"><param name="pattern">\\S+</param></data>'
    tree = grammar(
        f'<start><element name="a"><attribute name="ref"><list><oneOrMore>{pointer}'
        f'</oneOrMore></list></attribute><attribute name="target">{pointer}</attribute>'
        "<empty/></element></start>",
        datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes",
    )
    result = specialize_relaxng(tree, clark("a"))
    assert shape(result).count("<param") == 1
    assert shape(result).index("<param") > shape(result).index('name="target"')
    for ref in ("#a", "#a #b", " #a\t#b ", "#a\u00a0b", "x", ""):
        for target in ("#a", "#a #b", " #a "):
            xml = f'<a ref="{ref}" target="{target}"/>'
            assert valid(result, xml) == valid(tree, xml), xml


def test_attribute_with_not_allowed_content_is_not_allowed() -> None:
    tree = grammar(
        '<start><element name="a"><optional><attribute name="n"><ref name="nothing"/>'
        '</attribute></optional><element name="b"><empty/></element></element></start>'
        '<define name="nothing"><notAllowed/></define>'
    )
    result = specialize_relaxng(tree, clark("a", "b"))
    assert "attribute" not in shape(result)
    assert "notAllowed" not in shape(result)


def test_optional_and_zero_or_more_of_not_allowed_vanish_from_groups() -> None:
    tree = grammar(
        '<start><element name="a"><group><element name="b"><empty/></element>'
        '<optional><element name="x"><empty/></element></optional>'
        '<zeroOrMore><element name="y"><empty/></element></zeroOrMore>'
        '<element name="c"><empty/></element></group>'
        '<interleave><optional><element name="z"><empty/></element></optional>'
        '<element name="d"><empty/></element></interleave></element></start>'
    )
    result = specialize_relaxng(tree, clark("a", "b", "c", "d"))
    assert names(result) == ["a", "b", "c", "d"]
    assert "<empty/><" not in shape(result).replace("<empty/></element>", "")
    assert "group" not in shape(result)
    assert "interleave" not in shape(result)
    assert valid(result, "<a><b/><c/><d/></a>")


def test_optional_in_group_trap_valid_documents_stay_valid() -> None:
    # libxml2 2.14 rejects <x><c/></x> against group(optional(ref b), ref c, empty): the
    # <empty/> that optional(notAllowed) becomes must be removed from the group (the issue).
    tree = grammar(
        '<start><element name="x"><group><optional><ref name="b"/></optional><ref name="c"/>'
        '<optional><ref name="d"/></optional></group><optional><attribute name="n"/></optional>'
        "</element></start>"
        '<define name="b"><element name="b"><empty/></element></define>'
        '<define name="c"><element name="c"><empty/></element></define>'
        '<define name="d"><element name="d"><empty/></element></define>'
    )
    result = specialize_relaxng(tree, clark("x", "b", "c"))
    assert valid(tree, "<x><c/></x>")
    assert valid(result, "<x><c/></x>")
    assert valid(result, "<x><b/><c/></x>")
    for empty in result.iter(f"{R}empty"):
        parent = empty.getparent()
        assert parent is not None
        assert len(parent) == 1, etree.tostring(parent)


def test_choice_with_empty_branch_becomes_optional() -> None:
    tree = grammar(
        '<start><element name="a"><choice><empty/><element name="b"><empty/></element>'
        '<element name="x"><empty/></element></choice>'
        '<element name="c"><empty/></element></element></start>'
    )
    result = specialize_relaxng(tree, clark("a", "b", "c"))
    assert shape(result) == (
        '<grammar><start><element name="a"><optional><element name="b"><empty/></element>'
        '</optional><element name="c"><empty/></element></element></start></grammar>'
    )
    assert valid(result, "<a><c/></a>")
    assert valid(result, "<a><b/><c/></a>")


def test_refs_to_not_allowed_defines_and_unreachable_defines_go() -> None:
    tree = grammar(
        '<start><element name="a"><zeroOrMore><choice><ref name="model.x"/><ref name="b"/>'
        "</choice></zeroOrMore></element></start>"
        '<define name="model.x"><choice><ref name="x"/><ref name="y"/></choice></define>'
        '<define name="x"><element name="x"><empty/></element></define>'
        '<define name="y"><element name="y"><empty/></element></define>'
        '<define name="b"><element name="b"><ref name="macro"/></element></define>'
        '<define name="macro"><text/></define>'
        '<define name="unused"><element name="b"><empty/></element></define>'
    )
    result = specialize_relaxng(tree, clark("a", "b"))
    defines = [d.get("name") for d in result.iter(f"{R}define")]
    assert defines == ["b", "macro"]
    assert [r.get("name") for r in result.iter(f"{R}ref")] == ["b", "macro"]


def test_only_start_and_element_may_hold_not_allowed() -> None:
    tree = grammar(
        '<start><choice><element name="a"><element name="x"><empty/></element></element>'
        '<element name="y"><empty/></element></choice></start>'
    )
    result = specialize_relaxng(tree, clark("a"))
    for node in result.iter(f"{R}notAllowed"):
        parent = node.getparent()
        assert parent is not None
        assert parent.tag in (f"{R}start", f"{R}element")
    assert shape(result) == (
        '<grammar><start><element name="a"><notAllowed/></element></start></grammar>'
    )


def test_data_except_of_not_allowed_is_dropped() -> None:
    tree = grammar(
        '<start><element name="a"><data type="token"><except><ref name="nothing"/></except>'
        '</data></element></start><define name="nothing"><notAllowed/></define>',
        datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes",
    )
    result = specialize_relaxng(tree, clark("a"))
    assert "except" not in shape(result)
    assert valid(result, "<a>word</a>")


def test_recursion_through_elements_is_kept() -> None:
    tree = grammar(
        '<start><ref name="list"/></start><define name="list"><element name="list">'
        '<zeroOrMore><choice><ref name="list"/><element name="item"><text/></element>'
        '<element name="gone"><empty/></element></choice></zeroOrMore></element></define>'
    )
    result = specialize_relaxng(tree, clark("list", "item"))
    assert names(result) == ["list", "item"]
    assert valid(result, "<list><list><item>x</item></list></list>")


def test_input_grammar_is_not_modified() -> None:
    tree = grammar(
        '<start><element name="a"><element name="b"><empty/></element></element></start>'
    )
    before = etree.tostring(tree)
    specialize_relaxng(tree, clark("a"))
    assert etree.tostring(tree) == before


# ---------------------------------------------------------------- names and namespaces


def test_name_classes_are_kept() -> None:
    tree = grammar(
        '<start><element name="a"><zeroOrMore><choice>'
        "<element><anyName/><empty/></element>"
        '<element><nsName ns="urn:other"/><empty/></element>'
        "<element><choice><name>p</name><name>q</name></choice><empty/></element>"
        "<element><name>absent</name><empty/></element>"
        "</choice></zeroOrMore></element></start>"
    )
    result = specialize_relaxng(tree, clark("a"))
    assert names(result) == ["a", "*", "*", "*"]
    assert "absent" not in shape(result)


def test_name_child_with_inherited_namespace() -> None:
    tree = grammar(
        '<start><element name="a"><zeroOrMore><choice>'
        "<element><name>b</name><empty/></element>"
        '<element><name ns="urn:other">b</name><empty/></element>'
        "</choice></zeroOrMore></element></start>",
        ns="urn:a",
    )
    result = specialize_relaxng(tree, clark("a", "b", ns="urn:a"))
    assert [n.get("ns") for n in result.iter(f"{R}name")] == ["urn:a"]


def test_ns_attribute_is_inherited_and_written_out() -> None:
    tree = grammar(
        '<start><element name="TEI"><zeroOrMore><choice ns="urn:x">'
        f'<element name="p" ns="{TEI_NS}"><empty/></element>'
        f'<group ns="{TEIX}"><element name="egXML"><empty/></element></group>'
        '<element name="p"><empty/></element>'
        "</choice></zeroOrMore></element></start>",
        ns=TEI_NS,
    )
    tei_only = specialize_relaxng(tree, clark("TEI", "p", ns=TEI_NS))
    assert [(e.get("name"), e.get("ns")) for e in tei_only.iter(f"{R}element")] == [
        ("TEI", TEI_NS),
        ("p", TEI_NS),
    ]
    with_examples = specialize_relaxng(tree, clark("TEI", ns=TEI_NS) | clark("egXML", ns=TEIX))
    assert [(e.get("name"), e.get("ns")) for e in with_examples.iter(f"{R}element")] == [
        ("TEI", TEI_NS),
        ("egXML", TEIX),
    ]


def test_empty_namespace_stays_explicit_below_a_namespaced_element() -> None:
    # c inherits ns="" from b; dropping b's empty ns would put b and c in urn:a.
    tree = grammar(
        '<start><element name="a"><element name="b" ns=""><element name="c">'
        '<value type="string" datatypeLibrary="">x</value></element></element>'
        "</element></start>",
        ns="urn:a",
        datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes",
    )
    result = specialize_relaxng(tree, clark("a", ns="urn:a") | clark("b", "c"))
    assert valid(result, '<a xmlns="urn:a"><b xmlns=""><c>x</c></b></a>')
    value = next(result.iter(f"{R}value"))
    assert value.get("datatypeLibrary") == ""


def test_prefixed_names_resolve_through_in_scope_declarations() -> None:
    tree = etree.ElementTree(
        etree.fromstring(
            f'<grammar xmlns="{RNG_NS}" xmlns:teix="{TEIX}" ns="{TEI_NS}"><start>'
            '<element name="TEI"><zeroOrMore><choice><element name="teix:egXML"><empty/></element>'
            '<element name="xml:odd"><empty/></element>'
            '</choice></zeroOrMore><attribute name="xml:id"/></element></start></grammar>'
        )
    )
    result = specialize_relaxng(tree, clark("TEI", ns=TEI_NS) | clark("egXML", ns=TEIX))
    assert [(e.get("name"), e.get("ns")) for e in result.iter(f"{R}element")] == [
        ("TEI", TEI_NS),
        ("egXML", TEIX),
    ]
    attribute = next(result.iter(f"{R}attribute"))
    assert (attribute.get("name"), attribute.get("ns")) == ("id", teikit.namespaces.XML_NS)


def test_vocabulary_of_ignores_comments_and_pis() -> None:
    root = etree.fromstring(
        f'<TEI xmlns="{TEI_NS}"><!-- c --><?pi x?><p xmlns="">t</p><egXML xmlns="{TEIX}"/></TEI>'
    )
    assert vocabulary_of(root) == {f"{{{TEI_NS}}}TEI", "p", f"{{{TEIX}}}egXML"}


# ---------------------------------------------------------------- grammar structure


def test_combine_div_nested_grammar_and_parent_ref_are_flattened() -> None:
    tree = grammar(
        '<start><element name="a"><ref name="inner"/></element></start>'
        '<div><define name="inner" combine="choice"><element name="b"><empty/></element></define>'
        "</div>"
        '<define name="inner" combine="choice"><grammar><start><ref name="inner"/></start>'
        '<define name="inner"><element name="c"><parentRef name="leaf"/></element></define>'
        "</grammar></define>"
        '<define name="leaf"><element name="d"><empty/></element></define>'
    )
    result = specialize_relaxng(tree, clark("a", "c", "d"))
    assert names(result) == ["a", "c", "d"]
    assert valid(result, "<a><c><d/></c></a>")
    assert not valid(result, "<a><b/></a>")


def test_include_and_external_ref_inside_the_folder_are_inlined(tmp_path: Path) -> None:
    (tmp_path / "lib.rng").write_text(
        f'<grammar xmlns="{RNG_NS}"><start><element name="root"><ref name="body"/></element>'
        '</start><define name="body"><element name="old"><empty/></element></define></grammar>'
    )
    (tmp_path / "leaf.rng").write_text(f'<element xmlns="{RNG_NS}" name="leaf"><text/></element>')
    (tmp_path / "main.rng").write_text(
        f'<grammar xmlns="{RNG_NS}" ns="urn:m"><include href="lib.rng">'
        '<define name="body"><zeroOrMore><choice><externalRef href="leaf.rng"/>'
        '<element name="other"><empty/></element></choice></zeroOrMore></define>'
        "</include></grammar>"
    )
    tree = etree.parse(str(tmp_path / "main.rng"))
    result = specialize_relaxng(tree, clark("root", "leaf", ns="urn:m"))
    assert [(e.get("name"), e.get("ns")) for e in result.iter(f"{R}element")] == [
        ("root", "urn:m"),
        ("leaf", "urn:m"),
    ]
    assert valid(result, '<root xmlns="urn:m"><leaf>x</leaf></root>')


def test_include_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lib.rng").write_text(f'<grammar xmlns="{RNG_NS}"><start><text/></start></grammar>')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "main.rng").write_text(
        f'<grammar xmlns="{RNG_NS}"><include href="../lib.rng"/></grammar>'
    )
    tree = etree.parse(str(tmp_path / "sub" / "main.rng"))
    with pytest.raises(SchemaLoadError, match="outside the schema's folder"):
        specialize_relaxng(tree, frozenset())
    with pytest.raises(SchemaLoadError, match="outside the schema's folder"):
        load_relaxng(tmp_path / "sub" / "main.rng")


def test_network_include_is_refused(tmp_path: Path) -> None:
    (tmp_path / "main.rng").write_text(
        f'<grammar xmlns="{RNG_NS}"><include href="https://example.org/x.rng"/></grammar>'
    )
    with pytest.raises(SchemaLoadError, match="no network"):
        load_relaxng(tmp_path / "main.rng")


def test_include_of_grammar_without_root_folder_is_refused() -> None:
    tree = grammar('<include href="lib.rng"/>')
    with pytest.raises(SchemaLoadError, match="no folder"):
        specialize_relaxng(tree, frozenset())


def test_undefined_ref_is_a_schema_error() -> None:
    with pytest.raises(SchemaLoadError, match="undefined 'missing'"):
        specialize_relaxng(grammar('<start><ref name="missing"/></start>'), frozenset())


# ---------------------------------------------------------------- the validator

MINI_TEI = f"""<grammar xmlns="{RNG_NS}" ns="{TEI_NS}" xmlns:teix="{TEIX}"
    datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><choice><ref name="TEI"/><ref name="teiCorpus"/></choice></start>
  <define name="teiCorpus"><element name="teiCorpus"><oneOrMore><ref name="TEI"/></oneOrMore>
    </element></define>
  <define name="TEI"><element name="TEI"><ref name="att.global"/><ref name="teiHeader"/>
    <ref name="text"/></element></define>
  <define name="teiHeader"><element name="teiHeader"><element name="title"><text/></element>
    <optional><element name="extent"><text/></element></optional>
    <zeroOrMore><element name="note"><text/></element></zeroOrMore></element></define>
  <define name="text"><element name="text"><oneOrMore><ref name="model.block"/></oneOrMore>
    <optional><ref name="closer"/></optional></element></define>
  <define name="model.block"><choice><ref name="p"/><ref name="list"/><ref name="egXML"/>
    </choice></define>
  <define name="p"><element name="p"><ref name="att.global"/><ref name="macro.phrase"/>
    </element></define>
  <define name="macro.phrase"><zeroOrMore><choice><text/><ref name="model.phrase"/></choice>
    </zeroOrMore></define>
  <define name="model.phrase"><choice><ref name="hi"/><ref name="persName"/><ref name="date"/>
    </choice></define>
  <define name="hi"><element name="hi"><optional><attribute name="rend"/></optional>
    <ref name="macro.phrase"/></element></define>
  <define name="persName"><element name="persName"><optional><attribute name="ref">
    <data type="anyURI"/></attribute></optional><ref name="macro.phrase"/></element></define>
  <define name="date"><element name="date"><optional><attribute name="when"><data type="date"/>
    </attribute></optional><text/></element></define>
  <define name="list"><element name="list"><oneOrMore><element name="item">
    <ref name="macro.phrase"/></element></oneOrMore></element></define>
  <define name="closer"><element name="closer"><interleave><element name="signed"><text/>
    </element><optional><ref name="date"/></optional></interleave></element></define>
  <define name="egXML"><element name="teix:egXML"><zeroOrMore><choice><text/>
    <ref name="anyElement"/></choice></zeroOrMore></element></define>
  <define name="anyElement"><element><anyName><except><nsName/></except></anyName>
    <zeroOrMore><attribute><anyName/></attribute></zeroOrMore>
    <zeroOrMore><choice><text/><ref name="anyElement"/></choice></zeroOrMore></element></define>
  <define name="att.global"><optional><attribute name="xml:id"><data type="ID"/></attribute>
    </optional><optional><attribute name="xml:lang"><data type="language"/></attribute>
    </optional></define>
</grammar>"""

HEADER = "<teiHeader><title>t</title></teiHeader>"
MINI_DOCS = {
    "minimal": f"<TEI>{HEADER}<text><p>x</p></text></TEI>",
    "phrases": f'<TEI xml:id="a">{HEADER}<text><p>x <hi rend="b">y <persName ref="#p">P'
    '</persName></hi> <date when="1951-07-03">3 July</date></p></text></TEI>',
    "list-and-closer": f"<TEI>{HEADER}<text><list><item>i</item></list>"
    '<closer><date when="1951-07-03">d</date><signed>s</signed></closer></text></TEI>',
    "egxml": f'<TEI>{HEADER}<text><egXML xmlns="{TEIX}"><doc xmlns="urn:d"><x a="1"/></doc>'
    "</egXML></text></TEI>",
    "corpus": f"<teiCorpus><TEI>{HEADER}<text><p>x</p></text></TEI></teiCorpus>",
    "bad-date": f'<TEI>{HEADER}<text><p><date when="1951-02-30">x</date></p></text></TEI>',
    "bad-order": f"<TEI><text><p>x</p></text>{HEADER}</TEI>",
    "bad-child": f"<TEI>{HEADER}<text><p>x</p><title>t</title></text></TEI>",
    "bad-text": f"<TEI>{HEADER}<text>loose<p>x</p></text></TEI>",
    "bad-attribute": f'<TEI>{HEADER}<text><p rend="x">x</p></text></TEI>',
    "bad-closer": f"<TEI>{HEADER}<text><p>x</p><closer><date>d</date></closer></text></TEI>",
    "bad-egxml": f'<TEI>{HEADER}<text><egXML xmlns="{TEIX}"><p xmlns="{TEI_NS}"/></egXML>'
    "</text></TEI>",
    "bad-root": "<text><p>x</p></text>",
    "no-namespace": '<TEI xmlns=""><teiHeader><title>t</title></teiHeader><text><p/></text></TEI>',
    "foreign-root": '<article xmlns="urn:docbook"><para/></article>',
    "bad-duplicate-id": f'<TEI xml:id="a">{HEADER}<text><p xml:id="a">x</p></text></TEI>',
}


def tei_document(name: str, body: str) -> TeiDocument:
    """Return a document from a fragment written without the TEI namespace declaration."""
    if "xmlns=" not in body.split(">", 1)[0]:
        body = body.replace(">", f' xmlns="{TEI_NS}">', 1)
    return teikit.load(body.encode(), name=f"{name}.xml")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder, set as TEIKIT_CACHE_DIR."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def mini_schema(tmp_path: Path, cache: Path) -> RelaxNGSchema:
    """The small TEI-like grammar, loaded from a file."""
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    return load_relaxng(path)


def test_specialised_verdicts_equal_full_verdicts(mini_schema: RelaxNGSchema) -> None:
    documents = [tei_document(name, body) for name, body in MINI_DOCS.items()]
    full = mini_schema.full_validator()
    union = mini_schema.validator_for_documents(documents)
    verdicts = {}
    for document in documents:
        own = mini_schema.validator_for(frozenset(vocabulary_of(document.root)))
        expected = not full.validate(document)
        assert (not union.validate(document)) == expected, document.name
        assert (not own.validate(document)) == expected, document.name
        verdicts[document.name.removesuffix(".xml")] = expected
    assert verdicts == {name: not name.startswith(("bad", "no-", "foreign")) for name in MINI_DOCS}


def test_diagnostics_have_line_xpath_and_no_column(mini_schema: RelaxNGSchema) -> None:
    document = tei_document(
        "bad", f"<TEI>\n{HEADER}\n<text>\n<p>x</p>\n<title>t</title>\n</text>\n</TEI>"
    )
    diagnostics = mini_schema.validator_for_documents([document]).validate(document)
    assert diagnostics, "the document is invalid"
    first = diagnostics[0]
    assert (first.severity, first.code, first.file) == (Severity.ERROR, "rng.invalid", "bad.xml")
    assert first.line == 5
    assert first.column is None
    assert first.xpath is not None
    assert document.tree.xpath(first.xpath)[0].tag.endswith("title")
    assert "title" in first.message
    assert "{" not in first.message


def test_duplicate_message_pair_is_merged(mini_schema: RelaxNGSchema) -> None:
    document = tei_document("x", f"<TEI>{HEADER}<text><p>x</p></text><p/></TEI>")
    diagnostics = mini_schema.full_validator().validate(document)
    assert len({(d.line, d.xpath) for d in diagnostics}) == len(diagnostics)


def test_unknown_root_gets_a_reason(mini_schema: RelaxNGSchema) -> None:
    document = tei_document("foreign", MINI_DOCS["foreign-root"])
    validator = mini_schema.validator_for(frozenset(vocabulary_of(document.root)))
    [diagnostic] = validator.validate(document)
    assert "article" in diagnostic.message
    assert "root" in diagnostic.message
    assert diagnostic.line == 1
    assert diagnostic.column is None


def test_validator_refuses_documents_outside_its_vocabulary(mini_schema: RelaxNGSchema) -> None:
    small = tei_document("m", MINI_DOCS["minimal"])
    large = tei_document("p", MINI_DOCS["phrases"])
    validator = mini_schema.validator_for_documents([small])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        validator.validate(large)


def test_validator_refuses_documents_with_attributes_outside_its_vocabulary(
    mini_schema: RelaxNGSchema,
) -> None:
    """A grammar without the optional attributes no document had must not judge one that
    has them (it would call a valid document invalid): it raises instead."""
    plain = tei_document("m", MINI_DOCS["minimal"])
    with_id = tei_document("i", MINI_DOCS["minimal"].replace("<p>", '<p xml:id="p1">', 1))
    assert with_id.names()[1] == {XML_ID}
    validator = mini_schema.validator_for_documents([plain])
    assert validator.attributes == frozenset()
    with pytest.raises(ValueError, match=r"@\{http://www.w3.org/XML/1998/namespace\}id"):
        validator.validate(with_id)
    assert mini_schema.validator_for_documents([with_id]).validate(with_id) == []
    assert mini_schema.full_validator().validate(with_id) == []


def test_validators_are_memoised_per_vocabulary(mini_schema: RelaxNGSchema) -> None:
    vocabulary = clark("TEI", "teiHeader", "title", "text", "p", ns=TEI_NS)
    first = mini_schema.validator_for(vocabulary)
    assert mini_schema.validator_for(frozenset(set(vocabulary))) is first
    assert mini_schema.validator_for(vocabulary | clark("hi", ns=TEI_NS)) is not first
    assert mini_schema.full_validator() is mini_schema.full_validator()


# ---------------------------------------------------------------- the disk cache


def test_second_load_hits_the_disk_cache(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    document = tei_document("m", MINI_DOCS["minimal"])
    cold = load_relaxng(path).validator_for_documents([document])
    assert not cold.from_cache
    assert cold.cache_file is not None
    assert cold.cache_file.is_file()
    assert cold.cache_file.parent.parent == cache
    warm = load_relaxng(path).validator_for_documents([document])
    assert warm.from_cache
    assert warm.cache_file == cold.cache_file
    assert warm.validate(document) == []
    assert [p.name for p in cold.cache_file.parent.iterdir()] == [cold.cache_file.name]


def test_cache_key_follows_schema_bytes(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    vocabulary = clark("TEI", "teiHeader", "title", "text", "p", ns=TEI_NS)
    before = load_relaxng(path).cache_file(vocabulary)
    path.write_text(MINI_TEI.replace("<text/></element>", "<text/></element>\n", 1))
    assert load_relaxng(path).cache_file(vocabulary) != before


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"garbage",
        lambda data: data.replace(b"persName", b"persNome"),
        lambda data: b"",
    ],
    ids=["truncated", "garbage", "altered", "empty"],
)
def test_corrupt_cache_entry_is_ignored_and_rewritten(
    tmp_path: Path, cache: Path, damage: object
) -> None:
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    document = tei_document("p", MINI_DOCS["phrases"])
    entry = load_relaxng(path).validator_for_documents([document]).cache_file
    assert entry is not None
    assert callable(damage)
    entry.write_bytes(damage(entry.read_bytes()))
    rebuilt = load_relaxng(path).validator_for_documents([document])
    assert not rebuilt.from_cache
    assert rebuilt.validate(document) == []
    assert load_relaxng(path).validator_for_documents([document]).from_cache


def test_concurrent_writers_leave_one_complete_entry(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    document = tei_document("p", MINI_DOCS["phrases"])

    def build(_: int) -> Path | None:
        return load_relaxng(path).validator_for_documents([document]).cache_file

    with ThreadPoolExecutor(max_workers=8) as pool:
        entries = set(pool.map(build, range(16)))
    [entry] = entries
    assert entry is not None
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]
    assert load_relaxng(path).validator_for_documents([document]).from_cache


def test_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TEIKIT_CACHE_DIR", str(blocker))
    path = tmp_path / "mini.rng"
    path.write_text(MINI_TEI, encoding="utf-8")
    document = tei_document("m", MINI_DOCS["minimal"])
    validator = load_relaxng(path).validator_for_documents([document])
    assert validator.cache_file is None
    assert validator.validate(document) == []


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEIKIT_CACHE_DIR", raising=False)
    assert relaxng.cache_dir() == Path.home() / ".cache" / "teikit"


# ---------------------------------------------------------------- schema errors


def test_missing_schema(tmp_path: Path) -> None:
    with pytest.raises(SchemaLoadError, match="cannot read"):
        load_relaxng(tmp_path / "nope.rng")


def test_malformed_schema_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.rng"
    path.write_text(f'<grammar xmlns="{RNG_NS}">\n  <start>\n</grammar>')
    with pytest.raises(SchemaLoadError, match=r"bad\.rng:3:\d+: .*mismatch"):
        load_relaxng(path)


def test_compact_syntax_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "x.rnc"
    path.write_text("start = element a { text }")
    with pytest.raises(SchemaLoadError, match="trang"):
        load_relaxng(path)


def test_not_a_relaxng_schema(tmp_path: Path) -> None:
    path = tmp_path / "x.rng"
    path.write_text("<schema/>")
    with pytest.raises(SchemaLoadError, match="not a RELAX NG schema"):
        load_relaxng(path)


def test_grammar_libxml2_rejects(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "x.rng"
    path.write_text(f'<grammar xmlns="{RNG_NS}"><start><ref name="nope"/></start></grammar>')
    schema = load_relaxng(path)
    with pytest.raises(SchemaLoadError, match="invalid RELAX NG schema"):
        schema.full_validator()
    with pytest.raises(SchemaLoadError, match="undefined 'nope'"):
        schema.validator_for(frozenset())


def test_schema_with_external_entity_is_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    path = tmp_path / "x.rng"
    path.write_text(
        f'<!DOCTYPE grammar [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
        f'<grammar xmlns="{RNG_NS}"><start><element name="a"><value>&e;</value></element>'
        "</start></grammar>"
    )
    with pytest.raises(SchemaLoadError):
        load_relaxng(path)


# ---------------------------------------------------------------- Jing


def test_jing_missing_is_a_schema_load_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SchemaLoadError, match="jing command is not installed"):
        JingValidator(tmp_path / "x.rng")


@pytest.mark.jing
def test_jing_messages_are_parsed(jing: str, mini_schema: RelaxNGSchema, tmp_path: Path) -> None:
    on_disk = tmp_path / "on disk ü.xml"
    on_disk.write_text(
        f'<TEI xmlns="{TEI_NS}">\n{HEADER}\n<text>\n<p>x</p>\n<title>t</title>\n</text>\n</TEI>'
    )
    with_doctype = tmp_path / "doctype.xml"
    with_doctype.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE TEI SYSTEM "missing.dtd" [<!ENTITY who "Paul">]>\n'
        f'<TEI xmlns="{TEI_NS}">{HEADER}\n<text><p rend="x">&who;</p></text></TEI>'
    )
    documents = [
        teikit.load(on_disk),
        teikit.load(with_doctype),
        tei_document("bytes", MINI_DOCS["minimal"]),
        tei_document("bad-date", MINI_DOCS["bad-date"]),
    ]
    results = JingValidator(mini_schema.path).validate_many(documents)
    [title], [rend], valid_one, [date] = results
    assert valid_one == []
    assert (title.file, title.line, title.column, title.code) == (
        str(on_disk),
        5,
        8,
        "rng.invalid",
    )
    assert '"title" not allowed' in title.message
    assert (rend.file, rend.line) == (str(with_doctype), 4)  # the DTD was never fetched
    assert "rend" in rend.message
    assert date.file == "bad-date.xml"
    assert "date" in date.message


@pytest.mark.jing
def test_jing_continues_after_a_fatal_error(jing: str, mini_schema: RelaxNGSchema) -> None:
    include = tei_document(
        "xinclude",
        f'<TEI xmlns:xi="http://www.w3.org/2001/XInclude">{HEADER}<text><p>x</p>'
        '<xi:include href="nowhere.xml"/></text></TEI>',
    )
    later = tei_document("later", MINI_DOCS["bad-text"])
    first, second = JingValidator(mini_schema.path).validate_many([include, later])
    assert first, "Jing processes XInclude itself and fails on the missing file"
    assert second
    assert second[0].file == "later.xml"


@pytest.mark.jing
def test_jing_rejects_a_broken_schema(jing: str, tmp_path: Path) -> None:
    path = tmp_path / "x.rng"
    path.write_text(f'<grammar xmlns="{RNG_NS}"><start><ref name="nope"/></start></grammar>')
    with pytest.raises(SchemaLoadError, match="jing failed"):
        JingValidator(path).validate(tei_document("m", MINI_DOCS["minimal"]))


# ---------------------------------------------------------------- TEI All over real corpora


@pytest.fixture(scope="module")
def tei_all(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelaxNGSchema]:
    """TEI All, with an empty cache of its own."""
    path = shared_path("schemas", "tei-p5", "tei_all.rng")
    saved = os.environ.get("TEIKIT_CACHE_DIR")
    os.environ["TEIKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield load_relaxng(path)
    finally:
        if saved is None:
            del os.environ["TEIKIT_CACHE_DIR"]
        else:
            os.environ["TEIKIT_CACHE_DIR"] = saved


@pytest.fixture(scope="module")
def tillich() -> list[TeiDocument]:
    """The well-formed Tillich letters (the malformed ones are checked on the way)."""
    folder = shared_path("corpora", "tillich-briefe", "editions")
    documents: list[TeiDocument] = []
    failed: dict[str, NotWellFormedError] = {}
    for path in sorted(folder.glob("*.xml")):
        try:
            documents.append(teikit.load(path))
        except NotWellFormedError as exc:
            failed[path.stem] = exc
    assert set(failed) == MALFORMED
    for exc in failed.values():
        assert exc.diagnostic.line
        assert exc.diagnostic.column
    return documents


@pytest.mark.shared
def test_specialised_tei_all_is_small_and_clean(tei_all: RelaxNGSchema) -> None:
    vocabulary = clark("TEI", "teiHeader", "fileDesc", "titleStmt", "title", ns=TEI_NS)
    validator = tei_all.validator_for(vocabulary | clark("publicationStmt", "p", ns=TEI_NS))
    grammar_root = validator.grammar.getroot()
    assert len(list(grammar_root.iter(f"{R}element"))) < 60
    for node in grammar_root.iter(f"{R}notAllowed"):
        parent = node.getparent()
        assert parent is not None
        assert parent.tag in (f"{R}start", f"{R}element")
    for group in grammar_root.iter(f"{R}group", f"{R}interleave"):
        assert group.find(f"{R}empty") is None


@pytest.mark.corpus
@pytest.mark.shared
def test_tillich_letters_against_tei_all(
    tei_all: RelaxNGSchema, tillich: list[TeiDocument]
) -> None:
    validator = tei_all.validator_for_documents(tillich)
    invalid = {d.name for d in tillich if validator.validate(d)}
    assert (len(tillich) - len(invalid), len(invalid)) == (1298, 28)
    full = tei_all.full_validator()
    assert {d.name for d in tillich if full.validate(d)} == invalid
    warm = load_relaxng(tei_all.path).validator_for_documents(tillich)
    assert warm.from_cache


@pytest.mark.corpus
@pytest.mark.shared
def test_tei_test_files_per_document_and_union(tei_all: RelaxNGSchema) -> None:
    folder = shared_path("corpora", "tei-p5-test")
    documents = [teikit.load(path) for path in sorted(folder.glob("*.xml"))]
    full = tei_all.full_validator()
    union = tei_all.validator_for_documents(documents)
    for document in documents:
        own = tei_all.validator_for(frozenset(vocabulary_of(document.root)))
        expected = bool(full.validate(document))
        assert bool(union.validate(document)) == expected, document.name
        assert bool(own.validate(document)) == expected, document.name


@pytest.mark.corpus
@pytest.mark.shared
@pytest.mark.jing
@pytest.mark.parametrize("corpus", ["tillich-briefe/editions", "tei-p5-test"])
def test_verdicts_equal_jing(jing: str, tei_all: RelaxNGSchema, corpus: str) -> None:
    documents = []
    for path in sorted(shared_path("corpora", *corpus.split("/")).glob("*.xml")):
        try:
            documents.append(teikit.load(path))
        except NotWellFormedError:
            assert path.stem in MALFORMED
    validator = tei_all.validator_for_documents(documents)
    by_jing = JingValidator(tei_all.path).validate_many(documents)
    mismatches = [
        document.name
        for document, found in zip(documents, by_jing, strict=True)
        if bool(validator.validate(document)) != any(d.severity is Severity.ERROR for d in found)
    ]
    assert mismatches == []

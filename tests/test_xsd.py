"""XSD validation with lxml and xmlschema: verdicts, locations and the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import teikit
from conftest import shared_path
from teikit.diagnostics import Severity
from teikit.document import TeiDocument
from teikit.errors import SchemaLoadError
from teikit.namespaces import TEI_NS, XSD_NS
from teikit.validation.xsd import DEFAULT_ENGINE, ENGINES, load_xsd

XS = XSD_NS
TINY = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{TEI_NS}" xmlns:t="{TEI_NS}"
    elementFormDefault="qualified">
  <xs:element name="TEI">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="title" type="xs:string"/>
        <xs:element name="p" maxOccurs="unbounded">
          <xs:complexType mixed="true">
            <xs:sequence>
              <xs:element name="date" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:simpleContent>
                    <xs:extension base="xs:string">
                      <xs:attribute name="when" type="xs:date"/>
                    </xs:extension>
                  </xs:simpleContent>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"""


def document(body: str, name: str) -> TeiDocument:
    """Return a TEI-namespaced document loaded from *body*."""
    return teikit.load(body.replace("<TEI>", f'<TEI xmlns="{TEI_NS}">', 1).encode(), name=name)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A tiny XSD for TEI-namespaced documents."""
    path = tmp_path / "tiny.xsd"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_default_engine_is_lxml() -> None:
    assert DEFAULT_ENGINE == "lxml"
    assert set(ENGINES) == {"lxml", "xmlschema"}


@pytest.mark.parametrize("engine", ENGINES)
def test_valid_document(tiny: Path, engine: str) -> None:
    schema = load_xsd(tiny, engine)
    assert schema.engine == engine
    valid = document('<TEI><title>t</title><p>a <date when="1951-07-03">d</date></p></TEI>', "v")
    assert schema.validate(valid) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_invalid_document_has_line_and_path(tiny: Path, engine: str) -> None:
    invalid = document(
        '<TEI>\n<title>t</title>\n<p>a</p>\n<p><date when="1951-02-30">d</date></p>\n</TEI>',
        "bad.xml",
    )
    [diagnostic] = load_xsd(tiny, engine).validate(invalid)
    assert (diagnostic.severity, diagnostic.code, diagnostic.file) == (
        Severity.ERROR,
        "xsd.invalid",
        "bad.xml",
    )
    assert diagnostic.line == 4
    assert diagnostic.xpath is not None
    assert "1951-02-30" in diagnostic.message
    assert f"{{{TEI_NS}}}" not in diagnostic.message


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_agree_on_structure_errors(tiny: Path, engine: str) -> None:
    wrong_order = document("<TEI><p>a</p><title>t</title></TEI>", "order.xml")
    diagnostics = load_xsd(tiny, engine).validate(wrong_order)
    assert diagnostics
    assert all(d.code == "xsd.invalid" for d in diagnostics)


@pytest.mark.parametrize("engine", ENGINES)
def test_import_outside_the_folder_is_refused(tmp_path: Path, engine: str) -> None:
    (tmp_path / "other.xsd").write_text(
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:o"><xs:element name="o"/></xs:schema>'
    )
    (tmp_path / "sub").mkdir()
    main = tmp_path / "sub" / "main.xsd"
    main.write_text(
        f'<xs:schema xmlns:xs="{XS}"><xs:import namespace="urn:o" schemaLocation="../other.xsd"/>'
        '<xs:element name="a"/></xs:schema>'
    )
    with pytest.raises(SchemaLoadError, match="other.xsd"):
        load_xsd(main, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_import_inside_the_folder_is_read(tmp_path: Path, engine: str) -> None:
    (tmp_path / "other.xsd").write_text(
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:o"><xs:element name="o"/></xs:schema>'
    )
    main = tmp_path / "main.xsd"
    main.write_text(
        f'<xs:schema xmlns:xs="{XS}" xmlns:o="urn:o">'
        '<xs:import namespace="urn:o" schemaLocation="other.xsd"/>'
        '<xs:element name="a"><xs:complexType><xs:sequence><xs:element ref="o:o"/>'
        "</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    schema = load_xsd(main, engine)
    assert schema.validate(teikit.load(b'<a><o xmlns="urn:o"/></a>')) == []
    assert schema.validate(teikit.load(b"<a><o/></a>"))


@pytest.mark.parametrize("engine", ENGINES)
def test_external_entities_in_the_schema_are_refused(tmp_path: Path, engine: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    path = tmp_path / "x.xsd"
    path.write_text(
        f'<!DOCTYPE xs:schema [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
        f'<xs:schema xmlns:xs="{XS}"><xs:element name="a" fixed="&e;"/></xs:schema>'
    )
    with pytest.raises(SchemaLoadError):
        load_xsd(path, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_schemas(tmp_path: Path, engine: str) -> None:
    with pytest.raises(SchemaLoadError):
        load_xsd(tmp_path / "missing.xsd", engine)
    malformed = tmp_path / "malformed.xsd"
    malformed.write_text(f'<xs:schema xmlns:xs="{XS}">\n<xs:element name="a">\n</xs:schema>')
    with pytest.raises(SchemaLoadError, match="malformed.xsd"):
        load_xsd(malformed, engine)
    wrong = tmp_path / "wrong.xsd"
    wrong.write_text(f'<xs:schema xmlns:xs="{XS}"><xs:element name="a" type="nope"/></xs:schema>')
    with pytest.raises(SchemaLoadError, match="wrong.xsd"):
        load_xsd(wrong, engine)


def test_unknown_engine(tiny: Path) -> None:
    with pytest.raises(SchemaLoadError, match="unknown XSD engine 'saxon'"):
        load_xsd(tiny, "saxon")


@pytest.mark.corpus
@pytest.mark.shared
def test_tei_all_xsd_with_lxml() -> None:
    schema = load_xsd(shared_path("schemas", "tei-p5", "tei_all.xsd"))
    letters = shared_path("corpora", "tillich-briefe", "editions")
    assert schema.validate(teikit.load(letters / "L00001.xml")) == []
    [first, *_] = schema.validate(teikit.load(letters / "L00018.xml"))
    assert first.line == 86
    assert "tei:hi" in first.message

"""Which schema applies: --schema, <?xml-model?>, configuration, bundled; remote URLs mapped."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from teikit import SchemaLoadError, load
from teikit.validation.schemas import (
    SchemaKind,
    add_to_store,
    bundled_schemas,
    declared_schemas,
    explicit_schemas,
    resolve_href,
    schemas_for,
)

RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
TEI_URL = "https://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_all.rng"


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TEIKIT_SCHEMA_PATH", raising=False)


def write_doc(folder: Path, prolog: str = "", name: str = "doc.xml") -> Path:
    path = folder / name
    path.write_text(f'{prolog}<TEI xmlns="http://www.tei-c.org/ns/1.0"/>')
    return path


def test_xml_model_instructions_all_apply_in_order(tmp_path: Path) -> None:
    (tmp_path / "s.rng").write_text("<x/>")
    (tmp_path / "s.sch").write_text("<x/>")
    prolog = (
        f'<?xml-model href="s.rng" type="application/xml" schematypens="{RNG_NS}"?>\n'
        f"<?xml-model href='s.sch' schematypens='{SCH_NS}'?>\n"
        '<?other href="ignored.rng"?>\n'
    )
    refs = declared_schemas(load(write_doc(tmp_path, prolog)))
    assert [(r.path.name, r.kind, r.origin) for r in refs] == [
        ("s.rng", SchemaKind.RELAXNG, "xml-model"),
        ("s.sch", SchemaKind.SCHEMATRON, "xml-model"),
    ]


def test_schematypens_wins_over_suffix(tmp_path: Path) -> None:
    (tmp_path / "tei_all.rng").write_text("<x/>")
    prolog = f'<?xml-model href="tei_all.rng" schematypens="{SCH_NS}"?>'
    (ref,) = declared_schemas(load(write_doc(tmp_path, prolog)))
    assert ref.kind is SchemaKind.SCHEMATRON


def test_remote_url_without_local_copy_is_a_clear_error(tmp_path: Path) -> None:
    lite = TEI_URL.replace("tei_all.rng", "tei_lite.rng")  # tei_all.rng is bundled
    prolog = f'<?xml-model href="{lite}" schematypens="{RNG_NS}"?>'
    with pytest.raises(SchemaLoadError) as caught:
        declared_schemas(load(write_doc(tmp_path, prolog)))
    message = str(caught.value)
    assert "never downloads" in message
    assert "teikit schema add tei_lite.rng" in message
    assert "TEIKIT_SCHEMA_PATH" in message


def test_remote_url_maps_to_schema_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "copies"
    local.mkdir()
    (local / "tei_all.rng").write_text("<x/>")
    monkeypatch.setenv("TEIKIT_SCHEMA_PATH", str(local))
    vault = "https://www.tei-c.org/Vault/P5/4.12.0/xml/tei/custom/schema/relaxng/tei_all.rng"
    assert resolve_href(vault, tmp_path) == local / "tei_all.rng"


def test_schema_add_stores_a_copy_with_xsd_siblings(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "tei_all.xsd").write_text('<xs:import schemaLocation="tei_all_xml.xsd"/>')
    (source / "tei_all_xml.xsd").write_text("<x/>")
    stored = add_to_store("tei_all.xsd", source / "tei_all.xsd")
    assert stored.read_text().startswith("<xs:import")
    assert (stored.parent / "tei_all_xml.xsd").is_file()
    url = "http://www.tei-c.org/release/xml/tei/custom/schema/xsd/tei_all.xsd"
    assert resolve_href(url, None) == stored
    with pytest.raises(SchemaLoadError, match="plain file name"):
        add_to_store("../evil.rng", source / "tei_all.xsd")


def test_missing_local_schema(tmp_path: Path) -> None:
    prolog = f'<?xml-model href="nowhere.rng" schematypens="{RNG_NS}"?>'
    with pytest.raises(SchemaLoadError, match="nowhere.rng not found"):
        declared_schemas(load(write_doc(tmp_path, prolog)))


def test_unknown_suffix_and_compact_syntax(tmp_path: Path) -> None:
    (tmp_path / "s.rnc").write_text("start = empty")
    (tmp_path / "s.dtd").write_text("")
    with pytest.raises(SchemaLoadError, match="trang s.rnc s.rng"):
        explicit_schemas([tmp_path / "s.rnc"])
    with pytest.raises(SchemaLoadError, match="unknown schema type '.dtd'"):
        explicit_schemas([tmp_path / "s.dtd"])
    with pytest.raises(SchemaLoadError, match="no such schema file"):
        explicit_schemas([tmp_path / "missing.rng"])


def test_order_option_then_model_then_config_then_tei_all(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "letters").mkdir(parents=True)
    (project / "custom.rng").write_text("<x/>")
    (project / "pyproject.toml").write_text('[tool.teikit]\nschema = "custom.rng"\n')
    plain = load(write_doc(project / "letters"))
    (ref,) = schemas_for(plain)
    assert (ref.path, ref.origin) == (project / "custom.rng", "config")

    (project / "letters" / "own.rng").write_text("<x/>")
    prolog = f'<?xml-model href="own.rng" schematypens="{RNG_NS}"?>'
    declared = load(write_doc(project / "letters", prolog, "declared.xml"))
    assert [r.origin for r in schemas_for(declared)] == ["xml-model"]

    explicit = explicit_schemas([project / "custom.rng"])
    assert [r.origin for r in schemas_for(declared, explicit)] == ["option"]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (ref,) = schemas_for(load(write_doc(elsewhere)))
    assert (ref.path.name, ref.kind, ref.origin) == ("tei_all.rng", SchemaKind.RELAXNG, "default")


def test_teikit_toml_and_list_of_schemas(tmp_path: Path) -> None:
    (tmp_path / "a.rng").write_text("<x/>")
    (tmp_path / "b.sch").write_text("<x/>")
    (tmp_path / "teikit.toml").write_text('schema = ["a.rng", "b.sch"]\n')
    refs = schemas_for(load(write_doc(tmp_path)))
    assert [(r.path.name, r.kind) for r in refs] == [
        ("a.rng", SchemaKind.RELAXNG),
        ("b.sch", SchemaKind.SCHEMATRON),
    ]


def test_bad_configuration_is_reported(tmp_path: Path) -> None:
    (tmp_path / "teikit.toml").write_text("schema = 3\n")
    with pytest.raises(SchemaLoadError, match="'schema' must be a file name"):
        schemas_for(load(write_doc(tmp_path)))
    (tmp_path / "teikit.toml").write_text("schema = [\n")
    with pytest.raises(SchemaLoadError, match="cannot read configuration"):
        schemas_for(load(write_doc(tmp_path)))


def test_bundled_schema_files_exist() -> None:
    for ref in bundled_schemas():
        assert ref.path.is_file(), ref.path


def test_schema_add_and_list_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from teikit.cli import cli

    runner = CliRunner()
    source = tmp_path / "downloads" / "tei_all.rng"
    source.parent.mkdir()
    source.write_text(f'<grammar xmlns="{RNG_NS}"><start><notAllowed/></start></grammar>')
    extra = tmp_path / "extra"
    monkeypatch.setenv("TEIKIT_SCHEMA_PATH", str(extra))
    store = tmp_path / "data" / "teikit" / "schemas"

    added = runner.invoke(cli, ["schema", "add", "tei_all.rng", str(source)])
    assert (added.exit_code, added.stderr) == (0, "")
    assert added.stdout == f"stored {source} as {store / 'tei_all.rng'}\n"
    listed = runner.invoke(cli, ["schema", "list"])
    assert (listed.exit_code, listed.stderr) == (0, "")
    assert listed.stdout == (
        f"{extra} (missing)\n{store}\n  tei_all.rng\n"
        f"{REPO / 'schemas'} (bundled with teikit; used when none of the above has it)\n"
        "  tei_all.rng (TEI All, TEI P5 4.12.0: the default)\n"
        "  teikit-letter.rng (teikit's letter customisation, where declared)\n"
        "  teikit-letter.sch (teikit's letter customisation, where declared)\n"
    )
    # the URL a document names now resolves to the stored copy
    assert resolve_href(TEI_URL, None) == store / "tei_all.rng"

    refused = runner.invoke(cli, ["schema", "add", "../evil.rng", str(source)])
    assert refused.exit_code == 3
    assert refused.stderr == (
        "teikit: error: '../evil.rng': a schema name is a plain file name such as tei_all.rng\n"
    )
    missing = runner.invoke(cli, ["schema", "add", "x.rng", str(tmp_path / "nowhere.rng")])
    assert missing.exit_code == 3
    assert missing.stderr == f"teikit: error: {tmp_path / 'nowhere.rng'}: no such schema file\n"


def test_iter_diagnostics_and_is_valid(tmp_path: Path) -> None:
    import shutil

    from conftest import TELEGRAM
    from teikit import is_valid, iter_diagnostics

    assert is_valid([TELEGRAM])
    assert list(iter_diagnostics([TELEGRAM])) == []
    broken = tmp_path / "broken.xml"
    shutil.copyfile(TELEGRAM, broken)
    broken.write_bytes(broken.read_bytes().replace(b'ref="#mao"', b'ref="#nobody"', 1))
    assert not is_valid([broken])
    codes = [d.code for d in iter_diagnostics([broken])]
    assert "integrity.unresolved-pointer" in codes

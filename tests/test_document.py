"""The hardened loader: what it accepts, what it refuses, and how it reports positions."""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

import teikit
from teikit import DocumentLoadError, NotWellFormedError, RefusedInputError, TeikitError, load

TEI = b'<TEI xmlns="http://www.tei-c.org/ns/1.0">'
SECRET = "TOP-SECRET-CONTENT-42"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def test_load_path_bytes_and_file_object_agree(tmp_path: Path) -> None:
    data = TEI + b"<text>Hello</text></TEI>"
    path = tmp_path / "doc.xml"
    path.write_bytes(data)
    from_path = load(path)
    from_str = load(str(path))
    from_bytes = load(data)
    from_stream = load(io.BytesIO(data))
    for document in (from_path, from_str, from_bytes, from_stream):
        assert document.is_tei
        assert document.xpath("string(tei:text)") == "Hello"
    assert from_path.name == str(path)
    assert from_path.path == path
    assert from_bytes.name == "<bytes>"
    assert load(data, name="stdin").name == "stdin"


def test_internal_entities_are_expanded() -> None:
    data = b'<!DOCTYPE TEI [<!ENTITY mz "Mao Zedong">]>' + TEI + b"<p>&mz; wrote</p></TEI>"
    document = load(data)
    assert document.xpath("string(tei:p)") == "Mao Zedong wrote"
    assert not list(document.root.iter(etree.Entity))


def test_external_entity_is_refused_with_its_name(secret_file: Path) -> None:
    data = (
        f'<!DOCTYPE TEI [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n'.encode()
        + TEI
        + b"<p>&xxe;</p></TEI>"
    )
    with pytest.raises(RefusedInputError) as caught:
        load(data, name="hostile.xml")
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "xml.external-entity-refused"
    assert "external entity 'xxe'" in diagnostic.message
    assert (diagnostic.file, diagnostic.line) == ("hostile.xml", 2)
    assert diagnostic.column is not None
    assert SECRET not in str(caught.value)


def test_external_parameter_entity_is_not_loaded(tmp_path: Path, secret_file: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret_file.as_uri()}">')
    data = (
        f'<!DOCTYPE TEI [<!ENTITY % ext SYSTEM "{dtd.as_uri()}"> %ext;]>'.encode()
        + TEI
        + b"<p>&leak;</p></TEI>"
    )
    with pytest.raises(RefusedInputError) as caught:
        load(data)
    assert caught.value.diagnostic.code == "xml.external-dtd-refused" or "refused" in str(
        caught.value
    )
    assert SECRET not in str(caught.value)


def test_entity_from_external_dtd_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tei.dtd").write_text('<!ENTITY nbsp "&#160;">')
    path = tmp_path / "doc.xml"
    path.write_bytes(b'<!DOCTYPE TEI SYSTEM "tei.dtd">\n' + TEI + b"<p>a&nbsp;b</p></TEI>")
    with pytest.raises(RefusedInputError) as caught:
        load(path)
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "xml.external-dtd-refused"
    assert "'nbsp'" in diagnostic.message
    assert "tei.dtd" in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (2, 52)  # libxml2: just after "&nbsp;"


def test_external_dtd_that_is_not_needed_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "tei.dtd").write_text('<!ATTLIST p rend CDATA "bold">')
    path = tmp_path / "doc.xml"
    path.write_bytes(b'<!DOCTYPE TEI SYSTEM "tei.dtd">\n' + TEI + b"<p>x</p></TEI>")
    document = load(path)
    assert document.xpath("tei:p/@rend") == []  # DTD attribute defaults were not applied
    assert [w.code for w in document.warnings] == ["xml.external-dtd-refused"]


def test_xinclude_is_not_processed(secret_file: Path) -> None:
    data = (
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        + f'<xi:include href="{secret_file}" parse="text"/></TEI>'.encode()
    )
    document = load(data)
    assert SECRET not in etree.tostring(document.root, encoding="unicode")
    assert [(w.code, w.line) for w in document.warnings] == [("xml.xinclude-not-processed", 2)]


def test_gzip_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "packed.xml"
    path.write_bytes(gzip.compress(TEI + b"</TEI>"))
    with pytest.raises(RefusedInputError, match="gzip-compressed") as caught:
        load(path)
    assert caught.value.diagnostic.code == "xml.compressed-refused"


def test_billion_laughs_is_stopped() -> None:
    levels = ['<!ENTITY l0 "ha">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    data = f"<!DOCTYPE TEI [{''.join(levels)}]>".encode() + TEI + b"<p>&l9;</p></TEI>"
    with pytest.raises(NotWellFormedError, match="amplification") as caught:
        load(data)
    assert caught.value.diagnostic.line == 1


def test_deep_nesting_is_stopped_with_a_position() -> None:
    data = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(NotWellFormedError, match="depth") as caught:
        load(data)
    assert caught.value.diagnostic.line == 1


@pytest.mark.parametrize(
    ("data", "line", "column", "fragment"),
    [
        (b"<TEI>\n  <p>\n</TEI>", 3, 7, "Opening and ending tag mismatch"),
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<TEI>caf\xe9</TEI>', 2, 9, "encoding"),
        (b"<TEI>a & b</TEI>", 1, 9, "xmlParseEntityRef"),
        (b'<TEI a="1" a="2"/>', 1, 17, "redefined"),
        (b"<TEI/>\n<more/>", 2, 1, "Extra content"),
    ],
)
def test_not_well_formed_reports_one_based_line_and_column(
    data: bytes, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(NotWellFormedError) as caught:
        load(data, name="broken.xml")
    diagnostic = caught.value.diagnostic
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("broken.xml", line, column)
    assert fragment in diagnostic.message
    assert str(caught.value).startswith(f"broken.xml:{line}:{column}: ")
    assert ", line " not in diagnostic.message  # the position is not repeated in the message


def test_utf16_with_bom_is_read() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><TEI xmlns="http://www.tei-c.org/ns/1.0">é</TEI>'
    assert load(text.encode("utf-16")).root.text == "é"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    with pytest.raises(NotWellFormedError, match="file is empty") as caught:
        load(path)
    assert caught.value.diagnostic.code == "xml.empty"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DocumentLoadError, match="no such file"):
        load(tmp_path / "missing.xml")
    folder = tmp_path / "x.xml"
    folder.mkdir()
    with pytest.raises(DocumentLoadError, match="a folder, not a file") as refused:
        load(folder)
    assert refused.value.diagnostic.code == "io.not-a-regular-file"  # type: ignore[attr-defined]


def test_text_stream_is_refused() -> None:
    with pytest.raises(DocumentLoadError, match="binary stream"):
        load(io.StringIO("<TEI/>"))  # type: ignore[arg-type]


def test_errors_share_one_root_and_mix_with_builtins() -> None:
    assert issubclass(NotWellFormedError, TeikitError)
    assert issubclass(NotWellFormedError, ValueError)
    assert issubclass(RefusedInputError, TeikitError)
    assert issubclass(DocumentLoadError, OSError)
    assert issubclass(teikit.SchemaLoadError, TeikitError)


def test_input_errors_survive_pickling() -> None:
    with pytest.raises(NotWellFormedError) as caught:
        load(b"<TEI>", name="cut.xml")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.diagnostic == caught.value.diagnostic
    assert str(copy) == str(caught.value)


def test_duplicate_ids_do_not_stop_loading() -> None:
    document = load(TEI + b'<p xml:id="a"/><p xml:id="a"/></TEI>')
    assert len(document.xpath("//tei:p")) == 2


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_the_error_tree(data: bytes) -> None:
    error: TeikitError | None = None
    try:
        load(data)
    except TeikitError as exc:
        error = exc
    if isinstance(error, (NotWellFormedError, RefusedInputError)):
        assert error.diagnostic.file == "<bytes>"
        assert error.diagnostic.line is None or error.diagnostic.line >= 1


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_text_content_round_trips(text: str) -> None:
    element = etree.Element("{http://www.tei-c.org/ns/1.0}TEI")
    try:
        element.text = text
    except ValueError:  # not an XML character: lxml refuses it already
        return
    document = load(etree.tostring(element, encoding="utf-8"))
    assert (document.root.text or "") == text


def _indexed_paths(root: etree._Element) -> dict[etree._Element, str]:
    """Return every element's readable path, computed independently of ElementPaths."""
    paths = {root: "/" + _prefixed(root.tag)}
    for parent in root.iter(tag=etree.Element):
        children = [child for child in parent if isinstance(child.tag, str)]
        for child in children:
            same = [c for c in children if c.tag == child.tag]
            step = _prefixed(child.tag)
            if len(same) > 1:
                step += f"[{same.index(child) + 1}]"
            paths[child] = f"{paths[parent]}/{step}"
    return paths


def _prefixed(tag: str) -> str:
    if tag.startswith("{http://www.tei-c.org/ns/1.0}"):
        return "tei:" + tag.split("}")[1]
    return f"*[local-name()='{tag.split('}')[1]}']" if tag.startswith("{") else tag


@given(
    st.lists(
        st.tuples(st.sampled_from(["p", "rs", "x:g", "note"]), st.integers(0, 3)),
        min_size=1,
        max_size=150,
    )
)
@example([("p", 0)] * 100 + [("rs", 5), ("x:g", 0), ("rs", 101)])  # 200 children of body
@settings(max_examples=60, deadline=None)
def test_element_paths_below_small_and_large_parents(shape: list[tuple[str, int]]) -> None:
    """Below a parent with few children the path comes from libxml2 (getelementpath),
    below one with many from teikit's own index: both must give the same steps."""
    tei = "http://www.tei-c.org/ns/1.0"
    root = etree.Element(f"{{{tei}}}TEI", nsmap={None: tei, "x": "urn:x"})
    body = etree.SubElement(root, f"{{{tei}}}body")
    parents = [body]
    for name, depth in shape:
        tag = "{urn:x}g" if name == "x:g" else f"{{{tei}}}{name}"
        parent = parents[min(depth, len(parents) - 1)]
        child = etree.SubElement(parent, tag)
        parent.append(etree.Comment("c"))
        parents.append(child)
    expected = _indexed_paths(root)
    paths = teikit.document.ElementPaths()
    assert {element: paths.path(element) for element in expected} == expected
    # each element asked for on its own, in a fresh object, too
    for element, path in expected.items():
        assert teikit.document.readable_path(element) == path

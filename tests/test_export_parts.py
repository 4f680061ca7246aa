"""The parts of the export code: its modules, the CSS resource, its errors, its index loader."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from teikit import load
from teikit.exporters import model
from teikit.exporters.to_html import CSS, render_html

MINIMAL = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>Hi</p></body></text></TEI>'


def test_the_css_is_the_package_resource_inlined_in_every_page() -> None:
    resource = resources.files("teikit.exporters.html").joinpath("edition.css")
    text = resource.read_text(encoding="utf-8")
    assert text == CSS + "\n"
    assert CSS.startswith(":root {")
    page = render_html(model.build_model(load(MINIMAL)))
    assert page.count(CSS) == 1
    assert "<style>" + CSS + "</style>" in page


def test_model_gathers_the_public_names_of_its_parts() -> None:
    from teikit.exporters import builder, corpus, flatten, records, run

    for part in (builder, corpus, flatten, records, run):
        for name in part.__all__:
            assert getattr(model, name) is getattr(part, name), (part.__name__, name)
            assert name in model.__all__, (part.__name__, name)


def test_render_and_stylesheet_errors_live_in_errors() -> None:
    from teikit import errors
    from teikit.exporters import run, to_html

    assert model.RenderError is run.RenderError is errors.RenderError
    assert to_html.StylesheetError is errors.StylesheetError
    for error in (errors.RenderError, errors.StylesheetError):
        assert issubclass(error, errors.TeikitError)
        assert issubclass(error, ValueError)


def test_a_bad_stylesheet_raises_the_error_of_errors(tmp_path: Path) -> None:
    from teikit.errors import StylesheetError
    from teikit.exporters.to_html import load_stylesheet

    sheet = tmp_path / "bad.xsl"
    sheet.write_text("<notxslt/>", encoding="utf-8")
    with pytest.raises(StylesheetError, match="not a usable XSLT 1.0 stylesheet"):
        load_stylesheet(sheet)


def test_one_index_loader(tmp_path: Path) -> None:
    import teikit.entities
    from teikit.entities import extract
    from teikit.errors import DocumentLoadError
    from teikit.indexes import load_indexes

    assert teikit.entities.load_indexes is extract.load_indexes is load_indexes
    loaded = load(MINIMAL)
    index = tmp_path / "index.xml"
    index.write_bytes(MINIMAL)
    documents = load_indexes([loaded, index])
    assert documents[0] is loaded
    assert documents[1].path == index
    with pytest.raises(DocumentLoadError):
        load_indexes([tmp_path / "missing.xml"])


def test_the_export_records_have_names_of_their_own() -> None:
    import teikit.entities

    assert model.Mention is model.TextMention is not teikit.entities.Mention
    assert model.Proposal is model.TextProposal is not teikit.entities.Proposal
    assert "Mention" not in model.__all__
    assert "Proposal" not in model.__all__

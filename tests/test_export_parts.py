"""The parts of the export code: the facade module, the HTML edition's style sheet resource."""

from __future__ import annotations

from importlib import resources

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

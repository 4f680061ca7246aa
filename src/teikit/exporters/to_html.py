"""HTML exporter: a self-contained, accessible reading edition of one document.

The page is built as an lxml element tree, so every text is escaped by construction,
and serialised as HTML5. It needs nothing from the network: the CSS is inline, there is
no script, no web font, no image; links to authority files (Wikidata...) are plain
``<a>`` elements. It has a header (title, correspondents, date, source and archive
reference, encoding), the reading text with persons, places, organisations, events and
dates marked by underline style, a symbol and a title (not by colour alone), each linked
to its entry in the register, the proposals as numbered items with their topics, the
editor's additions in brackets and italics, the notes as footnotes with back-links, and
the register with name forms, authority links and back-links to every mention.

A folder export adds ``index.html`` (the documents with date, sender and recipient) and
corpus-wide registers (``persons.html``, ``places.html``...) linking into each document.

``--xslt FILE`` replaces the built-in rendering by an archivist's XSLT 1.0 stylesheet,
run by lxml with network access and file writing forbidden.

This module registers the format and runs the stylesheet; the page itself is built in
:mod:`teikit.exporters.html` (its style sheet is the package resource ``edition.css``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO

from lxml import etree

import teikit.recursion
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument, load
from teikit.errors import RenderError, StylesheetError, TeikitError
from teikit.exporters import exporter
from teikit.exporters.builder import to_models
from teikit.exporters.corpus import Corpus
from teikit.exporters.html.corpus import html_corpus_pages  # noqa: F401  # registers the pages
from teikit.exporters.html.markup import CSS, REGISTER_PAGES
from teikit.exporters.html.page import render_html
from teikit.exporters.records import DocumentModel

__all__ = [
    "CSS",
    "REGISTER_PAGES",
    "StylesheetError",
    "load_stylesheet",
    "render_html",
    "write_html",
]


# -- XSLT ------------------------------------------------------------------------------------


def load_stylesheet(path: str | Path) -> etree.XSLT:
    """Compile the XSLT stylesheet at *path*, with network access and file writes forbidden.

    The stylesheet is read with the hardened loader; while it runs it may read local
    files (``document()``) but not the network, and it may write nothing.

    :raises StylesheetError: the stylesheet cannot be read or compiled.
    """
    try:
        document = load(path)
    except TeikitError as exc:
        raise StylesheetError(f"XSLT stylesheet {exc}") from None
    access = etree.XSLTAccessControl(  # type: ignore[call-arg]  # lxml-stubs lag behind
        read_file=True, write_file=False, create_dir=False, read_network=False, write_network=False
    )
    try:
        return etree.XSLT(document.tree, access_control=access)
    except etree.XSLTParseError as exc:
        raise StylesheetError(f"{path}: not a usable XSLT 1.0 stylesheet: {exc}") from None


def _transform(stylesheet: etree.XSLT, item: TeiDocument | DocumentModel) -> str:
    """Return the output of *stylesheet* run on the TEI document of *item*."""
    if isinstance(item, TeiDocument):
        document = item
    elif item.path is not None:
        document = load(item.path)
    else:
        raise ValueError(f"{item.name}: an XSLT stylesheet needs the TEI document")
    try:
        parameters = {"teikit-document": etree.XSLT.strparam(document.name)}
        result = stylesheet(document.tree, **parameters)  # type: ignore[arg-type]
    except etree.XSLTApplyError as exc:
        raise RenderError(
            Diagnostic(
                Severity.ERROR,
                "export.xslt-failed",
                f"the XSLT stylesheet failed: {exc}",
                document.name,
            )
        ) from None
    text = str(result)
    return text if text.endswith("\n") else text + "\n"


@exporter(
    "html",
    ".html",
    ".htm",
    kind="document",
    description="a self-contained HTML reading edition (a folder adds an index and registers)",
    options=("corpus", "document_number", "xslt", "report"),
)
@teikit.recursion.deep_walks  # the renderer follows the document's nesting (issue 17)
def write_html(
    documents: Iterable[TeiDocument | DocumentModel],
    stream: IO[str],
    *,
    corpus: Corpus | None = None,
    document_number: int | None = None,
    xslt: etree.XSLT | None = None,
    report: Report | None = None,
) -> None:
    """Write one document as an HTML reading edition.

    *corpus* and *document_number* link the page into a folder export; *xslt* replaces
    the built-in rendering by a compiled stylesheet (see :func:`load_stylesheet`).
    """
    items = list(documents)
    if len(items) != 1:
        raise ValueError(
            f"the html exporter writes one document per output, got {len(items)}; "
            "export several documents to a folder"
        )
    if xslt is not None:
        stream.write(_transform(xslt, items[0]))
        return
    model = to_models(items)[0]
    stream.write(render_html(model, corpus, document_number))

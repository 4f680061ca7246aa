"""The parts of the HTML reading edition (``teikit.exporters.to_html`` registers the format).

``markup``: building and serialising pages, the style sheet (``edition.css``, a package
resource); ``text``: the reading text and its notes; ``page``: one document's page with
its header and register; ``corpus``: the index and register pages of a folder export.
"""

"""The document model of ``teikit export``: built once per document, rendered by every format.

:func:`build_model` reads a :class:`~teikit.document.TeiDocument` into a
:class:`DocumentModel`: header metadata, the reading text as a small tree of blocks and
inline spans (whitespace normalised as TEI prescribes), the proposals, the notes numbered
as footnotes, every mention with its position and the register entries it resolves to
(through the shared :class:`~teikit.pointers.PointerResolver`). :func:`build_corpus`
joins several models into corpus-wide registers. The HTML, Markdown, text, JSON and
GeoJSON exporters only render this model; none of them reads TEI itself.

:func:`export_documents` is the one library function behind ``teikit export``: it loads
the documents, builds the models and writes each output atomically.

This module gathers the public names of the modules that do the work: the records
(:mod:`~teikit.exporters.records`), text flattening (:mod:`~teikit.exporters.flatten`), the
builder (:mod:`~teikit.exporters.builder`, with :mod:`~teikit.exporters.state`,
:mod:`~teikit.exporters.body` and :mod:`~teikit.exporters.header`), the corpus
(:mod:`~teikit.exporters.corpus`) and the export run (:mod:`~teikit.exporters.run`).

>>> from teikit import load
>>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><standOff><listPerson>'
...     b'<person xml:id="mao"><persName>Mao Zedong</persName></person></listPerson>'
...     b'</standOff><text><body><p>From <persName ref="#mao">MAO</persName>.</p></body>'
...     b'</text></TEI>')
>>> model = build_model(doc)
>>> [(m.text, m.entities, m.start, m.end) for m in model.mentions]
[('MAO', ('mao',), 5, 8)]
"""

from __future__ import annotations

from teikit.exporters.builder import AUTHORITY_URLS, build_model, to_models
from teikit.exporters.corpus import Corpus, CorpusEntity, Occurrence, build_corpus
from teikit.exporters.flatten import (
    LINE_CONTAINERS,
    Paragraph,
    flatten,
    paragraphs,
    plain_text,
    quote_marks,
)
from teikit.exporters.records import (
    KIND_ORDER,
    Authority,
    Block,
    Break,
    Container,
    DateEntry,
    DateValue,
    DocumentModel,
    Entity,
    Identifier,
    Inline,
    Licence,
    Metadata,
    Node,
    Note,
    NoteRef,
    Party,
    Responsibility,
    Span,
    Text,
    TextMention,
    TextProposal,
    Topic,
)
from teikit.exporters.run import (
    CorpusPages,
    ExportResult,
    RenderError,
    corpus_pages,
    corpus_wide,
    export_documents,
    is_corpus_wide,
)

#: The names ``TextMention`` and ``TextProposal`` had before they were told apart from
#: :class:`teikit.entities.Mention` and :class:`teikit.entities.Proposal`; kept for code
#: that imports them from here.
Mention = TextMention
Proposal = TextProposal

__all__ = [
    "AUTHORITY_URLS",
    "KIND_ORDER",
    "LINE_CONTAINERS",
    "Authority",
    "Block",
    "Break",
    "Container",
    "Corpus",
    "CorpusEntity",
    "CorpusPages",
    "DateEntry",
    "DateValue",
    "DocumentModel",
    "Entity",
    "ExportResult",
    "Identifier",
    "Inline",
    "Licence",
    "Metadata",
    "Node",
    "Note",
    "NoteRef",
    "Occurrence",
    "Paragraph",
    "Party",
    "RenderError",
    "Responsibility",
    "Span",
    "Text",
    "TextMention",
    "TextProposal",
    "Topic",
    "build_corpus",
    "build_model",
    "corpus_pages",
    "corpus_wide",
    "export_documents",
    "flatten",
    "is_corpus_wide",
    "paragraphs",
    "plain_text",
    "quote_marks",
    "to_models",
]

"""Plain-text exporter: the reading text of a document, with a short header and footnotes.

One paragraph per line, a blank line between paragraphs, line breaks where the TEI has
``lb`` or lines of an address or closer; editorial additions in brackets (``[Stalin]``),
quotations in the language's quotation marks, deleted text left out, notes as numbered
footnotes (``[1]``) after the text. No wrapping, no mark-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Final

from teikit.document import TeiDocument
from teikit.exporters import exporter
from teikit.exporters.builder import to_models
from teikit.exporters.flatten import Paragraph, paragraphs, plain_text
from teikit.exporters.records import DocumentModel, Metadata
from teikit.recursion import deep_walks

__all__ = ["render_text", "single_model", "write_text"]

_RULE: Final = "="


def single_model(documents: Iterable[TeiDocument | DocumentModel], fmt: str) -> DocumentModel:
    """Return the one document of *documents* as a model.

    :raises ValueError: there is not exactly one document.
    """
    models = to_models(documents)
    if len(models) != 1:
        raise ValueError(
            f"the {fmt} exporter writes one document per output, got {len(models)}; "
            "export several documents to a folder"
        )
    return models[0]


def _call(number: int) -> str:
    return f"[{number}]"


def _header(metadata: Metadata) -> list[str]:
    lines = [metadata.title, _RULE * min(len(metadata.title), 80)]
    fields = [
        ("From", "; ".join(p.name for p in metadata.senders)),
        ("To", "; ".join(p.name for p in metadata.recipients)),
        ("Place", "; ".join(p.name for p in metadata.places)),
    ]
    if metadata.date is not None:
        iso = metadata.date.iso
        shown = metadata.date.text or iso or ""
        fields.append(("Date", f"{shown} ({iso})" if iso and iso != shown else shown))
    fields.append(("Source", metadata.source or ""))
    fields.append(
        (
            "Reference",
            "; ".join(
                f"{i.type.replace('-', ' ')} {i.value}" if i.type else i.value
                for i in metadata.identifiers
            ),
        )
    )
    lines.extend(f"{label}: {value}" for label, value in fields if value)
    return lines


def _paragraph_text(paragraph: Paragraph) -> str:
    lines = []
    for block in paragraph.blocks:
        text, _ = plain_text(block.children, block.lang, _call)
        if not text:
            continue
        if paragraph.kind == "list":
            text = "- " + text.replace("\n", "\n  ")
        lines.append(text)
    return (" | " if paragraph.kind == "row" else "\n").join(lines)


def render_text(model: DocumentModel) -> str:
    """Return the plain text of *model*."""
    parts = ["\n".join(_header(model.metadata))]
    parts.extend(filter(None, (_paragraph_text(p) for p in paragraphs(model.structure))))
    if model.notes:
        notes = ["Notes", "-----"]
        for note in model.notes:
            texts = [
                text
                for paragraph in paragraphs(note.blocks)
                if (text := _paragraph_text(paragraph))
            ]
            body = "\n\n    ".join(t.replace("\n", "\n    ") for t in texts)
            notes.append(f"{_call(note.number)} {body}".rstrip())
        parts.append("\n".join(notes[:2]) + "\n\n" + "\n\n".join(notes[2:]))
    return "\n\n".join(parts) + "\n"


@exporter(
    "text",
    ".txt",
    kind="document",
    description="the reading text as plain text, notes as numbered footnotes",
)
@deep_walks  # the renderer follows the document's nesting (issue 17)
def write_text(documents: Iterable[TeiDocument | DocumentModel], stream: IO[str]) -> None:
    """Write the reading text of one document as plain UTF-8 text."""
    stream.write(render_text(single_model(documents, "text")))

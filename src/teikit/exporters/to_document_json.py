"""JSON exporter of the document model (``teikit export --to json``).

The object holds the header metadata, the structure (divisions, blocks with their plain
reading text), the proposals with numbers, topics and text, the notes, every mention with
its position (block id and offsets into that block's ``text``) and the register entries
with their resolved data. ``schemas/teikit-export.schema.json`` describes it; keys never
disappear (absent values are ``null`` or ``[]``), new keys are only ever added.
Named ``to_document_json`` beside ``to_json``, the entity-rows exporter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any, Final

from teikit.document import TeiDocument
from teikit.exporters import exporter
from teikit.exporters.flatten import plain_text
from teikit.exporters.records import Block, DateValue, DocumentModel, Metadata, Node, Topic
from teikit.exporters.to_text import single_model
from teikit.recursion import deep_walks

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "model_as_dict", "write_document_json"]

#: The ``format`` member of every export, and the version of its layout.
FORMAT_NAME: Final = "teikit-export"
FORMAT_VERSION: Final = 1
# Characters that JavaScript and str.splitlines() take as line ends.
_LINE_ENDS: Final = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_ATTRIBUTES: Final = ("type", "subtype", "n", "rend", "lang")


def _date(date: DateValue | None) -> dict[str, Any] | None:
    if date is None:
        return None
    return {
        "text": date.text,
        "when": date.when,
        "start": date.start,
        "end": date.end,
        "iso": date.iso,
    }


def _topics(topics: Iterable[Topic]) -> list[dict[str, Any]]:
    return [{"id": t.id, "label": t.label} for t in topics]


def _attributes(attrs: dict[str, str]) -> dict[str, str]:
    return {name: attrs[name] for name in _ATTRIBUTES if name in attrs}


def _block(block: Block) -> dict[str, Any]:
    offsets: list[tuple[int, int]] = []
    plain_text(block.children, block.lang, None, offsets)
    return {
        "node": "block",
        "element": block.element,
        "id": block.id,
        "xml_id": block.xml_id,
        "attributes": _attributes(block.attrs),
        "lang": block.lang,
        "text": block.text,
        "notes": [{"number": number, "offset": offset} for number, offset in offsets],
    }


def _node(node: Node) -> dict[str, Any]:
    if isinstance(node, Block):
        return _block(node)
    return {
        "node": "container",
        "element": node.element,
        "xml_id": node.xml_id,
        "attributes": _attributes(node.attrs),
        "topics": _topics(node.topics),
        "children": [_node(child) for child in node.children],
    }


def _metadata(metadata: Metadata) -> dict[str, Any]:
    return {
        "title": metadata.title,
        "language": metadata.language,
        "senders": [{"name": p.name, "entity": p.entity} for p in metadata.senders],
        "recipients": [{"name": p.name, "entity": p.entity} for p in metadata.recipients],
        "places": [{"name": p.name, "entity": p.entity} for p in metadata.places],
        "date": _date(metadata.date),
        "source": metadata.source,
        "source_type": metadata.source_type,
        "identifiers": [{"type": i.type, "value": i.value} for i in metadata.identifiers],
        "description": metadata.description,
        "responsibilities": [
            {"resp": r.resp, "names": list(r.names)} for r in metadata.responsibilities
        ],
        "publisher": metadata.publisher,
        "licence": (
            {"text": metadata.licence.text, "url": metadata.licence.url}
            if metadata.licence is not None
            else None
        ),
        "topics": _topics(metadata.topics),
    }


def model_as_dict(model: DocumentModel) -> dict[str, Any]:
    """Return the JSON-ready dictionary of *model* (the layout of the JSON Schema)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "document": model.name,
        "id": model.xml_id,
        "metadata": _metadata(model.metadata),
        "structure": [_node(node) for node in model.structure],
        "proposals": [
            {
                "id": p.id,
                "number": p.number,
                "subtype": p.subtype,
                "topics": _topics(p.topics),
                "text": p.text,
                "entities": list(p.entities),
            }
            for p in model.proposals
        ],
        "notes": [
            {
                "number": n.number,
                "id": n.id,
                "xml_id": n.xml_id,
                "call": n.call,
                "type": n.type,
                "resp": n.resp,
                "targets": list(n.targets),
                "blocks": [_node(block) for block in n.blocks],
            }
            for n in model.notes
        ],
        "mentions": [
            {
                "id": m.id,
                "type": m.type,
                "element": m.element,
                "text": m.text,
                "pointer": m.pointer,
                "status": m.status,
                "entities": list(m.entities),
                "href": m.href,
                "date": _date(m.date),
                "position": {
                    "block": m.block,
                    "start": m.start,
                    "end": m.end,
                    "line": m.line,
                    "xpath": m.xpath,
                },
                "proposal": m.proposal,
                "note": m.note,
            }
            for m in model.mentions
        ],
        "entities": [
            {
                "key": e.key,
                "id": e.id,
                "type": e.type,
                "name": e.name,
                "name_forms": list(e.name_forms),
                "authorities": [
                    {"authority": a.authority, "id": a.id, "url": a.url} for a in e.authorities
                ],
                "other_ids": list(e.other_ids),
                "description": list(e.description),
                "birth": e.birth,
                "death": e.death,
                "coordinates": (
                    {"latitude": e.latitude, "longitude": e.longitude}
                    if e.latitude is not None and e.longitude is not None
                    else None
                ),
                "source": e.source,
                "line": e.line,
                "mentions": list(e.mentions),
                "mention_count": len(e.mentions),
            }
            for e in model.entities
        ],
        "dates": [{"iso": d.iso, "id": d.id, "mentions": list(d.mentions)} for d in model.dates],
    }


@exporter(
    "json",
    ".json",
    kind="document",
    description="the document model as JSON (schemas/teikit-export.schema.json)",
)
@deep_walks  # the renderer follows the document's nesting (issue 17)
def write_document_json(documents: Iterable[TeiDocument | DocumentModel], stream: IO[str]) -> None:
    """Write the model of one document as an indented JSON object."""
    data = model_as_dict(single_model(documents, "json"))
    stream.write(json.dumps(data, ensure_ascii=False, indent=2).translate(_LINE_ENDS) + "\n")

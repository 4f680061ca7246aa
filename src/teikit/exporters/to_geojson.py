"""GeoJSON exporter (RFC 7946): the places of one document or a whole corpus.

One ``FeatureCollection`` for all the documents exported: a ``Point`` feature per place
of the register that has coordinates, in **longitude, latitude** order as RFC 7946
section 3.1.1 requires (TEI's ``geo`` is written "latitude longitude"), with the
properties ``id``, ``name``, ``name_forms``, ``mention_count``, ``documents`` and the
authority links. Places without usable coordinates are not dropped silently: each is a
warning (``export.no-coordinates`` or ``export.bad-coordinates``) in the run's report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any, Final

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument
from teikit.exporters import exporter
from teikit.exporters.builder import to_models
from teikit.exporters.corpus import Corpus, CorpusEntity, build_corpus
from teikit.exporters.records import DocumentModel
from teikit.exporters.run import corpus_wide

__all__ = ["places_collection", "write_geojson"]

_LINE_ENDS: Final = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _name_forms(corpus: Corpus, entry: CorpusEntity) -> list[str]:
    forms: dict[str, None] = {}
    for occurrence in entry.occurrences:
        entity = corpus.documents[occurrence.document].entity(occurrence.key)
        if entity is not None:
            forms.update(dict.fromkeys(entity.name_forms))
    return list(forms)


def _problem(entry: CorpusEntity) -> Diagnostic | None:
    entity = entry.entity
    lat, lon = entity.latitude, entity.longitude
    if lat is None or lon is None:
        return Diagnostic(
            Severity.WARNING,
            "export.no-coordinates",
            f"place {entity.id!r} ({entity.name}) has no coordinates (location/geo); "
            "left out of the GeoJSON",
            entity.source,
            entity.line,
        )
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return Diagnostic(
            Severity.WARNING,
            "export.bad-coordinates",
            f"place {entity.id!r} ({entity.name}) has coordinates out of range "
            f"(latitude {lat}, longitude {lon}; TEI geo is written 'latitude longitude'); "
            "left out of the GeoJSON",
            entity.source,
            entity.line,
        )
    return None


def places_collection(corpus: Corpus) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Return the GeoJSON FeatureCollection of the corpus's places and the places left out.

    >>> from teikit import load
    >>> from teikit.exporters.model import build_model, build_corpus
    >>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><standOff><listPlace>'
    ...     b'<place xml:id="k"><placeName>Kaesong</placeName><location>'
    ...     b'<geo>37.97 126.55</geo></location></place></listPlace></standOff></TEI>')
    >>> collection, _ = places_collection(build_corpus([build_model(doc)]))
    >>> collection["features"][0]["geometry"]["coordinates"]
    [126.55, 37.97]
    """
    features: list[dict[str, Any]] = []
    left_out: list[Diagnostic] = []
    for entry in corpus.of_kind("place"):
        problem = _problem(entry)
        if problem is not None:
            left_out.append(problem)
            continue
        entity = entry.entity
        assert entity.latitude is not None
        assert entity.longitude is not None
        features.append(
            {
                "type": "Feature",
                "id": entry.key,
                "geometry": {
                    "type": "Point",
                    # RFC 7946 3.1.1: longitude first
                    "coordinates": [entity.longitude, entity.latitude],
                },
                "properties": {
                    "id": entity.id,
                    "name": entity.name,
                    "name_forms": _name_forms(corpus, entry),
                    "mention_count": entry.mention_count,
                    "documents": corpus.document_names(entry),
                    "authorities": {a.authority: a.url for a in entity.authorities},
                    "source": entity.source,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}, left_out


@exporter(
    "geojson",
    ".geojson",
    kind="document",
    description="the places with coordinates as one GeoJSON FeatureCollection (RFC 7946)",
    options=("corpus", "report"),
)
def write_geojson(
    documents: Iterable[TeiDocument | DocumentModel],
    stream: IO[str],
    *,
    corpus: Corpus | None = None,
    report: Report | None = None,
) -> None:
    """Write the places of all *documents* as a GeoJSON FeatureCollection.

    Places without coordinates are added to *report* as warnings.
    """
    if corpus is None:
        corpus = build_corpus(to_models(documents))
    collection, left_out = places_collection(corpus)
    if report is not None:
        report.extend(left_out)
    text = json.dumps(collection, ensure_ascii=False, indent=2).translate(_LINE_ENDS)
    stream.write(text + "\n")


corpus_wide("geojson")

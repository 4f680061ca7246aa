"""``annotate``: write lint's proposals into a copy of the document, for review (issue 7).

The markup is spliced into the source text itself, so every other byte of the document
(XML declaration, ``<?xml-model?>``, comments, attribute order and quotes, entity and
character references, indentation) stays as it was. Each inserted element carries the
proposed ``@ref`` or ``@when``, ``@cert="medium"`` and ``@resp`` pointing to a ``respStmt``
for teikit that is added to the ``titleStmt`` once. Only unambiguous proposals are applied,
and only inside elements whose content may hold a name or a date (:data:`PHRASE_PARENTS`).
The text content of the document never changes: :func:`annotate` checks it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.sax.saxutils import quoteattr

from lxml import etree

from teikit.document import TeiDocument, load
from teikit.errors import AnnotateError, TeikitError
from teikit.linting.model import Suggestion
from teikit.linting.proposals import PHRASE_PARENTS, ProposalContext
from teikit.linting.source import SourceMap, decode_source
from teikit.namespaces import TEI_NS, XML_ID
from teikit.roots import load_tei

__all__ = ["Annotation", "AnnotateError", "annotate", "unified_diff"]

_T: Final = f"{{{TEI_NS}}}"
_TITLE_STMT: Final = f"{_T}teiHeader/{_T}fileDesc/{_T}titleStmt"
_TEXT: Final = f"{_T}text"
#: The certainty written on every proposed element (TEI ``teidata.certainty``).
CERTAINTY: Final = "medium"
_APPLIED: Final = frozenset({"lint.untagged-name", "lint.untagged-date", "lint.date-without-value"})


@dataclass(frozen=True, slots=True)
class Annotation:
    """The annotated document and what was (and was not) applied."""

    text: str
    encoding: str
    applied: tuple[Suggestion, ...]
    #: Suggestions not applied, each with the reason.
    skipped: tuple[tuple[Suggestion, str], ...]
    original: str

    @property
    def data(self) -> bytes:
        """Return the annotated document encoded as the input was."""
        return self.text.encode(self.encoding, "xmlcharrefreplace")


def _tei_prefix(element: etree._Element) -> str | None:
    """Return ``""`` for the default namespace, ``"p:"`` for a prefix, ``None`` if unbound."""
    prefixes = [p for p, uri in element.nsmap.items() if uri == TEI_NS]
    if not prefixes:
        return None
    return "" if None in prefixes else f"{sorted(p for p in prefixes if p)[0]}:"


def _free_id(root: etree._Element, wanted: str) -> tuple[str, bool]:
    """Return an ``xml:id`` for teikit's respStmt and whether it exists already."""
    ids = {e.get(XML_ID): e for e in root.iter() if isinstance(e.tag, str) and e.get(XML_ID)}
    candidate, number = wanted, 1
    while candidate in ids:
        if ids[candidate].tag == f"{_T}respStmt":
            return candidate, True
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate, False


def _string_value(root: etree._Element) -> list[str]:
    return ["".join(str(t) for t in text.itertext()) for text in root.iter(_TEXT)]


class _Splicer:
    def __init__(self, document: TeiDocument, source: SourceMap) -> None:
        self.document = document
        self.source = source
        self.insertions: list[tuple[int, int, str]] = []

    def add(self, offset: int, priority: int, text: str) -> None:
        self.insertions.append((offset, priority, text))

    def result(self) -> str:
        pieces: list[str] = []
        last = 0
        original = self.source.source
        for offset, _priority, text in sorted(self.insertions, key=lambda i: (i[0], i[1])):
            pieces.append(original[last:offset])
            pieces.append(text)
            last = offset
        pieces.append(original[last:])
        return "".join(pieces)


def _resp_statement(document: TeiDocument, source: SourceMap, splicer: _Splicer) -> str | None:
    """Add teikit's ``respStmt`` to the ``titleStmt``; return the ``@resp`` value to use."""
    title_stmt = document.root.find(_TITLE_STMT)
    if title_stmt is None or title_stmt not in source.end_tag_start or not len(title_stmt):
        return None
    ident, exists = _free_id(document.root, "teikit")
    if exists:
        return f"#{ident}"
    prefix = _tei_prefix(title_stmt)
    if prefix is None:
        return None
    last = title_stmt[-1]
    slot = source.slot(last, True)
    start = source.start_tag_start.get(last) if isinstance(last.tag, str) else None
    if slot is None:
        return None
    line_start = source.source.rfind("\n", 0, start if start is not None else slot[0]) + 1
    indent = source.source[line_start : start if start is not None else line_start]
    indent = indent if not indent.strip() else ""
    p = prefix
    statement = (
        f'\n{indent}<{p}respStmt xml:id="{ident}"><{p}resp>markup proposed by teikit annotate '
        f"(cert={CERTAINTY}), to be reviewed</{p}resp><{p}name>teikit</{p}name></{p}respStmt>"
    )
    splicer.add(slot[0], 2, statement)
    return f"#{ident}"


def _skip_reason(suggestion: Suggestion, source: SourceMap) -> str | None:
    """Return why *suggestion* cannot be applied, or ``None`` when it can."""
    anchor = suggestion.anchor
    if suggestion.code not in _APPLIED:
        return "nothing to propose (ambiguous or impossible)"
    if suggestion.value is None:
        return "no value could be inferred"
    if anchor is None or anchor.source_span is None:
        return "its position in the source is unknown"
    if suggestion.code == "lint.date-without-value":
        return None
    parent = anchor.element.getparent() if anchor.tail else anchor.element
    if parent is None or parent.tag not in PHRASE_PARENTS:
        name = etree.QName(parent).localname if parent is not None else "?"
        return f"<{suggestion.element}> is not allowed inside <{name}>"
    if _tei_prefix(parent) is None:
        return "the TEI namespace is not in scope"
    return None


def annotate(
    source: str | os.PathLike[str] | bytes,
    *,
    kinds: Collection[str] | None = None,
    indexes: Sequence[str | Path | TeiDocument] = (),
    corpus: ProposalContext | None = None,
    name: str | None = None,
    ignore: Sequence[str] | None = None,
    keep_valid: bool = True,
    config: Path | None = None,
) -> Annotation:
    """Return *source* with lint's unambiguous proposals inserted as markup.

    *kinds* limits the proposals (``person``, ``place``, ``org``, ``date``); the gazetteer
    is *corpus*, else the registers of the document itself and of *indexes*, less the
    phrases in *ignore* (default: the ``[lint] ignore`` setting that applies to the file);
    the ``[lint] skip`` setting applies as in :func:`lint`.
    The input is never written to.

    With *keep_valid* (the default), a document that is valid against its schemas (those
    ``teikit validate`` would choose, with the integrity checks and *indexes*) stays valid:
    if the proposals together break it, they are applied one by one and each one that would
    make it invalid is left out, with that reason. *config* is the configuration file
    (``--config``); by default the one found from the file's folder applies.

    :raises TeikitError: the document cannot be read, is not well-formed, or an index
        cannot be loaded.

    >>> doc = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><p>on 3.7.1951</p></text></TEI>'
    >>> annotate(doc).text[47:]
    '<p>on <date when="1951-07-03" cert="medium">3.7.1951</date></p></text></TEI>'
    """
    from teikit.linting import build_context, configured_lint_setting, propose

    if isinstance(source, bytes):
        data, document = source, load_tei(source, name=name)
    else:
        document = load_tei(source, name=name)
        data = Path(source).read_bytes()
    encoding = document.tree.docinfo.encoding or "UTF-8"
    text = decode_source(data, encoding)
    if text is None:
        raise AnnotateError(f"{document.name}: cannot decode the source as {encoding}")
    source_map = SourceMap(text, document.root)
    if not source_map.ok:
        raise AnnotateError(f"{document.name}: the source could not be matched with its tree")
    if corpus is None:
        here = [] if isinstance(source, bytes) else [Path(source)]
        if ignore is None:
            ignore = configured_lint_setting(here, "ignore", config)
        skip = configured_lint_setting(here, "skip", config)
        corpus, _records = build_context([document], indexes, ignore=ignore, skip=skip)
    suggestions = propose(document, corpus, source=source_map, kinds=kinds)
    skipped: list[tuple[Suggestion, str]] = []
    ready: list[Suggestion] = []
    for suggestion in suggestions:
        reason = _skip_reason(suggestion, source_map)
        if reason is None:
            ready.append(suggestion)
        else:
            skipped.append((suggestion, reason))
    applied = ready
    result = _render(document, source_map, ready)
    if ready:
        _check(document, result, encoding)
        if keep_valid:
            validity = _Validity(document, indexes, encoding, config)
            if validity.holds(data) and not validity.holds(result):
                applied = []
                for suggestion in ready:
                    if validity.holds(_render(document, source_map, [*applied, suggestion])):
                        applied.append(suggestion)
                    else:
                        skipped.append((suggestion, _BREAKS_VALIDITY))
                result = _render(document, source_map, applied)
    return Annotation(result, _codec(data, encoding), tuple(applied), tuple(skipped), text)


_BREAKS_VALIDITY: Final = "would make the document invalid against its schema"


def _render(document: TeiDocument, source_map: SourceMap, chosen: Sequence[Suggestion]) -> str:
    """Return the source text with the *chosen* suggestions spliced in."""
    splicer = _Splicer(document, source_map)
    resp = _resp_statement(document, source_map, splicer) if chosen else None
    extra = f' cert="{CERTAINTY}"' + (f" resp={quoteattr(resp)}" if resp else "")
    for suggestion in chosen:
        anchor = suggestion.anchor
        assert anchor is not None
        assert anchor.source_span is not None
        assert suggestion.value
        value = quoteattr(suggestion.value)
        if suggestion.code == "lint.date-without-value":
            element = anchor.element
            attributes = f" {suggestion.attribute}={value}"
            if element.get("cert") is None:
                attributes += f' cert="{CERTAINTY}"'
            if element.get("resp") is None and resp:
                attributes += f" resp={quoteattr(resp)}"
            splicer.add(anchor.source_span[0], 1, attributes)
        else:
            parent = anchor.element.getparent() if anchor.tail else anchor.element
            assert parent is not None
            p = _tei_prefix(parent)
            start, end = anchor.source_span
            splicer.add(
                start, 1, f"<{p}{suggestion.element} {suggestion.attribute}={value}{extra}>"
            )
            splicer.add(end, 0, f"</{p}{suggestion.element}>")
    return splicer.result()


class _Validity:
    """Whether a version of the document is free of errors against the input's schemas."""

    def __init__(
        self,
        document: TeiDocument,
        indexes: Sequence[str | Path | TeiDocument],
        encoding: str,
        config: Path | None = None,
    ) -> None:
        from teikit.validation import ValidationOptions, Validator
        from teikit.validation.schemas import schemas_for

        self._name = document.name
        self._encoding = encoding
        self._validator: Validator | None = None
        try:
            refs = schemas_for(document, config=config)
        except TeikitError:  # a schema the input names cannot be had: nothing to keep
            return
        self._validator = Validator(
            ValidationOptions(
                schemas=tuple(ref.path for ref in refs),
                indexes=tuple(Path(i) for i in indexes if not isinstance(i, TeiDocument)),
                cache=False,
            )
        )

    def holds(self, version: str | bytes) -> bool:
        """Return whether *version* (text or the input's bytes) validates without error."""
        from teikit.diagnostics import Severity
        from teikit.validation.runner import Input

        if self._validator is None:
            return False
        data = (
            version
            if isinstance(version, bytes)
            else version.encode(self._encoding, "xmlcharrefreplace")
        )
        outcome = self._validator.check(Input(self._name, None, data))
        return not any(d.severity >= Severity.ERROR for d in outcome.diagnostics)


def _codec(data: bytes, encoding: str) -> str:
    if encoding.lower() in ("utf-8", "utf8") and data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return encoding


def _check(document: TeiDocument, result: str, encoding: str) -> None:
    """Make sure the annotated text parses and has the same text content as the input."""
    try:
        annotated = load(result.encode(encoding, "xmlcharrefreplace"), name=document.name)
    except TeikitError as exc:  # pragma: no cover - a bug in the splicing
        raise AnnotateError(f"{document.name}: annotating would break the document: {exc}") from exc
    if _string_value(annotated.root) != _string_value(document.root):  # pragma: no cover
        raise AnnotateError(f"{document.name}: annotating would change the text content")


def unified_diff(annotation: Annotation, name: str) -> str:
    """Return a unified diff from the input to the annotated document."""
    return "".join(
        difflib.unified_diff(
            annotation.original.splitlines(keepends=True),
            annotation.text.splitlines(keepends=True),
            fromfile=name,
            tofile=f"{name} (annotated)",
        )
    )

"""Corpus-wide checks of mentions and registers, and the gazetteer they are read into.

:func:`read_context` turns the records of :func:`~teikit.entities.extract_entities`
(mentions and register entries, over every linted file and ``--index`` file) into a
:class:`~teikit.linting.proposals.ProposalContext`; :func:`check_registers` reports mentions
without a pointer, one surface form pointing to several entries, entries never mentioned and
entries without an authority identifier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from teikit.diagnostics import Diagnostic
from teikit.entities.model import Location, Mention, Record, RegisterEntry, Status
from teikit.kinds import ELEMENT_OF_KIND
from teikit.linting.model import CODES
from teikit.linting.names import derived_forms, tokens_of
from teikit.linting.proposals import ProposalContext

__all__ = ["CorpusRecords", "check_registers", "read_context"]

_NAME_KINDS = frozenset(ELEMENT_OF_KIND)
# Descriptive references (rs, name) are used as forms only when they look like a name.
_DESCRIPTIVE = frozenset({"rs", "name"})


@dataclass(slots=True)
class CorpusRecords:
    """The mentions and register entries of a lint run."""

    mentions: list[Mention] = field(default_factory=list)
    entries: dict[tuple[str, str], RegisterEntry] = field(default_factory=dict)

    def add(self, records: Iterable[Record]) -> None:
        """Add mentions and register entries from *records* (other records are ignored)."""
        for record in records:
            if isinstance(record, Mention):
                self.mentions.append(record)
            elif isinstance(record, RegisterEntry):
                self.entries.setdefault((record.source, record.id), record)


def _single_entry(mention: Mention) -> tuple[str, str, str | None] | None:
    """Return ``(id, kind, defining document)`` of a mention that names exactly one entry."""
    resolved = {
        (t.entity_id, t.kind, t.source)
        for t in mention.targets
        if t.status is Status.RESOLVED and t.entity_id is not None and t.kind in _NAME_KINDS
    }
    if len(resolved) != 1:
        return None
    ident, kind, source = next(iter(resolved))
    assert ident is not None
    assert kind is not None
    return ident, kind, source


def _shares_a_name(text: str, names: set[str]) -> bool:
    """Return whether *text* has a word of the entry's registered names (``Tillichs``: yes).

    Descriptive references (``rs``) tag pronouns, kinship terms and titles too ("Du",
    "Großpapa", "der Verfasser"): as forms they would match everywhere, so an ``rs`` is
    used only when it repeats a word of a registered name (a genitive ending allowed).
    """
    for key, _start, _end in tokens_of(text):
        if len(key) < 2 or not key[0].isalpha():
            continue
        if key in names or (len(key) > 3 and key[:-1] in names) or key.rstrip("s'") in names:
            return True
    return False


def read_context(records: CorpusRecords, index_names: Collection[str] = ()) -> ProposalContext:
    """Return the gazetteer of *records*: register forms, then the forms tagged in the text."""
    corpus = ProposalContext(index_names=frozenset(index_names))
    gazetteer = corpus.gazetteer
    words: dict[str, set[str]] = {}
    for entry in records.entries.values():
        known = words.setdefault(entry.id, set())
        for form in entry.name_forms:
            known.update(key for key, _start, _end in tokens_of(form))
            for variant in (form, *derived_forms(form, entry.type)):
                gazetteer.add(variant, entry.id, entry.type, "register form", entry.source)
    for mention in records.mentions:
        single = _single_entry(mention)
        if single is None or mention.type not in _NAME_KINDS | {"name"}:
            continue
        ident, kind, source = single
        if mention.element in _DESCRIPTIVE and not _shares_a_name(
            mention.text, words.get(ident, set())
        ):
            continue
        gazetteer.add(mention.text, ident, kind, "tagged form", source)
    return corpus


def _diagnostic(
    code: str, message: str, file: str, line: int | None, xpath: str | None
) -> Diagnostic:
    return Diagnostic(CODES[code], code, message, file, line, None, xpath)


def check_registers(
    records: CorpusRecords, corpus: ProposalContext, kinds: Collection[str] | None = None
) -> Iterator[Diagnostic]:
    """Yield the corpus-wide findings about mentions and register entries."""
    wanted = _NAME_KINDS if kinds is None else _NAME_KINDS & set(kinds)
    mentioned: Counter[str] = Counter()
    by_form: dict[tuple[str, ...], dict[str, list[Mention]]] = {}
    for mention in records.mentions:
        mentioned.update(set(mention.entity_ids))
        if mention.type not in wanted:
            continue
        if mention.pointer is None and mention.location is Location.TEXT:
            yield _without_ref(mention, corpus)
        single = _single_entry(mention)
        if single is not None:
            key = tuple(t[0] for t in tokens_of(mention.text))
            by_form.setdefault(key, {}).setdefault(single[0], []).append(mention)
    for targets in by_form.values():
        if len(targets) > 1:
            first = min((ms[0] for ms in targets.values()), key=lambda m: (m.document, m.line or 0))
            counts = ", ".join(
                f"#{ident} ({len(ms)}×)"
                for ident, ms in sorted(targets.items(), key=lambda kv: -len(kv[1]))
            )
            yield _diagnostic(
                "lint.inconsistent-ref",
                f'"{first.text}" points to {len(targets)} different entries: {counts}',
                first.document,
                first.line,
                first.xpath or None,
            )
    for entry in records.entries.values():
        if entry.type not in wanted:
            continue
        label = f'register entry #{entry.id} ("{entry.canonical_name or "no name"}")'
        if entry.id not in mentioned:
            yield _diagnostic(
                "lint.unmentioned-entry",
                f"{label} is never mentioned",
                entry.source,
                entry.line,
                None,
            )
        if not entry.identifiers:
            yield _diagnostic(
                "lint.entry-without-authority",
                f"{label} has no authority identifier (Wikidata, VIAF, GND, GeoNames)",
                entry.source,
                entry.line,
                None,
            )


def _without_ref(mention: Mention, corpus: ProposalContext) -> Diagnostic:
    candidates = [c for c in corpus.gazetteer.candidates(mention.text) if c.kind == mention.type]
    message = f'<{mention.element}> "{mention.text}" has no @ref'
    if len(candidates) == 1:
        message += f': propose ref="#{candidates[0].entity_id}"'
    elif candidates:
        message += ": it may name " + ", ".join(f"#{c.entity_id}" for c in candidates)
    return _diagnostic(
        "lint.mention-without-ref", message, mention.document, mention.line, mention.xpath or None
    )

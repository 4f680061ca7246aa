"""Editorial findings, separate from schema validity: what was left untagged (issue 7).

``lint`` reads every file twice: first all of them, for the registers and the name forms
already tagged (the gazetteer), then each one for the names and dates its text holds
untagged. Findings are :class:`~teikit.diagnostics.Diagnostic` records, as ``validate``
reports them; the codes are listed in :data:`CODES` and documented in ``docs/lint.md``.

>>> import teikit
>>> doc = (b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
...        b'<p>Filippov wrote on 3.7.1951.</p></body></text></TEI>')
>>> [(s.text, s.value) for s in suggest(teikit.load(doc))]
[('3.7.1951', '1951-07-03')]
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from teikit.config import configs_for
from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import TeiDocument
from teikit.entities import extract_entities, iter_register_entries, load_indexes
from teikit.entities.config import (
    ConfigError,
    MentionTable,
    mention_table_for,
    read_config_section,
)
from teikit.errors import DocumentLoadError, InputError
from teikit.kinds import parse_kinds as _parse_kinds
from teikit.linting.annotation import AnnotateError, Annotation, annotate, unified_diff
from teikit.linting.checks import CorpusRecords, check_registers, read_context
from teikit.linting.model import CODES, KINDS, Anchor, Suggestion
from teikit.linting.proposals import ProposalContext, document_date, propose
from teikit.linting.source import SourceMap, decode_source
from teikit.namespaces import TEI_NS
from teikit.progress import ProgressCallback
from teikit.roots import load_tei

__all__ = [
    "CODES",
    "AnnotateError",
    "Annotation",
    "annotate",
    "unified_diff",
    "KINDS",
    "Anchor",
    "ProposalContext",
    "LintOptions",
    "Suggestion",
    "build_context",
    "configured_lint_setting",
    "document_date",
    "iter_lint_diagnostics",
    "lint",
    "parse_kinds",
    "propose",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class LintOptions:
    """What to look for and where; the defaults are those of ``teikit lint``."""

    indexes: tuple[Path, ...] = ()
    include: tuple[str, ...] = ("*.xml",)
    exclude: tuple[str, ...] = ()
    #: ``person``, ``place``, ``org``, ``date``; ``None`` for all of them.
    kinds: frozenset[str] | None = None
    #: Run the corpus-wide register checks (mentions without pointer, unmentioned entries...).
    registers: bool = True
    jobs: int = 1
    #: Phrases never reported (and the forms inside them), besides the configured ones.
    ignore: tuple[str, ...] = ()
    #: TEI elements whose content is not searched, besides the configured ones.
    skip: tuple[str, ...] = ()
    #: The configuration file (``--config``); ``None`` to find one from each file's folder.
    config: Path | None = None
    #: What counts as a mention (``teikit.toml``'s ``[mentions]``); ``None``: the built-in table.
    mentions: MentionTable | None = None


def parse_kinds(text: str | None) -> frozenset[str] | None:
    """Return the kinds named in ``--only`` (``persons,places,orgs,dates``), ``None`` for all.

    >>> sorted(parse_kinds("persons, dates"))
    ['date', 'person']

    :raises ValueError: a name is not one of :data:`KINDS`.
    """
    if text is None or not text.strip():
        return None
    names = [n for n in text.split(",") if n.strip()]
    return frozenset(_parse_kinds(names, tuple(KINDS.values())))


def configured_lint_setting(
    paths: Iterable[str | Path], key: str, config: Path | None = None
) -> tuple[str, ...]:
    """Return the list *key* (``ignore`` or ``skip``) of the ``[lint]`` settings for *paths*.

    The settings are those of *config* (``--config``), else of the ``teikit.toml`` (table
    ``[lint]``) or ``pyproject.toml`` (``[tool.teikit.lint]``) found from each path's
    folder (:mod:`teikit.config`), as for the mention types: a project writes down what it
    leaves untagged on purpose.

    :raises ConfigError: a configuration file is broken or the setting is not a list of
        strings.
    """
    values: dict[str, None] = {}
    for config_path in configs_for(paths, config)[0]:
        found = read_config_section(config_path).get("lint", {}).get(key, [])
        if not isinstance(found, list) or not all(isinstance(v, str) for v in found):
            raise ConfigError(f"{config_path}: lint.{key} must be a list of strings")
        values.update(dict.fromkeys(found))
    return tuple(values)


def build_context(
    sources: Sequence[str | Path | bytes | TeiDocument],
    indexes: Sequence[str | Path | TeiDocument] = (),
    *,
    jobs: int = 1,
    ignore: Iterable[str] = (),
    skip: Iterable[str] = (),
    mentions: MentionTable | None = None,
) -> tuple[ProposalContext, CorpusRecords]:
    """Read the registers and tagged names of *sources* and *indexes* into a gazetteer.

    *ignore* lists phrases never to report (see :meth:`Gazetteer.ignore`); *skip* names
    TEI elements whose content is not searched (``note``: the editor's words, not the
    document's).

    :raises TeikitError: an index file cannot be loaded.
    """
    index_documents = load_indexes(indexes)
    records = CorpusRecords()
    for index in index_documents:
        records.add(iter_register_entries(index))
    in_memory = any(isinstance(s, TeiDocument) for s in sources)
    extraction = extract_entities(
        sources,
        indexes=index_documents,
        registers=True,
        jobs=1 if in_memory else jobs,
        mentions=mentions,
    )
    records.add(extraction)
    corpus = read_context(records, [d.name for d in index_documents])
    for phrase in ignore:
        corpus.gazetteer.ignore(phrase)
    corpus.skipped = frozenset(f"{{{TEI_NS}}}{name.removeprefix('tei:')}" for name in skip)
    return corpus, records


def suggest(
    document: TeiDocument,
    corpus: ProposalContext | None = None,
    data: bytes | None = None,
    kinds: Collection[str] | None = None,
) -> list[Suggestion]:
    """Return :func:`propose`'s findings for *document*, located in its source (*data*).

    Without *data* the source is read again from ``document.path``.
    """
    if data is None and document.path is not None:
        try:
            data = document.path.read_bytes()
        except OSError:
            data = None
    source = None
    if data is not None:
        text = decode_source(data, document.tree.docinfo.encoding)
        if text is not None:
            source = SourceMap(text, document.root)
    return propose(document, corpus, source=source, kinds=kinds)


def _order(diagnostic: Diagnostic) -> tuple[int, int, str]:
    return (diagnostic.line or 0, diagnostic.column or 0, diagnostic.code)


def _run(
    sources: Iterable[str | Path],
    options: LintOptions,
    progress: ProgressCallback | None,
) -> Iterator[tuple[str, list[Diagnostic], bool]]:
    """Yield ``(file, findings, is an input)`` for every input, then for the index files."""
    from teikit.validation.runner import ValidationOptions, expand_inputs

    inputs = expand_inputs(
        sources, ValidationOptions(include=options.include, exclude=options.exclude)
    )
    loaded: dict[str, TeiDocument] = {}
    failures: dict[str, Diagnostic] = {}
    firsts: list[str | Path | bytes | TeiDocument] = []
    for item in inputs:
        if item.refused is not None:  # found but not read (a FIFO, a link out of the folder)
            failures[item.name] = item.refused
            continue
        if item.data is None:
            assert item.path is not None
            firsts.append(item.path)
            continue
        try:  # standard input can be read once only: keep the parsed document
            loaded[item.name] = load_tei(item.data, name=item.name)
            firsts.append(loaded[item.name])
        except InputError as exc:
            failures[item.name] = exc.diagnostic
    paths = [item.path for item in inputs if item.path is not None]
    corpus, records = build_context(
        firsts,
        options.indexes,
        jobs=options.jobs,
        ignore=(*options.ignore, *configured_lint_setting(paths, "ignore", options.config)),
        skip=(*options.skip, *configured_lint_setting(paths, "skip", options.config)),
        mentions=options.mentions or mention_table_for(paths, options.config),
    )
    by_file: dict[str, list[Diagnostic]] = {}
    if options.registers:
        for diagnostic in check_registers(records, corpus, options.kinds):
            by_file.setdefault(diagnostic.file or "", []).append(diagnostic)
    names = {item.name for item in inputs}
    for position, item in enumerate(inputs):
        diagnostics = by_file.pop(item.name, [])
        try:
            if item.name in failures:
                raise InputError(failures[item.name])
            document = loaded.pop(item.name, None) or load_tei(item.path or b"", name=item.name)
            diagnostics.extend(document.warnings)
            found = suggest(document, corpus, item.data, options.kinds)
            diagnostics.extend(s.diagnostic() for s in found)
        except InputError as exc:
            diagnostics.append(exc.diagnostic)
        except DocumentLoadError as exc:
            diagnostics.append(Diagnostic(Severity.ERROR, "io.unreadable", str(exc), item.name))
        diagnostics.sort(key=_order)
        if progress is not None:
            progress(position + 1, len(inputs))
        yield item.name, diagnostics, True
    for name, rest in by_file.items():  # findings in --index files
        if name not in names:
            yield name, sorted(rest, key=_order), False


def iter_lint_diagnostics(
    sources: Iterable[str | Path],
    options: LintOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Iterator[Diagnostic]:
    """Yield the editorial findings for *sources* (files, folders or ``-``), file by file.

    :raises TeikitError: an input path does not exist or an index cannot be loaded.
    """
    for _name, diagnostics, _input in _run(sources, options or LintOptions(), progress):
        yield from diagnostics


def lint(
    sources: Iterable[str | Path],
    options: LintOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Report:
    """Lint *sources* and return a :class:`~teikit.diagnostics.Report` (never raises for findings).

    :raises TeikitError: an input path does not exist or an index cannot be loaded.
    """
    started = time.perf_counter()
    report = Report()
    options = options or LintOptions()
    sources = list(sources)
    for name, diagnostics, is_input in _run(sources, options, progress):
        if is_input:
            report.files.append(name)
        report.extend(diagnostics)
    used, skipped = configs_for([f for f in report.files if f != "<stdin>"], options.config)
    report.configuration = [str(p) for p in used]
    report.skipped_configuration = [f"{p} ({why})" for p, why in skipped]
    report.elapsed = time.perf_counter() - started
    return report

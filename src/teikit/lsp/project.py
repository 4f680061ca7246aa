"""What the language server checks an editor's buffer with: validation, lint and registers.

A :class:`Checker` holds what the command line builds once per run (the compiled schemas,
the register files given with ``--index``, lint's gazetteer) and keeps it between edits.
Schemas, configuration and registers are found as the command line finds them: the
document's ``<?xml-model?>``, the ``teikit.toml`` found from its folder (or ``--config``),
the bundled default. Before each check the files that went into them are looked at again
(size and modification time); when one changed, everything is rebuilt.

The buffer is checked as it is in the editor, never read from disk: its text is encoded
for the hardened loader (:func:`teikit.document.load`) as the document declares.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from teikit import encodings
from teikit.config import configs_for
from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import InputError, TeikitError

if TYPE_CHECKING:
    from teikit.document import TeiDocument
    from teikit.pointers import PointerResolver
    from teikit.validation import Validator

__all__ = ["Checker", "Settings", "buffer_bytes"]

#: What lint reports, as it reports it (``teikit lint``): the codes of its findings.
LINT_PREFIX: Final = "lint."


@dataclass(frozen=True, slots=True)
class Settings:
    """The server's options: ``teikit lsp --index ... --config ...`` or the client's."""

    indexes: tuple[Path, ...] = ()
    config: Path | None = None
    lint: bool = True
    #: At most this many findings are published for one document (memory and editor).
    max_diagnostics: int = 1000

    @classmethod
    def merged(cls, base: Settings, options: Any) -> Settings:
        """Return *base* with the client's ``initializationOptions`` (a dict) applied."""
        if not isinstance(options, dict):
            return base
        indexes = options.get("indexes")
        config = options.get("config")
        limit = options.get("maxDiagnostics")
        return cls(
            indexes=tuple(Path(p) for p in indexes)
            if isinstance(indexes, list) and all(isinstance(p, str) for p in indexes)
            else base.indexes,
            config=Path(config) if isinstance(config, str) and config else base.config,
            lint=bool(options.get("lint", base.lint)),
            max_diagnostics=limit if isinstance(limit, int) and limit > 0 else base.max_diagnostics,
        )


def buffer_bytes(text: str) -> bytes:
    """Return the bytes the buffer *text* stands for: encoded as its XML declaration says.

    >>> buffer_bytes('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>')[-6:]
    b'>\\xe9</a>'
    """
    head = text[:200].encode("utf-8", "surrogateescape")
    declared = encodings.declared_encoding(head)
    if declared:
        try:
            return text.encode(declared, "xmlcharrefreplace")
        except (LookupError, UnicodeError):
            pass
    return text.encode("utf-8", "surrogatepass")


def _stamp(paths: Iterable[str | Path]) -> str:
    """Return a key that changes when one of *paths* changes (size, time, presence)."""
    parts: list[str] = []
    for path in paths:
        try:
            info = os.stat(path)
            parts.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}\0-")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class Checker:
    """Validate and lint buffers with schemas, registers and settings kept between edits.

    Used from one worker thread at a time (:meth:`validate`, :meth:`lint`); the register
    documents (:meth:`registers`) are read from the editor's thread as well.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._validator: Validator | None = None
        self._registers: list[TeiDocument] | None = None
        self._watched: dict[str, None] = {}
        self._stamp = ""
        #: The schemas the last check of each document used (by name): completion's grammar.
        self._schemas: dict[str, list[str]] = {}
        #: How many times schemas, registers and configuration were (re)loaded.
        self.generation = 0

    # -- what the checks depend on ---------------------------------------------------------
    def watch(self, paths: Iterable[str | Path]) -> None:
        """Add files whose change must reload everything (schemas a document used...)."""
        with self._lock:
            for path in paths:
                self._watched.setdefault(os.path.abspath(path), None)

    def _dependencies(self, path: Path | None) -> list[str]:
        found = [os.path.abspath(p) for p in self.settings.indexes]
        if self.settings.config is not None:
            found.append(os.path.abspath(self.settings.config))
        if path is not None:
            used, _skipped = configs_for([path], self.settings.config)
            found.extend(os.path.abspath(p) for p in used)
            # a teikit.toml created next to the document must be seen too
            found.append(os.path.join(os.path.dirname(os.path.abspath(path)), "teikit.toml"))
        return found

    def refresh(self, path: Path | None = None) -> bool:
        """Rebuild everything when a schema, register or configuration file changed."""
        with self._lock:
            self.watch(self._dependencies(path))
            stamp = _stamp(self._watched)
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            self.reset()
            return True

    def reset(self) -> None:
        """Forget the compiled schemas, registers and gazetteer (they are built again)."""
        with self._lock:
            self._validator = None
            self._registers = None
            self.generation += 1

    # -- registers --------------------------------------------------------------------------
    def registers(self) -> list[TeiDocument]:
        """Return the ``--index`` register files, loaded once by the hardened loader."""
        with self._lock:
            if self._registers is None:
                from teikit.document import load

                self._registers = [load(path) for path in self.settings.indexes]
            return self._registers

    def resolver(self) -> PointerResolver:
        """Return a pointer resolver over the register files (teikit.pointers)."""
        from teikit.pointers import PointerResolver

        return PointerResolver(self.registers())

    # -- validation --------------------------------------------------------------------------
    def validate(self, name: str, path: Path | None, text: str) -> list[Diagnostic]:
        """Return ``teikit validate``'s findings for the buffer *text* of document *path*.

        The run notices (the schema teikit chose...) are kept, as information.

        :raises TeikitError: a register file cannot be loaded.
        """
        from teikit.validation import ValidationOptions, Validator
        from teikit.validation.runner import Input

        self.refresh(path)
        with self._lock:
            if self._validator is None:
                options = ValidationOptions(
                    indexes=self.settings.indexes, config=self.settings.config, cache=False
                )
                self._validator = Validator(options)
            validator = self._validator
        outcome = validator.check(Input(name, path, buffer_bytes(text)))
        self.watch(outcome.schemas)
        if outcome.schemas:  # a broken buffer names none: keep the last known ones
            with self._lock:
                self._schemas[name] = list(outcome.schemas)
        return list(outcome.diagnostics)

    def grammar(self, name: str) -> Path | None:
        """Return the RELAX NG grammar document *name* was last checked with (None: TEI All)."""
        with self._lock:
            schemas = self._schemas.get(name, [])
        return next((Path(s) for s in schemas if s.endswith(".rng")), None)

    # -- lint ------------------------------------------------------------------------------
    def lint(self, name: str, path: Path | None, text: str) -> list[Diagnostic]:
        """Return ``teikit lint``'s findings for the buffer (none if it is not TEI or broken)."""
        from teikit.linting import suggest
        from teikit.linting.checks import check_registers

        if not self.settings.lint:
            return []
        data = buffer_bytes(text)
        try:
            document, corpus, records = self.corpus(name, path, data)
        except InputError:
            return []  # not well-formed, not TEI: validation says so
        found = [d for d in check_registers(records, corpus) if d.file == name]
        found.extend(s.diagnostic() for s in suggest(document, corpus, data))
        found.sort(key=lambda d: (d.line or 0, d.column or 0, d.code))
        return found

    def corpus(self, name: str, path: Path | None, data: bytes) -> tuple[TeiDocument, Any, Any]:
        """Return the buffer loaded as TEI, and lint's gazetteer and records for it.

        :raises InputError: the buffer is not well-formed or not TEI.
        """
        from teikit.document import load
        from teikit.entities.config import mention_table_for
        from teikit.linting import build_context, configured_lint_setting
        from teikit.roots import require_tei

        document = require_tei(load(data, name=name, path=path))
        here: Sequence[Path] = [path] if path is not None else []
        config = self.settings.config
        corpus, records = build_context(
            [document],
            self.registers(),
            ignore=configured_lint_setting(here, "ignore", config),
            skip=configured_lint_setting(here, "skip", config),
            mentions=mention_table_for(here, config),
        )
        return document, corpus, records


def failure(name: str, exc: TeikitError) -> Diagnostic:
    """Return the finding that says a check could not run (a register file is broken...)."""
    return Diagnostic(Severity.ERROR, "lsp.check-failed", str(exc), name, 1, None)

"""``teikit lsp``: the language server (pygls) that brings teikit's checks into editors.

Diagnostics are computed in worker threads (one validates, one lints), so that completion,
hover and the other requests are answered while a large document is validated; a new edit
cancels the check of the older version (its findings are never published). A request that
fails is logged (``window/logMessage`` and standard error) and answered with an error; the
server goes on.
The server writes no file: every change it proposes is an edit the editor applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import TeikitError
from teikit.lsp import actions, features
from teikit.lsp.buffers import Buffer, Files, path_of, uri_of
from teikit.lsp.project import Checker, Settings, failure
from teikit.lsp.text import finding_span

__all__ = ["TeikitServer", "create_server", "to_lsp"]

logger = logging.getLogger("teikit.lsp")
F = TypeVar("F", bound=Callable[..., Any])

#: Seconds after the last edit before a document is checked again.
DEBOUNCE: Final = 0.3
#: Files of the workspace searched for references, at most.
MAX_WORKSPACE_FILES: Final = 2000
_SEVERITY: Final = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
# lint's findings are proposals, not faults: information and hints
_LINT_SEVERITY: Final = {
    Severity.ERROR: types.DiagnosticSeverity.Warning,
    Severity.WARNING: types.DiagnosticSeverity.Information,
    Severity.INFO: types.DiagnosticSeverity.Hint,
}
_LAST_STEP: Final = re.compile(r"(?:^|/)(?:[\w.-]+:)?([\w.-]+)(?:\[\d+\])?$")


def to_lsp(buffer: Buffer, diagnostic: Diagnostic, *, lint: bool = False) -> types.Diagnostic:
    """Return *diagnostic* as the protocol's record: same code and message, a range."""
    element = None
    if diagnostic.xpath:
        step = _LAST_STEP.search(diagnostic.xpath)
        element = step.group(1) if step is not None else None
    start, end = finding_span(
        buffer.text, buffer.lines, diagnostic.line, diagnostic.column, diagnostic.message, element
    )
    severity = (_LINT_SEVERITY if lint else _SEVERITY)[diagnostic.severity]
    return types.Diagnostic(
        range=features._range(buffer, start, end),
        message=diagnostic.message,
        severity=severity,
        code=diagnostic.code,
        source="teikit lint" if lint else "teikit",
        data={"line": diagnostic.line, "column": diagnostic.column, "xpath": diagnostic.xpath},
    )


class TeikitServer(LanguageServer):
    """The language server: buffers, the checker, and the scheduling of checks."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("teikit", __version__)
        self.settings = settings
        self.checker = Checker(settings)
        self.buffers: dict[str, Buffer] = {}
        self.files = Files(self.buffers.get)
        self.roots: list[Path] = []
        self.debounce = DEBOUNCE
        # validation and lint each in a thread of their own: a new version is validated
        # while lint still reads an older one (whose findings are then dropped)
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="teikit-validate")
        self.lint_worker = ThreadPoolExecutor(1, thread_name_prefix="teikit-lint")
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.validated: dict[str, list[types.Diagnostic]] = {}
        self.linted: dict[str, list[types.Diagnostic]] = {}
        self.fixes: dict[str, actions.Proposals] = {}

    # -- buffers ------------------------------------------------------------------------------
    def buffer(self, uri: str) -> Buffer:
        """Return the open document *uri*.

        :raises LookupError: it is not open.
        """
        found = self.buffers.get(uri)
        if found is None:
            raise LookupError(f"{uri} is not open in the editor")
        return found

    def sync(self, uri: str) -> Buffer:
        """Update the buffer of *uri* from the workspace (the text pygls keeps)."""
        document = self.workspace.get_text_document(uri)
        text = document.source
        version = document.version or 0
        found = self.buffers.get(uri)
        if found is None:
            encoding = str(self.workspace.position_encoding or "utf-16")
            found = self.buffers[uri] = Buffer(uri, text, version, path_of(uri), encoding)
        else:
            found.update(text, version)
        self.fixes.pop(uri, None)
        return found

    def workspace_buffers(self) -> Iterable[Buffer]:
        """Yield the open buffers, then the XML files of the workspace folders."""
        yield from list(self.buffers.values())
        from teikit.sources import expand_paths

        count = 0
        for root in self.roots:
            try:
                paths = expand_paths([root])
            except TeikitError:
                continue
            for path in paths:
                if count >= MAX_WORKSPACE_FILES:
                    return
                if not isinstance(path, Path) or uri_of(path) in self.buffers:
                    continue
                count += 1
                found = self.files.get(path)
                if found is not None:
                    yield found

    # -- checks -------------------------------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """Check *uri* after *delay* seconds, cancelling a check not yet started."""
        previous = self.pending.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check(uri, delay))

    def _too_large(self, buffer: Buffer) -> Diagnostic | None:
        from teikit.sources import read_policy

        limit = read_policy().max_file_size
        if len(buffer.text) <= limit:
            return None
        return Diagnostic(
            Severity.ERROR,
            "io.too-large",
            f"the document is larger than {limit:,} bytes, teikit's limit (--max-file-size)",
            buffer.name,
            1,
            None,
        )

    def _validate(self, buffer: Buffer, text: str) -> list[Diagnostic]:
        try:
            return self.checker.validate(buffer.name, buffer.path, text)
        except TeikitError as exc:
            return [failure(buffer.name, exc)]

    def _lint(self, buffer: Buffer, text: str) -> list[Diagnostic]:
        try:
            return self.checker.lint(buffer.name, buffer.path, text)
        except TeikitError as exc:
            return [failure(buffer.name, exc)]

    async def _check(self, uri: str, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            buffer = self.buffers.get(uri)
            if buffer is None:
                return
            version, text = buffer.version, buffer.text
            too_large = self._too_large(buffer)
            if too_large is not None:
                self.validated[uri], self.linted[uri] = [to_lsp(buffer, too_large)], []
                self.publish(buffer)
                return
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self.worker, self._validate, buffer, text)
            if buffer.version != version:
                return
            self.validated[uri] = self._converted(buffer, found, lint=False)
            if any(d.code.startswith("xml.") and d.severity >= Severity.ERROR for d in found):
                self.linted[uri] = []  # not well-formed: lint has nothing to say, and its
                # findings of an older version would point at the wrong places
            self.publish(buffer)
            if not self.checker.settings.lint:
                return
            linted = await loop.run_in_executor(self.lint_worker, self._lint, buffer, text)
            if buffer.version != version:
                return
            self.linted[uri] = self._converted(buffer, linted, lint=True)
            self.publish(buffer)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: logged, and the server goes on
            self.log_failure(f"checking {uri}")

    def _converted(
        self, buffer: Buffer, found: list[Diagnostic], *, lint: bool
    ) -> list[types.Diagnostic]:
        kept = [d for d in found if d.file in (None, buffer.name)]
        limit = self.checker.settings.max_diagnostics
        converted = [to_lsp(buffer, d, lint=lint) for d in kept[:limit]]
        if len(kept) > limit:
            more = Diagnostic(
                Severity.INFO,
                "lsp.more-findings",
                f"{len(kept) - limit} more findings are not shown (maxDiagnostics is {limit})",
                buffer.name,
                1,
            )
            converted.append(to_lsp(buffer, more))
        return converted

    def publish(self, buffer: Buffer) -> None:
        """Send the findings of *buffer*: validation's, then lint's."""
        found = [*self.validated.get(buffer.uri, []), *self.linted.get(buffer.uri, [])]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(buffer.uri, found, buffer.version)
        )

    def recheck_all(self) -> None:
        """Check every open document again (a schema, register or setting changed)."""
        self.checker.reset()
        for uri in list(self.buffers):
            self.schedule(uri, 0)

    def log_failure(self, what: str) -> None:
        """Log the exception being handled: on standard error and in the editor's log."""
        text = traceback.format_exc()
        logger.error("teikit lsp: %s failed:\n%s", what, text)
        with contextlib.suppress(Exception):  # the connection may be gone
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Error, f"teikit: {what} failed:\n{text}")
            )


def guarded(server: TeikitServer, what: str) -> Callable[[F], F]:
    """Log a failure of the handler *what* before pygls answers it with an error."""

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except Exception:
                server.log_failure(what)
                raise

        return run  # type: ignore[return-value]

    return decorate


def create_server(settings: Settings | None = None) -> TeikitServer:
    """Return the language server with every feature registered."""
    server = TeikitServer(settings or Settings())
    _register(server)
    return server


def _register(server: TeikitServer) -> None:  # noqa: C901 - one small handler per feature
    @server.feature(types.INITIALIZE)
    @guarded(server, "initialize")
    def initialize(ls: TeikitServer, params: types.InitializeParams) -> None:
        settings = Settings.merged(ls.settings, params.initialization_options)
        ls.settings = settings
        ls.checker = Checker(settings)
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(options["debounce"]) / 1000)
        folders = params.workspace_folders or []
        roots = [path_of(f.uri) for f in folders]
        if not roots and params.root_uri:
            roots = [path_of(params.root_uri)]
        ls.roots = [r for r in roots if r is not None]

    @server.feature(types.INITIALIZED)
    def initialized(ls: TeikitServer, params: types.InitializedParams) -> None:
        capabilities = ls.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if watched is None or not watched.dynamic_registration:
            return  # the content of the files is checked before each validation anyway
        watchers = [
            types.FileSystemWatcher(glob_pattern=pattern)
            for pattern in (
                "**/*.rng",
                "**/*.sch",
                "**/*.odd",
                "**/*.xsd",
                "**/teikit.toml",
                "**/pyproject.toml",
                "**/*.xml",
            )
        ]
        ls.client_register_capability(
            types.RegistrationParams(
                [
                    types.Registration(
                        "teikit-watch",
                        types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        types.DidChangeWatchedFilesRegistrationOptions(watchers),
                    )
                ]
            )
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TeikitServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.sync(params.text_document.uri)
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TeikitServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.sync(params.text_document.uri)
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TeikitServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in ls.buffers:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TeikitServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        for cache in (ls.buffers, ls.validated, ls.linted, ls.fixes):
            cache.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: TeikitServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.recheck_all()

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=["#", '"', "'", "<", " "]),
    )
    @guarded(server, "completion")
    def completion(ls: TeikitServer, params: types.CompletionParams) -> types.CompletionList:
        buffer = ls.buffer(params.text_document.uri)
        offset = buffer.lines.offset(params.position.line, params.position.character)
        items = features.complete(buffer, offset, ls.checker)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(server, "hover")
    def hover(ls: TeikitServer, params: types.HoverParams) -> types.Hover | None:
        buffer = ls.buffer(params.text_document.uri)
        offset = buffer.lines.offset(params.position.line, params.position.character)
        return features.hover(buffer, offset, ls.checker)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(server, "definition")
    def definition(ls: TeikitServer, params: types.DefinitionParams) -> types.Location | None:
        buffer = ls.buffer(params.text_document.uri)
        offset = buffer.lines.offset(params.position.line, params.position.character)
        return features.definition(buffer, offset, ls.checker, ls.files)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(server, "references")
    def references(ls: TeikitServer, params: types.ReferenceParams) -> list[types.Location]:
        buffer = ls.buffer(params.text_document.uri)
        offset = buffer.lines.offset(params.position.line, params.position.character)
        return features.references(
            buffer,
            offset,
            ls.checker,
            ls.workspace_buffers(),
            params.context.include_declaration,
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
        ),
    )
    @guarded(server, "code action")
    def code_action(ls: TeikitServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        buffer = ls.buffer(params.text_document.uri)
        found = ls.fixes.get(buffer.uri)
        if found is None or found.version != buffer.version:
            found = actions.proposals(buffer, ls.checker)
            if found is not None:
                ls.fixes[buffer.uri] = found
        return actions.code_actions(buffer, params.context.diagnostics, ls.checker, ls.files, found)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(server, "document symbols")
    def document_symbol(
        ls: TeikitServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        buffer = ls.buffer(params.text_document.uri)
        return actions.symbols(buffer, ls.linted.get(buffer.uri, []))


def serve(settings: Settings) -> None:
    """Run the server on standard input and output until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    create_server(settings).start_io()

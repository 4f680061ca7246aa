"""``teikit lsp`` end to end: the server runs as a child process, driven by pygls's client.

Each test starts ``python -m teikit lsp`` and talks to it over standard input and output,
as an editor does (issue 16, item 7).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

import teikit
from conftest import REPO, TELEGRAM
from teikit.lsp.buffers import uri_of
from teikit.lsp.text import LineIndex

T = TypeVar("T")
TIMEOUT = 60.0  # seconds for one answer; a cold start compiles the schemas


class Editor:
    """A language client with the diagnostics and log messages the server sent."""

    def __init__(self) -> None:
        self.client = LanguageClient("teikit-tests", "1")
        self.diagnostics: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.logs: list[str] = []
        self.arrived = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics.setdefault(params.uri, []).append(params)
            self.arrived.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            self.logs.append(params.message)

    async def start(
        self, *arguments: str, options: dict[str, Any] | None = None, root: Path
    ) -> None:
        await self.client.start_io(sys.executable, "-m", "teikit", "lsp", *arguments)
        await asyncio.wait_for(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    root_uri=uri_of(root),
                    workspace_folders=[types.WorkspaceFolder(uri_of(root), "root")],
                    initialization_options={"debounce": 50, **(options or {})},
                )
            ),
            TIMEOUT,
        )
        self.client.initialized(types.InitializedParams())

    def open(self, path: Path, text: str | None = None) -> str:
        uri = uri_of(path)
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(
                    uri=uri,
                    language_id="xml",
                    version=1,
                    text=path.read_text("utf-8") if text is None else text,
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
                [types.TextDocumentContentChangeWholeDocument(text)],
            )
        )
        return self.versions[uri]

    async def wait_for(
        self, uri: str, test: Callable[[types.PublishDiagnosticsParams], bool]
    ) -> types.PublishDiagnosticsParams:
        """Return the first publication for *uri* that passes *test*."""

        async def wait() -> types.PublishDiagnosticsParams:
            seen = 0
            while True:
                found = self.diagnostics.get(uri, [])
                for params in found[seen:]:
                    if test(params):
                        return params
                seen = len(found)
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def final(self, uri: str, version: int, *, lint: bool = True) -> list[types.Diagnostic]:
        """Return the diagnostics of *version* (once lint's findings arrived too, with *lint*)."""
        params = await self.wait_for(
            uri,
            lambda p: (
                p.version == version
                and (not lint or any(d.source == "teikit lint" for d in p.diagnostics))
            ),
        )
        return list(params.diagnostics)

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), TIMEOUT)


def run(
    scenario: Callable[[Editor], Awaitable[T]], *arguments: str, root: Path, **options: Any
) -> T:
    """Start the server, run *scenario* with an editor connected to it, shut it down."""

    async def main() -> T:
        editor = Editor()
        await editor.start(*arguments, options=options, root=root)
        try:
            return await scenario(editor)
        finally:
            await editor.stop()

    return asyncio.run(main())


def project(tmp_path: Path, text: str | None = None, name: str = "letter.xml") -> Path:
    """Return a copy of the telegram (or *text*) beside its schemas and teikit.toml."""
    (tmp_path / "tei").mkdir(exist_ok=True)
    (tmp_path / "schemas").mkdir(exist_ok=True)
    for schema in ("teikit-letter.rng", "teikit-letter.sch"):
        shutil.copy(REPO / "schemas" / schema, tmp_path / "schemas" / schema)
    shutil.copy(REPO / "tei" / "teikit.toml", tmp_path / "tei" / "teikit.toml")
    path = tmp_path / "tei" / name
    path.write_text(TELEGRAM.read_text("utf-8") if text is None else text, "utf-8")
    return path


def telegram_with(*replacements: tuple[str, str]) -> str:
    text = TELEGRAM.read_text("utf-8")
    for old, new in replacements:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    return text


def covered(text: str, diagnostic: types.Diagnostic) -> str:
    """Return the text a diagnostic's range covers."""
    lines = LineIndex(text)
    start = lines.offset(diagnostic.range.start.line, diagnostic.range.start.character)
    end = lines.offset(diagnostic.range.end.line, diagnostic.range.end.character)
    return text[start:end]


def position(text: str, needle: str, after: int = 0) -> types.Position:
    """Return the LSP position *after* characters into the first *needle* of *text*."""
    line, character = LineIndex(text).position(text.index(needle) + after)
    return types.Position(line, character)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply *edits* (LSP text edits, ranges in the original) to *text*."""
    lines = LineIndex(text)
    spans = [
        (
            lines.offset(e.range.start.line, e.range.start.character),
            lines.offset(e.range.end.line, e.range.end.character),
            e.new_text,
        )
        for e in edits
    ]
    for start, end, new in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


UNTAGGED = ('<persName ref="#li_kenong">Li Kenong</persName>', "Li Kenong")
UNRESOLVED = (
    '<persName ref="#kim_il_sung">KIM IL SUNG</persName> insists',
    '<persName ref="#kim">KIM IL SUNG</persName> insists',
)
BAD_ATTRIBUTE = ('<date when="1951-07-05">', '<date when="1951-07-05" foo="x">')


# -- diagnostics -----------------------------------------------------------------------------
def test_diagnostics_are_validate_and_lint_findings_with_ranges(tmp_path: Path) -> None:
    text = telegram_with(UNTAGGED, UNRESOLVED, BAD_ATTRIBUTE)
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> list[types.Diagnostic]:
        uri = editor.open(path)
        return await editor.final(uri, 1)

    found = run(scenario, root=tmp_path)
    # the same codes and messages as the library (and so the CLI) gives for the file
    expected_validate = [
        (d.code, d.message) for d in teikit.iter_diagnostics([path]) if d.file is not None
    ]
    expected_lint = [(d.code, d.message) for d in teikit.iter_lint_diagnostics([path])]
    got_validate = [(d.code, d.message) for d in found if d.source == "teikit"]
    got_lint = [(d.code, d.message) for d in found if d.source == "teikit lint"]
    assert got_validate == expected_validate
    assert sorted(got_lint) == sorted(expected_lint)
    assert [c for c, _ in got_validate] == [
        "integrity.unresolved-pointer",
        "rng.invalid",
    ]
    by_code = {d.code: d for d in found}
    assert covered(text, by_code["integrity.unresolved-pointer"]) == "#kim"
    assert by_code["integrity.unresolved-pointer"].severity == types.DiagnosticSeverity.Error
    assert covered(text, by_code["rng.invalid"]) == 'foo="x"'
    untagged = by_code["lint.untagged-name"]
    assert covered(text, untagged) == "Li Kenong"
    assert untagged.severity == types.DiagnosticSeverity.Information
    assert by_code["lint.entry-without-authority"].severity == types.DiagnosticSeverity.Hint


def test_a_broken_document_gets_its_well_formedness_error_and_edits_are_debounced(
    tmp_path: Path,
) -> None:
    text = TELEGRAM.read_text("utf-8")
    path = project(tmp_path)
    broken = text.replace("</salute>", "</salut>", 1)

    async def scenario(editor: Editor) -> tuple[list[types.Diagnostic], list[int]]:
        uri = editor.open(path)
        await editor.final(uri, 1)
        for _ in range(4):  # typed quickly: only the last version is checked
            editor.change(uri, text.replace("</salute>", "</salu>", 1))
        version = editor.change(uri, broken)
        params = await editor.wait_for(uri, lambda p: p.version == version)
        await asyncio.sleep(0.5)
        return list(params.diagnostics), [p.version or 0 for p in editor.diagnostics[uri]]

    found, versions = run(scenario, root=tmp_path, debounce=300)
    assert [(d.code, d.range.start.line) for d in found] == [("xml.not-well-formed", 188)]
    assert "Opening and ending tag mismatch: salute line 189 and salut" in found[0].message
    assert set(versions) == {1, 6}  # nothing published for versions 2 to 5


def test_findings_are_bounded_per_document(tmp_path: Path) -> None:
    text = telegram_with(UNTAGGED, UNRESOLVED, BAD_ATTRIBUTE)
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> list[types.Diagnostic]:
        uri = editor.open(path)
        return await editor.final(uri, 1, lint=False)

    found = run(scenario, "--no-lint", root=tmp_path, maxDiagnostics=1)
    assert [d.code for d in found] == ["integrity.unresolved-pointer", "lsp.more-findings"]
    assert found[1].message == "1 more findings are not shown (maxDiagnostics is 1)"


def test_a_changed_register_file_is_reloaded(tmp_path: Path) -> None:
    register = tmp_path / "persons.xml"
    register.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><standOff><listPerson>'
        '<person xml:id="zhou"><persName>Zhou Enlai</persName></person>'
        "</listPerson></standOff></TEI>\n",
        "utf-8",
    )
    text = telegram_with(('<persName ref="#li_kenong">', '<persName ref="#peng">'))
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> tuple[list[str | int | None], list[str | int | None]]:
        uri = editor.open(path)
        before = await editor.final(uri, 1, lint=False)
        register.write_text(register.read_text("utf-8").replace("zhou", "peng"), "utf-8")
        os.utime(register, ns=(10**18, 10**18))  # a new time even on a coarse clock
        editor.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(uri_of(register), types.FileChangeType.Changed)]
            )
        )
        after = await editor.wait_for(
            uri, lambda p: not any(d.code == "integrity.unresolved-pointer" for d in p.diagnostics)
        )
        return [d.code for d in before if d.source == "teikit"], [
            d.code for d in after.diagnostics if d.source == "teikit"
        ]

    before, after = run(scenario, "--index", str(register), "--no-lint", root=tmp_path)
    assert before == ["integrity.unresolved-pointer"]
    assert after == []


# -- completion, hover, definition, references ------------------------------------------------
def test_completion_offers_the_entries_of_the_element_kind(tmp_path: Path) -> None:
    text = telegram_with(('<persName ref="#li_kenong">', '<persName ref="#'))
    text = text.replace('<placeName ref="#kaesong">', '<placeName ref="#', 1)
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> tuple[Any, Any, Any]:
        uri = editor.open(path)
        person = await editor.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), position(text, '<persName ref="#Li', 16)
            )
        )
        place = await editor.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), position(text, '<placeName ref="#Kaesong', 17)
            )
        )
        target = await editor.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), position(text, 'target="#proposal-main-1', 8)
            )
        )
        return person, place, target

    person, place, target = run(scenario, root=tmp_path)
    assert [(i.label, i.detail) for i in person.items] == [
        ("#mao", "Mao Zedong (person)"),
        ("#stalin", "Joseph Stalin (person)"),
        ("#kim_il_sung", "Kim Il Sung (person)"),
        ("#li_kenong", "Li Kenong (person)"),
    ]
    assert [i.label for i in place.items] == [
        "#korea",
        "#north_korea",
        "#south_korea",
        "#parallel_38",
        "#china_korea_border",
        "#kaesong",
    ]
    labels = [i.label for i in target.items]
    assert "#proposal-main-1" in labels  # @target: any id, entries too
    assert "#mao" in labels
    edit = person.items[0].text_edit
    assert (edit.range.start, edit.range.end) == (
        position(text, '<persName ref="#Li', 15),
        position(text, '<persName ref="#Li', 16),
    )


def test_completion_offers_what_the_document_schema_allows(tmp_path: Path) -> None:
    """Element names come from the grammar the document declares (the letter schema)."""
    path = project(tmp_path)  # the telegram declares ../schemas/teikit-letter.rng
    text = path.read_text("utf-8")
    spot = "<p>The text is transcribed"
    typed = text.replace(spot, "<p><" + spot[len("<p>") :], 1)

    async def scenario(editor: Editor) -> Any:
        uri = editor.open(path)
        await editor.wait_for(uri, lambda p: True)  # checked once: its schema is known
        editor.change(uri, typed)
        return await editor.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), position(typed, "<p><The text", 4)
            )
        )

    completion = run(scenario, "--no-lint", root=tmp_path)
    labels = [item.label for item in completion.items]
    assert "persName" in labels
    assert "date" in labels
    # TEI All allows emph in a paragraph; the letter schema does not (lsp.grammar's tests
    # check both against Jing).
    assert "emph" not in labels


def test_hover_shows_the_register_entry_and_the_date_value(tmp_path: Path) -> None:
    path = project(tmp_path)
    text = path.read_text("utf-8")

    async def scenario(editor: Editor) -> tuple[Any, Any]:
        uri = editor.open(path)
        entry = await editor.client.text_document_hover_async(
            types.HoverParams(
                types.TextDocumentIdentifier(uri), position(text, 'ref="#stalin">FILIPPOV', 8)
            )
        )
        date = await editor.client.text_document_hover_async(
            types.HoverParams(
                types.TextDocumentIdentifier(uri), position(text, '<date when="1950-06-25"', 3)
            )
        )
        return entry, date

    entry, date = run(scenario, root=tmp_path)
    assert entry.contents.value == (
        f"**Joseph Stalin** (person, `#stalin`)  \nnames: Joseph Stalin; Filippov  \n"
        f"wikidata: [Q855](https://www.wikidata.org/wiki/Q855)  \n"
        f"defined in {path}, line 111"
    )
    assert date.contents.value == "@when: **1950-06-25** (day precision)"


def test_definition_leads_to_the_entry_here_and_in_a_register_file(tmp_path: Path) -> None:
    register = tmp_path / "persons.xml"
    register.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader/>\n<standOff>\n<listPerson>\n'
        '  <person xml:id="zhou">\n    <persName>Zhou Enlai</persName>\n  </person>\n'
        "</listPerson>\n</standOff>\n</TEI>\n",
        "utf-8",
    )
    text = telegram_with(('<persName ref="#li_kenong">', '<persName ref="#zhou">'))
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> tuple[Any, Any]:
        uri = editor.open(path)
        here = await editor.client.text_document_definition_async(
            types.DefinitionParams(
                types.TextDocumentIdentifier(uri), position(text, 'ref="#stalin">FILIPPOV', 8)
            )
        )
        there = await editor.client.text_document_definition_async(
            types.DefinitionParams(
                types.TextDocumentIdentifier(uri), position(text, 'ref="#zhou"', 7)
            )
        )
        return here, there

    here, there = run(scenario, "--index", str(register), root=tmp_path)
    assert here.uri == uri_of(path)
    assert covered(text, types.Diagnostic(here.range, "")) == '<person xml:id="stalin">'
    assert there.uri == uri_of(register)
    assert (there.range.start.line, there.range.start.character) == (4, 2)


def test_references_find_every_mention_in_the_workspace(tmp_path: Path) -> None:
    path = project(tmp_path)
    other = tmp_path / "tei" / "other.xml"
    other.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>'
        '<persName ref="letter.xml#kim_il_sung">Kim</persName></p></body></text></TEI>\n',
        "utf-8",
    )
    text = path.read_text("utf-8")

    async def scenario(editor: Editor) -> Any:
        uri = editor.open(path)
        return await editor.client.text_document_references_async(
            types.ReferenceParams(
                text_document=types.TextDocumentIdentifier(uri),
                position=position(text, 'xml:id="kim_il_sung"', 10),
                context=types.ReferenceContext(include_declaration=False),
            )
        )

    found = run(scenario, root=tmp_path)
    here = [loc for loc in found if loc.uri == uri_of(path)]
    assert len(here) == text.count('ref="#kim_il_sung"') == 3
    assert all(covered(text, types.Diagnostic(loc.range, "")) == "#kim_il_sung" for loc in here)
    assert [loc.uri for loc in found if loc.uri != uri_of(path)] == [uri_of(other)]


# -- code actions and symbols -------------------------------------------------------------------
def test_quick_fix_is_annotate_splice(tmp_path: Path) -> None:
    text = telegram_with(UNTAGGED)
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> tuple[list[types.Diagnostic], Any]:
        uri = editor.open(path)
        found = await editor.final(uri, 1)
        untagged = [d for d in found if d.code == "lint.untagged-name"]
        actions = await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(uri),
                untagged[0].range,
                types.CodeActionContext(untagged),
            )
        )
        return untagged, actions

    untagged, actions = run(scenario, root=tmp_path)
    assert [a.title for a in actions] == [
        "tag 'Li Kenong' as <persName ref=\"#li_kenong\">",
        "apply all 1 lint proposals (teikit annotate)",
    ]
    fixed = apply(text, actions[0].edit.changes[uri_of(path)])
    # exactly what `teikit annotate` writes for the file: every other byte unchanged
    assert fixed == teikit.annotate(path).text
    assert (
        fixed.replace(
            '<persName ref="#li_kenong" cert="medium" resp="#teikit">Li Kenong</persName>',
            "Li Kenong",
        ).replace(
            '\n        <respStmt xml:id="teikit"><resp>markup proposed by teikit annotate '
            "(cert=medium), to be reviewed</resp><name>teikit</name></respStmt>",
            "",
        )
        == text
    )


def test_quick_fix_creates_a_register_entry(tmp_path: Path) -> None:
    text = telegram_with(UNRESOLVED)
    path = project(tmp_path, text)

    async def scenario(editor: Editor) -> Any:
        uri = editor.open(path)
        found = await editor.final(uri, 1)
        unresolved = [d for d in found if d.code == "integrity.unresolved-pointer"]
        return await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(uri),
                unresolved[0].range,
                types.CodeActionContext(unresolved),
            )
        )

    actions = run(scenario, root=tmp_path)
    assert [a.title for a in actions] == [
        "create a person entry #kim in <listPerson> of letter.xml"
    ]
    fixed = apply(text, actions[0].edit.changes[uri_of(path)])
    assert fixed == text.replace(
        "    </listPerson>",
        '      <person xml:id="kim">\n        <persName>KIM IL SUNG</persName>\n      </person>\n'
        "    </listPerson>",
        1,
    )
    path.write_text(fixed, "utf-8")
    assert not [d for d in teikit.iter_diagnostics([path]) if d.file is not None]


def test_document_symbols_outline_header_divisions_registers_and_proposals(
    tmp_path: Path,
) -> None:
    path = project(tmp_path, telegram_with(UNTAGGED))

    async def scenario(editor: Editor) -> Any:
        uri = editor.open(path)
        await editor.final(uri, 1)
        return await editor.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
        )

    symbols = run(scenario, root=tmp_path)
    assert [s.name for s in symbols] == ["teiHeader", "standOff", "text", "lint proposals (12)"]
    body = symbols[2].children[0]
    assert body.name == "body"
    assert [d.name for d in body.children] == [
        "div type=proposals subtype=main #proposals-main",
        "div type=proposals subtype=additional #proposals-additional",
        "div type=remarks",
    ]
    assert [e.name for e in symbols[1].children[0].children] == [
        "#mao Mao Zedong",
        "#stalin Joseph Stalin",
        "#kim_il_sung Kim Il Sung",
        "#li_kenong Li Kenong",
    ]
    assert symbols[3].children[-1].name.startswith('untagged name "Li Kenong"')


# -- safety --------------------------------------------------------------------------------------
FAULTY = textwrap.dedent(
    """
    import sys
    import teikit.lsp.features as features

    def hover(*args, **kwargs):
        raise RuntimeError("forced failure in hover")

    features.hover = hover
    sys.argv = ["teikit", "lsp"]
    from teikit.cli import main
    main()
    """
)


def test_a_failing_request_is_answered_with_an_error_and_the_server_goes_on(
    tmp_path: Path,
) -> None:
    path = project(tmp_path)
    text = path.read_text("utf-8")
    script = tmp_path / "faulty.py"
    script.write_text(FAULTY, "utf-8")

    async def main() -> tuple[str, Any, list[str]]:
        editor = Editor()
        await editor.client.start_io(sys.executable, str(script))
        await editor.client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities())
        )
        editor.client.initialized(types.InitializedParams())
        uri = editor.open(path)
        with pytest.raises(Exception, match="forced failure in hover") as failure:
            await asyncio.wait_for(
                editor.client.text_document_hover_async(
                    types.HoverParams(types.TextDocumentIdentifier(uri), position(text, "#stalin"))
                ),
                TIMEOUT,
            )
        completion = await asyncio.wait_for(
            editor.client.text_document_completion_async(
                types.CompletionParams(
                    types.TextDocumentIdentifier(uri), position(text, 'ref="#stalin', 6)
                )
            ),
            TIMEOUT,
        )
        await editor.stop()
        return str(failure.value), completion, editor.logs

    message, completion, logs = asyncio.run(main())
    assert "forced failure in hover" in message
    assert "#stalin" in [i.label for i in completion.items]
    assert any(
        "hover failed" in log and "RuntimeError: forced failure in hover" in log for log in logs
    )

"""Benchmark ``teikit lsp``: from an edit to its diagnostics, and completion meanwhile (issue 16).

Run from the repository root (the novel needs ``../shared``)::

    python benchmarks/bench_lsp.py [--repeat 20] [--novel-repeat 5] [--show]

The server runs as a child process (``python -m teikit lsp``), driven over standard input
and output by pygls's client, as an editor drives it. For each edit (``didChange``, the
whole text with one character changed, debounce 0) it records the wall time until the
``publishDiagnostics`` of that version (validation's findings; lint's follow) and the CPU
time the server spent meanwhile (``/proc/PID/stat``). It reports the median of
``--repeat`` edits of the telegram (target < 150 ms) and of ``--novel-repeat`` edits of a
3 MB ELTeC novel (target < 2 s; its ``<?xml-model?>`` names a schema that is not in
../shared, so it is validated against TEI All and its Schematron, the default). Then it
sends a completion request 100 ms after an edit of the novel, while the novel is being
validated, and reports how long the answer took. ``--show`` prints the diagnostics and a
completion list on the telegram, as docs/editors.md shows them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from teikit.lsp.buffers import uri_of
from teikit.lsp.text import LineIndex

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
TELEGRAM = REPO / "tei" / "telegram-1951-07-03.xml"
NOVEL = SHARED / "corpora" / "eltec-eng" / "level2" / "ENG19111_Hornung.xml"
TIMEOUT = 600.0
_TICKS = os.sysconf("SC_CLK_TCK")


class Client:
    """pygls's client, with the time each publication arrived."""

    def __init__(self) -> None:
        self.client = LanguageClient("teikit-bench", "1")
        self.published: list[tuple[float, types.PublishDiagnosticsParams]] = []
        self.event = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.append((time.perf_counter(), params))
            self.event.set()

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "teikit", "lsp")
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=uri_of(REPO),
                initialization_options={"debounce": 0},
            )
        )
        self.client.initialized(types.InitializedParams())

    def cpu(self) -> float:
        """Return the CPU seconds the server process used so far."""
        server: Any = self.client._server  # the child process pygls started
        fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="xml", version=1, text=text)
            )
        )

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=self.versions[uri], uri=uri),
                [types.TextDocumentContentChangeWholeDocument(text)],
            )
        )
        return self.versions[uri]

    async def publication(self, uri: str, version: int, count: int = 1) -> float:
        """Wait for the *count*-th publication of *version*; return when the first arrived."""

        async def wait() -> float:
            while True:
                found = [t for t, p in self.published if p.uri == uri and p.version == version]
                if len(found) >= count:
                    return found[0]
                self.event.clear()
                await self.event.wait()

        return await asyncio.wait_for(wait(), TIMEOUT)


def _edited(text: str, number: int) -> str:
    """Return *text* with a character added to its last paragraph (alternately . and ,)."""
    at = text.rindex("</p>")
    return text[:at] + ("." if number % 2 else ",") + text[at:]


async def _latencies(
    client: Client, uri: str, text: str, repeat: int
) -> tuple[list[float], list[float]]:
    walls: list[float] = []
    cpus: list[float] = []
    for number in range(repeat):
        cpu = client.cpu()
        sent = time.perf_counter()
        version = client.change(uri, _edited(text, number))
        arrived = await client.publication(uri, version)
        walls.append(arrived - sent)
        cpus.append(client.cpu() - cpu)
        await client.publication(uri, version, 2)  # lint's findings: the server is idle again
    return walls, cpus


def _ms(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"median {statistics.median(values) * 1000:.0f} ms (min {low:.0f}, max {high:.0f})"


async def main(repeat: int, novel_repeat: int, show: bool) -> None:
    client = Client()
    await client.start()
    telegram_uri = uri_of(TELEGRAM)
    telegram = TELEGRAM.read_text("utf-8")
    client.open(telegram_uri, telegram)
    await client.publication(telegram_uri, 1, 2)
    if show:
        await _show(client, telegram_uri, telegram)
    walls, cpus = await _latencies(client, telegram_uri, telegram, repeat)
    size = len(telegram.encode())
    print(f"telegram ({size:,} bytes), {repeat} edits: didChange -> publishDiagnostics")
    print(f"  wall {_ms(walls)}; server CPU {_ms(cpus)}")
    if not NOVEL.exists():
        print(f"{NOVEL} is missing: the novel is not measured")
    else:
        novel = NOVEL.read_text("utf-8")
        novel = "\n".join(
            line
            for line in novel.split("\n")
            if "xml-model" not in line and "schematypens" not in line
        )
        with tempfile.TemporaryDirectory() as folder:  # never opened from ../shared itself
            novel_uri = uri_of(Path(folder) / NOVEL.name)
            started = time.perf_counter()
            client.open(novel_uri, novel)
            await client.publication(novel_uri, 1)
            first = time.perf_counter() - started
            print(
                f"novel {NOVEL.name} ({len(novel.encode()):,} bytes): first diagnostics after "
                f"{first:.1f} s (TEI All compiled)"
            )
            await client.publication(novel_uri, 1, 2)
            walls, cpus = await _latencies(client, novel_uri, novel, novel_repeat)
            print(f"  {novel_repeat} edits: wall {_ms(walls)}; server CPU {_ms(cpus)}")
            version = client.change(novel_uri, _edited(novel, 99))
            await asyncio.sleep(0.1)
            offset = telegram.index('ref="#stalin">FILIPPOV') + 6
            line, character = LineIndex(telegram).position(offset)
            sent = time.perf_counter()
            items = await client.client.text_document_completion_async(
                types.CompletionParams(
                    types.TextDocumentIdentifier(telegram_uri), types.Position(line, character)
                )
            )
            answered = time.perf_counter()
            published = await client.publication(novel_uri, version)
            print(
                "  completion sent 100 ms after an edit of the novel: answered in "
                f"{(answered - sent) * 1000:.0f} ms ({len(items.items)} items), "
                f"{(published - answered) * 1000:.0f} ms before the novel's diagnostics"
            )
            await client.publication(novel_uri, version, 2)
    await client.client.shutdown_async(None)
    client.client.exit(None)
    await client.client.stop()


async def _show(client: Client, uri: str, text: str) -> None:
    broken = (
        text.replace('<persName ref="#li_kenong">Li Kenong</persName>', "Li Kenong")
        .replace(
            '<persName ref="#kim_il_sung">KIM IL SUNG</persName> insists',
            '<persName ref="#kim">KIM IL SUNG</persName> insists',
        )
        .replace("</salute>", "</salut>")
    )
    for label, version_text in (
        ("a broken copy", broken),
        ("the same, well-formed", broken.replace("</salut>", "</salute>")),
    ):
        version = client.change(uri, version_text)
        await client.publication(uri, version, 2)
        found = [p for _t, p in client.published if p.uri == uri and p.version == version][-1]
        print(f"publishDiagnostics for {label} of the telegram (line:column, 1-based):")
        for d in found.diagnostics:
            severity = types.DiagnosticSeverity(d.severity).name.lower() if d.severity else "?"
            where = f"{d.range.start.line + 1}:{d.range.start.character + 1}"
            print(f"  {where} {severity} [{d.code}] {d.message}")
    offset = text.index('ref="#stalin">FILIPPOV') + 6
    line, character = LineIndex(text).position(offset)
    items = await client.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    print(f"completion at {line + 1}:{character + 1} (persName/@ref):")
    for item in items.items:
        print(f"  {item.label:<14} {item.detail}")
    client.change(uri, text)
    await client.publication(uri, client.versions[uri], 2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--novel-repeat", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print diagnostics and completions")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.repeat, arguments.novel_repeat, arguments.show))

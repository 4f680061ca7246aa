"""The HTML reading edition in a real browser: Debian's headless Chromium.

Three ways in, no Playwright download: ``--dump-dom`` (the DOM after the page loaded),
``--screenshot`` (a PNG of what a reader sees) and the DevTools protocol over
``--remote-debugging-pipe`` (console messages, network requests, computed styles of the
markings, focus). Skipped outside CI when ``chromium`` is missing; required in CI.

``TEIKIT_UPDATE_SCREENSHOT=1 pytest tests/test_export_browser.py`` rewrites the picture
of the telegram in ``docs/img/telegram-html.png``; otherwise every output goes below
``tmp_path``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import REPO, command
from teikit.cli import cli
from teikit.cli.export import export

if "export" not in cli.commands:  # until teikit.cli registers the command itself
    cli.add_command(export)

SCREENSHOT = REPO / "docs" / "img" / "telegram-html.png"
UPDATE_SCREENSHOT = os.environ.get("TEIKIT_UPDATE_SCREENSHOT", "") not in ("", "0")
TIMEOUT = 60.0
WINDOW = (1000, 1500)


def chromium_flags(profile: Path) -> list[str]:
    """Return the flags that keep headless Chromium offline and quiet."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
    ]


@pytest.fixture
def chromium() -> str:
    """The chromium command (skipped outside CI when missing)."""
    return command("chromium")


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The telegram exported as HTML into tmp_path."""
    monkeypatch.chdir(REPO)
    out = tmp_path / "telegram.html"
    result = CliRunner().invoke(
        cli, ["export", "tei/telegram-1951-07-03.xml", "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return out


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium with *args* and return the finished process."""
    return subprocess.run(
        [chromium, *chromium_flags(tmp_path / "profile"), *args],
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Return the width and height of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- the static page ---------------------------------------------------------------------------


def test_the_page_loads_nothing_from_anywhere(page: Path) -> None:
    root = lxml.html.parse(str(page)).getroot()
    assert not root.xpath("//script | //link | //img | //iframe | //object | //embed | //video")
    assert not root.xpath("//*[@src or @srcset or @poster or @data]")
    css = " ".join(root.xpath("//style/text()"))
    assert "url(" not in css
    assert "@import" not in css
    assert "@font-face" not in css
    # links to authority files are fine: they are followed only when a reader clicks
    remote = root.xpath("//a[starts-with(@href, 'http')]/@href")
    assert "https://www.wikidata.org/wiki/Q855" in remote


# -- --dump-dom ---------------------------------------------------------------------------------


def test_dump_dom_shows_the_marked_names(chromium: str, page: Path, tmp_path: Path) -> None:
    done = run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = lxml.html.document_fromstring(done.stdout.decode("utf-8"))
    reading = dom.xpath("//main//article")[0]
    marked = {
        kind: [a.text_content() for a in reading.xpath(f".//a[contains(@class, 'mention {kind}')]")]
        for kind in ("person", "place", "org", "event", "date")
    }
    assert marked["person"] == [
        "FILIPPOV",
        "FILIPPOV",
        "KIM IL SUNG",
        "Li Kenong",
        "KIM IL SUNG",
        "KIM IL SUNG",
        "MAO ZEDONG",
    ]
    assert "Kaesong" in marked["place"]
    assert "Korean People's government" in marked["org"]
    assert marked["event"] == ["an international conference of a political character"]
    assert marked["date"] == ["25.6.1950", "yesterday", "5.7.1951", "3.7.51"]
    # every link inside the page reaches an element of the page
    ids = {e.get("id") for e in dom.iter() if isinstance(e.tag, str) and e.get("id")}
    internal = [a.get("href") for a in dom.iter("a") if (a.get("href") or "").startswith("#")]
    assert len(internal) > 80
    assert [h for h in internal if h[1:] not in ids] == []
    # the register entry of Stalin links back to both FILIPPOVs
    stalin = dom.get_element_by_id("stalin")
    assert [a.get("href") for a in stalin.xpath(".//p[@class='backlinks']/a")] == ["#m-1", "#m-2"]


# -- --screenshot --------------------------------------------------------------------------------


def test_screenshot_of_the_telegram(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "telegram.png"
    done = run_chromium(chromium, tmp_path, f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == WINDOW
    assert len(data) > 50_000  # a page of text, not a blank image
    if UPDATE_SCREENSHOT:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(data)


def test_the_documentation_picture_exists() -> None:
    assert png_size(SCREENSHOT.read_bytes())[0] >= 800


# -- the DevTools protocol over a pipe ----------------------------------------------------------


class DevTools:
    """A minimal Chrome DevTools Protocol client on ``--remote-debugging-pipe``."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()
        # Move the child's ends above 9, so that dup2 onto 3 and 4 cannot clobber them.
        to_browser_read, from_browser_write = (
            self._high(to_browser_read),
            self._high(from_browser_write),
        )
        # Chromium reads commands on fd 3 and writes replies on fd 4: a small trampoline
        # puts the pipe ends there and replaces itself with Chromium.
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                trampoline,
                str(to_browser_read),
                str(from_browser_write),
                chromium,
                *chromium_flags(profile),
                "--remote-debugging-pipe",
            ],
            pass_fds=(to_browser_read, from_browser_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    @staticmethod
    def _high(fd: int) -> int:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return high

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and return its result, collecting the events that arrive meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Return the first event called *method* (waiting for it if need be)."""
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise AssertionError(f"Chromium closed the DevTools pipe: {self._stderr()}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def _stderr(self) -> str:
        """Return the end of what Chromium printed on stderr (it has exited)."""
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - still running
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read().decode(errors="replace")[-1500:]

    def close(self) -> None:
        """Close the browser."""
        with contextlib.suppress(AssertionError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung browser
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        os.close(self._write)
        os.close(self._read)


STYLE_PROBE = """
(() => {
  const kinds = ["person", "place", "org", "event", "date"];
  const out = {};
  for (const kind of kinds) {
    const el = document.querySelector("article a.mention." + kind);
    const style = getComputedStyle(el);
    out[kind] = {
      marker: getComputedStyle(el, "::before").content,
      decoration: style.textDecorationStyle,
      line: style.textDecorationLine,
      title: el.title,
    };
  }
  const date = document.querySelector("article a.mention.date");
  date.focus();
  out.focused_date = getComputedStyle(date, "::after").content;
  out.active = document.activeElement === date;
  const supplied = document.querySelector("article .supplied");
  out.supplied = {text: supplied.textContent, style: getComputedStyle(supplied).fontStyle};
  const links = [...document.querySelectorAll("a[href^='#']")];
  out.broken = links.filter(a => !document.getElementById(a.hash.slice(1))).map(a => a.hash);
  out.links = links.length;
  out.lang = document.documentElement.lang;
  out.title = document.title;
  return out;
})()
"""


def test_a_reader_sees_marked_names_without_errors_or_requests(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=page.as_uri())
        browser.wait_for("Page.loadEventFired")
        probe = browser.send(
            "Runtime.evaluate", session, expression=STYLE_PROBE, returnByValue=True
        )["result"]["value"]
        shot = browser.send("Page.captureScreenshot", session, format="png")
        browser.send("Runtime.evaluate", session, expression="1")  # drain late events
    finally:
        browser.close()
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert requests == [page.as_uri()], "the page fetched something"
    console = [
        e["params"]
        for e in browser.events
        if e.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert console == []
    # the kinds are told apart by underline style and marker, not by colour alone
    markers = {kind: probe[kind]["marker"] for kind in ("person", "place", "org", "event", "date")}
    assert all(m not in ("none", "normal", "") for m in markers.values()), markers
    assert len(set(markers.values())) == 5, markers
    decorations = {probe[k]["decoration"] for k in ("person", "place", "org", "event", "date")}
    assert decorations == {"solid", "dashed", "double", "dotted", "wavy"}
    assert probe["person"]["title"] == "Person: Joseph Stalin"
    # the ISO date shows when a date has the keyboard focus
    assert probe["active"] is True
    assert probe["focused_date"] == '"1950-06-25"'
    assert probe["supplied"] == {"text": "[Stalin]", "style": "italic"}
    assert probe["broken"] == []
    assert probe["links"] > 80
    assert probe["lang"] == "en"
    assert probe["title"].startswith("Ciphered telegram")
    assert len(base64.b64decode(shot["data"])) > 50_000

"""The caches of validation runs: verdicts of unchanged files, and the names each file uses."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from teikit.diagnostics import Diagnostic, Severity
from teikit.resources import cache_dir, read_cache_json, write_cache_file

if TYPE_CHECKING:
    from teikit.validation.runner import Input, ValidationOptions

_SCAN_FORMAT: Final = 2  # of vocabulary.json: 2 added the attribute names

_START_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_NAMESPACE: Final = re.compile(rb"""xmlns(?::[\w.\-]+)?\s*=\s*["']([^"']*)["']""")
_ATTRIBUTE: Final = re.compile(rb"""\s(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)\s*=\s*["']""")


def scan_vocabulary(data: bytes) -> tuple[set[str], set[str], set[str]]:
    """Return the local names of start tags, the namespace URIs and the local names of
    attributes seen in *data*: a cheap superset of what the parsed document holds (a name
    that the scan misses is caught later: see _SpecializedRelaxNG)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", "replace").encode("utf-8")
    names = {name.decode("utf-8", "replace") for name in set(_START_TAG.findall(data))}
    namespaces = {uri.decode("utf-8", "replace") for uri in set(_NAMESPACE.findall(data))}
    attributes = {name.decode("utf-8", "replace") for name in set(_ATTRIBUTE.findall(data))}
    return names, namespaces, attributes


def _stat_key(path: Path | str) -> list[Any]:
    name = os.path.abspath(path)
    stat = os.stat(name)
    return [name, stat.st_mtime_ns, stat.st_size]


@dataclass(slots=True)
class _Outcome:
    name: str
    diagnostics: list[Diagnostic]
    deps: list[list[Any]] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # the source lines findings point at


def _read_bytes(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


class _ScanCache:
    """The names :func:`scan_vocabulary` found in each file, kept while the file is unchanged.

    The scan only chooses which specialised grammar to compile: it decides no verdict (a
    document with a name outside the grammar's vocabulary widens it, see
    _SpecializedRelaxNG), so it is kept even with ``--no-cache``, like the grammars. It
    spares a run over an unchanged corpus reading every file twice.
    """

    def __init__(self) -> None:
        self._path = cache_dir() / "vocabulary.json"
        self._strings: list[str] = []
        self._files: dict[str, list[Any]] = {}
        self._dirty = False
        loaded = read_cache_json(self._path)
        if isinstance(loaded, dict) and loaded.get("format") == _SCAN_FORMAT:
            try:
                self._strings, self._files = list(loaded["strings"]), dict(loaded["files"])
            except (KeyError, TypeError, ValueError):
                self._strings, self._files = [], {}
        self._index = {text: number for number, text in enumerate(self._strings)}

    def union(self, inputs: Sequence[Input]) -> tuple[set[str], set[str], set[str]]:
        """Return the element names, namespaces and attribute names of all *inputs*.

        Files add the numbers kept for them; the numbers become strings once, at the end (a
        corpus has a few hundred names, in every file). Numbers that point nowhere (an
        altered cache file) make every file be scanned again.
        """
        try:
            return self._strings_of(self._total(inputs))
        except (IndexError, TypeError):
            self._files.clear()
            return self._strings_of(self._total(inputs))

    def _total(self, inputs: Sequence[Input]) -> tuple[set[Any], set[Any], set[Any]]:
        total: tuple[set[Any], set[Any], set[Any]] = (set(), set(), set())
        for item in inputs:
            numbers = self._numbers_of(item)
            if numbers is not None:
                for found, part in zip(total, numbers, strict=True):
                    found.update(part)
        return total

    def _strings_of(self, total: tuple[set[Any], ...]) -> tuple[set[str], set[str], set[str]]:
        strings = self._strings
        names, namespaces, attributes = ({strings[n] for n in numbers} for numbers in total)
        return names, namespaces, attributes

    def _numbers_of(self, item: Input) -> list[list[Any]] | None:
        """Return the numbers of *item*'s element names, namespaces and attribute names,
        scanning it unless it is unchanged since it was scanned (``None``: unreadable)."""
        if item.data is not None or item.path is None:
            if item.data is None:
                return None
            return [self._numbers(texts) for texts in scan_vocabulary(item.data)]
        try:
            key = _stat_key(item.path)
        except OSError:
            return None
        entry = self._files.get(key[0])
        if isinstance(entry, list) and len(entry) == 5 and entry[:2] == key[1:]:
            return entry[2:5]
        data = _read_bytes(item.path)
        if data is None:
            return None
        numbers = [self._numbers(texts) for texts in scan_vocabulary(data)]
        self._files[key[0]] = [key[1], key[2], *numbers]
        self._dirty = True
        return numbers

    def _numbers(self, texts: set[str]) -> list[int]:
        numbers = []
        for text in sorted(texts):
            number = self._index.get(text)
            if number is None:
                number = self._index[text] = len(self._strings)
                self._strings.append(text)
            numbers.append(number)
        return numbers

    def save(self) -> None:
        if not self._dirty:
            return
        data = {"format": _SCAN_FORMAT, "strings": self._strings, "files": self._files}
        write_cache_file(self._path, json.dumps(data, separators=(",", ":")).encode())


_SEVERITIES: Final = {str(severity): severity for severity in Severity}


class _VerdictCache:
    """Per-file verdicts, reused while the file, its schemas and options are unchanged."""

    def __init__(self, options: ValidationOptions) -> None:
        self._path = cache_dir() / "verdicts" / f"{options.fingerprint()}.json"
        self._entries: dict[str, Any] = {}
        self._dirty = False
        self._dependencies: dict[str, list[Any]] = {}
        loaded = read_cache_json(self._path)
        if isinstance(loaded, dict):
            self._entries = loaded

    def get(self, item: Input) -> _Outcome | None:
        if item.path is None:
            return None
        name = os.path.abspath(item.path)
        entry = self._entries.get(name)
        if not entry:
            return None
        try:
            if entry["key"] != _stat_key(name):
                return None
            dependency = self._dependency
            if any(dependency(dep[0]) != dep for dep in entry["deps"]):
                return None
            severity = _SEVERITIES.get
            diagnostics = [
                Diagnostic(
                    severity(d["severity"]) or Severity.parse(d["severity"]),
                    d["code"],
                    d["message"],
                    item.name,
                    d["line"],
                    d["column"],
                    d["xpath"],
                )
                for d in entry["diagnostics"]
            ]
            lines = {int(n): str(t) for n, t in entry.get("lines", {}).items()}
            return _Outcome(item.name, diagnostics, lines=lines)
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def _dependency(self, name: str) -> list[Any]:
        # schemas and index files are shared by every entry: stat each once per run
        if name not in self._dependencies:
            try:
                self._dependencies[name] = _stat_key(name)
            except OSError:
                self._dependencies[name] = []
        return self._dependencies[name]

    def put(self, item: Input, outcome: _Outcome) -> None:
        if item.path is None:
            return
        if any(d.code == "schema.unavailable" for d in outcome.diagnostics):
            return  # the verdict would outlive the fix (a schema copy added, a path mended)
        try:
            key = _stat_key(item.path)
        except OSError:
            return
        self._entries[key[0]] = {
            "key": key,
            "deps": outcome.deps,
            "diagnostics": [d.as_dict() for d in outcome.diagnostics],
            "lines": outcome.lines,
        }
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        write_cache_file(self._path, json.dumps(self._entries).encode())

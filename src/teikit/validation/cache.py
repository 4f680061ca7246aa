"""The caches of validation runs: verdicts of unchanged files, and the names each file uses.

A cached verdict is a claim about everything it depended on, so it is reused only when the
SHA-256 of each of those files is what it was: the document, every schema file it was
checked against with their includes (:func:`schema_dependencies`), the ``--index`` files,
the files its pointers reached and the configuration files that could choose its schemas
(``teikit.toml`` and ``pyproject.toml`` in its folder and every folder above; one that
appears counts as a change). Which schemas apply is looked up again as well (an
``<?xml-model?>`` URL may now map to another local copy). Stat data (size, times, inode)
only spares reading a file whose stat is unchanged *and* was taken well after the file's
last change (:data:`RACY_NS`): a write in the same clock tick as a read keeps the stat.

The cache files are sealed with the user's secret key (:mod:`teikit.resources`); an entry
of the wrong shape is ignored, never an error. See "Caches" in docs/security.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from teikit.diagnostics import Diagnostic, Severity
from teikit.resources import cache_dir, read_cache_json, write_cache_file

if TYPE_CHECKING:
    from teikit.validation.runner import Input, ValidationOptions
    from teikit.validation.schemas import SchemaRef

#: A stat is trusted to stand for a file's content only if the file's last change (mtime
#: and ctime) is this much older than the moment the stat was taken: 2 s covers the
#: coarsest common file-system timestamps (FAT) and the kernel's coarse clock tick.
RACY_NS: Final = 2_000_000_000

_SCAN_FORMAT: Final = 3  # of vocabulary.json: 3 added ctime, inode and the day last seen
_VERDICT_FORMAT: Final = 2  # of verdicts/*.json: 2 keyed on content digests
#: Bounds of vocabulary.json (see "Caches" in docs/security.md).
SCAN_MAX_NAMES: Final = 1_000  # a file with more distinct names is scanned every time
SCAN_MAX_FILES: Final = 20_000  # files kept, the most recently used first
SCAN_MAX_REFERENCES: Final = 1_000_000  # names kept for all files together
SCAN_MAX_CHARACTERS: Final = 1_000_000  # characters of the distinct names kept
SCAN_MAX_AGE_DAYS: Final = 30  # an entry not used for this long is dropped
#: Bound of each verdicts/*.json: the most recently checked files are kept.
VERDICT_MAX_FILES: Final = 100_000
_CHUNK: Final = 1 << 20

_START_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_NAMESPACE: Final = re.compile(rb"""xmlns(?::[\w.\-]+)?\s*=\s*["']([^"']*)["']""")
_ATTRIBUTE: Final = re.compile(rb"""\s(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)\s*=\s*["']""")
# Schematron functions that read files while a document is checked: what they read cannot be
# known in advance, so verdicts that depend on such a schema are not cached.
_READS_FILES: Final = re.compile(
    r"\b(?:document|doc|doc-available|unparsed-text|unparsed-text-lines|unparsed-text-available"
    r"|json-doc|collection|uri-collection)\s*\("
)
# The namespaces whose elements' attributes hold XPath (Schematron, and XSLT inside it).
_XPATH_NAMESPACES: Final = (
    "http://purl.oclc.org/dsdl/schematron",
    "http://www.ascc.net/xml/schematron",
    "http://www.w3.org/1999/XSL/Transform",
)
_CONFIG_FILES: Final = ("teikit.toml", "pyproject.toml")


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


# -- files and their digests ---------------------------------------------------------------


def _stat_record(info: os.stat_result) -> list[int]:
    """Return what a stat says about a file's content: size, mtime, ctime, inode, device."""
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


def _settled(info: os.stat_result, taken_ns: int) -> bool:
    """Return whether a stat taken at *taken_ns* can stand for the file's content later."""
    return max(info.st_mtime_ns, info.st_ctime_ns) < taken_ns - RACY_NS


def observe(path: Path) -> tuple[int, os.stat_result] | None:
    """Return the clock and the file's stat, taken before the file is read (``None``: no stat)."""
    taken = time.time_ns()
    try:
        return taken, os.stat(path)
    except OSError:
        return None


def source_record(observed: tuple[int, os.stat_result] | None, data: bytes) -> list[Any] | None:
    """Return the cache's record of a document: its stat before the read, the digest of the
    bytes read, and whether the stat can stand for them in a later run."""
    if observed is None:
        return None
    taken, info = observed
    return [*_stat_record(info), hashlib.sha256(data).hexdigest(), _settled(info, taken)]


class Digests:
    """SHA-256 digests of files, computed once per run.

    *known* maps a path to a stat record and digest from an earlier run; a file whose stat
    is unchanged is not read again. :attr:`settled` collects the records worth keeping.
    """

    def __init__(self, known: dict[str, list[Any]] | None = None) -> None:
        self._known = known or {}
        self._memo: dict[str, tuple[str | None, bool]] = {}
        self.settled: dict[str, list[Any]] = {}

    def digest(self, path: str) -> str | None:
        """Return the digest of the regular file *path*, ``None`` if there is none."""
        return self.stable_digest(path)[0]

    def stable_digest(self, path: str, since_ns: int | None = None) -> tuple[str | None, bool]:
        """Return the digest of *path*, and whether the file is unchanged since *since_ns*
        (minus :data:`RACY_NS`), proven by a stat taken after the file was read."""
        found = self._memo.get(path)
        if found is None:
            found = self._memo[path] = self._compute(path)
        digest, _ = found
        if since_ns is None or digest is None:
            return digest, True
        try:
            info = os.stat(path)
        except OSError:
            return digest, False
        return digest, max(info.st_mtime_ns, info.st_ctime_ns) < since_ns - RACY_NS

    def _compute(self, path: str) -> tuple[str | None, bool]:
        taken = time.time_ns()
        try:
            info = os.stat(path)
        except OSError:
            return None, True
        if not stat.S_ISREG(info.st_mode):
            return None, True
        record = _stat_record(info)
        known = self._known.get(path)
        if isinstance(known, list) and len(known) == 6 and known[:5] == record:
            digest = known[5]
            if isinstance(digest, str):
                self.settled[path] = known
                return digest, True
        digest = _file_digest(path)
        if digest is not None and _settled(info, taken):
            self.settled[path] = [*record, digest]
        return digest, True


def _file_digest(path: str) -> str | None:
    """Return the SHA-256 of the regular file *path* (never opens a FIFO or a device)."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        try:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        except OSError:
            return None
    return digest.hexdigest()


def schema_dependencies(path: Path, digests: Digests) -> list[list[Any]] | None:
    """Return ``[file, digest]`` for *path* and every file it includes or imports.

    Followed in every file, whatever its kind: RELAX NG ``include``/``externalRef``,
    Schematron ``include``/``extends``, XSD ``include``/``import``/``redefine``/``override``
    (a missing file gets the digest ``None``). ``None`` when the schema can read other files
    while documents are checked (Schematron ``document()`` and the like).
    """
    from urllib.parse import unquote, urljoin, urlsplit

    from lxml import etree

    from teikit.document import make_parser
    from teikit.namespaces import RNG_NS, SCH_NS, XSD_NS

    references = {
        f"{{{RNG_NS}}}include": "href",
        f"{{{RNG_NS}}}externalRef": "href",
        f"{{{SCH_NS}}}include": "href",
        f"{{{SCH_NS}}}extends": "href",
        "{http://www.ascc.net/xml/schematron}include": "href",
        **{f"{{{XSD_NS}}}{name}": "schemaLocation" for name in _XSD_REFERENCES},
    }
    found: dict[str, str | None] = {}
    waiting = [os.path.abspath(path)]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found[name] = digest = digests.digest(name)
        if digest is None:
            continue
        try:
            data = Path(name).read_bytes()  # the hardened parser reads no file itself
            root = etree.fromstring(data, make_parser()[0], base_url=name)
        except (OSError, etree.XMLSyntaxError):
            continue  # the engine reports it; a verdict with schema.unavailable is not kept
        if _reads_files(root):
            return None
        for element in root.iter(*references):
            href = element.get(references[str(element.tag)])
            if not href:
                continue
            target = urlsplit(urljoin(element.base or name, href))
            if target.scheme in ("", "file"):
                waiting.append(os.path.abspath(unquote(target.path)))
    return [[name, digest] for name, digest in found.items()]


_XSD_REFERENCES: Final = ("include", "import", "redefine", "override")


def _reads_files(root: Any) -> bool:
    """Return whether a Schematron expression below *root* may read a file (``doc()``...)."""
    return any(
        _READS_FILES.search(value)
        for namespace in _XPATH_NAMESPACES
        for element in root.iter(f"{{{namespace}}}*")
        for value in element.attrib.values()
    )


#: The pseudo dependency "the documents of the run" (its digest: ``runner._run_key``).
RUN_DEPENDENCY: Final = "<run>"


# -- records of one validation -------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    """The verdict on one input, and what the verdict cache needs to keep it."""

    name: str
    diagnostics: list[Diagnostic]
    #: ``[file, digest]`` of every file the verdict read besides the document; ``None``:
    #: the verdict cannot be cached (a file changed while it was read).
    deps: list[list[Any]] | None = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # the source lines findings point at
    #: The document's stat record and digest (see :func:`source_record`).
    source: list[Any] | None = None
    #: The schemas chosen: ``[origin, absolute path, kind, href]``; ``None``: none was
    #: chosen (a document that could not be loaded).
    choice: list[list[Any]] | None = None
    #: The schema files used, for the report (``schemas:`` in every format).
    schemas: list[str] = field(default_factory=list)


def choice_of(refs: Iterable[SchemaRef]) -> list[list[Any]]:
    """Return the schema choice as the verdict cache keeps it."""
    return [[ref.origin, os.path.abspath(ref.path), ref.kind.value, ref.href] for ref in refs]


def _read_bytes(path: Path | None) -> bytes | None:
    """Return the bytes of *path* as the loader reads them (a regular file, within the size
    limit), ``None`` when it cannot be read."""
    if path is None:
        return None
    from teikit.errors import InputError
    from teikit.sources import read_regular_file

    try:
        return read_regular_file(path)
    except (OSError, InputError):
        return None


# -- the name-scan cache -------------------------------------------------------------------


class _ScanCache:
    """The names :func:`scan_vocabulary` found in each file, kept while the file is unchanged.

    The scan only chooses which specialised grammar to compile: it decides no verdict (a
    document with a name outside the grammar's vocabulary widens it, see
    _SpecializedRelaxNG), so it is kept even with ``--no-cache``, like the grammars, and
    keyed on the file's stat alone. It spares a run over an unchanged corpus reading every
    file twice. It is bounded: see the ``SCAN_MAX_*`` constants.
    """

    def __init__(self) -> None:
        self._path = cache_dir() / "vocabulary.json"
        self._today = int(time.time() // 86400)
        self._strings: list[str] = []
        self._files: dict[str, list[Any]] = {}
        self._dirty = False
        loaded = read_cache_json(self._path)
        strings, files = _scan_tables(loaded)
        if strings is not None and files is not None:
            self._strings, self._files = strings, files
        self._index = {text: number for number, text in enumerate(self._strings)}

    def union(self, inputs: Sequence[Input]) -> tuple[set[str], set[str], set[str]]:
        """Return the element names, namespaces and attribute names of all *inputs*.

        Files add the numbers kept for them; the numbers become strings once, at the end (a
        corpus has a few hundred names, in every file).
        """
        total: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        for item in inputs:
            numbers = self._numbers_of(item)
            if numbers is not None:
                for found, part in zip(total, numbers, strict=True):
                    found.update(part)
        strings = self._strings
        names, namespaces, attributes = ({strings[n] for n in numbers} for numbers in total)
        return names, namespaces, attributes

    def _valid(self, entry: Any) -> bool:
        """Return whether a kept entry has the shape this class writes (numbers in range)."""
        if not isinstance(entry, list) or len(entry) != 8:
            return False
        if not all(type(value) is int for value in entry[:5]):
            return False
        limit = len(self._strings)
        return all(
            isinstance(part, list) and all(type(n) is int and 0 <= n < limit for n in part)
            for part in entry[5:]
        )

    def _numbers_of(self, item: Input) -> list[list[int]] | None:
        """Return the numbers of *item*'s element names, namespaces and attribute names,
        scanning it unless it is unchanged since it was scanned (``None``: unreadable)."""
        if item.data is not None or item.path is None:
            if item.data is None:
                return None
            return [self._numbers(texts) for texts in scan_vocabulary(item.data)]
        name = os.path.abspath(item.path)
        try:
            info = os.stat(name)
        except OSError:
            return None
        key = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        entry = self._files.get(name)
        if isinstance(entry, list) and self._valid(entry) and entry[:4] == key:
            if entry[4] != self._today:
                entry[4] = self._today
                self._dirty = True
            return entry[5:8]
        data = _read_bytes(item.path)
        if data is None:
            return None
        scanned = scan_vocabulary(data)
        numbers = [self._numbers(texts) for texts in scanned]
        if sum(map(len, scanned)) <= SCAN_MAX_NAMES:
            self._files[name] = [*key, self._today, *numbers]
        else:  # not kept: one huge file would slow every later run
            self._files.pop(name, None)
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
        """Write the kept scans, most recently used first, within the bounds."""
        if not self._dirty:
            return
        strings: list[str] = []
        renumber: dict[int, int] = {}
        files: dict[str, list[Any]] = {}
        references = characters = 0
        entries = [(name, e) for name, e in self._files.items() if self._valid(e)]
        entries.sort(key=lambda pair: -pair[1][4])  # stable: the order of use within a day
        for name, entry in entries[:SCAN_MAX_FILES]:
            if self._today - entry[4] > SCAN_MAX_AGE_DAYS:
                continue
            numbers = [n for part in entry[5:] for n in part]
            new = {n for n in numbers if n not in renumber}
            size = sum(len(self._strings[n]) for n in new)
            if references + len(numbers) > SCAN_MAX_REFERENCES:
                continue  # a smaller entry may still fit
            if characters + size > SCAN_MAX_CHARACTERS:
                continue
            references += len(numbers)
            characters += size
            for number in sorted(new):
                renumber[number] = len(strings)
                strings.append(self._strings[number])
            files[name] = [*entry[:5], *([renumber[n] for n in part] for part in entry[5:])]
        data = {"format": _SCAN_FORMAT, "strings": strings, "files": files}
        write_cache_file(self._path, json.dumps(data, separators=(",", ":")).encode())


def _scan_tables(loaded: Any) -> tuple[list[str] | None, dict[str, Any] | None]:
    """Return the string table and file entries of vocabulary.json, if it has that shape."""
    if not isinstance(loaded, dict) or loaded.get("format") != _SCAN_FORMAT:
        return None, None
    strings, files = loaded.get("strings"), loaded.get("files")
    if not isinstance(strings, list) or not all(isinstance(text, str) for text in strings):
        return None, None
    return strings, files if isinstance(files, dict) else None


# -- the verdict cache ---------------------------------------------------------------------

_SEVERITIES: Final = {str(severity): severity for severity in Severity}


class _VerdictCache:
    """Per-file verdicts, reused while every file they depended on has the same content."""

    def __init__(self, options: ValidationOptions) -> None:
        self._path = cache_dir() / "verdicts" / f"{options.fingerprint()}.json"
        self._explicit = bool(options.schemas)
        # a configuration file named on the command line (``--config``), where there is one
        self._config: Path | None = getattr(options, "config", None)
        self._entries: dict[str, Any] = {}
        self._known: dict[str, list[Any]] = {}
        self._dirty = False
        loaded = read_cache_json(self._path)
        if isinstance(loaded, dict) and loaded.get("format") == _VERDICT_FORMAT:
            entries, known = loaded.get("entries"), loaded.get("stats")
            if isinstance(entries, dict) and isinstance(known, dict):
                self._entries, self._known = entries, known
        self._digests = Digests(self._known)
        self._configs: dict[str, str] = {}
        self._choices: dict[str, list[list[Any]] | None] = {}
        #: The key of the set of documents in this run (see ``runner._run_key``): a verdict
        #: in which a ``#id`` was found nowhere holds only for the same set.
        self.run_key = ""

    def get(self, item: Input) -> _Outcome | None:
        """Return the kept verdict on *item*, if everything it depended on is unchanged."""
        if item.path is None:
            return None
        name = os.path.abspath(item.path)
        entry = self._entries.get(name)
        if not _well_formed(entry):
            return None
        assert isinstance(entry, dict)
        try:
            if not self._holds(name, entry):
                return None
            diagnostics = [_diagnostic(d, item.name) for d in entry["diagnostics"]]
            lines = {int(n): t for n, t in entry["lines"].items() if isinstance(t, str)}
            schemas = [str(s) for s in entry.get("schemas", [])]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return _Outcome(item.name, diagnostics, lines=lines, schemas=schemas)

    def _holds(self, name: str, entry: dict[str, Any]) -> bool:
        """Return whether the files *entry* depended on have the contents they had."""
        digest = self._digests.digest
        if digest(name) != entry["sha"]:
            return False
        for path, sha in entry["deps"]:
            if path == RUN_DEPENDENCY:  # the set of documents of the run, not a file
                if sha != self.run_key:
                    return False
            elif digest(path) != sha:
                return False
        folder = os.path.dirname(name)
        if entry["config"] != self._config_state(folder):
            return False
        kept = entry["choice"]
        return kept is None or self._explicit or kept == self._choice(folder, kept)

    def _config_state(self, folder: str) -> str:
        """Return a digest of the configuration files that could apply in *folder*."""
        found = self._configs.get(folder)
        if found is None:
            digest = self._digests.digest
            parts = [
                [candidate, digest(candidate)]
                for parent in (Path(folder), *Path(folder).parents)
                for candidate in (str(parent / config) for config in _CONFIG_FILES)
            ]
            if self._config is not None:
                named = os.path.abspath(self._config)
                parts.append([named, digest(named)])
            found = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
            self._configs[folder] = found
        return found

    def _choice(self, folder: str, kept: Any) -> list[list[Any]] | None:
        """Return the schemas that files in *folder* with the kept choice would get now."""
        key = json.dumps([folder, kept])
        if key not in self._choices:
            self._choices[key] = _choose_again(Path(folder), kept, self._config)
        return self._choices[key]

    def put(self, item: Input, outcome: _Outcome) -> None:
        """Keep the verdict on *item*, if it can be proven current in a later run."""
        if item.path is None or outcome.source is None or outcome.deps is None:
            return
        if any(d.code == "schema.unavailable" for d in outcome.diagnostics):
            return  # the verdict would outlive the fix (a schema copy added, a path mended)
        name = os.path.abspath(item.path)
        folder = os.path.dirname(name)
        chosen = outcome.choice
        if chosen is not None and not self._explicit and chosen != self._choice(folder, chosen):
            return  # the schemas chosen for it changed during the run
        *record, digest, settled = outcome.source
        if settled:
            self._digests.settled[name] = [*record, digest]
        self._entries.pop(name, None)  # re-inserted last: the most recent are kept
        self._entries[name] = {
            "sha": digest,
            "deps": outcome.deps,
            "config": self._config_state(folder),
            "choice": outcome.choice,
            "diagnostics": [d.as_dict() for d in outcome.diagnostics],
            "lines": outcome.lines,
            "schemas": outcome.schemas,
        }
        self._dirty = True

    def save(self) -> None:
        """Write the verdicts and the stat records that spare reading unchanged files."""
        if not self._dirty and self._digests.settled.items() <= self._known.items():
            return
        entries = dict(list(self._entries.items())[-VERDICT_MAX_FILES:])
        wanted = set(entries)
        for entry in entries.values():
            if isinstance(entry, dict) and isinstance(entry.get("deps"), list):
                wanted.update(str(dep[0]) for dep in entry["deps"] if isinstance(dep, list) and dep)
        known = {**self._known, **self._digests.settled}
        stats = {name: record for name, record in known.items() if name in wanted}
        data = {"format": _VERDICT_FORMAT, "entries": entries, "stats": stats}
        write_cache_file(self._path, json.dumps(data, separators=(",", ":")).encode())


def _well_formed(entry: Any) -> bool:
    """Return whether a kept verdict has the shape :meth:`_VerdictCache.put` gives it."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sha"), str):
        return False
    deps, choice = entry.get("deps"), entry.get("choice", False)
    if not isinstance(deps, list) or not all(
        isinstance(dep, list)
        and len(dep) == 2
        and isinstance(dep[0], str)
        and (dep[1] is None or isinstance(dep[1], str))
        for dep in deps
    ):
        return False
    return (
        isinstance(entry.get("config"), str)
        and (choice is None or isinstance(choice, list))
        and isinstance(entry.get("diagnostics"), list)
        and isinstance(entry.get("lines"), dict)
        and isinstance(entry.get("schemas", []), list)
    )


def _choose_again(folder: Path, kept: Any, config: Path | None) -> list[list[Any]] | None:
    """Return the schemas a document in *folder* with the *kept* choice would get now.

    A document's ``<?xml-model?>`` hrefs are part of its bytes (unchanged when this is
    asked), but what they map to depends on ``TEIKIT_SCHEMA_PATH`` and the schema store; a
    document without one gets the configured or bundled schemas, which depend on the
    configuration files (*config*: the one named on the command line). ``None`` when that
    cannot be worked out now.
    """
    from teikit.errors import SchemaLoadError
    from teikit.validation.schemas import bundled_schemas, config_schemas, resolve_href

    if not isinstance(kept, list) or not all(isinstance(k, list) and len(k) == 4 for k in kept):
        return None
    try:
        if kept and all(origin == "xml-model" for origin, *_ in kept):
            return [
                [origin, os.path.abspath(resolve_href(str(href), folder)), kind, href]
                for origin, _path, kind, href in kept
            ]
        named: tuple[Path, ...] = () if config is None else (config,)
        refs: list[SchemaRef] = config_schemas(folder, *named) or bundled_schemas()
    except (SchemaLoadError, OSError, ValueError):
        return None
    return choice_of(refs)


def _diagnostic(data: Any, name: str) -> Diagnostic:
    """Return the diagnostic kept as *data* (a dict of :meth:`Diagnostic.as_dict`).

    :raises KeyError, TypeError, ValueError: *data* does not have that shape.
    """
    severity = _SEVERITIES[data["severity"]]
    code, message, xpath = data["code"], data["message"], data["xpath"]
    line, column = data["line"], data["column"]
    if (
        type(code) is not str
        or type(message) is not str
        or (line is not None and type(line) is not int)
        or (column is not None and type(column) is not int)
        or (xpath is not None and type(xpath) is not str)
    ):
        raise ValueError("not a diagnostic")
    stages = data.get("stages", [])  # the stages that agreed on one problem (issue 12)
    if not isinstance(stages, list) or not all(type(stage) is str for stage in stages):
        raise ValueError("not a diagnostic")
    return Diagnostic(severity, code, message, name, line, column, xpath, tuple(stages))

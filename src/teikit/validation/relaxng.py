"""RELAX NG validation: lxml (libxml2) on a grammar specialised per vocabulary, or Jing.

Compiling TEI All takes libxml2 seconds; a grammar specialised to the elements the documents
actually use (:mod:`teikit.validation.specialize`) compiles in milliseconds and gives the
same verdicts. Specialised grammars are kept in memory per vocabulary and on disk under
``$TEIKIT_CACHE_DIR`` (default ``~/.cache/teikit``), keyed by the schema's bytes, the
vocabulary and the teikit version, and sealed with the user's secret key
(:func:`teikit.resources.read_cache_file`): an entry someone else wrote is never used.

libxml2 gives the verdict; when it rejects a document, the messages come from
:mod:`teikit.validation.rng_messages` (Jing's words, the element and attribute at fault, line
and column), libxml2's own only when that finds nothing.

Diagnostic codes: ``rng.invalid`` (the document does not match the schema), ``rng.warning``
and ``rng.jing-fatal`` (Jing could not read a document).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from lxml import etree

from teikit.__about__ import __version__
from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument, make_parser
from teikit.errors import SchemaLoadError
from teikit.namespaces import NSMAP, RNG_NS, TEI_NS
from teikit.resources import cache_dir, read_cache_file, write_cache_file
from teikit.validation.specialize import (
    attributes_of,
    check_expansion,
    check_grammar_size,
    flatten_relaxng,
    read_schema_file,
    specialize_flattened,
    vocabulary_of,
)

if TYPE_CHECKING:
    from teikit.validation.rng_messages import Diagnoser

__all__ = [
    "JingValidator",
    "RelaxNGSchema",
    "RelaxNGValidator",
    "cache_dir",
    "load_relaxng",
]

CODE: Final = "rng.invalid"
# A specialised grammar's key: element names, and attribute names (None: all attributes kept).
_VocabularyKey = tuple[frozenset[str], frozenset[str] | None]
# Part of the cache key: change it whenever the specialiser's output changes.
_CACHE_FORMAT: Final = b"teikit-relaxng-specialised-3\0"
_CLARK: Final = re.compile(r"\{([^}]*)\}([\w.\-]+)")
_PREFIXES: Final = {uri: prefix for prefix, uri in NSMAP.items()}
_EXTRA_CONTENT: Final = re.compile(r"^Element (\S+) has extra content: (\S+)$")
_UNEXPECTED: Final = re.compile(r"^Did not expect element (\S+) there$")
_JING_LINE: Final = re.compile(
    r"^(?:(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): )?(?P<kind>error|fatal|warning): "
    r"(?P<message>.*)$"
)


def load_relaxng(path: Path) -> RelaxNGSchema:
    """Read the RELAX NG schema (XML syntax) at *path* with the hardened parser.

    The schema is compiled only when a validator is asked for.

    :raises SchemaLoadError: the file cannot be read, is not well-formed, is not a RELAX NG
        schema, or includes files outside its own folder.
    """
    path = Path(path)
    if path.suffix == ".rnc":
        raise SchemaLoadError(
            f"{path}: the compact syntax is not supported by lxml; convert it with "
            "'trang schema.rnc schema.rng' or use the jing engine"
        )
    try:
        data = read_schema_file(path)
    except OSError as exc:
        raise SchemaLoadError(f"{path}: cannot read schema: {exc.strerror or exc}") from None
    try:
        root = etree.fromstring(data, make_parser()[0], base_url=str(path.resolve()))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position or (0, 0)
        message = re.sub(r", line \d+, column \d+$", "", exc.msg or str(exc))
        raise SchemaLoadError(f"{path}:{line}:{column}: {message}") from None
    if etree.QName(root).namespace != RNG_NS:
        raise SchemaLoadError(
            f"{path}:{root.sourceline}: not a RELAX NG schema in XML syntax (root element "
            f"{root.tag!r}; compact syntax .rnc can be converted with trang)"
        )
    return RelaxNGSchema(path, root.getroottree(), data)


class RelaxNGValidator:
    """A compiled RELAX NG grammar that validates documents with lxml.

    ``vocabulary`` is ``None`` for the full schema; otherwise the validator accepts only
    documents whose elements all belong to it. ``from_cache`` tells whether the grammar was
    read from the disk cache instead of being specialised. ``full_grammar`` returns the
    flattened, unspecialised grammar that the messages are worked out from (see
    :mod:`teikit.validation.rng_messages`); by default *grammar* is flattened on first need.
    """

    def __init__(
        self,
        grammar: etree._ElementTree,
        *,
        vocabulary: frozenset[str] | None = None,
        attributes: frozenset[str] | None = None,
        from_cache: bool = False,
        cache_file: Path | None = None,
        source: str = "<schema>",
        flat: etree._ElementTree | None = None,
        full_grammar: Callable[[], etree._ElementTree] | None = None,
    ) -> None:
        # libxml2 copies shared patterns into each use: refuse what it would take
        # minutes to compile (issue 17). *flat* is the flattened form of *grammar*
        # (None: *grammar* is flat, or could not be flattened).
        check_grammar_size(grammar if flat is None else flat, source)
        try:
            self._relaxng = etree.RelaxNG(grammar)
        except etree.RelaxNGParseError as exc:
            details = "; ".join(
                f"line {e.line}: {e.message}" if e.line else e.message for e in exc.error_log
            )
            raise SchemaLoadError(f"{source}: invalid RELAX NG schema: {details or exc}") from None
        self.grammar = grammar
        self.vocabulary = vocabulary
        self.attributes = attributes
        self.from_cache = from_cache
        self.cache_file = cache_file
        self._full_grammar = full_grammar
        self._diagnoser: Diagnoser | None = None
        start = grammar.getroot().find(f"{{{RNG_NS}}}start")
        self._no_start = (
            start is not None and len(start) == 1 and start[0].tag == f"{{{RNG_NS}}}notAllowed"
        )

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the ways *document* fails the grammar (an empty list when it is valid).

        :raises ValueError: the document uses elements (or attributes) outside the
            vocabulary this validator was specialised for.
        """
        if self.vocabulary is not None:
            elements, attributes = document.names()
            extra = elements - self.vocabulary
            if self.attributes is not None:
                extra |= {f"@{name}" for name in attributes - self.attributes}
            if extra:
                raise ValueError(
                    f"{document.name}: names {sorted(extra)[:5]} are outside the vocabulary "
                    "this grammar was specialised for (use RelaxNGSchema.validator_for)"
                )
        if self._relaxng.validate(document.tree):
            return []
        diagnostics = self._explain(document) or _diagnostics(self._relaxng.error_log, document)
        if not diagnostics:
            root = document.root
            if self._no_start:
                message = (
                    f"Did not expect element {_readable_tag(root.tag)} there: the schema allows "
                    "no root element of that name"
                )
            else:
                message = "document does not match the schema (libxml2 gave no reason)"
            line = _line(root)
            diagnostics = [
                Diagnostic(Severity.ERROR, CODE, message, document.name, line, None, "/*")
            ]
        return diagnostics

    def validate_many(self, documents: Sequence[TeiDocument]) -> list[list[Diagnostic]]:
        """Return the diagnostics of each document, in order."""
        return [self.validate(document) for document in documents]

    def _explain(self, document: TeiDocument) -> list[Diagnostic]:
        """Return Jing-like messages for a document libxml2 rejected (empty: keep libxml2's)."""
        from teikit.validation.rng_messages import Diagnoser  # only for rejected documents

        try:
            if self._diagnoser is None:
                grammar = (
                    self._full_grammar()
                    if self._full_grammar is not None
                    else flatten_relaxng(self.grammar)[0]
                )
                self._diagnoser = Diagnoser(grammar)
            return self._diagnoser.diagnose(document)
        except (SchemaLoadError, ValueError, KeyError, RecursionError):
            # The messages are a second opinion: libxml2's verdict and messages stand.
            return []


class RelaxNGSchema:
    """A RELAX NG schema read from disk, from which validators are compiled on demand."""

    def __init__(self, path: Path, tree: etree._ElementTree, data: bytes) -> None:
        self.path = path
        self.tree = tree
        self._flat: etree._ElementTree | None = None
        self._validators: dict[_VocabularyKey, RelaxNGValidator] = {}
        self._full: RelaxNGValidator | None = None
        digest = hashlib.sha256(_CACHE_FORMAT + __version__.encode() + b"\0")
        digest.update(len(data).to_bytes(8, "big") + data)
        rng = f"{{{RNG_NS}}}"
        if next(tree.iter(f"{rng}include", f"{rng}externalRef"), None) is not None:
            # Included files are part of the key; flattening also applies the refusals now.
            self._flat, sources = flatten_relaxng(tree)
            for source in sources:
                included = read_schema_file(source)
                digest.update(len(included).to_bytes(8, "big") + included)
        self._digest = digest

    def cache_file(
        self, vocabulary: frozenset[str], attributes: frozenset[str] | None = None
    ) -> Path:
        """Return where the grammar specialised for *vocabulary* is cached on disk."""
        digest = self._digest.copy()
        digest.update("\n".join(sorted(vocabulary)).encode())
        if attributes is not None:
            digest.update(b"\0@" + "\n".join(sorted(attributes)).encode())
        return cache_dir() / "relaxng" / f"{digest.hexdigest()}.rng"

    def flattened(self) -> etree._ElementTree:
        """Return the schema as one self-contained grammar (computed once)."""
        if self._flat is None:
            self._flat, _ = flatten_relaxng(self.tree)
        return self._flat

    def validator_for(
        self, vocabulary: frozenset[str], attributes: frozenset[str] | None = None
    ) -> RelaxNGValidator:
        """Return a validator specialised for documents whose elements are in *vocabulary*.

        With *attributes* (Clark names), the documents' attributes must be among them too, and
        optional attributes named by none of them are left out of the grammar as well.

        :raises SchemaLoadError: the schema does not compile.
        """
        key = (frozenset(vocabulary), None if attributes is None else frozenset(attributes))
        validator = self._validators.get(key)
        if validator is None:
            validator = self._read_cache(*key) or self._build(*key)
            self._validators[key] = validator
        return validator

    def validator_for_documents(self, documents: Iterable[TeiDocument]) -> RelaxNGValidator:
        """Return one validator specialised for the union of the documents' vocabularies."""
        vocabulary: set[str] = set()
        attributes: set[str] = set()
        for document in documents:
            vocabulary |= vocabulary_of(document.root)
            attributes |= attributes_of(document.root)
        return self.validator_for(frozenset(vocabulary), frozenset(attributes))

    def full_validator(self) -> RelaxNGValidator:
        """Return a validator compiled from the whole, unspecialised schema (slow for TEI All)."""
        if self._full is None:
            grammar = self.tree if self._flat is None else self._flat
            try:
                flat = self.flattened()
            except SchemaLoadError:
                flat = None  # libxml2 says what is wrong in its own words
            self._full = RelaxNGValidator(
                grammar, source=str(self.path), flat=flat, full_grammar=self.flattened
            )
        return self._full

    def _build(
        self, vocabulary: frozenset[str], attributes: frozenset[str] | None
    ) -> RelaxNGValidator:
        grammar = specialize_flattened(
            self.flattened(), vocabulary, attributes, source=str(self.path)
        )
        target = self.cache_file(vocabulary, attributes)
        validator = RelaxNGValidator(
            grammar,
            vocabulary=vocabulary,
            attributes=attributes,
            cache_file=target,
            source=str(self.path),
            full_grammar=self.flattened,
        )
        body = etree.tostring(grammar, encoding="utf-8", xml_declaration=True)
        if not write_cache_file(target, body):
            validator.cache_file = None
        return validator

    def _read_cache(
        self, vocabulary: frozenset[str], attributes: frozenset[str] | None
    ) -> RelaxNGValidator | None:
        target = self.cache_file(vocabulary, attributes)
        body = read_cache_file(target)  # None: missing, or its seal is wrong (altered, truncated)
        if body is None:
            return None  # rebuilt and overwritten
        try:
            grammar = etree.fromstring(body, make_parser()[0]).getroottree()
            return RelaxNGValidator(
                grammar,
                vocabulary=vocabulary,
                attributes=attributes,
                from_cache=True,
                cache_file=target,
                source=str(self.path),
                full_grammar=self.flattened,
            )
        except (etree.XMLSyntaxError, SchemaLoadError):
            return None


def _line(element: etree._Element) -> int | None:
    """Return the element's line number, or None when libxml2 does not know it."""
    line = element.sourceline
    return line if isinstance(line, int) and line > 0 else None


def _readable_tag(tag: str) -> str:
    """Return a Clark name with a known prefix (``tei:persName``) or as is."""
    match = _CLARK.fullmatch(tag)
    if match is None:
        return f"{tag} (in no namespace)"
    prefix = _PREFIXES.get(match.group(1))
    return f"{prefix}:{match.group(2)}" if prefix else tag


def _readable(message: str) -> str:
    """Return a libxml2 message without its noise, namespaces shown as prefixes."""
    message = " ".join(message.split())
    message = message.replace(" ,", ",")  # "Expecting an element , got nothing"

    def prefixed(match: re.Match[str]) -> str:
        prefix = _PREFIXES.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(0)

    return _CLARK.sub(prefixed, message)


def _qualify(message: str, document: TeiDocument, path: str | None) -> str:
    """Name the namespace in "Did not expect element X there" when X is not a TEI element."""
    match = _UNEXPECTED.match(message)
    if match is None or path is None:
        return message
    try:
        found = document.tree.xpath(path)
    except etree.XPathError:
        return message
    nodes = found if isinstance(found, list) else []
    node = nodes[0] if len(nodes) == 1 else None
    if not isinstance(node, etree._Element) or not isinstance(node.tag, str):
        return message
    qname = etree.QName(node)
    if qname.localname != match.group(1) or qname.namespace == TEI_NS:
        return message
    return f"Did not expect element {_readable_tag(node.tag)} there"


def _line_of(document: TeiDocument, path: str | None) -> int | None:
    """Return the line of the node at *path* (libxml2 sometimes logs line 0)."""
    if path is None:
        return None
    try:
        found = document.tree.xpath(path)
    except etree.XPathError:
        return None
    nodes = found if isinstance(found, list) else []
    node = nodes[0] if len(nodes) == 1 else None
    return _line(node) if isinstance(node, etree._Element) else None


def _diagnostics(error_log: etree._ListErrorLog, document: TeiDocument) -> list[Diagnostic]:
    """Map libxml2's RELAX NG error log onto diagnostics, one per line and node."""
    merged: list[tuple[int | None, str | None, list[str]]] = []
    for entry in error_log:
        path = getattr(entry, "path", None) or None
        line = entry.line or _line_of(document, path)
        message = _qualify(_readable(entry.message), document, path)
        if merged and merged[-1][:2] == (line, path):
            # libxml2 reports one fault twice ("Did not expect element hi there" followed by
            # "Element div has extra content: hi"): keep one diagnostic naming both elements.
            previous = merged[-1][2]
            extra = _EXTRA_CONTENT.match(message)
            if extra and previous[-1].startswith("Did not expect element "):
                previous[-1] = f"Element {extra.group(1)}: d{previous[-1][1:]}"
            elif extra and previous[-1].startswith("Did not expect text in element "):
                pass  # the text message already names the element
            elif message not in previous:
                previous.append(message)
            continue
        merged.append((line, path, [message]))
    diagnostics = [
        Diagnostic(Severity.ERROR, CODE, "; ".join(messages), document.name, line, None, path)
        for line, path, messages in merged
    ]
    # libxml2 backtracks, so its log is not in document order.
    diagnostics.sort(key=lambda d: d.line or 0)
    return diagnostics


class JingValidator:
    """Validate with the ``jing`` command (Java), one process per batch of documents.

    Jing reads the files itself, so documents with a DOCTYPE (whose external DTD Jing would
    try to load) or without a path are handed over as a temporary copy of the tree teikit
    loaded, padded so that line numbers still match. Jing performs XInclude on the files it
    reads; teikit does not.
    """

    #: The runner hands this engine whole batches of documents (validate_many).
    batched = True

    def __init__(self, schema: Path) -> None:
        command = shutil.which("jing")
        if command is None:
            raise SchemaLoadError("the jing command is not installed (needed by --engine jing)")
        schema = Path(schema)
        if not schema.is_file():
            raise SchemaLoadError(f"{schema}: no such schema file")
        if schema.suffix != ".rnc":
            # Jing copies included files into each place that includes them: a diamond
            # of includes would keep it busy for hours (issue 17).
            check_expansion(schema)
        self.command = command
        self.schema = schema.resolve()

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the ways *document* fails the schema according to Jing."""
        return self.validate_many([document])[0]

    def validate_many(self, documents: Sequence[TeiDocument]) -> list[list[Diagnostic]]:
        """Run Jing over *documents* in one batch and return the diagnostics of each, in order.

        :raises SchemaLoadError: Jing rejects the schema or cannot run.
        """
        results: list[list[Diagnostic]] = [[] for _ in documents]
        with tempfile.TemporaryDirectory(prefix="teikit-jing-") as folder:
            files: list[str] = []
            seen: set[str] = set()
            for index, document in enumerate(documents):
                file = _jing_input(document, Path(folder) / f"{index}.xml")
                if file in seen:  # the same file twice: give Jing a distinct copy
                    file = _jing_input(document, Path(folder) / f"{index}.xml", copy=True)
                files.append(file)
                seen.add(file)
            first = 0
            while first < len(files):
                first = self._run(files, first, documents, results)
        return results

    def _run(
        self,
        files: list[str],
        first: int,
        documents: Sequence[TeiDocument],
        results: list[list[Diagnostic]],
    ) -> int:
        """Run Jing on ``files[first:]``; return where to resume (Jing stops at a fatal error)."""
        owner = {file: index for index, file in enumerate(files) if index >= first}
        arguments = [self.command, *(["-c"] if self.schema.suffix == ".rnc" else [])]
        completed = subprocess.run(
            [*arguments, str(self.schema), *files[first:]],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
        problems: list[str] = []
        resume = len(files)
        for raw in (completed.stdout + completed.stderr).splitlines():
            match = _JING_LINE.match(raw)
            position = owner.get(match.group("file") or "") if match else None
            if match is None or position is None:
                if raw.strip():
                    problems.append(raw.strip())
                continue
            kind = match.group("kind")
            if kind == "fatal":
                resume = position + 1
            results[position].append(
                Diagnostic(
                    Severity.WARNING if kind == "warning" else Severity.ERROR,
                    {"error": CODE, "warning": "rng.warning"}.get(kind, "rng.jing-fatal"),
                    match.group("message"),
                    documents[position].name,
                    int(match.group("line")) if match.group("line") else None,
                    int(match.group("column")) if match.group("column") else None,
                )
            )
        fatal = any("fatal:" in problem for problem in problems)
        if problems and (fatal or (completed.returncode != 0 and not any(results[first:]))):
            # A fatal error Jing cannot attribute to a document (the schema, a vanished
            # file) ends the run: the documents after it would silently count as valid.
            raise SchemaLoadError(f"{self.schema}: jing failed: {'; '.join(problems[:5])}")
        return resume


def _jing_input(document: TeiDocument, fallback: Path, *, copy: bool = False) -> str:
    """Return the file Jing should read for *document*, writing a copy when needed."""
    info = document.tree.docinfo
    plain = not getattr(info, "doctype", "") and not info.internalDTD
    if document.path is not None and plain and not copy:
        return str(document.path.resolve())
    root = document.root
    # Blank lines before the root keep Jing's line numbers equal to the loaded document's.
    padding = b"\n" * ((_line(root) or 1) - 1)
    fallback.write_bytes(
        padding + etree.tostring(root, encoding="utf-8", xml_declaration=False, with_tail=False)
    )
    return str(fallback)

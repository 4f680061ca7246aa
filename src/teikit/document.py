"""The hardened XML loader and :class:`TeiDocument`.

Every teikit command reads XML through :func:`load`. The parser never touches the
network, never loads an external DTD or external entity, never processes XInclude,
never decompresses gzip input and keeps libxml2's limits on entity expansion and
nesting depth. Entities declared in the document's own internal subset are expanded.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from lxml import etree

from teikit import encodings
from teikit.diagnostics import Diagnostic, Severity, escape_text
from teikit.errors import DocumentLoadError, NotWellFormedError, RefusedInputError
from teikit.namespaces import NSMAP, TEI_NS, XI_NS
from teikit.sources import read_regular_file

__all__ = [
    "ElementPaths",
    "Source",
    "TeiDocument",
    "load",
    "make_parser",
    "read_bytes",
    "readable_path",
    "lines_of",
    "looks_like_xml",
    "split_lines",
    "source_line",
]

#: What :func:`load` accepts: a path, the document's bytes, or a binary file object.
Source = str | os.PathLike[str] | bytes | IO[bytes]

_GZIP_MAGIC = b"\x1f\x8b"
# An entity declaration in the internal subset that names an external resource.
_EXTERNAL_ENTITY = re.compile(
    rb"<!ENTITY\s+(%\s+)?([^\s%;]+)\s+(SYSTEM|PUBLIC)\s+(\"[^\"]*\"|'[^']*')"
    rb"(?:\s+(\"[^\"]*\"|'[^']*'))?"
)
_DOCTYPE_EXTERNAL = re.compile(
    rb"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM\s+(\"[^\"]*\"|'[^']*')|PUBLIC\s+(?:\"[^\"]*\"|'[^']*')"
    rb"\s+(\"[^\"]*\"|'[^']*'))"
)
_UNDECLARED = re.compile(r"Entity '([^']+)' not defined")
# libxml2's resource limits (kept: huge_tree=False), worded for teikit's users rather than
# for C programmers ("use XML_PARSE_HUGE option"); see docs/security.md
_LIMITS: Final = (
    ("Excessive depth in document", "element nesting depth exceeds 256 levels"),
    ("Text node too long", "a text node is longer than 10,000,000 characters"),
    (
        "Buffer size limit exceeded",
        "a name or attribute value is longer than 10,000,000 characters",
    ),
    (
        "amplification factor exceeded",
        "entity amplification limit exceeded: entity references expand to far more text "
        "than the document holds (as in a 'billion laughs' attack)",
    ),
)
# the libxml2 errors that mean the bytes do not fit the encoding (one declared or UTF-8)
_DECODING: Final = ("Invalid bytes in character encoding", "not proper UTF-8", "Char 0x0 out")
_ENTITY_ERRORS: Final = ("entity reference loop", "amplification factor exceeded")
_MAX_TAG: Final = 10_000_000  # libxml2's limit on a start tag (names and values included)
_LONG_START_TAG: Final = re.compile(rb"<[A-Za-z_:][^>]{%d}" % _MAX_TAG)
_INTERNAL_ENTITY: Final = re.compile(r"""<!ENTITY\s+([^\s%]+)\s+(?:"([^"]*)"|'([^']*)')""")
_REFERENCE: Final = re.compile(r"&([^\s&;#]+);")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_TEI_PREFIX: Final = f"{{{TEI_NS}}}"
_CLARK: Final = re.compile(r"\{[^}]*\}([^/\[]+)")


class _RefusingResolver(etree.Resolver):
    """Resolve every external resource libxml2 asks for to nothing, and remember it."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def resolve(  # type: ignore[override]  # lxml-stubs lack the context argument
        self, system_url: str, public_id: str, context: Any
    ) -> Any:
        self.refused.append(system_url)
        return self.resolve_string("", context)  # type: ignore[call-arg]


def make_parser() -> tuple[etree.XMLParser, _RefusingResolver]:
    """Return a fresh hardened parser and the resolver that records what it refused."""
    parser = etree.XMLParser(
        # expand the internal subset's entities, nothing else (lxml >= 5; stubs lag behind)
        resolve_entities="internal",  # type: ignore[arg-type]
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,  # keep libxml2's limits on depth, text size and entity amplification
        collect_ids=False,  # duplicate xml:id is a finding for validate, not a parse failure
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
    )
    resolver = _RefusingResolver()
    parser.resolvers.add(resolver)
    return parser, resolver


_PARSERS = threading.local()


def _reused_parser() -> tuple[etree.XMLParser, _RefusingResolver]:
    """Return this thread's hardened parser, its record of refusals emptied.

    Creating a parser costs as much as parsing a small letter; lxml parsers may be reused
    but not shared between threads.
    """
    found: tuple[etree.XMLParser, _RefusingResolver] | None = getattr(_PARSERS, "parser", None)
    if found is None:
        found = _PARSERS.parser = make_parser()
    found[1].refused.clear()
    return found


@dataclass(slots=True)
class TeiDocument:
    """A parsed XML document with the name it was loaded under.

    ``warnings`` holds what the loader noticed but did not refuse, for example
    ``xi:include`` elements that were left unprocessed.
    """

    tree: etree._ElementTree
    name: str
    path: Path | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    _names: tuple[frozenset[str], frozenset[str]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def root(self) -> etree._Element:
        """Return the root element."""
        return self.tree.getroot()

    @property
    def is_tei(self) -> bool:
        """Return whether the root is ``TEI`` or ``teiCorpus`` in the TEI namespace."""
        return self.root.tag in (f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus")

    def xpath(self, expression: str, node: etree._Element | None = None, **variables: Any) -> Any:
        """Evaluate *expression* with the ``tei:``, ``xml:`` and ``xi:`` prefixes bound."""
        context = self.root if node is None else node
        return context.xpath(expression, namespaces=NSMAP, **variables)

    def names(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the element names (Clark notation) and attribute names the tree uses.

        Computed on the first call and kept: several checks need them, one walk serves all.

        >>> [sorted(names) for names in load(b'<a xmlns="urn:x" n="1"><b/></a>').names()]
        [['{urn:x}a', '{urn:x}b'], ['n']]
        """
        if self._names is None:
            self.survey()
        assert self._names is not None
        return self._names

    def survey(
        self, marks: frozenset[str] = frozenset(), limit: int = 100_000
    ) -> list[etree._Element] | None:
        """Walk the tree once: keep its names (see :meth:`names`) and return the elements
        that carry an attribute named in *marks*, in document order.

        ``None`` when more than *limit* elements would be returned: a caller holding every
        one of a very large document's elements would need memory, not a second walk.

        >>> doc = load(b'<a><b n="1"/><c/><d n="2" x="3"/></a>')
        >>> [e.tag for e in doc.survey(frozenset({"n"}))], doc.names()[1] == {"n", "x"}
        (['b', 'd'], True)
        >>> doc.survey(frozenset({"n"}), limit=1) is None
        True
        """
        tags: set[str] = set()
        attributes: set[str] = set()
        marked: list[etree._Element] | None = []
        for element in self.root.iter(tag=etree.Element):
            tags.add(element.tag)
            keys = element.keys()
            if keys:
                attributes.update(keys)  # type: ignore[arg-type]  # str at run time
                if marked is not None and not marks.isdisjoint(keys):
                    marked.append(element)
                    if len(marked) > limit:
                        marked = None
        self._names = (frozenset(tags), frozenset(attributes))
        return marked

    def iter_elements(self) -> Iterator[etree._Element]:
        """Yield every element in document order (comments and PIs excluded)."""
        return self.root.iter(tag=etree.Element)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Return the bytes of the file at *path*, as :func:`load` reads them.

    Only a regular file within the size limit is read (see
    :func:`teikit.sources.read_regular_file`).

    :raises FileRefusedError: the file is not read (a FIFO, device, folder, link out of
        the corpus, too large, unreadable): the diagnostic's ``io.*`` code says why.
    :raises DocumentLoadError: the file does not exist.
    """
    return read_regular_file(path)


def _read(source: Source) -> tuple[bytes, str, Path | None]:
    if isinstance(source, bytes):
        return source, "<bytes>", None
    if isinstance(source, (str, os.PathLike)):
        # the name shown in findings and tables: one line, printable, whatever the file system
        # allowed (a name's bytes need not be UTF-8); *path* keeps the real one
        return read_bytes(source), escape_text(os.fspath(source)), Path(source)
    name = str(getattr(source, "name", "<stream>"))
    try:
        data = source.read()
    except OSError as exc:
        raise DocumentLoadError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if isinstance(data, str):
        raise DocumentLoadError(f"{name}: a binary stream is needed, not a text stream")
    return bytes(data), name, None


def _diagnostic(
    code: str, message: str, name: str, line: int | None, column: int | None
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, name, line, column)


def _explain_undeclared(message: str, data: bytes) -> tuple[str, str]:
    """Return (code, message) for an undeclared-entity error, naming what was refused."""
    match = _UNDECLARED.search(message)
    if match is None:
        return "xml.not-well-formed", message
    entity = match.group(1).encode()
    prolog = data[: data.find(b">", data.find(b"]>")) + 1] if b"]>" in data else data[:4096]
    for decl in _EXTERNAL_ENTITY.finditer(prolog):
        if decl.group(2) == entity:
            kind = "external parameter entity" if decl.group(1) else "external entity"
            url = (decl.group(5) or decl.group(4)).decode("utf-8", "replace").strip("\"'")
            return (
                "xml.external-entity-refused",
                f"refused to load {kind} '{match.group(1)}' ({url}): teikit never reads "
                "external entities; declare the text inside the document instead",
            )
    if re.search(rb"<!ENTITY\s+%\s+" + re.escape(entity) + rb"\s+[\"']", prolog):
        # lxml's resolve_entities="internal" never expands parameter entities, even internal ones
        return (
            "xml.parameter-entity-refused",
            f"parameter entity '%{match.group(1)};' is declared in the document, but teikit "
            "does not expand parameter entities; write the declarations out instead",
        )
    doctype = _DOCTYPE_EXTERNAL.search(data[:4096])
    if doctype is not None:
        url = (doctype.group(1) or doctype.group(2)).decode("utf-8", "replace").strip("\"'")
        return (
            "xml.external-dtd-refused",
            f"entity '{match.group(1)}' is not declared in the document; it may come from the "
            f"external DTD {url!r}, which teikit does not load (declare it in the internal "
            "subset or replace it with the character itself)",
        )
    return "xml.undeclared-entity", f"entity '{match.group(1)}' is not declared"


def load(source: Source, *, name: str | None = None, path: Path | None = None) -> TeiDocument:
    """Parse *source* with the hardened parser and return a :class:`TeiDocument`.

    *source* is a path, the document's bytes, or a binary file object. *name* overrides
    the file name used in messages; *path* tells where bytes were read from (see
    :func:`read_bytes`): the document's folder resolves its relative references.

    :raises DocumentLoadError: the file cannot be read.
    :raises RefusedInputError: the document needs something teikit refuses (external
        entities, an external DTD's entities, gzip compression).
    :raises NotWellFormedError: the document is not well-formed XML.

    >>> load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"/>').is_tei
    True
    """
    data, default_name, read_from = _read(source)
    path = read_from or path
    display = name or default_name
    if data.startswith(_GZIP_MAGIC):
        raise RefusedInputError(
            _diagnostic(
                "xml.compressed-refused",
                "input is gzip-compressed; teikit does not decompress input (run gunzip first)",
                display,
                None,
                None,
            )
        )
    _check_before_parsing(data, display)
    parser, resolver = _reused_parser()
    base_url = os.path.abspath(path) if path is not None else None
    if base_url is not None and _SURROGATE.search(base_url):  # a name that is not UTF-8
        base_url = urllib.parse.quote(os.fsencode(base_url))  # libxml2 needs UTF-8
    try:
        root = etree.fromstring(data, parser, base_url=base_url)  # type: ignore[arg-type]
    except etree.XMLSyntaxError as exc:
        line: int | None
        column: int | None
        line, column = exc.position if exc.position else (None, None)
        message = exc.msg or str(exc)
        # lxml appends ", line N, column M" to its messages; the position is kept apart.
        message = re.sub(r", line \d+, column \d+$", "", message)
        # some libxml2 messages end in a newline: keep `FILE:LINE:COL: message` on one line
        message = " ".join(message.split())
        code, message = _explain_undeclared(message, data)
        raw = message
        for needle, reason in _LIMITS:
            if needle in message:
                code = "xml.limit-exceeded"
                message = f"{reason}; teikit keeps this limit on purpose"
        if any(needle in raw for needle in _ENTITY_ERRORS):
            code, message, line, column = _at_entity_reference(data, code, message, line, column)
        elif any(needle in message for needle in _DECODING):
            hint = encodings.mismatch_hint(data)
            if hint is not None:
                code, message = "xml.encoding-mismatch", f"{hint} (libxml2: {message})"
        if encodings.xml_version(data) == "1.1":
            code, message = (
                "xml.version-unsupported",
                (
                    "XML 1.1 is not supported by libxml2, teikit's parser, which reads documents "
                    f"as XML 1.0; it stopped here: {message}"
                ),
            )
        if not data.strip():
            code, message, line, column = "xml.empty", "file is empty", None, None
        error = RefusedInputError if code.endswith("-refused") else NotWellFormedError
        raise error(_diagnostic(code, message, display, line or None, column or None)) from None
    if root is None:  # pragma: no cover - libxml2 raises for a document without a root
        raise NotWellFormedError(_diagnostic("xml.empty", "no root element", display, None, None))
    document = TeiDocument(root.getroottree(), display, path)
    _warn_about_encoding(document, data)
    for url in resolver.refused:
        document.warnings.append(
            Diagnostic(
                Severity.WARNING,
                "xml.external-dtd-refused",
                f"external DTD {url!r} was not loaded (teikit never loads external resources)",
                display,
                1,
                None,
            )
        )
    for include in root.iter(f"{{{XI_NS}}}include"):
        document.warnings.append(
            Diagnostic(
                Severity.WARNING,
                "xml.xinclude-not-processed",
                f"xi:include of {include.get('href')!r} was not processed "
                "(teikit never performs XInclude)",
                display,
                source_line(include),
                None,
            )
        )
    return document


def _check_before_parsing(data: bytes, display: str) -> None:
    """Refuse an encoding off the allow-list and a start tag beyond libxml2's limit, before
    the parser spends time and memory on them."""
    refusal = encodings.refusal(data)
    if refusal is not None:
        column = encodings.encoding_column(data)
        raise RefusedInputError(_diagnostic("xml.encoding-refused", refusal, display, 1, column))
    if len(data) > _MAX_TAG:  # one start tag cannot be that long in a smaller file
        match = _LONG_START_TAG.search(data)
        if match is not None:
            line = data.count(b"\n", 0, match.start()) + 1
            column = match.start() - data.rfind(b"\n", 0, match.start())
            attributes = data.count(b"=", match.start(), match.end())
            raise NotWellFormedError(
                _diagnostic(
                    "xml.limit-exceeded",
                    f"a start tag is longer than {_MAX_TAG:,} characters (more than "
                    f"{attributes:,} attributes); teikit keeps this limit on purpose",
                    display,
                    line,
                    column,
                )
            )


def _warn_about_encoding(document: TeiDocument, data: bytes) -> None:
    """Add warnings for a document that parsed, but perhaps not as its author meant."""
    docinfo = document.tree.docinfo
    hint = encodings.single_byte_hint(data, encodings.declared_encoding(data))
    if hint is not None:
        document.warnings.append(
            Diagnostic(Severity.WARNING, "xml.encoding-mismatch", hint, document.name, 1, None)
        )
    if docinfo.xml_version == "1.1":
        document.warnings.append(
            Diagnostic(
                Severity.WARNING,
                "xml.version-unsupported",
                "XML 1.1 is not supported by libxml2, teikit's parser: the document was "
                "read as XML 1.0",
                document.name,
                1,
                None,
            )
        )


def _at_entity_reference(
    data: bytes, code: str, message: str, line: int | None, column: int | None
) -> tuple[str, str, int | None, int | None]:
    """Return the finding for an entity loop or expansion limit, placed at the reference
    in the document that sets it off (libxml2 places it at the declaration or before).

    Entities declared in the internal subset are sized (a loop is infinite); the first
    reference after the subset to a looping entity, else to the largest, is the culprit.
    A position libxml2 gives past the subset is kept: it is a reference already.
    """
    text = data.decode(encodings.detect_encoding(data), "replace")
    end = text.find("]>", text.find("<!DOCTYPE"))
    if "<!DOCTYPE" not in text or end < 0:
        return code, message, line, column
    subset_lines = len(split_lines(text[:end].encode("utf-8")))
    if line is not None and line > subset_lines:  # libxml2 found the reference itself
        return code, message, line, column
    values = {
        m.group(1): m.group(2) or m.group(3) or "" for m in _INTERNAL_ENTITY.finditer(text[:end])
    }
    sizes: dict[str, float] = {}

    def size(name: str, seen: frozenset[str]) -> float:
        if name in seen:
            return float("inf")
        if name not in sizes:
            value = values.get(name, "")
            nested = [size(ref, seen | {name}) for ref in _REFERENCE.findall(value)]
            sizes[name] = min(len(value) + sum(nested), float("inf"))
        return sizes[name]

    for name in values:
        size(name, frozenset())
    looping = "loop" in message
    worst = max(sizes.values(), default=0.0)
    for match in _REFERENCE.finditer(text, end + 2):
        name = match.group(1)
        if name in sizes and (sizes[name] == worst or looping and sizes[name] == float("inf")):
            before = text[: match.start()]
            line = len(split_lines(before.encode("utf-8"))) if before else 1
            column = match.start() - max(before.rfind("\n"), before.rfind("\r")) if before else 1
            if looping:
                code = "xml.entity-loop"
                message = f"entity '{name}' refers to itself (an entity reference loop)"
            else:
                message = f"{message} (from the reference &{name};)"
            return code, message, line, column
    return code, message, line, column


def looks_like_xml(data: bytes) -> bool:
    """Return whether *data* begins as XML does (with ``<`` after a BOM and white space):
    a file that does not is never quoted in a report (it may be anything, secrets too).

    >>> looks_like_xml(b"\\xef\\xbb\\xbf  <TEI/>"), looks_like_xml(b"root:x:0:0::/root:/bin/sh")
    (True, False)
    """
    head = data[:4096]
    text = head.decode(encodings.detect_encoding(head), "replace").lstrip("\ufeff \t\r\n")
    return text.startswith("<")


def split_lines(data: bytes) -> list[bytes]:
    """Return a document's lines as libxml2 counts them: CR LF and a lone CR end a line too.

    >>> split_lines(b"<a>\\r\\n<b/>\\r<c/></a>")
    [b'<a>', b'<b/>', b'<c/></a>']
    """
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def lines_of(data: bytes, wanted: Iterable[int], encoding: str | None = None) -> dict[int, str]:
    """Return the *wanted* lines (1-based) of a document's bytes, decoded for display.

    Lines are decoded with *encoding* (else the one the document shows, see
    :func:`teikit.encodings.detect_encoding`), undecodable bytes replaced.

    >>> lines_of(b"<a>\\r\\n<b/>\\r<c/></a>", [2, 3, 9])
    {2: '<b/>', 3: '<c/></a>'}
    >>> lines_of("<a>\\n<b>é</b></a>".encode("utf-16"), [2])
    {2: '<b>é</b></a>'}
    """
    codec = encodings.detect_encoding(data) if encoding is None else encoding.lower()
    if codec.replace("_", "-") not in ("utf-8", "utf8", "ascii", "us-ascii"):
        try:
            text = data.decode(codec, "replace").lstrip("\ufeff")
        except LookupError:
            text = data.decode("utf-8", "replace")
        found = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return {n: found[n - 1] for n in sorted(set(wanted)) if 1 <= n <= len(found)}
    lines = split_lines(data)
    return {
        number: lines[number - 1].decode("utf-8", "replace")
        for number in sorted(set(wanted))
        if 1 <= number <= len(lines)
    }


def source_line(element: etree._Element) -> int | None:
    """Return the line *element* starts on, or ``None`` when lxml does not know it."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def readable_path(element: etree._Element) -> str:
    """Return an XPath for *element* with the ``tei:`` prefix, e.g. ``/tei:TEI/tei:text``.

    A position is added only where siblings share the name, as ``validate`` does. For
    many elements of one document, use one :class:`ElementPaths`.

    >>> from lxml import etree
    >>> root = etree.fromstring('<TEI xmlns="http://www.tei-c.org/ns/1.0"><p/><p/></TEI>')
    >>> readable_path(root[1])
    '/tei:TEI/tei:p[2]'
    """
    return ElementPaths().path(element)


class ElementPaths:
    """Readable XPaths for many elements of one tree, scanning each parent's children once.

    lxml's ``getelementpath`` (in C) gives the same steps, but scans an element's siblings
    on every call: quadratic for a flat document with thousands of mentions (4 MB took 15 s
    in ``entities``, issue 6). It is used only below parents with few children; the others
    are indexed once, in Python.
    """

    _FEW: Final = 64  # children of a parent below which libxml2's scan is the cheaper

    def __init__(self) -> None:
        self._steps: dict[etree._Element, str] = {}
        self._paths: dict[etree._Element, str] = {}
        self._sizes: dict[etree._Element, int] = {}

    def _index(self, parent: etree._Element) -> None:
        counts: dict[str, int] = {}
        children = [child for child in parent if isinstance(child.tag, str)]
        for child in children:
            counts[child.tag] = counts.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        for child in children:
            name = _clark_to_prefixed(child.tag)
            if counts[child.tag] > 1:
                seen[child.tag] = seen.get(child.tag, 0) + 1
                name = f"{name}[{seen[child.tag]}]"
            self._steps[child] = name

    def _few_siblings(self, parent: etree._Element) -> bool:
        size = self._sizes.get(parent)
        if size is None:
            size = self._sizes[parent] = len(parent)
        return size <= self._FEW

    def path(self, element: etree._Element) -> str:
        """Return the readable XPath of *element*."""
        known = self._paths.get(element)
        if known is not None:
            return known
        parent = element.getparent()
        if parent is None:
            path = "/" + _clark_to_prefixed(str(element.tag))
        elif element not in self._steps and self._few_siblings(parent):
            tree = element.getroottree()
            steps = tree.getelementpath(element)
            path = _clark_to_prefixed(f"/{tree.getroot().tag}/{steps}")
        else:
            if element not in self._steps:
                self._index(parent)
            path = f"{self.path(parent)}/{self._steps[element]}"
        self._paths[element] = path
        return path


@functools.lru_cache(maxsize=4096)  # a document has few distinct tags, and many elements
def _clark_to_prefixed(path: str) -> str:
    path = path.replace(_TEI_PREFIX, "tei:")
    return _CLARK.sub(r"*[local-name()='\1']", path) if "{" in path else path

"""TEI pointers: find them, expand ``prefixDef`` private URIs, and resolve them.

One resolver serves every command (``validate``, ``entities``, ``export``, ``lint``,
``register build``), so they agree on every target (issue 12). A token is read in this order:

1. a ``prefixDef`` private URI (``psn:mao``) is expanded, the document's declarations first,
   then the index files';
2. ``#id`` looks in the document itself, then in the register files given with ``--index``,
   then at the root ``xml:id`` of the other documents of the same run (``#L00019``, the
   root of letter ``L00019.xml``): such a pointer resolves *to that document* (its root
   element), which is no register entry;
3. ``file.xml#id`` loads the named file (relative to the document) through the hardened
   loader;
4. a URI with a scheme (``https:``, ``urn:``) or a relative link to a file that is not XML
   is external and kept as written.

A target inside a register entry (the ``persName`` of a ``person``) stands for that entry
(:func:`teikit.kinds.entry_of`).
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from lxml import etree

from teikit.document import TeiDocument, load
from teikit.errors import TeikitError
from teikit.namespaces import TEI_NS, XML_ID

__all__ = [
    "POINTER_ATTRIBUTES",
    "PointerResolver",
    "PointerStatus",
    "PrefixDef",
    "elements_with_id",
    "Resolution",
    "id_index",
    "iter_pointers",
    "prefix_defs",
    "root_id",
]

#: Attributes whose values are (lists of) TEI pointers (``teidata.pointer``), checked by
#: ``validate`` and resolved by ``entities``. TEI Guidelines 1.3.1.1.3 and 16.2.
POINTER_ATTRIBUTES: Final = (
    "ref",
    "corresp",
    "target",
    "who",
    "ana",
    "resp",
    "source",
    "sameAs",
    "facs",
    "scheme",
    "hand",
    "wit",
    "synch",
    "prev",
    "next",
    "copyOf",
    "select",
    "exclude",
    "nymRef",
    "decls",
    "start",
    "end",
    "spanTo",
    "active",
    "passive",
    "mutual",
)
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class PointerStatus(enum.Enum):
    """What became of a pointer."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class PrefixDef:
    """A ``prefixDef``: ``ident:value`` is rewritten by a regular-expression replacement."""

    ident: str
    match_pattern: str
    replacement_pattern: str

    def expand(self, rest: str) -> str | None:
        """Return the expansion of ``ident:rest``, or ``None`` when the pattern does not match."""
        # TEI uses XPath-style $1 group references; Python's re uses \1.
        replacement = re.sub(r"\$(\d)", r"\\\1", self.replacement_pattern)
        try:
            match = re.fullmatch(self.match_pattern, rest)
        except re.error:
            return None
        return None if match is None else match.expand(replacement)


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one pointer token."""

    pointer: str
    status: PointerStatus
    expanded: str
    target: etree._Element | None = None
    document: TeiDocument | None = None
    reason: str | None = None


def root_id(path: Path) -> tuple[str, etree._Element] | None:
    """Return the root ``xml:id`` of the XML file *path* and a copy of its root element.

    Only the start of the file is read; ``None`` when the file cannot be read, is not
    XML or its root has no ``xml:id``.
    """
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(4096):
                try:
                    parser.feed(chunk)
                except etree.XMLSyntaxError:  # an error further on: the root may be read
                    chunk = b""
                for _event, root in parser.read_events():
                    assert isinstance(root, etree._Element)  # only "start" events
                    ident = root.get(XML_ID)
                    if ident is None or not isinstance(root.tag, str):
                        return None
                    nsmap = {k: v for k, v in root.nsmap.items() if k is not None}
                    attributes = {str(k): str(v) for k, v in root.attrib.items()}
                    stand_in = etree.Element(root.tag, attributes, nsmap=nsmap)
                    return ident, stand_in
                if not chunk:
                    return None
    except OSError:
        return None
    return None


def iter_pointers(
    root: etree._Element, attributes: Iterable[str] = POINTER_ATTRIBUTES
) -> Iterator[tuple[etree._Element, str, str]]:
    """Yield ``(element, attribute, token)`` for every pointer token below *root*.

    Only elements in the TEI namespace are considered; values are split on whitespace.
    """
    wanted = frozenset(attributes)
    for element in root.iter(f"{{{TEI_NS}}}*"):
        for name, value in element.items():
            if name in wanted:
                for token in str(value).split():
                    yield element, name, token


def prefix_defs(root: etree._Element) -> dict[str, PrefixDef]:
    """Return the ``prefixDef`` declarations of a document, keyed by prefix."""
    found: dict[str, PrefixDef] = {}
    for element in root.iter(f"{{{TEI_NS}}}prefixDef"):
        ident = element.get("ident")
        match = element.get("matchPattern")
        replacement = element.get("replacementPattern")
        if ident and match is not None and replacement is not None:
            found.setdefault(ident, PrefixDef(ident, match, replacement))
    return found


def elements_with_id(root: etree._Element) -> list[etree._Element]:
    """Return the elements of *root*'s document that carry an ``xml:id``, in document order.

    The same as the XPath ``//*[@xml:id]``, but walked: libxml2 cannot build the node-set of
    that XPath for a document of over 10 million nodes (issue 18).
    """
    top = root.getroottree().getroot()
    return [e for e in top.iter(etree.Element) if e.get(XML_ID) is not None]


def id_index(root: etree._Element) -> dict[str, etree._Element]:
    """Return the first element carrying each ``xml:id`` in *root*'s document."""
    index: dict[str, etree._Element] = {}
    for element in elements_with_id(root):
        index.setdefault(element.get(XML_ID, ""), element)
    return index


class PointerResolver:
    """Resolve pointers for many documents, loading each referenced file once.

    *indexes* are register documents (``--index FILE``) searched for ``#id`` pointers
    that the document itself does not define.
    """

    def __init__(
        self, indexes: Iterable[TeiDocument] = (), corpus: Iterable[str | os.PathLike[str]] = ()
    ) -> None:
        self._indexes = list(indexes)
        self._corpus: list[Path] = []
        self._roots: dict[str, TeiDocument] | None = None
        self.add_corpus(corpus)
        self._ids: dict[int, dict[str, etree._Element]] = {}
        self._prefixes: dict[int, dict[str, PrefixDef]] = {}
        self._files: dict[Path, TeiDocument | TeikitError] = {}
        #: Existing files that ``file.xml#id`` pointers led to; callers may clear it (the
        #: verdict cache records them as dependencies of the document being checked).
        self.referenced_files: set[Path] = set()
        #: ``#id`` values looked for among the run's document roots in vain; callers may
        #: clear it (a verdict with such a miss depends on which documents are in the run).
        self.corpus_misses: set[str] = set()
        for document in self._indexes:
            if document.path is not None:
                self._files[document.path.resolve()] = document

    def add_corpus(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Add *paths* to the documents of the run, whose root ``xml:id`` ``#id`` may name."""
        added = [Path(p) for p in paths]
        if added:
            self._corpus.extend(added)
            self._roots = None

    @property
    def corpus(self) -> list[Path]:
        """Return the documents of the run (their root ``xml:id`` resolves ``#id``)."""
        return list(self._corpus)

    def corpus_root(self, ident: str) -> TeiDocument | None:
        """Return (a stand-in for) the document of the run whose root ``xml:id`` is *ident*.

        The stand-in holds only the root element and the document's name and path: a
        pointer to a whole document needs no more, and the run's trees are not kept.
        """
        if not self._corpus:
            return None
        if self._roots is None:
            self._roots = {}
            for path in self._corpus:
                found = root_id(path)
                if found is not None and found[0] not in self._roots:
                    stand_in = TeiDocument(etree.ElementTree(found[1]), os.fspath(path), path)
                    self._roots[found[0]] = stand_in
        return self._roots.get(ident)

    @property
    def indexes(self) -> list[TeiDocument]:
        """Return the register documents searched for ``#id`` pointers."""
        return list(self._indexes)

    def ids(self, document: TeiDocument) -> dict[str, etree._Element]:
        """Return the ``xml:id`` index of *document* (computed once)."""
        key = id(document.tree)
        if key not in self._ids:
            self._ids[key] = id_index(document.root)
        return self._ids[key]

    def set_ids(self, document: TeiDocument, index: dict[str, etree._Element]) -> None:
        """Use *index* (first element per ``xml:id``, see :func:`id_index`) for *document*."""
        self._ids[id(document.tree)] = index

    def release(self, document: TeiDocument) -> None:
        """Forget the caches kept for *document*, so that its tree can be freed."""
        # Caches are keyed by id(tree); a corpus run must drop each document once done with
        # it, or every tree would stay alive (issue 4's memory bound).
        self._ids.pop(id(document.tree), None)
        self._prefixes.pop(id(document.tree), None)

    def _prefixes_of(self, document: TeiDocument) -> dict[str, PrefixDef]:
        key = id(document.tree)
        if key not in self._prefixes:
            self._prefixes[key] = prefix_defs(document.root)
        return self._prefixes[key]

    def expand(self, pointer: str, document: TeiDocument) -> str:
        """Return *pointer* with a ``prefixDef`` private URI expanded, if one applies."""
        prefix, sep, rest = pointer.partition(":")
        if not sep:
            return pointer
        definitions = self._prefixes_of(document)
        for source in (document, *self._indexes):
            definition = (definitions if source is document else self._prefixes_of(source)).get(
                prefix
            )
            if definition is not None:
                expanded = definition.expand(rest)
                if expanded is not None:
                    return expanded
        return pointer

    def _load(self, path: Path) -> TeiDocument | TeikitError:
        key = Path(os.path.realpath(path))  # resolve() raises for a link loop
        if key not in self._files:
            try:
                self._files[key] = load(path)
            except TeikitError as exc:
                self._files[key] = exc
        return self._files[key]

    def resolve(self, pointer: str, document: TeiDocument) -> Resolution:
        """Resolve one pointer token found in *document*."""
        expanded = self.expand(pointer, document)
        if expanded.startswith("#"):
            ident = unquote(expanded[1:])
            target = self.ids(document).get(ident)
            if target is not None:
                return Resolution(pointer, PointerStatus.RESOLVED, expanded, target, document)
            for index in self._indexes:
                target = self.ids(index).get(ident)
                if target is not None:
                    return Resolution(pointer, PointerStatus.RESOLVED, expanded, target, index)
            other = self.corpus_root(ident)
            if other is not None and (
                document.path is None
                or other.path is None
                or other.path.resolve() != document.path.resolve()
            ):
                if other.path is not None:
                    self.referenced_files.add(other.path)
                return Resolution(pointer, PointerStatus.RESOLVED, expanded, other.root, other)
            if self._corpus:
                self.corpus_misses.add(ident)
            where = "the document" + (" or the index files" if self._indexes else "")
            return Resolution(
                pointer,
                PointerStatus.UNRESOLVED,
                expanded,
                reason=f"no element with xml:id {ident!r} in {where}",
            )
        if _SCHEME.match(expanded) or expanded.startswith("//"):
            return Resolution(pointer, PointerStatus.EXTERNAL, expanded)
        file_part, _, fragment = expanded.partition("#")
        if not fragment or not file_part.lower().endswith(".xml"):
            # a relative link to a non-XML resource (an image, a page): not ours to check
            return Resolution(pointer, PointerStatus.EXTERNAL, expanded)
        base = document.path.parent if document.path is not None else Path.cwd()
        target_path = base / unquote(file_part)
        if target_path.is_file():
            self.referenced_files.add(target_path)
        else:
            return Resolution(
                pointer, PointerStatus.UNRESOLVED, expanded, reason=f"file {file_part!r} not found"
            )
        loaded = self._load(target_path)
        if isinstance(loaded, TeikitError):
            return Resolution(
                pointer,
                PointerStatus.UNRESOLVED,
                expanded,
                reason=f"file {file_part!r} could not be loaded: {loaded}",
            )
        target = self.ids(loaded).get(unquote(fragment))
        if target is None:
            return Resolution(
                pointer,
                PointerStatus.UNRESOLVED,
                expanded,
                reason=f"no element with xml:id {fragment!r} in {file_part!r}",
            )
        return Resolution(pointer, PointerStatus.RESOLVED, expanded, target, loaded)

"""Completion from the RELAX NG grammar: element names, attribute names and closed values.

:func:`complete_at` reads the text before the cursor leniently
(:mod:`teikit.lsp._grammar_scan`), follows the grammar through it with derivatives
(:mod:`teikit.lsp._grammar_engine`) and returns what may be typed at the cursor:

* after ``<`` (or ``<pa``) in content: the elements whose start tag the grammar allows there,
  given the open elements and the siblings before the cursor ("allowed start": the element
  may begin here; what must follow it is not checked);
* in a start tag after its name: the attributes the element may still have;
* inside the quotes of an attribute value: the values of a closed list (``value`` patterns
  only), none for an open type.

Elements and attributes of the grammar's namespaces are named with the document's prefixes
(the TEI namespace is the default one); where the text before the cursor declares no default
namespace, names without a prefix are taken to be TEI's (or the grammar's one namespace), so
that a document being started still gets answers. An element that is not allowed where it
stands is followed as if it were, with its content from the grammar, so that one fault does
not end completion for the rest of the document.

The grammar of a schema file is compiled once and kept while the file's modification time
and size stay the same. A walk through a buffer leaves a checkpoint every
:data:`CHECKPOINT_EVERY` events (at a ``<``); the next completion in the same buffer, edited
or not, resumes from the last checkpoint before the first changed character, so that only
the first completion in a large document walks all of it (the telegram: 5 ms of CPU; a 4 MB
ELTeC novel: 4.5 s, then a few ms). The walks of the :data:`MAX_RUNS` most recent buffers are
kept, and the memo of derivatives is started afresh beyond :data:`MAX_MEMO` entries.

``detail`` is the ``a:documentation`` of the element, attribute or value in the schema file
itself (not in files it includes), cut to :data:`DETAIL_LENGTH` characters.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from lxml import etree

from teikit.lsp._grammar_engine import (
    ATTRIBUTE,
    ELEMENT,
    NOT_ALLOWED,
    Engine,
    Pat,
    QName,
)
from teikit.lsp._grammar_scan import Cursor, Start, Text, read_prefix
from teikit.namespaces import NSMAP, RNG_NS, TEI_NS, XML_NS
from teikit.resources import schemas_dir
from teikit.validation.relaxng import load_relaxng
from teikit.validation.schemas import TEI_ALL_NAME

__all__ = ["SchemaCompletion", "complete_at"]

_R: Final = f"{{{RNG_NS}}}"
_A: Final = "{http://relaxng.org/ns/compatibility/annotations/1.0}documentation"
_XMLNS: Final = "http://www.w3.org/2000/xmlns/"
#: Characters of documentation kept in ``detail``.
DETAIL_LENGTH: Final = 100
#: Patterns and derivatives one grammar may keep before its memo is started afresh.
MAX_MEMO: Final = 2_000_000
#: Events between two checkpoints of a walk, and buffers whose walks are kept per grammar.
CHECKPOINT_EVERY: Final = 64
MAX_RUNS: Final = 4
_KNOWN_PREFIXES: Final = {uri: prefix for prefix, uri in NSMAP.items() if uri != TEI_NS}


@dataclass(frozen=True)
class SchemaCompletion:
    """One thing the grammar allows at the cursor."""

    kind: Literal["element", "attribute", "value"]
    label: str
    detail: str | None = None  # gloss / a:documentation if the grammar has it


def complete_at(text: str, offset: int, schema: str | Path | None = None) -> list[SchemaCompletion]:
    """Return the element names, attribute names or values *schema* allows at *offset*.

    *text* is the whole buffer (possibly broken), *offset* an index into it; *schema* is a
    RELAX NG file in XML syntax (None: the bundled TEI All). The list is sorted by label and
    filtered by what is typed of the name or value; it is empty where nothing is completed.

    :raises SchemaLoadError: the schema cannot be read or is not RELAX NG.
    """
    grammar = _grammar(Path(schema) if schema is not None else schemas_dir() / TEI_ALL_NAME)
    offset = min(max(offset, 0), len(text))
    with grammar.lock:
        return grammar.complete(text, offset)


_GRAMMARS: dict[Path, tuple[tuple[int, int], _Grammar]] = {}
_GRAMMARS_LOCK: Final = threading.Lock()


def _grammar(path: Path) -> _Grammar:
    """Return the compiled grammar of *path*, compiled again when the file changed."""
    resolved = path.resolve()
    try:
        status = resolved.stat()
        key = (status.st_mtime_ns, status.st_size)
    except OSError:
        key = (-1, -1)  # load_relaxng says why the file cannot be read
    with _GRAMMARS_LOCK:
        cached = _GRAMMARS.get(resolved)
        if cached is not None and cached[0] == key:
            return cached[1]
        grammar = _Grammar(resolved)
        _GRAMMARS[resolved] = (key, grammar)
        return grammar


_Scope = dict[str, str]
# Each open element: its name as written, the bindings around it and the state before it.
_Stack = tuple[tuple[str, _Scope, Pat], ...]
_ROOT_SCOPE: Final[_Scope] = {"xml": XML_NS}


@dataclass(frozen=True)
class _Checkpoint:
    """The walk's state just before the ``<`` at *pos*."""

    pos: int
    state: Pat
    scope: _Scope
    stack: _Stack


@dataclass
class _Run:
    """The checkpoints of the walk through one buffer."""

    text: str
    checkpoints: list[_Checkpoint]

    @property
    def positions(self) -> list[int]:
        return [checkpoint.pos for checkpoint in self.checkpoints]


def _common_prefix(a: str, b: str) -> int:
    """Return the length of the longest common prefix of *a* and *b*."""
    if a is b:
        return len(a)
    low, high = 0, min(len(a), len(b))
    if a[:high] == b[:high]:
        return high
    while high - low > 1:  # a[:low] == b[:low], a[:high] != b[:high]
        middle = (low + high) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle
    return low


class _Grammar:
    """A schema's patterns, its documentation and the walk of a document through them."""

    def __init__(self, path: Path) -> None:
        schema = load_relaxng(path)
        self._flat = schema.flattened()
        self.engine = Engine(self._flat)
        self.lock = threading.Lock()
        self._docs = _documentation(schema.tree.getroot())
        namespaces = {
            e.get("ns", "") for e in self._flat.getroot().iter(f"{_R}element") if e.get("name")
        }
        # Names without a prefix, where no default namespace is declared.
        self._default = TEI_NS if TEI_NS in namespaces or not namespaces else sorted(namespaces)[0]
        # Walks of recent buffers, most recent first, and the walk under way.
        self._runs: list[_Run] = []
        self._tags: dict[tuple[int, str, tuple[tuple[str, str], ...], int], tuple[Pat, _Scope]]
        self._tags = {}
        self._run = _Run("", [])

    def complete(self, text: str, offset: int) -> list[SchemaCompletion]:
        if self.engine.size() + len(self._tags) > MAX_MEMO:
            self.engine = Engine(self._flat)
            self._runs.clear()
            self._tags.clear()
        resume = self._resume(text, offset)
        cursor = read_prefix(text, offset, resume.pos)
        state, scope = self._walk(text, cursor, resume)
        if cursor.kind is None:
            return []
        if cursor.kind == "element":
            found = self._elements(state, scope)
        else:
            assert cursor.tag is not None
            scope = _declare(scope, cursor.tag.attributes)
            state = self._open(state, _element_name(cursor.tag.name, scope, self._default))
            for name, value in cursor.tag.attributes:
                qname = _attribute_name(name, scope)
                if qname is not None:
                    after = self.engine.attribute(state, qname, value or None)
                    state = after if after.kind != NOT_ALLOWED else state
            if cursor.kind == "attribute":
                present = {_attribute_name(name, scope) for name, _ in cursor.tag.attributes}
                found = self._attributes(state, scope, present)
            else:
                qname = _attribute_name(cursor.attribute, scope)
                return self._values(state, qname, cursor.partial)
        return [c for c in found if c.label.startswith(cursor.partial)]

    # -- the walk through the text before the cursor

    def _resume(self, text: str, offset: int) -> _Checkpoint:
        """Return the last checkpoint of an earlier walk that is still valid for *text*.

        A checkpoint at a ``<`` holds while the text up to and including that ``<`` is
        unchanged. The walk of *text* takes the place of the walk it resumes when both are
        walks of one buffer (they share at least half of it).
        """
        best: _Run | None = None
        shared = 0
        for run in self._runs:
            length = _common_prefix(run.text, text)
            if best is None or length > shared:
                best, shared = run, length
        self._run = _Run(text, [_Checkpoint(0, self.engine.start, _ROOT_SCOPE, ())])
        if best is not None:
            index = bisect.bisect_right(best.positions, min(shared - 1, offset)) - 1
            if index > 0:
                self._run.checkpoints = best.checkpoints[: index + 1]
            if 2 * shared >= len(best.text):  # the same buffer, edited
                self._runs.remove(best)
        self._runs.insert(0, self._run)
        del self._runs[MAX_RUNS:]
        return self._run.checkpoints[-1]

    def _walk(self, text: str, cursor: Cursor, resume: _Checkpoint) -> tuple[Pat, _Scope]:
        """Return the state and the namespace bindings after the events of *cursor*."""
        engine = self.engine
        state, scope, stack = resume.state, resume.scope, list(resume.stack)
        checkpoints = self._run.checkpoints
        size = len(text)
        since = 0  # events since the last checkpoint
        for event, end in zip(cursor.events, cursor.ends, strict=True):
            if isinstance(event, Text):
                after = engine.text_deriv(state, event.text)
                state = after if after.kind != NOT_ALLOWED else state
            elif isinstance(event, Start):
                inner = _declare(scope, event.attributes)
                d = self._start_tag(state, event, inner)
                if event.empty:
                    state = self._close(d, state)
                else:
                    stack.append((event.name, scope, state))
                    state, scope = d, inner
            elif stack and (
                stack[-1][0] == event.name or any(n == event.name for n, _, _ in stack)
            ):
                while stack:
                    name, scope, outer = stack.pop()
                    state = self._close(state, outer)
                    if name == event.name:
                        break
            since += 1
            if since >= CHECKPOINT_EVERY and end < size and text[end] == "<":
                checkpoints.append(_Checkpoint(end, state, scope, tuple(stack)))
                since = 0
        return state, scope

    def _start_tag(self, state: Pat, tag: Start, scope: _Scope) -> Pat:
        """Return the state after start tag *tag* (its attributes as far as allowed)."""
        # The entry keeps *scope* alive, so that its id stands for it.
        key = (id(state), tag.name, tag.attributes, id(scope))
        found = self._tags.get(key)
        if found is not None:
            return found[0]
        engine = self.engine
        d = self._open(state, _element_name(tag.name, scope, self._default))
        for name, value in tag.attributes:
            qname = _attribute_name(name, scope)
            if qname is not None:
                after = engine.attribute(d, qname, value)
                d = after if after.kind != NOT_ALLOWED else d
        d = engine.start_close(d, recover=True)
        self._tags[key] = (d, scope)
        return d

    def _open(self, state: Pat, qname: QName) -> Pat:
        """Return the state in the start tag of *qname*, as allowed or as recovered."""
        engine = self.engine
        d = engine.start_open(state, qname)
        if d.kind == NOT_ALLOWED:
            d = engine.start_open(state, qname, recover=True)
        if d.kind == NOT_ALLOWED:
            definitions = engine.elements_named(qname)
            if definitions:
                content = engine.choice(*(engine.content(x) for x in definitions))
                d = engine.after(content, state)
        return d

    def _close(self, state: Pat, outer: Pat) -> Pat:
        """Return the state after an end tag (the state before the element, if lost)."""
        after = self.engine.end_tag(state, recover=True)
        return after if after.kind != NOT_ALLOWED else outer

    # -- what the state allows

    def _elements(self, state: Pat, scope: dict[str, str]) -> list[SchemaCompletion]:
        found: dict[str, str | None] = {}
        for pattern in self.engine.elements(state):
            for ns, local in _names(pattern.info[0]):
                label = _label(ns, local, scope, self._default, element=True)
                if label is not None and label not in found:
                    found[label] = self._doc(pattern.info[1], ELEMENT, local)
        return [SchemaCompletion("element", label, found[label]) for label in sorted(found)]

    def _attributes(
        self, state: Pat, scope: dict[str, str], present: set[QName | None]
    ) -> list[SchemaCompletion]:
        found: dict[str, str | None] = {}
        for pattern in self.engine.attributes(state):
            for qname in _names(pattern.info[0]):
                if qname in present:
                    continue
                label = _label(*qname, scope, self._default, element=False)
                if label is not None and label not in found:
                    found[label] = self._doc(pattern.info[1], ATTRIBUTE, qname[1])
        return [SchemaCompletion("attribute", label, found[label]) for label in sorted(found)]

    def _values(self, state: Pat, qname: QName | None, partial: str) -> list[SchemaCompletion]:
        if qname is None:
            return []
        engine = self.engine
        values: dict[str, str | None] = {}
        token = partial
        for pattern in engine.attributes(state):
            if (qname[0], qname[1]) not in _names(pattern.info[0]):
                continue
            closed = engine.closed_values(pattern.a)
            if closed is None:
                return []
            listed, is_list = closed
            if is_list:
                token = partial.rsplit(None, 1)[-1] if partial[-1:].strip() else ""
            docs = self._docs.get(_doc_key(pattern.info[1], ATTRIBUTE, qname[1]))
            for value in listed:
                values.setdefault(value, docs[1].get(value) if docs else None)
        return [
            SchemaCompletion("value", value, values[value])
            for value in sorted(values)
            if value.startswith(token)
        ]

    def _doc(self, node: etree._Element, kind: str, local: str) -> str | None:
        docs = self._docs.get(_doc_key(node, kind, local)) or self._docs.get((kind, "", local))
        return docs[0] if docs else None


# -- names


def _declare(scope: dict[str, str], attributes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return *scope* with the namespace declarations among *attributes* added."""
    declared = {
        ("" if name == "xmlns" else name[6:]): value
        for name, value in attributes
        if name == "xmlns" or name.startswith("xmlns:")
    }
    return {**scope, **declared} if declared else scope


def _element_name(name: str, scope: dict[str, str], default: str) -> QName:
    prefix, _, local = name.rpartition(":")
    if prefix:
        return scope.get(prefix, f"?{prefix}"), local
    return scope.get("", default), local


def _attribute_name(name: str, scope: dict[str, str]) -> QName | None:
    """Return an attribute's (namespace, local name); None for a namespace declaration."""
    if name == "xmlns" or name.startswith("xmlns:"):
        return None
    prefix, _, local = name.rpartition(":")
    return (scope.get(prefix, f"?{prefix}"), local) if prefix else ("", local)


def _names(nc: tuple[object, ...]) -> list[QName]:
    """Return the names a name class lists (wildcards name nothing to complete)."""
    if nc[0] == "name":
        return [(str(nc[1]), str(nc[2]))]
    if nc[0] == "choice":
        return _names(nc[1]) + _names(nc[2])  # type: ignore[arg-type]
    return []


def _label(
    ns: str, local: str, scope: dict[str, str], default: str, *, element: bool
) -> str | None:
    """Return how the document writes a name, or None when no prefix is bound for it."""
    if ns == (scope.get("") if element else ""):
        return local
    for prefix, uri in scope.items():
        if uri == ns and prefix:
            return f"{prefix}:{local}"
    return local if element and "" not in scope and ns == default else None


# -- documentation


_DocKey = tuple[str, str, str]


def _doc_key(node: etree._Element, kind: str, local: str) -> _DocKey:
    """Return the key of a pattern's documentation: its kind, define and local name."""
    define = next(node.iterancestors(f"{_R}define"), None)
    return kind, "" if define is None else define.get("name", ""), local


def _documentation(root: etree._Element) -> dict[_DocKey, tuple[str | None, dict[str, str]]]:
    """Return the documentation of the schema's elements, attributes and their values.

    Keyed by kind, the name of the enclosing define and the local name; also by kind and
    local name alone (define ``""``) where every definition of that name says the same.
    """
    docs: dict[_DocKey, tuple[str | None, dict[str, str]]] = {}
    by_name: dict[tuple[str, str], set[str | None]] = {}
    for node in root.iter(f"{_R}element", f"{_R}attribute"):
        kind = etree.QName(node).localname
        name = node.get("name")
        if name is None:
            continue
        local = name.rpartition(":")[2]
        doc = _text(node.find(_A))
        values: dict[str, str] = {}
        if kind == ATTRIBUTE:
            for value in node.iter(f"{_R}value"):
                following = value.getnext()
                gloss = _text(following) if following is not None and following.tag == _A else None
                if gloss is not None:
                    values[value.text or ""] = gloss
        docs[_doc_key(node, kind, local)] = (doc, values)
        by_name.setdefault((kind, local), set()).add(doc)
    for (kind, local), found in by_name.items():
        if len(found) == 1 and (kind, "", local) not in docs:
            docs[(kind, "", local)] = (next(iter(found)), {})
    return docs


def _text(node: etree._Element | None) -> str | None:
    """Return documentation text on one line, cut to :data:`DETAIL_LENGTH` characters."""
    if node is None:
        return None
    text = " ".join("".join(str(part) for part in node.itertext()).split())
    if not text:
        return None
    return text if len(text) <= DETAIL_LENGTH else text[: DETAIL_LENGTH - 1].rstrip() + "…"

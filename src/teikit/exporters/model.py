"""The document model of ``teikit export``: built once per document, rendered by every format.

:func:`build_model` reads a :class:`~teikit.document.TeiDocument` into a
:class:`DocumentModel`: header metadata, the reading text as a small tree of blocks and
inline spans (whitespace normalised as TEI prescribes), the proposals, the notes numbered
as footnotes, every mention with its position and the register entries it resolves to
(through the shared :class:`~teikit.pointers.PointerResolver`). :func:`build_corpus`
joins several models into corpus-wide registers. The HTML, Markdown, text, JSON and
GeoJSON exporters only render this model; none of them reads TEI itself.

:func:`export_documents` is the one library function behind ``teikit export``: it loads
the documents, builds the models and writes each output atomically.

>>> from teikit import load
>>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><standOff><listPerson>'
...     b'<person xml:id="mao"><persName>Mao Zedong</persName></person></listPerson>'
...     b'</standOff><text><body><p>From <persName ref="#mao">MAO</persName>.</p></body>'
...     b'</text></TEI>')
>>> model = build_model(doc)
>>> [(m.text, m.entities, m.start, m.end) for m in model.mentions]
[('MAO', ('mao',), 5, 8)]
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from lxml import etree

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.document import ElementPaths, TeiDocument, load
from teikit.entities import BUILTIN_RULES, MentionRule
from teikit.entities.dates import date_range
from teikit.entities.register import label_of, read_entry
from teikit.entities.text import collect_text, line_of
from teikit.errors import DocumentLoadError, InputError, OutputError, TeikitError
from teikit.kinds import ENTITY_KINDS, ENTRY_KINDS, ENTRY_TAGS, entry_of, expected_kind
from teikit.namespaces import NSMAP, TEI_NS, XML_ID, XML_NS
from teikit.output import atomic_open
from teikit.pointers import PointerResolver, PointerStatus, Resolution
from teikit.recursion import deep_walks
from teikit.roots import load_tei

if TYPE_CHECKING:  # the registry imports this module's exporters: no cycle at run time
    from teikit.exporters import ExporterSpec

__all__ = [
    "AUTHORITY_URLS",
    "Authority",
    "Block",
    "Break",
    "Container",
    "Corpus",
    "CorpusEntity",
    "DateEntry",
    "DateValue",
    "DocumentModel",
    "Entity",
    "ExportResult",
    "Identifier",
    "Inline",
    "Licence",
    "Mention",
    "Metadata",
    "Node",
    "Note",
    "NoteRef",
    "Occurrence",
    "Paragraph",
    "Party",
    "Proposal",
    "RenderError",
    "Responsibility",
    "Span",
    "Text",
    "Topic",
    "build_corpus",
    "build_model",
    "corpus_pages",
    "corpus_wide",
    "export_documents",
    "flatten",
    "is_corpus_wide",
    "paragraphs",
    "plain_text",
    "quote_marks",
    "to_models",
]

#: Kinds of register entry, in the order registers list them.
KIND_ORDER: Final = ENTITY_KINDS
#: How identifiers of an authority file become URLs (``idno type="wikidata"`` and so on).
AUTHORITY_URLS: Final = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "viaf": "https://viaf.org/viaf/{}",
    "gnd": "https://d-nb.info/gnd/{}",
    "geonames": "https://www.geonames.org/{}",
}


def _names(text: str) -> frozenset[str]:
    """Return the set of the space-separated names in *text*."""
    return frozenset(text.split())


_WS: Final = re.compile(r"[ \t\r\n]+")
_HTTP: Final = re.compile(r"^https?://", re.IGNORECASE)
_T: Final = f"{{{TEI_NS}}}"
_XML_LANG: Final = f"{{{XML_NS}}}lang"
_STATUS_RANK: Final = {"unresolved": 0, "wrong-kind": 1, "external": 2, "resolved": 3}

# Registers and the header are not reading text: their lists are rendered as the register.
_SKIPPED: Final = _names(
    "teiHeader standOff listPerson listPlace listOrg listEvent listNym listRelation "
    "person personGrp place org event fw facsimile sourceDoc"
)  # fw: running heads and catchwords are not text (TEI Guidelines 11.6)
# Paragraph-like blocks: they hold inline content (text, names, notes).
_LEAF_BLOCKS: Final = _names(
    "p ab head salute signed dateline addrLine byline trailer docAuthor docDate "
    "docImprint titlePart l speaker argument"
)
# Containers: they hold blocks (divisions, opener and closer, lists, tables...).
_CONTAINERS: Final = _names(
    "text front body back group div div1 div2 div3 div4 div5 div6 div7 opener closer "
    "address postscript lg list table row titlePage docTitle epigraph floatingText sp "
    "listBibl"
)
# Elements that are blocks when they hold blocks (a quote of several paragraphs), else inline.
_MAYBE_BLOCKS: Final = frozenset(
    {"quote", "q", "cit", "said", "item", "cell", "figure", "stage", "label", "bibl"}
)
_ALL_BLOCKS: Final = _LEAF_BLOCKS | _CONTAINERS
# TEI local names and the inline span kind they become (anything else: transparent).
_SPAN_KINDS: Final = {
    "supplied": "supplied",
    "quote": "quote",
    "q": "quote",
    "said": "quote",
    "soCalled": "quote",
    "hi": "hi",
    "emph": "emph",
    "title": "title",
    "term": "term",
    "foreign": "foreign",
    "del": "del",
    "add": "add",
    "unclear": "unclear",
    "label": "label",
    "measure": "measure",
    "num": "measure",
    "seg": "seg",
    "idno": "seg",
    "sic": "seg",
    "corr": "seg",
    "reg": "seg",
    "orig": "seg",
    "abbr": "seg",
    "expan": "seg",
}
# In a choice the editorial reading wins (TEI Guidelines 3.5.1), as in teikit entities.
_PRIMARY_IN_CHOICE: Final = ("corr", "reg", "expan")
_SECONDARY_IN_CHOICE: Final = ("sic", "orig", "abbr")
# BCP 47 wants the two-letter code where ISO 639-1 has one ("deu" -> "de").
_LANGUAGE_CODES: Final = {
    "deu": "de",
    "ger": "de",
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "ita": "it",
    "spa": "es",
    "rus": "ru",
    "zho": "zh",
    "chi": "zh",
    "lat": "la",
    "nld": "nl",
    "dut": "nl",
    "pol": "pl",
    "ces": "cs",
    "cze": "cs",
    "por": "pt",
    "heb": "he",
    "ell": "el",
    "gre": "el",
    "jpn": "ja",
    "kor": "ko",
    "ara": "ar",
}
# Quotation marks by language: outer open, outer close, inner open, inner close.
_QUOTES: Final = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u2039\u00a0", "\u00a0\u203a"),
}


# -- the inline tree --------------------------------------------------------------------------


@dataclass(slots=True)
class Text:
    """A run of reading text (whitespace normalised once the block is complete)."""

    text: str


@dataclass(slots=True)
class Span:
    """Inline mark-up around text: a mention, an editorial addition, a quotation, emphasis.

    ``kind`` is one of ``mention``, ``supplied``, ``quote``, ``hi``, ``emph``, ``title``,
    ``term``, ``foreign``, ``del``, ``add``, ``unclear``, ``gap``, ``label``, ``measure``,
    ``seg``, ``link``, ``figure`` or ``choice``; ``attrs`` holds what the renderers need
    (``mention``: the mention id; ``rend``, ``lang``, ``href``, ``title``, ``original``).
    """

    kind: str
    children: list[Inline] = field(default_factory=list)
    element: str = ""
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Break:
    """A line, page or column break (``lb``, ``pb``, ``cb``); ``join`` for ``break="no"``."""

    kind: str
    n: str | None = None
    join: bool = False


@dataclass(slots=True)
class NoteRef:
    """The place of footnote *number* in the text."""

    number: int


Inline = Text | Span | Break | NoteRef


@dataclass(slots=True)
class Block:
    """A paragraph-like block holding inline content (``p``, ``head``, ``salute``...).

    ``element`` is the TEI local name (``line`` for loose text between blocks); ``id`` is
    the ``xml:id`` or a generated ``b-N``; ``text`` is the plain reading text that mention
    positions count in.
    """

    element: str
    id: str
    children: list[Inline]
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    lang: str | None = None


@dataclass(slots=True)
class Container:
    """A division or other grouping of blocks (``div``, ``opener``, ``closer``, ``list``...)."""

    element: str
    children: list[Node]
    xml_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    topics: tuple[Topic, ...] = ()


Node = Block | Container


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as written and as ISO 8601 (``when``, or a ``start``/``end`` range)."""

    text: str
    when: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def iso(self) -> str | None:
        """Return ``when``, or the ISO 8601 interval ``start/end``, or ``None``."""
        if self.when:
            return self.when
        if self.start or self.end:
            return f"{self.start or '..'}/{self.end or '..'}"
        return None


@dataclass(frozen=True, slots=True)
class Party:
    """A sender, recipient or place in the header, with the entity it points to."""

    name: str
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    """A labelled number of the source (``archive-record: 21405``)."""

    type: str | None
    value: str


@dataclass(frozen=True, slots=True)
class Responsibility:
    """Who did what: a ``respStmt`` or ``editor`` of the title statement."""

    resp: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Licence:
    """The licence statement and its URL."""

    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic of a proposal: the taxonomy category and its label."""

    id: str | None
    label: str


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the header says: title, correspondents, date, source, encoder, licence."""

    title: str
    language: str | None = None
    senders: tuple[Party, ...] = ()
    recipients: tuple[Party, ...] = ()
    date: DateValue | None = None
    places: tuple[Party, ...] = ()
    source: str | None = None
    source_type: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    description: str | None = None
    responsibilities: tuple[Responsibility, ...] = ()
    publisher: str | None = None
    licence: Licence | None = None
    topics: tuple[Topic, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """A person, place, organisation, event, date or other name in the reading text.

    ``block``, ``start`` and ``end`` locate it in the plain text of a block (Python
    string offsets); ``entities`` are the keys of the register entries it resolves to.
    """

    id: str
    type: str
    element: str
    text: str
    pointer: str | None
    status: str
    entities: tuple[str, ...]
    href: str | None
    date: DateValue | None
    block: str
    start: int
    end: int
    line: int | None
    xpath: str
    proposal: str | None
    note: int | None


@dataclass(frozen=True, slots=True)
class Authority:
    """An authority identifier and its URL."""

    authority: str
    id: str
    url: str


@dataclass(frozen=True, slots=True)
class Entity:
    """A register entry as the document uses it: names, identifiers, data, mentions.

    ``key`` is unique within the document model (the ``xml:id`` unless two files define
    the same one) and is the HTML anchor of the entry.
    """

    key: str
    id: str
    type: str
    name: str
    name_forms: tuple[str, ...]
    authorities: tuple[Authority, ...]
    other_ids: tuple[str, ...]
    description: tuple[str, ...]
    birth: str | None
    death: str | None
    latitude: float | None
    longitude: float | None
    source: str
    line: int | None
    mentions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    """A numbered proposal: ``div type="proposal"`` with ``@n``, ``@subtype`` and ``@ana``."""

    id: str
    number: str | None
    subtype: str | None
    topics: tuple[Topic, ...]
    text: str
    entities: tuple[str, ...]


@dataclass(slots=True)
class Note:
    """A note rendered as footnote *number*; ``call`` is the id of its place in the text."""

    number: int
    id: str
    call: str | None
    blocks: list[Node]
    xml_id: str | None = None
    type: str | None = None
    resp: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DateEntry:
    """One ISO date of the text with the mentions that give it (the dates register)."""

    iso: str
    id: str
    mentions: tuple[str, ...]


@dataclass(slots=True)
class DocumentModel:
    """Everything the exporters render about one document."""

    name: str
    path: Path | None
    xml_id: str | None
    metadata: Metadata
    structure: list[Node]
    notes: list[Note]
    mentions: list[Mention]
    entities: list[Entity]
    proposals: list[Proposal]
    dates: list[DateEntry]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    anchors: frozenset[str] = frozenset()

    def entity(self, key: str) -> Entity | None:
        """Return the entity with *key*."""
        return next((e for e in self.entities if e.key == key), None)

    def mention(self, ident: str) -> Mention | None:
        """Return the mention with id *ident*."""
        return next((m for m in self.mentions if m.id == ident), None)


# -- helpers -----------------------------------------------------------------------------------

_LOCAL: dict[str, str] = {}


def _local(element: etree._Element) -> str:
    """Return the TEI local name of *element*; ``""`` for comments and other namespaces."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag[len(_T) :] if tag.startswith(_T) else ""
    return name


def _language(code: str | None) -> str | None:
    """Return a BCP 47 tag for an ``xml:lang`` or ``language/@ident`` value."""
    if not code or not code.strip():
        return None
    code = code.strip()
    primary, sep, rest = code.partition("-")
    primary = _LANGUAGE_CODES.get(primary.lower(), primary)
    return primary + sep + rest


def quote_marks(lang: str | None, level: int) -> tuple[str, str]:
    """Return the opening and closing quotation marks for *lang* at nesting *level*.

    >>> quote_marks("de", 0)
    ('„', '“')
    """
    marks = _QUOTES.get((lang or "en").split("-")[0].lower(), _QUOTES["en"])
    return (marks[0], marks[1]) if level % 2 == 0 else (marks[2], marks[3])


def _text_of(element: etree._Element | None) -> str | None:
    return (collect_text(element) or None) if element is not None else None


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NSMAP)


def _find(xpath: etree.XPath, node: etree._Element) -> list[etree._Element]:
    """Return the elements *xpath* selects from *node*."""
    found = xpath(node)
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


def _note_divisions(root: etree._Element) -> list[etree._Element]:
    """Return the notes divisions and ``noteGrp`` (not in a ``p``) inside a ``text`` below *root*.

    The same as ``.//tei:text//tei:div[@type='notes'] | .//tei:text//tei:noteGrp[not(ancestor::
    tei:p)]``, walked: libxml2 cannot build that XPath's node-set for a document of over 10
    million nodes (issue 18).
    """
    found: list[etree._Element] = []
    for element in root.iterdescendants(f"{_T}div", f"{_T}noteGrp"):
        if element.tag == f"{_T}div":
            if element.get("type") != "notes":
                continue
        elif any(True for _ in element.iterancestors(f"{_T}p")):
            continue
        for ancestor in element.iterancestors():
            if ancestor is root:
                break
            if ancestor.tag == f"{_T}text":
                found.append(element)
                break
    return found


def _strings(xpath: etree.XPath, node: etree._Element) -> list[str]:
    """Return the attribute values or texts *xpath* selects from *node*."""
    found = xpath(node)
    return [str(v) for v in found if isinstance(v, str)] if isinstance(found, list) else []


_HEADER: Final = _xpath("tei:teiHeader")
_TITLES: Final = _xpath("tei:fileDesc/tei:titleStmt/tei:title")
_AUTHORS: Final = _xpath("tei:fileDesc/tei:titleStmt/tei:author")
_CORRESP: Final = _xpath("tei:profileDesc/tei:correspDesc/tei:correspAction")
_RESP: Final = _xpath(
    "tei:fileDesc/tei:titleStmt/tei:respStmt | tei:fileDesc/tei:titleStmt/tei:editor"
)
_PUBLISHER: Final = _xpath("tei:fileDesc/tei:publicationStmt/tei:publisher")
_LICENCE: Final = _xpath("tei:fileDesc/tei:publicationStmt//tei:licence")
_SOURCE_DESC: Final = _xpath("tei:fileDesc/tei:sourceDesc")
_LANGUAGES: Final = _xpath("tei:profileDesc/tei:langUsage/tei:language/@ident")
_CATEGORIES: Final = _xpath("tei:encodingDesc/tei:classDecl//tei:category[@xml:id]")
_DESCRIPTION: Final = _xpath(
    "tei:fileDesc/tei:sourceDesc//tei:note[@type='description'] | tei:profileDesc/tei:abstract"
)
_TEXT: Final = _xpath("tei:text")
_STANDOFF_NOTES: Final = _xpath("tei:standOff/tei:note | tei:standOff/tei:listAnnotation/tei:note")
_PARTY_TAGS: Final = frozenset({"persName", "orgName", "name", "rs", "placeName", "settlement"})


# -- plain text ------------------------------------------------------------------------------


def flatten(
    children: Sequence[Inline], lang: str | None = None, level: int = 0
) -> Iterator[tuple[str, Any]]:
    """Yield the reading-text events of inline content, in order.

    Events: ``("text", str)`` document text; ``("mark", str)`` punctuation the renderer
    adds (brackets around editorial additions, quotation marks); ``("open", Span)`` and
    ``("close", Span)``; ``("break", Break)``; ``("note", number)``. Deleted text
    (``del``) is left out: the reading text is the text as finally intended.
    """
    for child in children:
        if isinstance(child, Text):
            if child.text:
                yield "text", child.text
        elif isinstance(child, Break):
            yield "break", child
        elif isinstance(child, NoteRef):
            yield "note", child.number
        elif child.kind == "del":
            continue
        else:
            inner_lang = child.attrs.get("lang", lang)
            yield "open", child
            if child.kind == "supplied":
                yield "mark", "["
                yield from flatten(child.children, inner_lang, level)
                yield "mark", "]"
            elif child.kind == "gap":
                yield "mark", "[\u2026]"
            elif child.kind == "figure":
                yield "mark", "["
                yield from flatten(child.children, inner_lang, level)
                yield "mark", "]"
            elif child.kind == "quote":
                opening, closing = quote_marks(lang, level)
                yield "mark", opening
                yield from flatten(child.children, inner_lang, level + 1)
                yield "mark", closing
            else:
                yield from flatten(child.children, inner_lang, level)
            yield "close", child


def plain_text(
    children: Sequence[Inline],
    lang: str | None = None,
    note_call: Callable[[int], str] | None = None,
    note_offsets: list[tuple[int, int]] | None = None,
) -> tuple[str, dict[str, tuple[int, int]]]:
    """Return the plain reading text of inline content and where each mention lies in it.

    Line breaks become ``\\n``; spaces next to left-out text collapse; *note_call* turns
    a footnote number into its call (left out when ``None``); *note_offsets*, if given,
    receives ``(number, offset)`` for each footnote call.
    """
    out: list[str] = []
    length = 0
    spans: dict[str, tuple[int, int]] = {}
    opened: dict[int, int] = {}
    last = "\n"  # the start of a block counts as the start of a line

    def emit(text: str) -> None:
        nonlocal length, last
        if not text:
            return
        if text[0] == " " and last in " \n":
            text = text[1:]
            if not text:
                return
        out.append(text)
        length += len(text)
        last = text[-1]

    for event, value in flatten(children, lang):
        if event in ("text", "mark"):
            emit(value)
        elif event == "break":
            if value.kind == "lb" and not value.join and length:
                while out and out[-1].endswith(" "):
                    trimmed = out[-1].rstrip(" ")
                    length -= len(out[-1]) - len(trimmed)
                    out[-1] = trimmed
                    if not trimmed:
                        out.pop()
                emit("\n")
        elif event == "note":
            if note_offsets is not None:
                note_offsets.append((value, length))
            if note_call is not None:
                emit(note_call(value))
        elif event == "open":
            opened[id(value)] = length
        elif event == "close" and value.kind == "mention":
            start = opened.get(id(value), length)
            spans[value.attrs["mention"]] = (start, length)
    text = "".join(out)
    stripped = text.rstrip(" \n")
    if len(stripped) != len(text):
        spans = {k: (min(s, len(stripped)), min(e, len(stripped))) for k, (s, e) in spans.items()}
        if note_offsets is not None:
            note_offsets[:] = [(n, min(o, len(stripped))) for n, o in note_offsets]
    # a mention that opens right where a collapsed space was dropped starts after it
    spans = {k: _trim_span(stripped, s, e) for k, (s, e) in spans.items()}
    return stripped, spans


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \n":
        start += 1
    while end > start and text[end - 1] in " \n":
        end -= 1
    return start, end


def _normalise(children: list[Inline]) -> None:
    """Normalise the whitespace of a block's inline tree in place (TEI Guidelines 1.3.1.1.4).

    Runs of XML whitespace become one space, also across element boundaries; spaces at
    the start and end of the block and around line breaks go; ``break="no"`` joins words.
    """
    last_text: list[Text | None] = [None]
    at_space = [True]

    def strip_last() -> None:
        node = last_text[0]
        if node is not None:
            node.text = node.text.rstrip(" ")

    def visit(nodes: list[Inline]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                text = _WS.sub(" ", node.text)
                if text.startswith(" ") and at_space[0]:
                    text = text[1:]
                node.text = text
                if text:
                    at_space[0] = text.endswith(" ")
                    last_text[0] = node
            elif isinstance(node, Break):
                if node.join or node.kind == "lb":
                    strip_last()
                    at_space[0] = True
            elif isinstance(node, Span):
                visit(node.children)

    visit(children)
    strip_last()


# -- the builder ---------------------------------------------------------------------------


@dataclass(slots=True)
class _EntityDraft:
    key: str
    element: etree._Element
    source: str
    mentions: list[str] = field(default_factory=list)
    forms: dict[str, None] = field(default_factory=dict)
    local: bool = False


@dataclass(slots=True)
class _MentionDraft:
    id: str
    type: str
    element: str
    pointer: str | None
    status: str
    entities: tuple[str, ...]
    href: str | None
    date: DateValue | None
    line: int | None
    xpath: str
    proposal: str | None
    note: int | None


@dataclass(slots=True)
class _ProposalDraft:
    id: str
    element: etree._Element
    topics: tuple[Topic, ...]
    entities: dict[str, None] = field(default_factory=dict)


class _Builder:
    """Build one :class:`DocumentModel`: one walk over the text, resolving as it goes."""

    def __init__(
        self, document: TeiDocument, resolver: PointerResolver, rules: Sequence[MentionRule]
    ) -> None:
        self.document = document
        self.resolver = resolver
        self.root = document.root
        self.paths = ElementPaths()  # linear even for a flat document with many findings
        self.rules = list(rules)
        self.by_tag: dict[str, list[tuple[int, MentionRule, str | None]]] = {}
        self.by_xpath: list[tuple[int, MentionRule, set[etree._Element]]] = []
        for rank, rule in enumerate(self.rules):
            test = rule.simple_test()
            if test is None:
                found = rule.compile()(self.root)
                members = (
                    {e for e in found if isinstance(e, etree._Element)}
                    if isinstance(found, list)
                    else set()
                )
                self.by_xpath.append((rank, rule, members))
            else:
                self.by_tag.setdefault(test[0], []).append((rank, rule, test[1]))
        self.diagnostics: list[Diagnostic] = list(document.warnings)
        self.anchors: set[str] = set()
        self.blocks = 0
        self.generated = 0
        self.mentions: list[_MentionDraft] = []
        self.positions: dict[str, tuple[str, int, int, str]] = {}
        self.entities: dict[tuple[str, str], _EntityDraft] = {}
        self.by_key: dict[str, _EntityDraft] = {}
        self.notes: list[Note] = []
        self.note_numbers: dict[etree._Element, Note] = {}
        self.target_notes: dict[str, list[etree._Element]] = {}
        self.pending_notes: dict[etree._Element, None] = {}
        self.proposals: list[_ProposalDraft] = []
        self.proposal_stack: list[_ProposalDraft] = []
        self.note_stack: list[int] = []
        self.lang_stack: list[str | None] = []
        self.resolutions: dict[str, Resolution] = {}
        self.reported: set[tuple[str, int | None]] = set()

    # -- anchors ------------------------------------------------------------------------

    def claim(self, base: str) -> str:
        """Return *base*, or *base* with a suffix, as an id unused in the page so far."""
        candidate, n = base, 1
        while candidate in self.anchors:
            n += 1
            candidate = f"{base}-{n}"
        self.anchors.add(candidate)
        return candidate

    def _reserve_text_ids(self, text: etree._Element) -> None:
        # walked, not the XPath .//*[@xml:id]: no node-set limit (issue 18)
        for element in text.iterdescendants(etree.Element):
            if element.get(XML_ID) is None:
                continue
            if (
                not any(_local(a) in _SKIPPED for a in element.iterancestors())
                and _local(element) not in _SKIPPED
            ):
                self.anchors.add(element.get(XML_ID, ""))

    # -- findings -------------------------------------------------------------------------

    def warn(self, element: etree._Element, code: str, message: str) -> None:
        """Note a warning about *element*."""
        self.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                code,
                message,
                self.document.name,
                line_of(element),
                None,
                self.paths.path(element),
            )
        )

    # -- pointers ---------------------------------------------------------------------------

    def resolve(self, token: str) -> Resolution:
        """Resolve one pointer token (once per document)."""
        found = self.resolutions.get(token)
        if found is None:
            found = self.resolutions[token] = self.resolver.resolve(token, self.document)
        return found

    def resolve_pointers(
        self, element: etree._Element, expected: str | None
    ) -> tuple[str | None, str, tuple[str, ...], str | None]:
        """Return ``(pointer, status, entity keys, href)`` for the ``@ref`` (or ``@key``)."""
        attribute, value = "ref", element.get("ref")
        if value is None and element.get("key") is not None:
            attribute, value = "key", element.get("key")
        tokens = (value or "").split()
        if attribute == "key" and tokens and not (":" in tokens[0] or "#" in tokens[0]):
            tokens = [f"#{tokens[0]}"]  # @key is a plain key, looked up as an xml:id
        if not tokens:
            return value, "no-ref", (), None
        statuses: list[str] = []
        keys: list[str] = []
        href: str | None = None
        for token in tokens:
            resolution = self.resolve(token)
            if resolution.status is PointerStatus.EXTERNAL:
                statuses.append("external")
                if href is None and _HTTP.match(resolution.expanded):
                    href = resolution.expanded
                continue
            if resolution.status is PointerStatus.UNRESOLVED:
                statuses.append("unresolved")
                key = (token, line_of(element))
                if key not in self.reported:
                    self.reported.add(key)
                    self.warn(
                        element,
                        "export.unresolved-ref",
                        f"<{_local(element) or element.tag}> @{attribute}={token!r} points to "
                        f"nothing ({resolution.reason}); exported without a link",
                    )
                continue
            target = resolution.target
            assert target is not None
            entry = entry_of(target)
            kind = None if entry is None else ENTRY_KINDS[str(entry.tag)]
            statuses.append("resolved" if expected in (None, kind) else "wrong-kind")
            draft = self.entity_for(entry, resolution.document) if entry is not None else None
            if draft is None:
                local = (
                    resolution.document is None or resolution.document.tree is self.document.tree
                )
                if href is None and local and target.get(XML_ID):
                    href = "#" + target.get(XML_ID, "")
                continue
            keys.append(draft.key)
        status = min(statuses, key=_STATUS_RANK.__getitem__)
        return value, status, tuple(dict.fromkeys(keys)), href

    def entity_for(
        self, entry: etree._Element, document: TeiDocument | None
    ) -> _EntityDraft | None:
        """Return the draft of the register entry *entry* (defined in *document*)."""
        ident = entry.get(XML_ID)
        if ident is None:
            return None
        source = (document or self.document).name
        key = (source, ident)
        draft = self.entities.get(key)
        if draft is None:
            local = document is None or document.tree is self.document.tree
            draft = _EntityDraft(self.claim(ident), entry, source, local=local)
            self.entities[key] = draft
            self.by_key[draft.key] = draft
        return draft

    # -- mentions ---------------------------------------------------------------------------

    def mention_rule(self, element: etree._Element) -> MentionRule | None:
        """Return the first mention rule *element* matches, if any."""
        best: tuple[int, MentionRule] | None = None
        for rank, rule, attribute in self.by_tag.get(str(element.tag), ()):
            if attribute is None or element.get(attribute) is not None:
                best = (rank, rule)
                break
        for rank, rule, members in self.by_xpath:
            if element in members and (best is None or rank < best[0]):
                best = (rank, rule)
                break
        return best[1] if best is not None else None

    def mention(self, element: etree._Element, kind: str) -> Span:
        """Return the span of a mention and record the mention."""
        ident = element.get(XML_ID)
        if ident is None:
            self.generated += 1
        anchor = ident if ident is not None else self.claim(f"m-{self.generated}")
        if ident is not None:
            self.anchors.add(ident)
        pointer, status, keys, href = self.resolve_pointers(element, expected_kind(kind))
        date = None
        if kind == "date":
            span, rejected = date_range(element)
            for name, raw in rejected:  # the same dates as validate and entities reject
                self.warn(
                    element,
                    "export.invalid-date",
                    f"<{_local(element)}> @{name}={raw!r} is not an ISO 8601 date; "
                    "exported without a date value",
                )
            exact = span.precision == "exact"
            date = DateValue(
                "",
                span.start if exact else None,
                None if exact else span.start,
                None if exact else span.end,
            )
        proposal = self.proposal_stack[-1] if self.proposal_stack else None
        for draft in self.proposal_stack:
            draft.entities.update(dict.fromkeys(keys))
        self.mentions.append(
            _MentionDraft(
                anchor,
                kind,
                _local(element),
                pointer,
                status,
                keys,
                href,
                date,
                line_of(element),
                self.paths.path(element),
                proposal.id if proposal is not None else None,
                self.note_stack[-1] if self.note_stack else None,
            )
        )
        for key in keys:
            self.by_key[key].mentions.append(anchor)
        attrs = {"mention": anchor, "type": kind}
        return Span("mention", self.inline_children(element), _local(element), None, attrs)

    # -- notes ------------------------------------------------------------------------------

    def note_call(self, note: etree._Element) -> NoteRef:
        """Number *note*, build its content and return its call."""
        number = len(self.notes) + 1
        self._note(note, number, self.claim(f"noteref-{number}"))
        return NoteRef(number)

    def _note(self, note: etree._Element, number: int, call: str | None) -> Note:
        """Add note *number* to the notes (before its content, which may hold notes too)."""
        ident = note.get(XML_ID)
        anchor = ident if ident is not None else self.claim(f"note-{number}")
        record = Note(
            number,
            anchor,
            call,
            [],
            ident,
            note.get("type"),
            note.get("resp"),
            tuple((note.get("target") or "").split()),
        )
        self.note_numbers[note] = record
        self.notes.append(record)
        self.note_stack.append(number)
        try:
            if any(_local(child) in _ALL_BLOCKS for child in note):
                record.blocks = self.nodes(note)
            else:
                record.blocks = [self.block(note, "p")]
        finally:
            self.note_stack.pop()
        return record

    def calls_after(self, element: etree._Element) -> list[Inline]:
        """Return the calls of the notes whose ``@target`` is *element*."""
        ident = element.get(XML_ID)
        if ident is None or ident not in self.target_notes:
            return []
        return [self.note_call(note) for note in self.target_notes.pop(ident)]

    def _collect_target_notes(self) -> None:
        seen: set[etree._Element] = set()
        for division in [*_note_divisions(self.root), *_find(_STANDOFF_NOTES, self.root)]:
            notes = [division] if _local(division) == "note" else division.iter(f"{_T}note")
            for note in notes:
                if note in seen or any(a in seen for a in note.iterancestors(f"{_T}note")):
                    continue
                seen.add(note)
                self.pending_notes[note] = None
                for token in (note.get("target") or "").split()[:1]:
                    resolution = self.resolve(token)
                    target = resolution.target
                    local = resolution.document is not None and (
                        resolution.document.tree is self.document.tree
                    )
                    if target is not None and local and target.get(XML_ID):
                        self.target_notes.setdefault(target.get(XML_ID, ""), []).append(note)
                    elif resolution.status is PointerStatus.UNRESOLVED:
                        self.warn(
                            note,
                            "export.unresolved-ref",
                            f"<note> @target={token!r} points to nothing "
                            f"({resolution.reason}); the note is listed without a call",
                        )

    # -- the text ------------------------------------------------------------------------------

    def is_block(self, element: etree._Element, mixed: bool) -> bool:
        """Return whether *element* is a block in a container (*mixed*: with loose text)."""
        local = _local(element)
        if local in _ALL_BLOCKS:
            return True
        if local in _MAYBE_BLOCKS:
            return not mixed or any(_local(child) in _ALL_BLOCKS for child in element)
        return False

    def nodes(self, element: etree._Element) -> list[Node]:
        """Return the blocks of a container: block children, loose text as ``line`` blocks."""
        nodes: list[Node] = []
        run: list[Inline] = []
        first: etree._Element | None = None

        def flush() -> None:
            nonlocal run, first
            if any(not isinstance(i, Text) or i.text.strip() for i in run):
                nodes.append(
                    self.finish_block(
                        Block("line", "", run), first if first is not None else element
                    )
                )
            run, first = [], None

        mixed = bool((element.text or "").strip()) or any(
            (child.tail or "").strip() for child in element
        )
        if element.text:
            run.append(Text(element.text))
        for child in element:
            local = _local(child)
            if local in _SKIPPED or child in self.note_numbers or self._is_notes_div(child):
                pass
            elif isinstance(child.tag, str) and local and self.is_block(child, mixed):
                flush()
                nodes.append(self.node(child))
            elif isinstance(child.tag, str):
                first = first if first is not None else child
                run.extend(self.inline(child))
            if child.tail:
                run.append(Text(child.tail))
        flush()
        return nodes

    def _is_notes_div(self, element: etree._Element) -> bool:
        return (_local(element) == "div" and element.get("type") == "notes") or _local(
            element
        ) == "noteGrp"

    def _attrs(self, element: etree._Element) -> dict[str, str]:
        attrs = {
            name: value
            for name in ("type", "subtype", "n", "rend")
            if (value := element.get(name)) is not None
        }
        lang = _language(element.get(_XML_LANG))
        if lang:
            attrs["lang"] = lang
        return attrs

    def node(self, element: etree._Element) -> Node:
        """Return the block or container for a block-level element."""
        local = _local(element)
        lang = _language(element.get(_XML_LANG))
        self.lang_stack.append(lang or (self.lang_stack[-1] if self.lang_stack else None))
        try:
            if local == "figure":
                return self.figure_block(element)
            if local in _LEAF_BLOCKS or (
                local in _MAYBE_BLOCKS and not any(_local(c) in _ALL_BLOCKS for c in element)
            ):
                return self.block(element, local)
            return self.container(element, local)
        finally:
            self.lang_stack.pop()

    def container(self, element: etree._Element, local: str) -> Container:
        """Return a container; a ``div type="proposal"`` also becomes a :class:`Proposal`."""
        ident = element.get(XML_ID)
        topics: tuple[Topic, ...] = ()
        draft: _ProposalDraft | None = None
        if element.get("type") == "proposal":
            topics = self.topics(element)
            draft = _ProposalDraft(
                ident or self.claim(f"proposal-{len(self.proposals) + 1}"), element, topics
            )
            self.proposals.append(draft)
            self.proposal_stack.append(draft)
        try:
            children = self.nodes(element)
        finally:
            if draft is not None:
                self.proposal_stack.pop()
        calls = self.calls_after(element)
        if calls:
            last = _last_block(children)
            if last is None:
                children.append(self.finish_block(Block("line", "", calls), element))
            else:
                last.children.extend(calls)
        attrs = self._attrs(element)
        return Container(local, children, ident, attrs, topics)

    def topics(self, element: etree._Element) -> tuple[Topic, ...]:
        """Return the topics a proposal's ``@ana`` points to."""
        topics: list[Topic] = []
        for token in (element.get("ana") or "").split():
            resolution = self.resolve(token)
            if resolution.target is not None:
                target = resolution.target
                topics.append(Topic(target.get(XML_ID), label_of(target) or token))
            else:
                if resolution.status is PointerStatus.UNRESOLVED:
                    self.warn(
                        element,
                        "export.unresolved-ref",
                        f"<{_local(element)}> @ana={token!r} points to nothing "
                        f"({resolution.reason})",
                    )
                topics.append(Topic(None, token))
        return tuple(topics)

    def figure_block(self, element: etree._Element) -> Block:
        """Return a figure as a block holding its description in brackets."""
        span = self.inline(element)
        return self.finish_block(
            Block("figure", "", span, element.get(XML_ID), self._attrs(element)), element
        )

    def block(self, element: etree._Element, local: str) -> Block:
        """Return a block holding the inline content of *element*."""
        children = self.inline_children(element)
        children.extend(self.calls_after(element))
        ident = element.get(XML_ID)
        return self.finish_block(Block(local, "", children, ident, self._attrs(element)), element)

    def finish_block(self, block: Block, element: etree._Element) -> Block:
        """Normalise a block's whitespace, give it an id and locate its mentions."""
        self.blocks += 1
        block.id = block.xml_id or f"b-{self.blocks}"
        lang = block.attrs.get("lang") or (self.lang_stack[-1] if self.lang_stack else None)
        block.lang = lang
        _normalise(block.children)
        block.text, spans = plain_text(block.children, lang)
        for anchor, (start, end) in spans.items():
            self.positions[anchor] = (block.id, start, end, block.text[start:end])
        return block

    def inline_children(self, element: etree._Element) -> list[Inline]:
        """Return the inline content of *element*: its text, its children, their tails."""
        out: list[Inline] = []
        if element.text:
            out.append(Text(element.text))
        for child in element:
            if isinstance(child.tag, str) and _local(child) not in _SKIPPED:
                out.extend(self.inline(child))
            if child.tail:
                out.append(Text(child.tail))
        return out

    def inline(self, element: etree._Element) -> list[Inline]:
        """Return the inline nodes for *element*, followed by the calls of notes on it."""
        local = _local(element)
        if local == "note":
            if element in self.note_numbers:
                return []
            if element.get("target") and element in self.pending_notes:
                return []
            return [self.note_call(element)]
        if local in ("lb", "pb", "cb"):
            return [Break(local, element.get("n"), element.get("break") == "no")]
        if local in _SKIPPED:
            return []
        rule = self.mention_rule(element)
        kind = rule.type_of(element) if rule is not None else ""
        if kind:
            span: Inline = self.mention(element, kind)
        elif local == "choice":
            span = self.choice(element)
        elif local == "gap":
            span = Span("gap", [], local, element.get(XML_ID), self._attrs(element))
        elif local in ("ref", "ptr"):
            span = self.link(element, local)
        elif local == "figure":
            descriptions = [c for c in element if _local(c) in ("figDesc", "head")]
            inner: list[Inline] = []
            for description in descriptions:
                inner.extend(self.inline_children(description))
            span = Span("figure", inner, local, None, self._attrs(element))
        elif local in _ALL_BLOCKS or local in ("item", "cell"):
            # a block inside running text (a list in a paragraph): kept, on its own lines
            span = Span("seg", [Break("lb"), *self.inline_children(element), Break("lb")], local)
        else:
            attrs = self._attrs(element)
            if local == "measure":
                attrs["title"] = " ".join(
                    v
                    for v in (
                        element.get("quantity")
                        or "-".join(filter(None, (element.get("atLeast"), element.get("atMost")))),
                        element.get("unit"),
                    )
                    if v
                )
            elif local == "supplied":
                attrs["title"] = "editorial addition"
            elif local == "soCalled":
                attrs["variant"] = "soCalled"
            span = Span(
                _SPAN_KINDS.get(local, "seg"),
                self.inline_children(element),
                local or etree.QName(element).localname,
                element.get(XML_ID),
                attrs,
            )
        if isinstance(span, Span) and span.xml_id is not None:
            self.anchors.add(span.xml_id)
        return [span, *self.calls_after(element)]

    def choice(self, element: etree._Element) -> Span:
        """Return the editorial reading of a ``choice``, the other one as ``original``."""
        readings = {_local(child): child for child in element if _local(child)}
        primary = next((readings[n] for n in _PRIMARY_IN_CHOICE if n in readings), None)
        if primary is None:
            primary = next(iter(readings.values()), None)
        secondary = next((readings[n] for n in _SECONDARY_IN_CHOICE if n in readings), None)
        attrs: dict[str, str] = {}
        if secondary is not None and secondary is not primary:
            attrs["original"] = collect_text(secondary)
            attrs["original_kind"] = _local(secondary)
        children = self.inline_children(primary) if primary is not None else []
        return Span("choice", children, "choice", element.get(XML_ID), attrs)

    def link(self, element: etree._Element, local: str) -> Span:
        """Return a link for ``ref`` or ``ptr``: to an element of the page or a web address."""
        attrs = self._attrs(element)
        for token in (element.get("target") or "").split()[:1]:
            resolution = self.resolve(token)
            if resolution.status is PointerStatus.EXTERNAL and _HTTP.match(resolution.expanded):
                attrs["href"] = resolution.expanded
            elif (
                resolution.target is not None
                and resolution.target.get(XML_ID)
                and (
                    resolution.document is not None
                    and resolution.document.tree is self.document.tree
                )
            ):
                attrs["href"] = "#" + resolution.target.get(XML_ID, "")
            elif resolution.status is PointerStatus.UNRESOLVED:
                self.warn(
                    element,
                    "export.unresolved-ref",
                    f"<{local}> @target={token!r} points to nothing ({resolution.reason})",
                )
        children = self.inline_children(element)
        if local == "ptr" and not children:
            children = [Text(element.get("target", ""))]
        return Span("link", children, local, element.get(XML_ID), attrs)

    # -- the header ---------------------------------------------------------------------------

    def party(self, element: etree._Element) -> Party:
        """Return a correspondent or place named in the header, resolved to its entry."""
        _pointer, _status, keys, _href = self.resolve_pointers(element, None)
        return Party(collect_text(element), keys[0] if keys else None)

    def metadata(self) -> Metadata:
        """Return what the header says."""
        headers = _find(_HEADER, self.root)
        header = headers[0] if headers else etree.Element(f"{_T}teiHeader")
        titles = _find(_TITLES, header)
        main = next((t for t in titles if t.get("type") == "main"), titles[0] if titles else None)
        senders: list[Party] = []
        recipients: list[Party] = []
        places: list[Party] = []
        date: DateValue | None = None
        for action in _find(_CORRESP, header):
            kind = action.get("type")
            for child in action:
                local = _local(child)
                if local in ("placeName", "settlement") and kind == "sent":
                    places.append(self.party(child))
                elif local in _PARTY_TAGS and local not in ("placeName", "settlement"):
                    if kind == "sent":
                        senders.append(self.party(child))
                    elif kind in ("received", "addressed", "redirected"):
                        recipients.append(self.party(child))
                elif local == "date" and (date is None or kind == "sent"):
                    date = _date_value(child)
        if not senders:
            senders = [self.party(author) for author in _find(_AUTHORS, header)]
        if date is None:
            for candidate in header.iterfind(".//tei:sourceDesc//tei:date", NSMAP):
                date = _date_value(candidate)
                break
        source, source_type, identifiers = _source(header)
        languages = [self.root.get(_XML_LANG), *_strings(_LANGUAGES, header)]
        texts = _find(_TEXT, self.root)
        if texts:
            languages.insert(1, texts[0].get(_XML_LANG))
        licences = _find(_LICENCE, header)
        licence = None
        if licences:
            licence = Licence(collect_text(licences[0]), licences[0].get("target"))
        publishers = _find(_PUBLISHER, header)
        publisher = None
        if publishers:
            names = publishers[0].findall("tei:name", NSMAP) + publishers[0].findall(
                "tei:orgName", NSMAP
            )
            publisher = _text_of(names[0] if names else publishers[0])
        descriptions = _find(_DESCRIPTION, header)
        return Metadata(
            title=(_text_of(main) if main is not None else None) or self.document.name,
            language=next((_language(v) for v in languages if v and v.strip()), None),
            senders=tuple(senders),
            recipients=tuple(recipients),
            date=date,
            places=tuple(places),
            source=source,
            source_type=source_type,
            identifiers=identifiers,
            description=_text_of(descriptions[0]) if descriptions else None,
            responsibilities=tuple(_responsibility(r) for r in _find(_RESP, header)),
            publisher=publisher,
            licence=licence,
            topics=tuple(
                Topic(c.get(XML_ID), label_of(c) or c.get(XML_ID) or "")
                for c in _find(_CATEGORIES, header)
            ),
        )

    # -- the whole document ----------------------------------------------------------------------

    def build(self) -> DocumentModel:
        """Return the model of the document."""
        texts = _find(_TEXT, self.root)
        for text in texts:
            self._reserve_text_ids(text)
        self._collect_target_notes()
        metadata = self.metadata()
        self.lang_stack.append(metadata.language)
        structure: list[Node] = []
        for text in texts:
            structure.extend(self.nodes(text))
        # notes whose target is not in the reading text: listed at the end, without a call
        for note in self.pending_notes:
            if note not in self.note_numbers:
                self._note(note, len(self.notes) + 1, None)
        # register entries the document defines are listed even when never mentioned
        for element in self.root.iter(*ENTRY_TAGS):
            self.entity_for(element, None)
        return DocumentModel(
            name=self.document.name,
            path=self.document.path,
            xml_id=self.root.get(XML_ID),
            metadata=metadata,
            structure=structure,
            notes=self.notes,
            mentions=self._mentions(),
            entities=self._entities(),
            proposals=[self._proposal(draft) for draft in self.proposals],
            dates=self._dates(),
            diagnostics=self.diagnostics,
            anchors=frozenset(self.anchors),
        )

    def _mentions(self) -> list[Mention]:
        mentions = []
        for draft in self.mentions:
            block, start, end, text = self.positions.get(draft.id, ("", 0, 0, ""))
            date = draft.date
            if date is not None:
                date = DateValue(text, date.when, date.start, date.end)
            mentions.append(
                Mention(
                    draft.id,
                    draft.type,
                    draft.element,
                    text,
                    draft.pointer,
                    draft.status,
                    draft.entities,
                    draft.href,
                    date,
                    block,
                    start,
                    end,
                    draft.line,
                    draft.xpath,
                    draft.proposal,
                    draft.note,
                )
            )
        return mentions

    def _entities(self) -> list[Entity]:
        texts = {d.id: self.positions.get(d.id, ("", 0, 0, ""))[3] for d in self.mentions}
        order = {id(d): n for n, d in enumerate(self.entities.values())}
        drafts = sorted(
            self.entities.values(),
            key=lambda d: (
                _kind_rank(ENTRY_KINDS[d.element.tag]),
                not d.local,
                (line_of(d.element) or 0) if d.local else order[id(d)],
            ),
        )
        entities = []
        for draft in drafts:
            entry = read_entry(draft.element, draft.source)
            if entry is None:  # pragma: no cover - drafts always have an xml:id
                continue
            forms = dict.fromkeys(entry.name_forms)
            for anchor in draft.mentions:
                if texts.get(anchor):
                    forms.setdefault(texts[anchor], None)
            description = tuple(
                text
                for child in draft.element
                if _local(child) in ("note", "occupation", "desc", "roleName", "affiliation")
                and (text := collect_text(child))
            )
            entities.append(
                Entity(
                    key=draft.key,
                    id=entry.id,
                    type=entry.type,
                    name=entry.canonical_name or entry.id,
                    name_forms=tuple(forms),
                    authorities=tuple(
                        Authority(name, value, AUTHORITY_URLS[name].format(value))
                        for name, value in entry.identifiers
                        if name in AUTHORITY_URLS
                    ),
                    other_ids=entry.other_ids,
                    description=description,
                    birth=entry.birth,
                    death=entry.death,
                    latitude=entry.latitude,
                    longitude=entry.longitude,
                    source=entry.source,
                    line=entry.line,
                    mentions=tuple(draft.mentions),
                )
            )
        return entities

    def _proposal(self, draft: _ProposalDraft) -> Proposal:
        quotes = [
            q
            for q in draft.element.iter(f"{_T}quote")
            if not any(a.tag == f"{_T}quote" for a in _ancestors_below(q, draft.element))
        ]
        text = " ".join(filter(None, map(collect_text, quotes))) or collect_text(draft.element)
        return Proposal(
            draft.id,
            draft.element.get("n"),
            draft.element.get("subtype"),
            draft.topics,
            text,
            tuple(draft.entities),
        )

    def _dates(self) -> list[DateEntry]:
        by_iso: dict[str, list[str]] = {}
        for draft in self.mentions:
            if draft.date is not None:
                iso = DateValue("", draft.date.when, draft.date.start, draft.date.end).iso
                if iso:
                    by_iso.setdefault(iso, []).append(draft.id)
        return [
            DateEntry(iso, self.claim("date-" + iso.replace("/", "--")), tuple(ids))
            for iso, ids in sorted(by_iso.items())
        ]


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _ancestors_below(element: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    for ancestor in element.iterancestors():
        if ancestor is top:
            return
        yield ancestor


def _last_block(nodes: list[Node]) -> Block | None:
    for node in reversed(nodes):
        if isinstance(node, Block):
            return node
        found = _last_block(node.children)
        if found is not None:
            return found
    return None


def _date_value(element: etree._Element) -> DateValue:
    span, _rejected = date_range(element)
    exact = span.precision == "exact"
    return DateValue(
        collect_text(element),
        span.start if exact else None,
        None if exact else span.start,
        None if exact else span.end,
    )


def _responsibility(element: etree._Element) -> Responsibility:
    if _local(element) == "editor":
        return Responsibility("editor", (collect_text(element),))
    resp = " ".join(collect_text(r) for r in element.iterfind("tei:resp", NSMAP))
    names = tuple(
        collect_text(child)
        for child in element
        if _local(child) in ("persName", "orgName", "name") and collect_text(child)
    )
    return Responsibility(resp, names)


def _source(header: etree._Element) -> tuple[str | None, str | None, tuple[Identifier, ...]]:
    """Return the citation of the source, its type and its labelled numbers."""
    descriptions = _find(_SOURCE_DESC, header)
    if not descriptions:
        return None, None, ()
    source = descriptions[0]
    identifiers: list[Identifier] = []
    parts: list[str] = []
    kind: str | None = None
    first = next((c for c in source if _local(c)), None)
    if first is None:
        return None, None, ()
    local = _local(first)
    if local in ("bibl", "biblStruct", "biblFull"):
        kind = first.get("type")
        title = first.find(".//tei:title", NSMAP)
        parts = [p for p in (_text_of(title), _text_of(first.find(".//tei:publisher", NSMAP))) if p]
        if not parts:
            parts = [collect_text(first)]
        for idno in first.iterfind(".//tei:idno", NSMAP):
            if idno.text and idno.text.strip():
                identifiers.append(Identifier(idno.get("type"), collect_text(idno)))
    elif local == "msDesc":
        kind = first.get("type")
        identifier = first.find("tei:msIdentifier", NSMAP)
        if identifier is not None:
            order = {"repository": 0, "institution": 1, "settlement": 2, "country": 3}
            ranked = sorted(
                (c for c in identifier if _local(c) in order and collect_text(c)),
                key=lambda c: order[_local(c)],
            )
            names = [collect_text(c) for c in ranked]
            collection = identifier.find("tei:collection", NSMAP)
            parts = [", ".join(names)] if names else []
            if collection is not None and collect_text(collection):
                parts.append(collect_text(collection))
            for idno in identifier.iterfind(".//tei:idno", NSMAP):
                if idno.text and idno.text.strip():
                    identifiers.append(
                        Identifier(idno.get("type") or "shelfmark", collect_text(idno))
                    )
    else:
        parts = [collect_text(first)]
    return ". ".join(p.rstrip(".") for p in parts if p) or None, kind, tuple(identifiers)


@deep_walks
def build_model(
    document: TeiDocument,
    resolver: PointerResolver | None = None,
    *,
    rules: Sequence[MentionRule] = BUILTIN_RULES,
) -> DocumentModel:
    """Return the export model of *document*, resolving pointers with *resolver*.

    *rules* say what counts as a mention (``teikit.entities``' table). What the model
    found (unresolved pointers, the loader's warnings) is in ``model.diagnostics``.
    """
    own = resolver if resolver is not None else PointerResolver()
    try:
        return _Builder(document, own, rules).build()
    finally:
        own.release(document)


def to_models(
    documents: Iterable[TeiDocument | DocumentModel], resolver: PointerResolver | None = None
) -> list[DocumentModel]:
    """Return models for *documents*, building those that are still TEI documents."""
    return [d if isinstance(d, DocumentModel) else build_model(d, resolver) for d in documents]


# -- paragraphs for the text formats -------------------------------------------------------

#: Containers whose blocks are lines of one paragraph (an address, a closer, a stanza).
LINE_CONTAINERS: Final = frozenset({"opener", "closer", "address", "lg", "row", "docTitle"})


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Blocks that the text formats write as one paragraph, one block per line.

    ``kind`` is ``p``, ``head`` (``level`` counts the divisions around it), ``lines``,
    ``list`` (one item per line) or ``row`` (table cells).
    """

    kind: str
    blocks: tuple[Block, ...]
    level: int = 0


def _blocks_in(nodes: Sequence[Node]) -> Iterator[Block]:
    for node in nodes:
        if isinstance(node, Block):
            yield node
        else:
            yield from _blocks_in(node.children)


def paragraphs(nodes: Sequence[Node], level: int = 0) -> Iterator[Paragraph]:
    """Yield the paragraphs of *nodes* in reading order."""
    for node in nodes:
        if isinstance(node, Block):
            yield Paragraph("head" if node.element == "head" else "p", (node,), max(level, 1))
        elif node.element in LINE_CONTAINERS:
            yield Paragraph("row" if node.element == "row" else "lines", tuple(_blocks_in([node])))
        elif node.element == "list":
            yield Paragraph("list", tuple(_blocks_in([node])))
        else:
            headed = any(isinstance(c, Block) and c.element == "head" for c in node.children)
            yield from paragraphs(node.children, level + 1 if headed else level)


# -- corpora ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where a corpus entity occurs: a document (by index), its key there, its mentions."""

    document: int
    key: str
    mentions: tuple[str, ...]


@dataclass(slots=True)
class CorpusEntity:
    """A register entry across a corpus: one per (defining file, ``xml:id``)."""

    key: str
    entity: Entity
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def mention_count(self) -> int:
        """Return how many mentions in the reading texts point to the entry."""
        return sum(len(o.mentions) for o in self.occurrences)

    @property
    def latitude(self) -> float | None:
        """Return the latitude of a place."""
        return self.entity.latitude

    @property
    def longitude(self) -> float | None:
        """Return the longitude of a place."""
        return self.entity.longitude


@dataclass(slots=True)
class Corpus:
    """Several document models with their corpus-wide register.

    ``pages`` holds the output file name of each document in a folder export.

    The lookups a page makes (:meth:`page_of`, :meth:`of_kind`, :meth:`has_kind`) use
    indexes built once per corpus (issue 18: rebuilt per page, a folder export was
    quadratic); they are rebuilt only when ``pages`` or ``register`` is replaced or resized.
    """

    documents: list[DocumentModel]
    register: list[CorpusEntity]
    pages: list[str] = field(default_factory=list)
    _by_entity: dict[tuple[int, str], CorpusEntity] = field(default_factory=dict)
    _pages_by_id: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _pages_key: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    _kinds: dict[str, list[CorpusEntity]] = field(default_factory=dict, repr=False, compare=False)
    _kinds_key: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    def pages_by_id(self) -> dict[str, str]:
        """Return the output page of each document by its root ``xml:id`` (first one wins)."""
        key = (id(self.pages), len(self.pages), len(self.documents))
        if key != self._pages_key:
            index: dict[str, str] = {}
            for doc, page in zip(self.documents, self.pages, strict=False):
                if doc.xml_id:
                    index.setdefault(doc.xml_id, page)
            self._pages_by_id, self._pages_key = index, key
        return self._pages_by_id

    def _by_kind(self) -> dict[str, list[CorpusEntity]]:
        key = (id(self.register), len(self.register))
        if key != self._kinds_key:
            kinds: dict[str, list[CorpusEntity]] = {}
            for entry in self.register:
                kinds.setdefault(entry.entity.type, []).append(entry)
            for entries in kinds.values():
                entries.sort(key=lambda e: (e.entity.name.casefold(), e.key))
            self._kinds, self._kinds_key = kinds, key
        return self._kinds

    def of_kind(self, kind: str) -> list[CorpusEntity]:
        """Return the corpus entries of *kind*, sorted by name."""
        return list(self._by_kind().get(kind, ()))

    def has_kind(self, kind: str) -> bool:
        """Return whether the register has an entry of *kind*."""
        return kind in self._by_kind()

    def entry_for(self, document: int, key: str) -> CorpusEntity | None:
        """Return the corpus entry of entity *key* in document number *document*."""
        return self._by_entity.get((document, key))

    def document_names(self, entry: CorpusEntity, *, mentioned: bool = True) -> list[str]:
        """Return the names of the documents the entry occurs in (with mentions, by default)."""
        return list(
            dict.fromkeys(
                self.documents[o.document].name
                for o in entry.occurrences
                if o.mentions or not mentioned
            )
        )


def build_corpus(models: Sequence[DocumentModel]) -> Corpus:
    """Return the corpus of *models* with its register, entries keyed by file and id."""
    corpus = Corpus(list(models), [])
    by_source: dict[tuple[str, str], CorpusEntity] = {}
    taken: set[str] = set()
    for number, model in enumerate(models):
        for entity in model.entities:
            key = (entity.source, entity.id)
            entry = by_source.get(key)
            if entry is None:
                anchor, n = entity.id, 1
                while anchor in taken:
                    n += 1
                    anchor = f"{entity.id}-{n}"
                taken.add(anchor)
                entry = by_source[key] = CorpusEntity(anchor, entity)
                corpus.register.append(entry)
            elif entry.entity.latitude is None and entity.latitude is not None:
                entry.entity = entity
            entry.occurrences.append(Occurrence(number, entity.key, entity.mentions))
            corpus._by_entity[(number, entity.key)] = entry
    return corpus


class RenderError(TeikitError, ValueError):
    """One document could not be rendered (an ``--xslt`` stylesheet failed on it)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.location()}: {diagnostic.message}")
        self.diagnostic = diagnostic


# -- export runs ---------------------------------------------------------------------------

CorpusPages = Callable[[Corpus], Iterable[tuple[str, Callable[[IO[str]], None]]]]
_CORPUS_PAGES: dict[str, CorpusPages] = {}
_CORPUS_WIDE: set[str] = set()


def corpus_pages(name: str) -> Callable[[CorpusPages], CorpusPages]:
    """Register the pages (file name, writer) a folder export in format *name* adds."""

    def register(function: CorpusPages) -> CorpusPages:
        _CORPUS_PAGES[name] = function
        return function

    return register


def corpus_wide(name: str) -> None:
    """Declare that format *name* writes one output for all documents (GeoJSON)."""
    _CORPUS_WIDE.add(name)


def is_corpus_wide(name: str) -> bool:
    """Return whether format *name* writes one output for all documents."""
    return name in _CORPUS_WIDE


@dataclass(slots=True)
class ExportResult:
    """What an export run did: its findings, the files written, the documents exported."""

    report: Report
    written: list[Path] = field(default_factory=list)
    exported: int = 0


def _output_names(models: Sequence[DocumentModel], suffix: str, reserved: set[str]) -> list[str]:
    """Return one file name per document: its stem and *suffix*, made unique."""
    names: list[str] = []
    taken = {name.casefold() for name in reserved}
    for model in models:
        stem = Path(model.name).stem if model.path is not None else "document"
        stem = re.sub(r"[^\w.\-]+", "_", stem) or "document"
        name, n = f"{stem}{suffix}", 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        taken.add(name.casefold())
        names.append(name)
    return names


def _resolved(paths: Iterable[Path]) -> frozenset[Path]:
    """Return the resolved *paths* (those that can be resolved)."""
    found = set()
    for path in paths:
        with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a link loop
            found.add(path.resolve())
    return frozenset(found)


def _refuse_inputs(path: Path, inputs: frozenset[Path]) -> None:
    """Refuse to write *path* when it is one of the (resolved) *inputs*."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # pragma: no cover - a link loop
        return
    if target in inputs:
        raise OutputError(f"{path}: refusing to overwrite an input file")


@deep_walks
def export_documents(
    sources: Sequence[str | os.PathLike[str]],
    spec: ExporterSpec,
    output: Path | None,
    *,
    folder: bool = False,
    indexes: Sequence[str | os.PathLike[str] | TeiDocument] = (),
    rules: Sequence[MentionRule] = BUILTIN_RULES,
    options: dict[str, Any] | None = None,
    stdout: Callable[[], contextlib.AbstractContextManager[IO[str]]] | None = None,
    on_document: Callable[[str], None] | None = None,
    protected: Sequence[str | os.PathLike[str]] = (),
) -> ExportResult:
    """Export *sources* in the format of *spec* to *output* (a file, a folder, or stdout).

    Every document is read with the hardened loader; one that cannot be read is an error
    in the report and the others are still exported. With *folder*, each document goes
    to ``OUTPUT/<stem><suffix>`` and the format's corpus pages (``index.html``...) are
    added; a corpus-wide format (GeoJSON) writes one file for all. Files are written
    atomically and never over an input or index file, nor over one of *protected* (the
    stylesheet, the configuration: whatever else the run read).

    :raises TeikitError: an index file cannot be loaded, or an output cannot be written.
    :raises ValueError: several documents of a per-document format without *folder*.
    """
    index_documents = [i if isinstance(i, TeiDocument) else load(i) for i in indexes]
    resolver = PointerResolver(index_documents, sources)
    protected_paths = _resolved(
        [Path(s) for s in [*sources, *protected]]
        + [d.path for d in index_documents if d.path is not None]
    )
    report = Report()
    models: list[DocumentModel] = []
    for source in sources:
        name = os.fspath(source)
        report.files.append(name)
        try:
            document = load_tei(source)  # not TEI P5: a finding, and nothing written for it
        except (InputError, DocumentLoadError) as exc:
            diagnostic = (
                exc.diagnostic
                if isinstance(exc, InputError)
                else Diagnostic(Severity.ERROR, "io.unreadable", str(exc), name)
            )
            report.extend([diagnostic])
        else:
            model = build_model(document, resolver, rules=rules)
            resolver.release(document)
            report.extend(model.diagnostics)
            models.append(model)
        if on_document is not None:
            on_document(name)
    result = ExportResult(report, exported=len(models))
    if not models:  # nothing could be read: no empty page, folder or collection (issue 12)
        return result
    corpus = build_corpus(models)
    accepted = spec.options
    extra = {k: v for k, v in (options or {}).items() if k in accepted}
    if "report" in accepted:
        extra["report"] = report
    if "resolver" in accepted:
        extra["resolver"] = resolver

    def write(path: Path | None, items: list[DocumentModel], **more: Any) -> None:
        try:
            if path is None:
                if stdout is None:
                    raise ValueError("no output given and no stdout to write to")
                with stdout() as stream:
                    spec.write(items, stream, **extra, **more)
                return
            _refuse_inputs(path, protected_paths)
            with atomic_open(path, newline=spec.newline) as stream:
                spec.write(items, stream, **extra, **more)
        except RenderError as exc:  # this document fails; the others are still exported
            report.extend([exc.diagnostic])
            result.exported -= 1
            return
        if path is not None:
            result.written.append(path)

    suffix = spec.suffixes[0] if spec.suffixes else f".{spec.name}"
    if is_corpus_wide(spec.name):
        target = output / f"places{suffix}" if folder and output is not None else output
        if folder and output is not None:
            output.mkdir(parents=True, exist_ok=True)
        write(target, models, **({"corpus": corpus} if "corpus" in accepted else {}))
        return result
    if not folder:
        if len(sources) > 1:
            raise ValueError("several documents are exported to a folder")
        if models:
            write(output, models[:1])
        return result
    assert output is not None
    output.mkdir(parents=True, exist_ok=True)
    pages_of = _CORPUS_PAGES.get(spec.name)
    pages = list(pages_of(corpus)) if pages_of is not None else []
    corpus.pages = _output_names(models, suffix, {name for name, _ in pages})
    for number, (model, name) in enumerate(zip(models, corpus.pages, strict=True)):
        more = {"corpus": corpus, "document_number": number} if "corpus" in accepted else {}
        write(output / name, [model], **more)
    for name, writer in pages:
        path = output / name
        _refuse_inputs(path, protected_paths)
        with atomic_open(path) as stream:
            writer(stream)
        result.written.append(path)
    return result

"""What the export model's builder knows about TEI elements (internal to ``teikit.exporters``).

Which elements are reading text and which are not, which are blocks, containers or inline
spans, how a language code becomes a BCP 47 tag, and the small XPath helpers the header
reader and the body walker share.
"""

from __future__ import annotations

import re
from typing import Final

from lxml import etree

from teikit.entities.text import collect_text
from teikit.namespaces import NSMAP, TEI_NS, XML_NS


def _names(text: str) -> frozenset[str]:
    """Return the set of the space-separated names in *text*."""
    return frozenset(text.split())


_HTTP: Final = re.compile(r"^https?://", re.IGNORECASE)
_T: Final = f"{{{TEI_NS}}}"
_XML_LANG: Final = f"{{{XML_NS}}}lang"

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


def _text_of(element: etree._Element | None) -> str | None:
    return (collect_text(element) or None) if element is not None else None


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NSMAP)


def _find(xpath: etree.XPath, node: etree._Element) -> list[etree._Element]:
    """Return the elements *xpath* selects from *node*."""
    found = xpath(node)
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


def _strings(xpath: etree.XPath, node: etree._Element) -> list[str]:
    """Return the attribute values or texts *xpath* selects from *node*."""
    found = xpath(node)
    return [str(v) for v in found if isinstance(v, str)] if isinstance(found, list) else []


_TEXT: Final = _xpath("tei:text")

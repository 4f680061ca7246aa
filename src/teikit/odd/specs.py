"""The ODD compiler's shared vocabulary: names, the TEI source indexed by kind and ident,
and small RELAX NG pattern helpers (occurrence, repetition, simplification)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Final

from lxml import etree

from teikit.document import source_line
from teikit.errors import OddError
from teikit.namespaces import RNG_NS, SCH_NS, TEI_NS

_TEIX_NS: Final = "http://www.tei-c.org/ns/Examples"
_A_NS: Final = "http://relaxng.org/ns/compatibility/annotations/1.0"
_XSD_TYPES: Final = "http://www.w3.org/2001/XMLSchema-datatypes"
_SPEC_KINDS: Final = ("elementSpec", "classSpec", "macroSpec", "dataSpec")
_REF_KINDS: Final = {
    "elementRef": "elementSpec",
    "classRef": "classSpec",
    "macroRef": "macroSpec",
    "dataRef": "dataSpec",
}
_EXPANSIONS: Final = (
    "alternation",
    "sequence",
    "sequenceOptional",
    "sequenceOptionalRepeatable",
    "sequenceRepeatable",
)
_CONTAINERS: Final = frozenset(
    f"{{{RNG_NS}}}{name}"
    for name in (
        "group",
        "choice",
        "interleave",
        "optional",
        "zeroOrMore",
        "oneOrMore",
        "mixed",
        "list",
    )
)


def _t(name: str) -> str:
    return f"{{{TEI_NS}}}{name}"


def _r(name: str) -> str:
    return f"{{{RNG_NS}}}{name}"


def _s(name: str) -> str:
    return f"{{{SCH_NS}}}{name}"


def _error(message: str, where: etree._Element | None, name: str) -> OddError:
    line = source_line(where) if where is not None else None
    return OddError(f"{name}:{line}: {message}" if line else f"{name}: {message}")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _is_tei(element: object, *names: str) -> bool:
    if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
        return False
    qname = etree.QName(element)
    return qname.namespace == TEI_NS and (not names or qname.localname in names)


# ---------------------------------------------------------------------------------------------
# The source: p5subset (or a compiled ODD) indexed by kind and ident


@dataclass
class _Source:
    specs: dict[str, dict[str, etree._Element]]
    modules: set[str]
    version: str | None


def _unique_name(spec: etree._Element, default_ns: str | None = None) -> str:
    """Return odd2odd's key for *spec*: its ident, preceded by its namespace unless TEI's."""
    ns = spec.get("ns") or default_ns
    ident = spec.get("ident", "")
    return ident if not ns or ns == TEI_NS else f"{ns}{ident}"


def _index(root: etree._Element) -> _Source:
    specs: dict[str, dict[str, etree._Element]] = {kind: {} for kind in _SPEC_KINDS}
    modules: set[str] = set()
    for element in root.iter(*(_t(kind) for kind in (*_SPEC_KINDS, "moduleSpec"))):
        kind = _local(element)
        ident = element.get("ident", "")
        if kind == "moduleSpec":
            modules.add(ident)
        elif element.get("mode") in (None, "add", "replace"):
            name = _unique_name(element) if kind == "elementSpec" else element.get("ident", "")
            specs[kind].setdefault(name, element)
            if element.get("module"):
                modules.add(element.get("module", ""))
    version = None
    edition = root.find(f".//{_t('edition')}")
    if edition is not None:
        match = re.search(
            r"Version\s+(\S+?)\.?\s", "".join(str(t) for t in edition.itertext()) + " "
        )
        version = match.group(1) if match else None
    return _Source(specs, modules, version)


# ---------------------------------------------------------------------------------------------
# odd2odd: merging the customisation into the source


def _occurs(element: etree._Element, name: str) -> tuple[int, int | None]:
    def number(attribute: str, default: str) -> int | None:
        raw = element.get(attribute, default).strip()
        if raw == "unbounded":
            return None
        try:
            return int(raw)
        except ValueError:
            raise _error(
                f"{_local(element)}/@{attribute}={raw!r} is not a number", element, name
            ) from None

    low = number("minOccurs", "1")
    high = number("maxOccurs", "1")
    if low is None:
        raise _error(f"{_local(element)}/@minOccurs cannot be 'unbounded'", element, name)
    if high is not None and low > high:
        raise _error(
            f"{_local(element)}: @minOccurs ({low}) is greater than @maxOccurs ({high})",
            element,
            name,
        )
    return low, high


def _repeat(patterns: list[etree._Element], low: int, high: int | None) -> list[etree._Element]:
    """Wrap *patterns* (one group) for ``minOccurs``/``maxOccurs`` as odd2relax does."""

    def group() -> etree._Element:
        if len(patterns) == 1:
            return copy.deepcopy(patterns[0])
        wrapper = etree.Element(_r("group"))
        wrapper.extend(copy.deepcopy(p) for p in patterns)
        return wrapper

    def wrap(tag: str) -> etree._Element:
        wrapper = etree.Element(_r(tag))
        wrapper.extend(copy.deepcopy(p) for p in patterns)
        return wrapper

    if (low, high) == (1, 1):
        return patterns
    if (low, high) == (0, 1):
        return [wrap("optional")]
    if (low, high) == (0, None):
        return [wrap("zeroOrMore")]
    if (low, high) == (1, None):
        return [wrap("oneOrMore")]
    out: list[etree._Element] = []
    if high is None:
        out.extend(group() for _ in range(max(low - 1, 0)))
        out.append(wrap("oneOrMore") if low else wrap("zeroOrMore"))
        return out
    out.extend(group() for _ in range(low))
    out.extend(wrap("optional") for _ in range(high - low))
    return out


def _simplify(element: etree._Element) -> bool:
    """Drop empty RELAX NG containers below *element*; return whether *element* is empty."""
    for child in list(element):
        if isinstance(child.tag, str) and child.tag in _CONTAINERS and _simplify(child):
            element.remove(child)
    return not any(isinstance(c.tag, str) and c.tag != f"{{{_A_NS}}}documentation" for c in element)

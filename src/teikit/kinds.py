"""Which element is which kind: the one table every command reads (issue 12).

Mentions (TEI Guidelines 13.2)::

    kind        element (XPath relative to any element)
    person      tei:persName
    place       tei:placeName
    org         tei:orgName
    @type       tei:name[@type]      (person/place/org/event, or the @type value itself)
    @type       tei:rs[@type]        (person/place/org/event, or the @type value itself)
    date        tei:date

Register entries (TEI Guidelines 13.3): ``person``, ``personGrp`` and ``persona`` hold
persons, ``place`` places, ``org`` organisations and ``event`` events. A mention of one of
these kinds must point (``@ref``, or ``@key`` read as an ``xml:id``) to an entry of the same
kind; an element *inside* an entry (the ``persName`` of a ``person``) stands for that entry,
so a pointer to it reaches the entry and its kind.

The ``[mentions]`` table of ``teikit.toml`` adds :class:`MentionRule` rows in front of the
built-in ones (see :mod:`teikit.entities.config`); every command matches elements with
:func:`mention_kind` over the same rules. This module imports no capability
(validation, entities, exporters, lint): they all import it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from teikit.errors import MentionRuleError
from teikit.namespaces import NSMAP, TEI_NS

__all__ = [
    "BUILTIN_RULES",
    "ELEMENT_OF_KIND",
    "ENTITY_KINDS",
    "ENTRY_KINDS",
    "ENTRY_TAGS",
    "KIND_NAMES",
    "LIST_OF_KIND",
    "NAME_KINDS",
    "TYPE_FROM_ATTRIBUTE",
    "MentionMatcher",
    "MentionRule",
    "MentionRuleError",
    "entry_kind",
    "entry_of",
    "expected_kind",
    "kind_of_type",
    "matcher_for",
    "kind_named",
    "mention_kind",
    "parse_kinds",
]

#: Kinds that have register entries, in the order registers list them.
ENTITY_KINDS: Final = ("person", "place", "org", "event")

#: Register elements (Clark names) and the kind of entity each holds (TEI Guidelines 13.3).
ENTRY_KINDS: Final = {
    f"{{{TEI_NS}}}person": "person",
    f"{{{TEI_NS}}}personGrp": "person",
    f"{{{TEI_NS}}}persona": "person",
    f"{{{TEI_NS}}}place": "place",
    f"{{{TEI_NS}}}org": "org",
    f"{{{TEI_NS}}}event": "event",
}
ENTRY_TAGS: Final = tuple(ENTRY_KINDS)

#: The list element a register of each kind is written in (TEI Guidelines 13.3).
LIST_OF_KIND: Final = {
    "person": "listPerson",
    "place": "listPlace",
    "org": "listOrg",
    "event": "listEvent",
}

#: How the kinds are called in English (singular, plural): page titles, labels, messages.
KIND_NAMES: Final = {
    "person": ("person", "persons"),
    "place": ("place", "places"),
    "org": ("organisation", "organisations"),
    "event": ("event", "events"),
    "date": ("date", "dates"),
}

#: Name elements (local names) and the kind they name.
NAME_KINDS: Final = {
    "persName": "person",
    "placeName": "place",
    "orgName": "org",
    "eventName": "event",
}
#: The element a new mention of each kind is tagged with (lint, annotate, register build).
#: (events are read as mentions but never proposed: lint looks for persons, places, orgs)
ELEMENT_OF_KIND: Final = {k: name for name, k in NAME_KINDS.items() if k != "event"}

#: The pseudo kind of a rule whose kind is the element's ``@type`` value.
TYPE_FROM_ATTRIBUTE: Final = "@type"
# rs/@type and name/@type values that mean one of the built-in kinds.
_TYPE_SYNONYMS: Final = {
    "person": "person",
    "persName": "person",
    "place": "place",
    "placeName": "place",
    "org": "org",
    "orgName": "org",
    "organisation": "org",
    "organization": "org",
    "event": "event",
    "eventName": "event",
}
_SIMPLE: Final = re.compile(r"^tei:([A-Za-z_][\w.\-]*)(?:\[@([A-Za-z_][\w.\-]*)\])?$")


def kind_of_type(value: str) -> str:
    """Return the kind an ``rs/@type`` or ``name/@type`` value means.

    >>> kind_of_type("organisation"), kind_of_type("ship")
    ('org', 'ship')
    """
    value = value.strip()
    return _TYPE_SYNONYMS.get(value, value)


@dataclass(frozen=True, slots=True)
class MentionRule:
    """One row of the mapping table: elements matching *xpath* are mentions of *type*."""

    type: str
    xpath: str
    origin: str = "built-in"

    def compile(self) -> etree.XPath:
        """Return the rule's XPath, evaluated from the root over all descendants.

        :raises MentionRuleError: the expression is not valid XPath 1.0.
        """
        expression = self.xpath if self.xpath.startswith("/") else f"//{self.xpath}"
        try:
            return etree.XPath(expression, namespaces=NSMAP)
        except etree.XPathSyntaxError as exc:
            raise MentionRuleError(
                f"{self.origin}: mention type {self.type!r}: invalid XPath {self.xpath!r}: {exc}"
            ) from None

    def simple_test(self) -> tuple[str, str | None] | None:
        """Return ``(Clark tag, required attribute or None)`` for a rule like ``tei:rs[@type]``.

        Such rules are matched while walking the tree once, without XPath; ``None`` means
        the expression needs XPath.

        >>> MentionRule("x", "tei:rs[@type]").simple_test()
        ('{http://www.tei-c.org/ns/1.0}rs', 'type')
        """
        match = _SIMPLE.match(self.xpath)
        if match is None:
            return None
        return f"{{{TEI_NS}}}{match.group(1)}", match.group(2)

    def type_of(self, element: etree._Element) -> str:
        """Return the mention kind of an *element* matched by this rule."""
        if self.type != TYPE_FROM_ATTRIBUTE:
            return self.type
        return kind_of_type(element.get("type") or "")


#: The built-in mapping table, in the order documented above.
BUILTIN_RULES: Final = (
    MentionRule("person", "tei:persName"),
    MentionRule("place", "tei:placeName"),
    MentionRule("org", "tei:orgName"),
    MentionRule("event", "tei:eventName"),
    MentionRule(TYPE_FROM_ATTRIBUTE, "tei:name[@type]"),
    MentionRule(TYPE_FROM_ATTRIBUTE, "tei:rs[@type]"),
    MentionRule("date", "tei:date"),
)


class MentionMatcher:
    """Tell the mention kind of elements under *rules*; XPath rules run once per document."""

    def __init__(self, rules: Sequence[MentionRule] = BUILTIN_RULES) -> None:
        self._tests = [(rule, rule.simple_test()) for rule in rules]
        self._xpaths = {rule: rule.compile() for rule, test in self._tests if test is None}
        self._root: etree._Element | None = None
        self._members: dict[MentionRule, set[etree._Element]] = {}
        # Without XPath rules the kind depends on the tag and a few attribute values only.
        self._keyed = not self._xpaths
        self._attributes = sorted({"type", *(t[1] for _r, t in self._tests if t and t[1])})
        self._by_key: dict[tuple[str, tuple[str | None, ...]], str | None] = {}

    def _matched(self, rule: MentionRule, element: etree._Element) -> set[etree._Element]:
        root = element.getroottree().getroot()
        if root is not self._root:  # another document: forget the last one's matches
            self._root, self._members = root, {}
        members = self._members.get(rule)
        if members is None:
            found = self._xpaths[rule](root)
            members = (
                {e for e in found if isinstance(e, etree._Element)}
                if isinstance(found, list)
                else set()
            )
            self._members[rule] = members
        return members

    def kind_of(self, element: etree._Element) -> str | None:
        """Return the kind of mention *element* is (first matching rule), or ``None``.

        Elements inside a register entry are the entry's own names, never mentions.
        """
        kind = self.kind_by_rules(element)
        return None if kind is None or entry_of(element) is not None else kind

    def kind_by_rules(self, element: etree._Element) -> str | None:
        """Return the kind the first rule matching *element* gives, inside an entry or not."""
        if not isinstance(element.tag, str):
            return None
        if self._keyed:
            key = (element.tag, tuple(element.get(a) for a in self._attributes))
            if key not in self._by_key:
                self._by_key[key] = self._match(element)
            return self._by_key[key]
        return self._match(element)

    def _match(self, element: etree._Element) -> str | None:
        for rule, test in self._tests:
            if test is None:
                matched = element in self._matched(rule, element)
            else:
                tag, attribute = test
                matched = element.tag == tag and (
                    attribute is None or element.get(attribute) is not None
                )
            if matched:
                return rule.type_of(element) or None
        return None


@functools.lru_cache(maxsize=16)
def _shared_matcher(rules: tuple[MentionRule, ...]) -> MentionMatcher:
    return MentionMatcher(rules)


def matcher_for(rules: Sequence[MentionRule] = BUILTIN_RULES) -> MentionMatcher:
    """Return a :class:`MentionMatcher` for *rules*, shared across documents when it can be.

    A matcher of rules that are all simple (``tei:rs[@type]``) keeps no document and is
    shared; one with XPath rules is new, so that no tree outlives its document.
    """
    rules = tuple(rules)
    if all(rule.simple_test() is not None for rule in rules):
        return _shared_matcher(rules)
    return MentionMatcher(rules)


def mention_kind(
    element: etree._Element, rules: Sequence[MentionRule] = BUILTIN_RULES
) -> str | None:
    """Return the kind of mention *element* is under *rules* (first match), or ``None``.

    Elements inside a register entry are the entry's own names, never mentions. For many
    elements, use one :class:`MentionMatcher`.

    >>> from teikit import load
    >>> doc = load(b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><rs type="organisation"/></TEI>')
    >>> mention_kind(doc.root[0])
    'org'
    """
    return matcher_for(rules).kind_of(element)


def expected_kind(kind: str | None) -> str | None:
    """Return the entry kind that a pointer from a mention of *kind* must reach, if any.

    >>> expected_kind("person"), expected_kind("date")
    ('person', None)
    """
    return kind if kind in ENTITY_KINDS else None


def entry_of(element: etree._Element) -> etree._Element | None:
    """Return the register entry *element* is or stands for (an enclosing entry), if any."""
    if element.tag in ENTRY_KINDS:
        return element
    return next(element.iterancestors(*ENTRY_TAGS), None)


def entry_kind(element: etree._Element) -> str | None:
    """Return the kind of the register entry *element* is or belongs to, if any."""
    entry = entry_of(element)
    return None if entry is None else ENTRY_KINDS[str(entry.tag)]


def kind_named(name: str, choices: Sequence[str]) -> str | None:
    """Return the one of *choices* that *name* spells, singular or plural, in any case.

    >>> kind_named(" Places", ["person", "place"]), kind_named("peron", ["person"])
    ('place', None)
    """
    key = name.strip().lower()
    return next((c for c in choices if key in (c.lower(), f"{c.lower()}s")), None)


def parse_kinds(names: Iterable[str], choices: Sequence[str] = ENTITY_KINDS) -> tuple[str, ...]:
    """Return the kinds *names* spell, singular or plural, in any case.

    :raises ValueError: a name is not one of *choices* (the message lists them).

    >>> parse_kinds(["Persons", "place"])
    ('person', 'place')
    """
    wanted: list[str] = []
    for name in names:
        found = kind_named(name, choices)
        if found is None:
            raise ValueError(f"unknown kind {name.strip()!r} (choose from {', '.join(choices)})")
        if found not in wanted:
            wanted.append(found)
    return tuple(wanted)

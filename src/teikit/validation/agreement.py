"""One finding per problem: what several stages say about the same problem is said once.

The integrity checks, RELAX NG (or XSD) and Schematron often see the same fault:
``<date when="1952-02-30">`` is an invalid date to the integrity checks, an invalid
attribute value to the grammar and a failed ``date-calendar`` assertion to the letter
Schematron. :func:`merge_agreeing` keeps one finding for it, the most specific one (the
integrity checks', then Schematron's, XSD's, RELAX NG's), at the highest severity any stage
gave, with ``stages`` naming the stages that agreed (issue 12).

Two findings are the same problem only when all of this holds, so that two different
problems are never merged:

* same document and same element: each finding's XPath resolves to exactly that one node
  (findings without a node, such as Jing's, are never merged);
* the same concept about the same attribute, read from the finding's code (and, for the
  letter Schematron, its stable assertion id): the attribute's value is invalid
  (``value``), its pointer points to nothing (``pointer``), or to the wrong kind of entry
  (``kind``);
* different stages, each with exactly one such finding on that node and attribute (two
  integrity findings about two tokens of one ``@ref`` are two problems: nothing is merged).

libxml2 words an attribute with a wrong value and an attribute that is not allowed alike
("Invalid attribute when for element date"); it is taken as a ``value`` finding, and merged
only where another stage found the value of that same attribute invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from teikit.diagnostics import Diagnostic
from teikit.namespaces import NSMAP

if TYPE_CHECKING:
    from teikit.document import TeiDocument

__all__ = ["concept_of", "merge_agreeing", "stage_of"]

#: Validation stages by the prefix of their codes, in the order a merged finding lists them.
_STAGES: Final = {"integrity": "integrity", "rng": "relaxng", "xsd": "xsd", "sch": "schematron"}
_ORDER: Final = ("integrity", "relaxng", "xsd", "schematron")
# Which stage's message a merged finding keeps: the one that knows the concept best.
_SPECIFIC: Final = {"integrity": 0, "schematron": 1, "xsd": 2, "relaxng": 3}

_ATTRIBUTE: Final = r"([A-Za-z_][\w.:-]*)"
_INTEGRITY: Final = {
    "integrity.invalid-date": ("value", re.compile(rf"@{_ATTRIBUTE}=")),
    "integrity.unresolved-pointer": ("pointer", re.compile(rf"@{_ATTRIBUTE}=")),
    "integrity.wrong-kind": ("kind", re.compile(rf"<[^>]+> @{_ATTRIBUTE}=")),
}
# RELAX NG, one message per finding (libxml2 joins a node's messages with "; ": not taken)
_GRAMMAR: Final = (
    re.compile(rf"Invalid attribute {_ATTRIBUTE} for element [^\s;]+"),  # libxml2
    re.compile(rf'value of attribute "{_ATTRIBUTE}" is invalid\b[^;]*'),  # Jing's wording
    # teikit's own (validation/rng_messages/): Jing's, with the element and what is allowed
    re.compile(rf'value of attribute "{_ATTRIBUTE}" of element "[^"]+" is invalid(?:; .*)?'),
    re.compile(rf"Element '[^']+', attribute '{_ATTRIBUTE}': [^;]* is not a valid value\b.*"),
)
# the letter customisation's Schematron (schemas/teikit-letter.sch): stable assertion ids
_LETTER_SCHEMATRON: Final = {
    "date-format": "value",
    "date-calendar": "value",
    "pointer-resolves": "pointer",
    "ref-kind-person": "kind",
    "ref-kind-place": "kind",
    "ref-kind-org": "kind",
    "ref-kind-event": "kind",
}
_ASSERTION_ID: Final = re.compile(r"\[([\w.-]+)\]$")
_LEADING_ATTRIBUTE: Final = re.compile(rf"@{_ATTRIBUTE}=")
_HAS_REF: Final = re.compile(r'\bref="')


def stage_of(code: str) -> str | None:
    """Return the validation stage a finding's *code* comes from, if it is one.

    >>> stage_of("rng.invalid"), stage_of("sch.assert"), stage_of("xml.not-well-formed")
    ('relaxng', 'schematron', None)
    """
    return _STAGES.get(code.partition(".")[0])


def concept_of(diagnostic: Diagnostic) -> tuple[str, str] | None:
    """Return what problem *diagnostic* names, as ``(concept, attribute)``, when it is known.

    >>> from teikit.diagnostics import Severity
    >>> def rng(message: str) -> Diagnostic:
    ...     return Diagnostic(Severity.ERROR, "rng.invalid", message)
    >>> concept_of(rng("Invalid attribute when for element date"))
    ('value', 'when')
    >>> concept_of(rng('value of attribute "when" of element "date" is invalid; must be a year'))
    ('value', 'when')
    >>> concept_of(rng("Element rs failed to validate attributes")) is None
    True
    """
    code, message = diagnostic.code, diagnostic.message
    if code in _INTEGRITY:
        concept, pattern = _INTEGRITY[code]
        match = pattern.match(message)
        return (concept, match.group(1)) if match else None
    if code in ("rng.invalid", "xsd.invalid"):
        for grammar in _GRAMMAR:
            match = grammar.fullmatch(message)
            if match:
                return ("value", match.group(1))
        return None
    if code == "sch.assert":
        assertion = _ASSERTION_ID.search(message)
        letter = _LETTER_SCHEMATRON.get(assertion.group(1)) if assertion else None
        if letter == "kind":
            return ("kind", "ref") if _HAS_REF.search(message) else None
        if letter is not None:
            match = _LEADING_ATTRIBUTE.match(message)
            return (letter, match.group(1)) if match else None
    return None


def merge_agreeing(document: TeiDocument, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Return *diagnostics* with each problem that several stages reported on one node once.

    The merged finding takes the place of the first of its group; see the module docstring
    for when two findings are the same problem.
    """
    candidates: dict[tuple[int, str, str], list[int]] = {}
    for position, diagnostic in enumerate(diagnostics):
        if diagnostic.line is None or diagnostic.xpath is None or diagnostic.stages:
            continue
        if stage_of(diagnostic.code) is None or diagnostic.file != document.name:
            continue
        concept = concept_of(diagnostic)
        if concept is not None:
            candidates.setdefault((diagnostic.line, *concept), []).append(position)
    merged: dict[int, Diagnostic] = {}
    dropped: set[int] = set()
    for positions in candidates.values():
        if len({stage_of(diagnostics[p].code) for p in positions}) < 2:
            continue  # one stage only (a document on one line: many pointers, one line)
        # keyed by the element itself: lxml gives one proxy per node while a proxy is alive
        # (the dict keeps them alive; an id() of a dropped proxy could be reused)
        by_node: dict[Any, list[int]] = {}
        for position in positions:
            node = _node(document, diagnostics[position].xpath)
            if node is not None:
                by_node.setdefault(node, []).append(position)
        for group in by_node.values():
            stages = [stage_of(diagnostics[p].code) for p in group]
            if len(group) < 2 or len(set(stages)) != len(stages):
                continue  # one stage, or a stage with two findings: maybe two problems
            found = [diagnostics[p] for p in group]
            best = min(found, key=lambda d: _SPECIFIC[stage_of(d.code) or ""])
            merged[group[0]] = replace(
                best,
                severity=max(d.severity for d in found),
                stages=tuple(s for s in _ORDER if s in stages),
            )
            dropped.update(group[1:])
    if not merged:
        return list(diagnostics)
    return [
        merged.get(position, diagnostic)
        for position, diagnostic in enumerate(diagnostics)
        if position not in dropped
    ]


def _node(document: TeiDocument, xpath: str | None) -> Any:
    """Return the one element *xpath* selects in *document*, else ``None``."""
    if not xpath:
        return None
    try:
        found = document.root.getroottree().xpath(xpath, namespaces=NSMAP)
    except Exception:  # an XPath lxml cannot evaluate: the finding is left alone
        return None
    if (
        isinstance(found, list)
        and len(found) == 1
        and isinstance(getattr(found[0], "tag", None), str)
    ):
        return found[0]
    return None

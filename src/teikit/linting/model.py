"""The records of ``teikit lint``: diagnostic codes and :class:`Suggestion`.

A suggestion is one thing lint found in the text of a document, with the markup it proposes
(if it can propose any): ``lint`` reports it as a :class:`~teikit.diagnostics.Diagnostic`,
``annotate`` inserts its markup. Both work from the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.kinds import ELEMENT_OF_KIND

__all__ = ["CODES", "KINDS", "Anchor", "Suggestion"]

#: Every code ``teikit lint`` reports, with its severity (documented in docs/lint.md).
CODES: Final = {
    "lint.untagged-name": Severity.WARNING,
    "lint.ambiguous-name": Severity.WARNING,
    "lint.untagged-date": Severity.WARNING,
    "lint.date-without-value": Severity.WARNING,
    "lint.ambiguous-date": Severity.INFO,
    "lint.impossible-date": Severity.WARNING,
    "lint.mention-without-ref": Severity.WARNING,
    "lint.inconsistent-ref": Severity.INFO,
    "lint.unmentioned-entry": Severity.INFO,
    "lint.entry-without-authority": Severity.INFO,
}
#: The kinds ``--only`` accepts, and the mention types they stand for.
KINDS: Final = {f"{kind}s": kind for kind in (*ELEMENT_OF_KIND, "date")}


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a suggestion sits in the parsed tree: characters ``start:end`` of a text node.

    For ``lint.date-without-value`` the anchor is the ``date`` element itself
    (``start == end == -1``).
    """

    element: etree._Element
    tail: bool
    start: int
    end: int
    #: The same span in the decoded source text, when it could be located.
    source_span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A finding in the text of a document, with the markup that would settle it."""

    code: str
    file: str
    line: int | None
    column: int | None
    #: The text as written (the untagged name or date, or the content of a ``<date>``).
    text: str
    #: The kind of thing: ``person``, ``place``, ``org`` or ``date``.
    kind: str
    #: The element to insert (``persName``, ``placeName``, ``orgName``, ``date``).
    element: str
    #: The attribute to write (``ref`` or ``when``) and its value; ``None`` when the
    #: finding is ambiguous or impossible and nothing is proposed.
    attribute: str
    value: str | None
    #: How the value was found: the register form, the date form and the rule applied.
    inference: str
    xpath: str | None = None
    #: Candidates when the text may name several entries (``lint.ambiguous-name``).
    candidates: tuple[str, ...] = ()
    anchor: Anchor | None = field(default=None, compare=False, repr=False)

    @property
    def severity(self) -> Severity:
        """Return the severity of the suggestion's code."""
        return CODES[self.code]

    @property
    def markup(self) -> str | None:
        """Return the proposed start tag, e.g. ``<persName ref="#stalin">``, or ``None``."""
        if self.value is None:
            return None
        return f'<{self.element} {self.attribute}="{self.value}">'

    def message(self) -> str:
        """Return the human-readable message of the finding."""
        text = self.text
        if self.code == "lint.untagged-name":
            return f'untagged name "{text}": propose {self.markup} ({self.inference})'
        if self.code == "lint.ambiguous-name":
            names = ", ".join(self.candidates)
            return (
                f'untagged name "{text}" is a form of {len(self.candidates)} register '
                f"entries ({names}): tag it by hand"
            )
        if self.code == "lint.untagged-date":
            return (
                f'untagged date "{text}": propose {self.markup}; '
                f'"{text}" → {self.value} ({self.inference})'
            )
        if self.code == "lint.date-without-value":
            if self.value is None:
                return f'<date> "{text}" has no machine-readable value ({self.inference})'
            return (
                f'<date> "{text}" has no machine-readable value: propose @when="{self.value}"; '
                f'"{text}" → {self.value} ({self.inference})'
            )
        if self.code == "lint.impossible-date":
            return f'"{text}" looks like a date but is not one: {self.inference}'
        return f'date "{text}" is ambiguous, not tagged: {self.inference}'

    def diagnostic(self) -> Diagnostic:
        """Return the suggestion as a diagnostic record, as ``validate`` reports them."""
        return Diagnostic(
            self.severity, self.code, self.message(), self.file, self.line, self.column, self.xpath
        )

"""The gazetteer: every name form of every register entry, matched in running text.

Forms come from the register (each ``persName``/``placeName``/``orgName`` of an entry, plus
``First Last`` for a person registered as ``Last, First`` and ``Kaesong`` for a place
registered as ``Kaesong (Korea)``) and from the corpus (the text of every mention already
tagged with a pointer to exactly one entry). Matching works on words (Unicode letters,
digits and combining marks), so ``Mao`` never matches inside ``Maoism``; it ignores case
(``FILIPPOV`` is ``Filippov``), except that a form written with a capital never matches a
word written in lower case (``North`` does not match ``to the north of``); it tries the
longest form first and never lets two matches overlap.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from teikit.kinds import ELEMENT_OF_KIND

__all__ = ["Candidate", "Gazetteer", "NameMatch", "derived_forms", "tokens_of"]

# A word: letters, digits and combining marks (decomposed accents stay in their word).
_WORD: Final = r"[\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
_TOKEN: Final = re.compile(rf"{_WORD}|[^\w\s]")
_INVERTED: Final = re.compile(r"^([^,()]+),\s*([^,()]+)$")
_QUALIFIED: Final = re.compile(r"^(.+?)\s*\([^()]*\)$")


def _key(token: str) -> str:
    return unicodedata.normalize("NFC", token.casefold())


def tokens_of(text: str) -> list[tuple[str, int, int]]:
    """Return the words and punctuation marks of *text* as ``(key, start, end)``.

    >>> [t[0] for t in tokens_of("Comrade KIM IL SUNG's")]
    ['comrade', 'kim', 'il', 'sung', "'", 's']
    """
    return [(_key(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def derived_forms(form: str, kind: str) -> list[str]:
    """Return the forms a register *form* is also written as in running text.

    >>> derived_forms("Abaelard, Peter", "person")
    ['Peter Abaelard']
    >>> derived_forms("Starzeddel (Kreis Guben)", "place")
    ['Starzeddel']
    """
    derived: list[str] = []
    qualified = _QUALIFIED.match(form)
    if qualified is not None:
        derived.append(qualified.group(1))
        form = qualified.group(1)
    inverted = _INVERTED.match(form)
    if kind == "person" and inverted is not None:
        derived.append(f"{inverted.group(2).strip()} {inverted.group(1).strip()}")
    return derived


@dataclass(frozen=True, slots=True)
class Candidate:
    """A register entry a form may name: its ``xml:id``, kind and defining documents."""

    entity_id: str
    kind: str
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class _Form:
    candidates: dict[str, Candidate] = field(default_factory=dict)
    capitalised: bool = False
    origins: dict[str, None] = field(default_factory=dict)
    ignored: bool = False  # a phrase the project leaves untagged on purpose


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A form found in a text: where, the text as written, and what it may name."""

    start: int
    end: int
    text: str
    candidates: tuple[Candidate, ...]
    origin: str


_IGNORED: Final = NameMatch(0, 0, "", (), "ignored")


def _is_usable(keys: tuple[str, ...]) -> bool:
    """Return whether a form can be matched: it starts with a word of two letters or more."""
    letters = sum(len(k) for k in keys if k[:1].isalnum())
    return bool(keys) and keys[0][:1].isalnum() and letters >= 2 and not keys[0].isdigit()


class Gazetteer:
    """Name forms of register entries, matched word by word, longest first.

    >>> gazetteer = Gazetteer()
    >>> gazetteer.add("Mao Zedong", "mao", "person", "register form")
    True
    >>> gazetteer.add("Mao", "mao", "person", "register form")
    True
    >>> [(m.text, m.start) for m in gazetteer.match("MAO ZEDONG, not Maoism, but Mao")]
    [('MAO ZEDONG', 0), ('Mao', 28)]
    """

    def __init__(self) -> None:
        self._forms: dict[tuple[str, ...], _Form] = {}
        # the lengths (in tokens) of the forms starting with each first token, longest first
        self._lengths: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._forms)

    def add(
        self, form: str, entity_id: str, kind: str, origin: str, source: str | None = None
    ) -> bool:
        """Add *form* as a name of entry *entity_id*; return whether it is usable.

        *origin* says where the form comes from (``register form``, ``tagged elsewhere``);
        *source* is the document that defines the entry.
        """
        keys = tuple(t[0] for t in tokens_of(form))
        if not _is_usable(keys) or kind not in ELEMENT_OF_KIND:
            return False
        entry = self._form(keys)
        stripped = form.strip()
        entry.capitalised = entry.capitalised or stripped[:1].isupper()
        known = entry.candidates.get(entity_id)
        sources = known.sources if known is not None else ()
        if source is not None and source not in sources:
            sources = (*sources, source)
        entry.candidates[entity_id] = Candidate(entity_id, kind, sources)
        entry.origins.setdefault(origin, None)
        return True

    def _form(self, keys: tuple[str, ...]) -> _Form:
        """Return the entry for the token keys of a form, made (and its length noted)."""
        entry = self._forms.get(keys)
        if entry is None:
            entry = self._forms[keys] = _Form()
            lengths = self._lengths.setdefault(keys[0], [])
            if len(keys) not in lengths:
                lengths.append(len(keys))
                lengths.sort(reverse=True)  # match() tries the longest forms first
        return entry

    def ignore(self, phrase: str) -> bool:
        """Never report *phrase* nor a form inside it ("North Koreans" hides "North").

        Longest match first makes the phrase win over the shorter forms it contains; return
        whether the phrase is usable (two letters or more).

        >>> gazetteer = Gazetteer()
        >>> gazetteer.add("North", "north_korea", "place", "register form")
        True
        >>> gazetteer.ignore("North Koreans")
        True
        >>> [m.text for m in gazetteer.match("North Koreans from the North")]
        ['North']
        """
        keys = tuple(t[0] for t in tokens_of(phrase))
        if not _is_usable(keys):
            return False
        entry = self._form(keys)
        entry.ignored = True
        return True

    def candidates(self, form: str) -> tuple[Candidate, ...]:
        """Return the entries *form* may name (none when it is not in the gazetteer)."""
        entry = self._forms.get(tuple(t[0] for t in tokens_of(form)))
        return tuple(entry.candidates.values()) if entry is not None and not entry.ignored else ()

    def match(self, text: str) -> Iterator[NameMatch]:
        """Yield the forms found in *text*, left to right, longest first, never overlapping."""
        tokens = tokens_of(text)
        count = len(tokens)
        index = 0
        while index < count:
            found = None
            for length in self._lengths.get(tokens[index][0], ()):
                if index + length > count:
                    continue
                keys = tuple(t[0] for t in tokens[index : index + length])
                entry = self._forms.get(keys)
                if entry is None:
                    continue
                start, end = tokens[index][1], tokens[index + length - 1][2]
                if entry.ignored:
                    index += length - 1  # consumed, nothing reported
                    found = _IGNORED
                    break
                if entry.capitalised and text[start].islower():
                    continue  # "north" is not the place "North"
                origin = next(iter(entry.origins))
                found = NameMatch(
                    start, end, text[start:end], tuple(entry.candidates.values()), origin
                )
                index += length
                break
            if found is None or found is _IGNORED:
                index += 1
            else:
                yield found

"""Read the kinds a user asks for (``--type``): singular or plural, any case, typos caught.

``teikit entities -t persons``, ``-t Person`` and ``-t person`` mean the same; ``-t peron``
is an error that lists the choices, never an empty table. The choices are the built-in
kinds, the types a configuration adds (``[mentions]``) and the ``rs/@type`` and
``name/@type`` values the documents use (found by a quick scan of their bytes, only when a
name is none of the others).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from typing import Final

from teikit.errors import UnknownTypeError
from teikit.kinds import kind_named

__all__ = ["BUILTIN_TYPES", "UnknownTypeError", "resolve_types"]

#: The kinds every document can have, as ``teikit entities`` names them.
BUILTIN_TYPES: Final = ("person", "place", "org", "date", "proposal")
# Names of the built-in kinds that are not the kind with or without an "s" (teikit.kinds)
_ALIASES: Final = {
    "people": "person",
    "organisation": "org",
    "organisations": "org",
    "organization": "org",
    "organizations": "org",
}
# rs/@type and name/@type values in a document's bytes (a superset is fine: it only lists
# the choices; the extraction itself reads the parsed tree).
_TYPED_NAME: Final = re.compile(
    rb"<(?:[\w.\-]+:)?(?:rs|name)\s[^>]*?\btype\s*=\s*[\"']([^\"'<>]{1,100})[\"']"
)


def _document_types(sources: Iterable[str | os.PathLike[str]]) -> set[str]:
    found: set[str] = set()
    for source in sources:
        try:
            with open(source, "rb") as stream:
                data = stream.read()
        except OSError:
            continue
        found.update(value.decode("utf-8", "replace") for value in _TYPED_NAME.findall(data))
    return found


def _match(name: str, known: Collection[str]) -> str | None:
    return kind_named(name, tuple(known)) or _ALIASES.get(name.strip().casefold())


def resolve_types(
    values: Iterable[str],
    *,
    configured: Collection[str] = (),
    sources: Iterable[str | os.PathLike[str]] = (),
) -> frozenset[str] | None:
    """Return the types named in *values* (comma-separated), ``None`` when none is named.

    :raises UnknownTypeError: a name is none of the built-in kinds, the *configured* types
        or the ``rs``/``name`` types used in *sources*; the message lists them.

    >>> sorted(resolve_types(["Persons,places", "ORG"]))
    ['org', 'person', 'place']
    """
    names = [n.strip() for value in values for n in value.split(",") if n.strip()]
    if not names:
        return None
    known = [*BUILTIN_TYPES, *configured]
    wanted: set[str] = set()
    unknown: list[str] = []
    for name in names:
        found = _match(name, known)
        if found is None:
            unknown.append(name)
        else:
            wanted.add(found)
    if unknown:
        in_documents = sorted(_document_types(sources) - set(known))
        for name in unknown:
            found = _match(name, in_documents)
            if found is None:
                import difflib

                choices = ", ".join([*known, *in_documents])
                close = difflib.get_close_matches(name.casefold(), [*known, *in_documents], 1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UnknownTypeError(f"unknown type {name!r}{hint} (choose from {choices})")
            wanted.add(found)
    return frozenset(wanted)

"""Specialise a RELAX NG grammar to the element vocabulary of the documents it will check.

An ``element`` pattern whose (single, concrete) name occurs in none of the documents can
never match any of their elements, so replacing it by ``notAllowed`` changes no verdict.
The grammar is then simplified with the rules of the RELAX NG specification (section 4.19
for ``notAllowed``, 4.20 for ``empty``) until no ``notAllowed`` is left except as the whole
content of a ``start`` or ``element``: libxml2 compiles a few hundred elements of TEI All
in milliseconds instead of all 594 in seconds, and builds its automata only when no
``notAllowed`` is left inside choices (issue: ``teikit validate`` must match Jing's verdicts
and be faster than Jing).

Before that, :func:`flatten_relaxng` turns the schema into one self-contained grammar:
annotations dropped, ``include``/``externalRef`` inlined (only files inside the schema's own
folder), ``div`` removed, ``combine`` merged, nested grammars hoisted, and the namespace of
every name and the datatype library of every ``data``/``value`` written out, so that patterns
can be moved and rebuilt without changing their meaning (specification sections 4.1-4.18).

Inlining is bounded (issue 17): a file that ``externalRef`` reaches from several places is
read once and becomes one shared define, when it cannot see the grammar around it (no
``parentRef``, no ``ref`` outside a grammar of its own); everything else is copied, and a
schema whose copies add up to more than :data:`MAX_PATTERNS` patterns, or whose files
include each other more than :data:`MAX_INCLUDE_DEPTH` deep, is refused. A "diamond" of
21 files, each including the next twice, would otherwise expand to a million copies.
:func:`check_expansion` applies the same bound, without sharing, for engines that read
the schema themselves (Jing).

libxml2 copies the body of a define into every place that refers to it, unless the body
is an element pattern, so a grammar of a few dozen patterns whose defines each refer to the
next one twice takes it minutes to compile. :func:`check_grammar_size` measures what
libxml2 will build and refuses more than :data:`MAX_CONTENT_PATTERNS` patterns in one
element's content (TEI All needs at most 900) or :data:`MAX_EXPANDED_PATTERNS` in all.

Modules: :mod:`.common` (constants, limits, helpers), :mod:`.sizes` (reading schema files,
the bounds on expansion), :mod:`.flatten` (one self-contained grammar), :mod:`.prune`
(specialising and simplifying).
"""

from __future__ import annotations

from teikit.validation.specialize.common import (
    MAX_CONTENT_PATTERNS,
    MAX_EXPANDED_PATTERNS,
    MAX_INCLUDE_DEPTH,
    MAX_PATTERNS,
    MAX_READS,
)
from teikit.validation.specialize.flatten import flatten_relaxng
from teikit.validation.specialize.prune import (
    attributes_of,
    specialize_flattened,
    specialize_relaxng,
    vocabulary_of,
)
from teikit.validation.specialize.sizes import check_expansion, check_grammar_size, read_schema_file

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "MAX_PATTERNS",
    "MAX_CONTENT_PATTERNS",
    "MAX_EXPANDED_PATTERNS",
    "MAX_READS",
    "attributes_of",
    "read_schema_file",
    "check_expansion",
    "check_grammar_size",
    "flatten_relaxng",
    "specialize_flattened",
    "specialize_relaxng",
    "vocabulary_of",
]

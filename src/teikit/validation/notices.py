"""Run notices: what teikit chose for many files, said once for the run, not once per file.

While a run checks its files, each file whose schema teikit chose (TEI All, for a file that
declares none) or replaced (its bundled copy, for a declared ``teikit-letter.rng`` that is
missing) gets an ``info`` finding saying so; they travel with the file's other findings (and
its cached verdict). :func:`split_notices` takes them out of the file's findings, and
:func:`run_notices` makes one notice of each kind for the run, counting the files (issue 12:
"one notice for the run").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from teikit.diagnostics import Diagnostic, Severity
from teikit.validation.schemas import TEI_ALL_VERSION, SchemaRef

__all__ = ["NOTICE_CODES", "run_notices", "schema_notice", "split_notices"]

DEFAULT: Final = "schema.default"
BUNDLED_COPY: Final = "schema.bundled-copy"
#: The codes of the per-file findings that become run notices.
NOTICE_CODES: Final = frozenset({DEFAULT, BUNDLED_COPY})

_OTHER_SCHEMA: Final = (
    "to use another schema, declare it with <?xml-model?>, pass --schema FILE, or name it "
    "in teikit.toml (schema = [...])"
)


def schema_notice(ref: SchemaRef, file: str) -> Diagnostic:
    """Return the per-file finding saying that teikit chose or replaced the schema *ref*."""
    if ref.origin == "default":
        message = (
            "no schema declared (no <?xml-model?>, --schema or teikit.toml): validated against "
            f"TEI All (TEI P5 {TEI_ALL_VERSION}, bundled with teikit) and its embedded Schematron"
        )
        return Diagnostic(Severity.INFO, DEFAULT, message, file)
    message = (
        f"schema {ref.substitute} not found: validated against teikit's bundled copy of "
        f"{ref.path.name}"
    )
    return Diagnostic(Severity.INFO, BUNDLED_COPY, message, file)


def split_notices(diagnostics: Sequence[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Return a file's findings without the per-file notices, and those notices."""
    kept = [d for d in diagnostics if d.code not in NOTICE_CODES]
    if len(kept) == len(diagnostics):
        return kept, []
    return kept, [d for d in diagnostics if d.code in NOTICE_CODES]


def run_notices(notices: Iterable[Diagnostic], files: int) -> list[Diagnostic]:
    """Return one notice (``file`` ``None``) for each kind of per-file notice, with counts.

    >>> from dataclasses import replace
    >>> one = Diagnostic(Severity.INFO, DEFAULT, "no schema declared: TEI All", "a.xml")
    >>> [d.message[:41] for d in run_notices([one, replace(one, file="b.xml")], 3)]
    ['2 of 3 files: no schema declared: TEI All']
    """
    grouped: dict[tuple[str, str], set[str]] = {}
    for notice in notices:
        grouped.setdefault((notice.code, notice.message), set()).add(notice.file or "")
    result = []
    for (code, message), names in grouped.items():
        counted = f"{len(names)} of {files} file{'s' if files != 1 else ''}: {message}"
        if code == DEFAULT:
            counted += f"; {_OTHER_SCHEMA}"
        result.append(Diagnostic(Severity.INFO, code, counted))
    return result

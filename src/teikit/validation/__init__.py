"""Validation: schemas (RELAX NG, XSD, Schematron) and integrity checks, over files or corpora.

The primitive is :func:`iter_diagnostics`; :func:`validate` collects a :class:`Report`
and :func:`is_valid` asks whether there is no error at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from teikit.diagnostics import Diagnostic, Report, Severity
from teikit.progress import ProgressCallback
from teikit.validation.notices import run_notices, split_notices
from teikit.validation.runner import ValidationOptions, Validator, expand_inputs

__all__ = [
    "ValidationOptions",
    "Validator",
    "expand_inputs",
    "is_valid",
    "iter_diagnostics",
    "validate",
]


def iter_diagnostics(
    sources: Iterable[str | Path],
    options: ValidationOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Iterator[Diagnostic]:
    """Yield every diagnostic for *sources* (files, folders or ``-``), file by file.

    The run's notices (the schema teikit chose for files that declare none...) come last,
    once each, with ``file`` ``None``.

    :raises TeikitError: a schema cannot be loaded or an input path does not exist.
    """
    validator = Validator(options or ValidationOptions())
    notices: list[Diagnostic] = []
    files = 0
    for _name, diagnostics in validator.run(expand_inputs(sources, validator.options), progress):
        kept, noted = split_notices(diagnostics)
        notices.extend(noted)
        files += 1
        yield from kept
    yield from run_notices(notices, files)  # said once for the run (``file`` is None)


def validate(
    sources: Iterable[str | Path],
    options: ValidationOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Report:
    """Validate *sources* and return a :class:`Report` (never raises for findings).

    >>> from teikit.resources import telegram_path
    >>> validate([telegram_path()]).is_clean()
    True
    """
    started = time.perf_counter()
    validator = Validator(options or ValidationOptions())
    report = Report()
    notices: list[Diagnostic] = []
    for name, diagnostics in validator.run(expand_inputs(sources, validator.options), progress):
        report.files.append(name)
        kept, noted = split_notices(diagnostics)
        notices.extend(noted)
        report.extend(kept)
    report.notices = run_notices(notices, len(report.files))
    report.sources = validator.source_lines
    report.schemas = list(validator.schemas_used)
    from teikit.config import configs_for

    # standard input's configuration is the working directory's, as schemas_for() finds it
    used, skipped = configs_for(
        ["-" if name == "<stdin>" else name for name in report.files], validator.options.config
    )
    report.configuration = [str(p) for p in used]
    report.skipped_configuration = [f"{p} ({why})" for p, why in skipped]
    report.elapsed = time.perf_counter() - started
    return report


def is_valid(sources: Sequence[str | Path], options: ValidationOptions | None = None) -> bool:
    """Return whether *sources* give no diagnostic of error severity."""
    return not any(d.severity >= Severity.ERROR for d in iter_diagnostics(sources, options))

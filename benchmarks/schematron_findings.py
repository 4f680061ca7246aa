"""Record teikit's Schematron findings on real corpora, or check that they did not change.

Usage::

    python benchmarks/schematron_findings.py record FILE.json [--suite NAME ...]
    python benchmarks/schematron_findings.py check FILE.json [--suite NAME ...] [--slow]

(``--sample N`` takes every k-th file, at most N of each suite.)

``record`` runs the Schematron of each suite's schema over its files and writes every
finding (file, code, severity, line, message, path) to *FILE.json*; ``check`` runs them again
and exits 1 when any suite's findings differ, printing the differences. Record with one
version of the code and check with another to prove an optimisation changes no finding.
``--slow`` checks with the Schematron shortcuts of :mod:`teikit.validation.schematron.fast`
switched off. The suites: all DraCor plays (DraCor's schema), 50 Tillich letters (TEI All),
the TEI test files (teikit's default schema, TEI All) and the PTA sample (its schema).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", HERE.parent.parent / "shared"))
CORPORA = SHARED / "corpora"
TEI_ALL = SHARED / "schemas/tei-p5/tei_all.rng"

#: name: (schema, files)
SUITES: dict[str, tuple[Path, str, int | None]] = {
    "dracor": (CORPORA / "gerdracor/schema/dracor_1.6.0.rng", "gerdracor/tei/*.xml", None),
    "tillich": (TEI_ALL, "tillich-briefe/editions/*.xml", 50),
    "tei-p5-test": (TEI_ALL, "tei-p5-test/*.xml", None),
    "pta": (CORPORA / "pta/schema/tei-pta.rng", "pta/data/**/*.xml", None),
}


def suite_files(pattern: str, limit: int | None) -> list[Path]:
    """Return the files of a suite: every k-th file when *limit* is given."""
    files = sorted(CORPORA.glob(pattern))
    if limit is not None and len(files) > limit:
        step = len(files) // limit
        files = files[::step][:limit]
    return files


def findings(schema_path: Path, files: list[Path]) -> Iterator[list[object]]:
    """Yield every Schematron finding of *files*, as JSON-ready rows."""
    from teikit.document import load
    from teikit.errors import TeikitError
    from teikit.validation.schematron import load_schematron, parsers

    # The regular-expression budget runs out on a clock started with each document's
    # Schematron run, so on a slow (or busy) machine a long play's later rules stop with a
    # sch.rule-error: findings that depend on speed. Lift it so that runs can be compared.
    parsers.REGEX_TIME_LIMIT = 1e9  # type: ignore[misc]
    schema = load_schematron(schema_path)
    for file in files:
        name = str(file.relative_to(CORPORA))
        try:
            document = load(file)
        except TeikitError as exc:
            yield [name, "load-error", "", None, str(exc), None]
            continue
        for d in schema.validate(document):
            yield [name, d.code, d.severity.name, d.line, d.message, d.xpath]


def run(suites: list[str], sample: int | None = None) -> dict[str, list[list[object]]]:
    """Return the findings of *suites*, with timings on standard error."""
    out: dict[str, list[list[object]]] = {}
    for name in suites:
        schema, pattern, limit = SUITES[name]
        files = suite_files(pattern, sample or limit)
        started = time.process_time()
        out[name] = list(findings(schema, files))
        spent = time.process_time() - started
        print(
            f"{name}: {len(files)} files, {len(out[name])} findings, {spent:.1f} s CPU",
            file=sys.stderr,
        )
    return out


def main() -> None:
    """Record or check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "check"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--suite", action="append", choices=sorted(SUITES))
    parser.add_argument("--slow", action="store_true", help="switch the shortcuts off")
    parser.add_argument("--sample", type=int, help="at most N files of each suite")
    args = parser.parse_args()
    if args.slow:
        from teikit.validation.schematron import fast as schematron_fast

        schematron_fast.ENABLED = False
    suites = args.suite or list(SUITES)
    if args.action == "record":  # suite by suite, added to what the file holds
        for name in suites:
            recorded = json.loads(args.file.read_text()) if args.file.exists() else {}
            recorded.update(run([name], args.sample))
            args.file.write_text(json.dumps(recorded, indent=0, ensure_ascii=False))
        return
    found = run(suites, args.sample)
    expected = json.loads(args.file.read_text())
    different = 0
    for name in suites:
        want = [tuple(row) for row in expected[name]]
        got = [tuple(json.loads(json.dumps(row))) for row in found[name]]
        if want == got:
            print(f"{name}: {len(got)} findings, identical")
            continue
        different += 1
        missing, extra = set(want) - set(got), set(got) - set(want)
        print(f"{name}: DIFFERENT ({len(want)} recorded, {len(got)} now)")
        for row in sorted(missing, key=str)[:20]:
            print(f"  - {row}")
        for row in sorted(extra, key=str)[:20]:
            print(f"  + {row}")
        if not missing and not extra:
            print("  (same findings, other order or multiplicity)")
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()

"""Benchmark teikit's Schematron engine: TEI All's embedded rules over the Tillich letters.

Run from the repository root (needs ``../shared``)::

    python benchmarks/bench_schematron.py [--repeat 3] [--sample 10] [--full-elementpath]

It loads the Schematron embedded in ``tei_all.rng`` (compile time), parses the 1,326
well-formed letters once (the 5 malformed ones are skipped), then times
:meth:`SchematronSchema.validate` over all of them in one process (best of ``--repeat``),
and reports how many rules can apply (their context names only elements and attributes that
occur in a letter), which engine runs each of their tests, and the findings per code and
per rule. For comparison it runs the same schema with every expression in elementpath
(``without_lxml()``) on every ``--sample``-th letter (or all with ``--full-elementpath``),
extrapolates its time to the corpus and lists any disagreement between the two.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import teikit
from teikit.diagnostics import Diagnostic
from teikit.validation.schematron import SchematronRule, SchematronSchema, load_schematron

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
SCHEMA = SHARED / "schemas" / "tei-p5" / "tei_all.rng"
LETTERS = SHARED / "corpora" / "tillich-briefe" / "editions"
MALFORMED = frozenset({"L00116", "L01059", "L01064", "L01065", "L01069"})


def timed(run: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Return the best wall time of *repeat* calls of *run* and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def validate_all(schema: SchematronSchema, documents: list[teikit.TeiDocument]) -> list[Diagnostic]:
    """Validate every document in this process and return all findings."""
    found: list[Diagnostic] = []
    for document in documents:
        found.extend(schema.validate(document))
    return found


def rule_label(diagnostic: Diagnostic) -> str:
    """Return the ``[id]`` at the end of a finding's message (the pattern id for TEI)."""
    return diagnostic.message.rsplit(" [", 1)[-1].rstrip("]")


def main() -> int:
    """Run the benchmark and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=10, help="every N-th letter for elementpath")
    parser.add_argument("--full-elementpath", action="store_true")
    args = parser.parse_args()
    if not SCHEMA.exists() or not LETTERS.is_dir():
        print(f"needs {SCHEMA} and {LETTERS}", file=sys.stderr)
        return 2

    compile_time, schema = timed(lambda: load_schematron(SCHEMA))
    paths = sorted(p for p in LETTERS.glob("*.xml") if p.stem not in MALFORMED)
    parse_time, documents = timed(lambda: [teikit.load(p, name=p.name) for p in paths])
    validate_time, found = timed(lambda: validate_all(schema, documents), args.repeat)

    applicable: dict[tuple[str | None, str], SchematronRule] = {}
    for document in documents:
        for rule in schema.applicable_rules(document):
            applicable[(rule.pattern, rule.context)] = rule
    engines: Counter[str] = Counter()
    for rule in applicable.values():
        engines.update(engine for _, _, engine in rule.checks)
    tests = sum(len(r.checks) for r in schema.rules)

    sample = documents if args.full_elementpath else documents[:: args.sample]
    pure = schema.without_lxml()
    pure_time, slow = timed(lambda: [pure.validate(d) for d in sample])
    fast = [schema.validate(d) for d in sample]
    disagreements = [
        (d.name, set(a) ^ set(b)) for d, a, b in zip(sample, fast, slow, strict=True) if a != b
    ]

    print(f"# Schematron benchmark: TEI All embedded rules, {len(documents)} Tillich letters\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| compile `tei_all.rng` (read, extract, compile) | {compile_time:.3f} s |")
    print(f"| patterns / rules / tests | {len(schema.patterns)} / {len(schema.rules)} / {tests} |")
    print(f"| parse the letters (not part of validate) | {parse_time:.3f} s |")
    print(
        f"| **validate, all letters, one process** (best of {args.repeat}) | "
        f"**{validate_time:.3f} s** |"
    )
    print(f"| per letter | {1000 * validate_time / len(documents):.2f} ms |")
    print(f"| rules applicable to at least one letter | {len(applicable)} of {len(schema.rules)} |")
    print(f"| their tests by engine | {dict(sorted(engines.items()))} |")
    scale = len(documents) / len(sample)
    print(
        f"| elementpath only, {len(sample)} letters | {pure_time:.3f} s "
        f"(~{pure_time * scale:.1f} s for all, ~{pure_time * scale / validate_time:.0f}x) |"
    )
    print(f"| disagreements libxml2 shortcuts vs elementpath | {len(disagreements)} |")
    print("\n## Findings\n")
    print("| code | count |")
    print("|---|---:|")
    for code, count in sorted(Counter(d.code for d in found).items()):
        print(f"| `{code}` | {count} |")
    print("\n| rule (pattern id) | findings | letters |")
    print("|---|---:|---:|")
    by_rule: Counter[str] = Counter(rule_label(d) for d in found)
    for label, count in by_rule.most_common():
        letters = len({d.file for d in found if rule_label(d) == label})
        print(f"| `{label}` | {count} | {letters} |")
    for name, difference in disagreements:
        print(f"\nDISAGREEMENT in {name}: {difference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

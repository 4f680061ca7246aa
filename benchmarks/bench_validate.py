"""Benchmark ``teikit validate`` against Jing, xmllint and plain lxml in one run.

Usage::

    python benchmarks/bench_validate.py [--corpus DIR] [--schema tei_all.rng] [--repeat N]

Defaults to ``../shared/corpora/tillich-briefe/editions`` against
``../shared/schemas/tei-p5/tei_all.rng``. Writes a Markdown table to stdout and to
``benchmarks/results/validate.md``. Times are wall-clock seconds and CPU seconds (user +
system, of the process and its workers: steadier than wall time on a shared machine). Every
case runs once per round (``--repeat`` rounds, default 5): the table gives the best time of
each, its ratio to Jing's best, and the median of the ratios to Jing's time in the same round
(the speed of shared machines drifts from minute to minute).

Jing gets only the well-formed files (a plain lxml parse decides): it stops, silently, at the
first file that is not well-formed, so given them all it would check only the files before it
(issue 18: 115 of the 1,331 Tillich letters). The other tools get every file.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
LXML_SCRIPT = """
import sys
from lxml import etree
schema = etree.RelaxNG(etree.parse(sys.argv[1]))
invalid = 0
for name in sys.argv[2:]:
    try:
        doc = etree.parse(name)
    except etree.XMLSyntaxError:
        invalid += 1
        continue
    if not schema.validate(doc):
        invalid += 1
print(invalid)
"""


def sh(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; a non-zero exit is expected for invalid files."""
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)


def parses(name: str) -> bool:
    """Return whether *name* is well-formed XML (a plain lxml parse, no DTD, no network)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        etree.parse(name, parser)
    except etree.XMLSyntaxError:
        return False
    return True


def paired(times: list[float], reference: list[float]) -> list[float]:
    """Return the ratio of each round's time to the reference's time in the same round."""
    return [t / r for t, r in zip(times, reference, strict=True)]


def children_cpu() -> float:
    """Return the CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora/tillich-briefe/editions")
    parser.add_argument("--schema", type=Path, default=SHARED / "schemas/tei-p5/tei_all.rng")
    parser.add_argument("--indices", type=Path, default=SHARED / "corpora/tillich-briefe/indices")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = sorted(str(p) for p in args.corpus.glob("*.xml"))
    if not files or not args.schema.is_file():
        sys.exit(f"corpus or schema missing: {args.corpus}, {args.schema}")
    well_formed = [name for name in files if parses(name)]
    teikit = [sys.executable, "-m", "teikit"]
    index_args = [
        arg
        for name in ("listperson.xml", "listplace.xml")
        if (args.indices / name).is_file()
        for arg in ("--index", str(args.indices / name))
    ]
    cache = tempfile.mkdtemp(prefix="teikit-bench-")
    # teikit runs as installed: with its modules compiled to bytecode (pip compiles them on
    # install), even where PYTHONDONTWRITEBYTECODE is set or the source tree is read-only.
    pycache = tempfile.mkdtemp(prefix="teikit-bench-pyc-")
    env = {**os.environ, "TEIKIT_CACHE_DIR": cache, "PYTHONPYCACHEPREFIX": pycache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def teikit_run(*extra: str, mode: str = "cold") -> Callable[[], object]:
        """Time a teikit run: ``first`` with an empty cache folder (nothing compiled yet),
        ``cold`` with no verdict reused (compiled grammars and the Schematron analysis
        cached by an earlier run, as on any machine after the first run), ``warm`` with
        the verdicts of unchanged files reused."""

        def run() -> object:
            if mode == "first":
                shutil.rmtree(cache, ignore_errors=True)
            return sh(
                *teikit,
                "validate",
                "--schema",
                str(args.schema),
                "-q",
                "-j",
                str(args.jobs),
                *(["--no-cache"] if mode != "warm" else []),
                *extra,
                str(args.corpus),
                env=env,
            )

        return run

    # Every round runs every case once, in this order; the machine's speed drifts (shared
    # CPUs), so each teikit time is compared with the Jing time of the same round.
    cases: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = []
    if shutil.which("jing"):
        jing = ("jing", str(args.schema), *well_formed)
        cases.append(("jing (RELAX NG only)", lambda: sh(*jing), None))
    if shutil.which("xmllint"):
        xmllint = ("xmllint", "--noout", "--relaxng", str(args.schema), *files)
        cases.append(("xmllint --relaxng", lambda: sh(*xmllint), None))
    lxml = (sys.executable, "-c", LXML_SCRIPT, str(args.schema), *files)
    cases.append(("plain lxml (RELAX NG only)", lambda: sh(*lxml), None))
    warm_up = teikit_run(*index_args, mode="first")  # compile and cache the grammars
    cases += [
        (
            "teikit, RELAX NG only, cold",
            teikit_run("--no-schematron", "--no-integrity"),
            warm_up,
        ),
        ("teikit, RELAX NG + Schematron + integrity, cold", teikit_run(*index_args), None),
        (
            "teikit, everything, first run (empty cache folder)",
            teikit_run(*index_args, mode="first"),
            None,
        ),
        (
            "teikit, everything, warm (unchanged files)",
            teikit_run(*index_args, mode="warm"),
            teikit_run(*index_args, mode="warm"),  # fill the verdict cache
        ),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _round in range(args.repeat):
        for name, run, before in cases:
            if before is not None:
                before()
            spent = children_cpu()
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(children_cpu() - spent)
    jing_name = "jing (RELAX NG only)"
    load = os.getloadavg()
    lines = [
        f"Corpus: {args.corpus} ({len(files)} files, {len(well_formed)} well-formed: "
        f"Jing gets these); schema: {args.schema.name}; jobs: {args.jobs}; {args.repeat} "
        f"rounds; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores; load average at the end {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}",
        "",
        "| run | best wall s | / Jing | median per-round ratio | best CPU s | / Jing | "
        "median per-round ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _, _ in cases:
        cells = [name]
        for measured in (times, cpu):
            best = min(measured[name])
            reference = measured.get(jing_name)
            cells += [
                f"{best:.2f}",
                f"{best / min(reference):.2f}" if reference else "n/a",
                f"{statistics.median(paired(measured[name], reference)):.2f}"
                if reference
                else "n/a",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "CPU: user + system seconds of the command and the processes it waited for (workers,",
        "Jing's JVM threads).",
        "cold: no verdict reused (`--no-cache`); the grammar specialised for the corpus and the",
        "Schematron analysis come from teikit's cache folder, filled by any earlier run on the",
        "same schema. first run: empty cache folder. warm: verdicts of unchanged files reused.",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "validate.md").write_text(table, encoding="utf-8")
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(pycache, ignore_errors=True)


if __name__ == "__main__":
    main()

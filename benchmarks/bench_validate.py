"""Benchmark ``teikit validate`` against Jing, xmllint and plain lxml in one run.

Usage::

    python benchmarks/bench_validate.py [--corpus DIR] [--schema tei_all.rng] [--repeat N]

Defaults to ``../shared/corpora/tillich-briefe/editions`` against
``../shared/schemas/tei-p5/tei_all.rng``. Writes a Markdown table to stdout and to
``benchmarks/results/validate.md``. Times are wall-clock seconds, best of ``--repeat`` runs;
ratios are against Jing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
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


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """Return the shortest wall time of *repeat* calls of *run*."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def sh(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; a non-zero exit is expected for invalid files."""
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora/tillich-briefe/editions")
    parser.add_argument("--schema", type=Path, default=SHARED / "schemas/tei-p5/tei_all.rng")
    parser.add_argument("--indices", type=Path, default=SHARED / "corpora/tillich-briefe/indices")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = sorted(str(p) for p in args.corpus.glob("*.xml"))
    if not files or not args.schema.is_file():
        sys.exit(f"corpus or schema missing: {args.corpus}, {args.schema}")
    teikit = [sys.executable, "-m", "teikit"]
    index_args = [
        arg
        for name in ("listperson.xml", "listplace.xml")
        if (args.indices / name).is_file()
        for arg in ("--index", str(args.indices / name))
    ]
    rows: list[tuple[str, float]] = []
    cache = tempfile.mkdtemp(prefix="teikit-bench-")
    env = {**os.environ, "TEIKIT_CACHE_DIR": cache}

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

    if shutil.which("jing"):
        rows.append(
            (
                "jing (RELAX NG only)",
                best_of(args.repeat, lambda: sh("jing", str(args.schema), *files)),
            )
        )
    if shutil.which("xmllint"):
        rows.append(
            (
                "xmllint --relaxng",
                best_of(
                    args.repeat,
                    lambda: sh("xmllint", "--noout", "--relaxng", str(args.schema), *files),
                ),
            )
        )
    rows.append(
        (
            "plain lxml (RELAX NG only)",
            best_of(
                args.repeat, lambda: sh(sys.executable, "-c", LXML_SCRIPT, str(args.schema), *files)
            ),
        )
    )
    teikit_run(*index_args, mode="first")()  # compile and cache the grammars once
    rows.append(
        (
            "teikit, RELAX NG only, cold",
            best_of(args.repeat, teikit_run("--no-schematron", "--no-integrity")),
        )
    )
    rows.append(
        (
            "teikit, RELAX NG + Schematron + integrity, cold",
            best_of(args.repeat, teikit_run(*index_args)),
        )
    )
    rows.append(
        (
            "teikit, everything, first run (empty cache folder)",
            best_of(args.repeat, teikit_run(*index_args, mode="first")),
        )
    )
    teikit_run(*index_args, mode="warm")()  # fill the verdict cache
    rows.append(
        (
            "teikit, everything, warm (unchanged files)",
            best_of(args.repeat, teikit_run(*index_args, mode="warm")),
        )
    )
    reference = rows[0][1] if rows[0][0].startswith("jing") else None
    lines = [
        f"Corpus: {args.corpus} ({len(files)} files); schema: {args.schema.name}; "
        f"jobs: {args.jobs}; best of {args.repeat}; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores",
        "",
        "| run | seconds | ratio to Jing |",
        "|---|---:|---:|",
    ]
    for name, seconds in rows:
        ratio = f"{seconds / reference:.2f}" if reference else "n/a"
        lines.append(f"| {name} | {seconds:.2f} | {ratio} |")
    lines += [
        "",
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


if __name__ == "__main__":
    main()

"""Benchmark RELAX NG validation of a corpus: Jing, xmllint, plain lxml and teikit.

Research script (issue: ``teikit validate`` must give Jing's verdicts and be faster than
Jing over a corpus). Everything runs in this one process, one after the other, and prints a
markdown table of wall-clock seconds and ratios against Jing. Only well-formed files are
given to every tool (Jing stops at the first file that is not well-formed).

    python benchmarks/bench_relaxng.py [--corpus DIR] [--schema RNG] [--xsd XSD ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lxml import etree

import teikit
from teikit.validation.relaxng import load_relaxng
from teikit.validation.xsd import ENGINES, load_xsd

SHARED = Path(os.environ.get("TEIKIT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Return the wall-clock seconds *action* took and its result."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run_jing(schema: Path, files: list[Path]) -> int:
    """Return how many files Jing finds invalid."""
    done = subprocess.run(
        ["jing", str(schema), *map(str, files)], capture_output=True, text=True, check=False
    )
    return len({line.split(":", 1)[0] for line in done.stdout.splitlines() if ": error:" in line})


def run_xmllint(schema: Path, files: list[Path]) -> int:
    """Return how many files xmllint finds invalid."""
    done = subprocess.run(
        ["xmllint", "--noout", "--relaxng", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    return len(re.findall(r" fails to validate$", done.stderr, re.MULTILINE))


def time_teikit(
    schema: Path, documents: list[teikit.TeiDocument]
) -> tuple[float, float, int, bool]:
    """Return teikit's prepare and validate seconds, the invalid count and the cache flag."""
    prepare, validator = timed(lambda: load_relaxng(schema).validator_for_documents(documents))
    seconds, found = timed(lambda: [validator.validate(d) for d in documents])
    return prepare, seconds, sum(1 for diagnostics in found if diagnostics), validator.from_cache


def time_xsd(xsd: Path, engine: str, sample: list[teikit.TeiDocument]) -> str:
    """Return a markdown row: compile and validate seconds of one XSD engine."""
    try:
        compile_seconds, schema = timed(lambda: load_xsd(xsd, engine))
    except teikit.SchemaLoadError as exc:
        return f"| {xsd.name} | {engine} | failed: {str(exc)[-90:]} | | |"
    seconds, found = timed(lambda: [schema.validate(d) for d in sample])
    invalid = sum(1 for diagnostics in found if diagnostics)
    return f"| {xsd.name} | {engine} | {compile_seconds:.2f} | {seconds:.2f} | {invalid} |"


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora/tillich-briefe/editions")
    parser.add_argument("--schema", type=Path, default=SHARED / "schemas/tei-p5/tei_all.rng")
    parser.add_argument("--xsd", type=Path, nargs="*", default=[], help="also time these XSDs")
    parser.add_argument("--xsd-sample", type=int, default=200, help="documents per XSD run")
    arguments = parser.parse_args()

    paths = sorted(arguments.corpus.glob("*.xml"))
    parse_seconds, loaded = timed(lambda: [_try_load(p) for p in paths])
    documents = [d for d in loaded if d is not None]
    files = [d.path for d in documents if d.path is not None]
    print(
        f"{len(paths)} files, {len(paths) - len(documents)} not well-formed (left out); "
        f"teikit parses the {len(documents)} others in {parse_seconds:.2f} s\n",
        file=sys.stderr,
    )
    rows: list[tuple[str, float | None, float, int]] = []

    seconds, invalid = timed(lambda: run_jing(arguments.schema, files))
    rows.append(("jing (subprocess)", None, seconds, invalid))
    seconds, invalid = timed(lambda: run_xmllint(arguments.schema, files))
    rows.append(("xmllint --relaxng (subprocess)", None, seconds, invalid))

    compile_seconds, full = timed(lambda: etree.RelaxNG(etree.parse(str(arguments.schema))))
    seconds, verdicts = timed(lambda: [full.validate(d.tree) for d in documents])
    invalid = verdicts.count(False)
    total = parse_seconds + compile_seconds + seconds
    rows.append(("lxml, full schema", compile_seconds, total, invalid))

    with tempfile.TemporaryDirectory(prefix="teikit-bench-") as cache:
        os.environ["TEIKIT_CACHE_DIR"] = cache
        for label in ("teikit specialised, cold cache", "teikit specialised, warm cache"):
            prepare, seconds, invalid, from_cache = time_teikit(arguments.schema, documents)
            assert from_cache == label.endswith("warm cache")
            rows.append((label, prepare, parse_seconds + prepare + seconds, invalid))

    jing_seconds = rows[0][2]
    print("| engine | compile / prepare s | total s | vs Jing | invalid |")
    print("|---|---:|---:|---:|---:|")
    for label, prepared, total, found in rows:
        shown = f"{prepared:.2f}" if prepared is not None else "(inside)"
        print(f"| {label} | {shown} | {total:.2f} | {total / jing_seconds:.2f}x | {found} |")
    print(
        "\ntotal = wall time from files to verdicts; for lxml and teikit it includes parsing "
        f"({parse_seconds:.2f} s) and, for teikit, the vocabulary check."
    )

    if arguments.xsd:
        sample = documents[: arguments.xsd_sample]
        print(f"\n| XSD | engine | compile s | validate {len(sample)} s | invalid |")
        print("|---|---|---:|---:|---:|")
        for xsd in arguments.xsd:
            for engine in ENGINES:
                print(time_xsd(xsd, engine, sample))
    return 0


def _try_load(path: Path) -> teikit.TeiDocument | None:
    """Return the loaded document, or None when it is not well-formed."""
    try:
        return teikit.load(path)
    except teikit.InputError:
        return None


if __name__ == "__main__":
    sys.exit(main())

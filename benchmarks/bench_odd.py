"""Benchmark `teikit odd compile` against the TEI Stylesheets (odd2odd, odd2relax, isosch).

Run from the repository root (needs ``../shared``)::

    python benchmarks/bench_odd.py [--rounds 5] [--stylesheets DIR] [--markdown FILE] [ODD ...]

ODD names a customisation in ``../shared/schemas/tei-odd/source/Exemplars`` (default:
``tei_all tei_lite``). Each round compiles each ODD:

* teikit in this process, warm (the bundled TEI source already decompressed and parsed,
  as in a long-running process or the second ODD of a run);
* teikit in a fresh process (``teikit odd compile``: interpreter start, imports, the bundled
  source decompressed and parsed, the three files written): what a user waits for;
* the reference pipeline, the one ``../shared/schemas/tei-odd/README.md`` describes: TEI
  Stylesheets ``odds/odd2odd.xsl`` (``defaultSource`` = the shared ``p5subset.xml``, ``lang=en``),
  then ``odds/odd2relax.xsl`` and ``odds/extract-isosch.xsl`` on its output, under SaxonC-HE in
  this process, each stylesheet compiled once before the rounds (its compile time is reported
  apart), as the reference build did.

The reference side needs two things teikit does not depend on: ``pip install saxonche``
(SaxonC-HE; a benchmark-only dependency, never one of teikit's) and a checkout of the TEI
Stylesheets (``git clone https://github.com/TEIC/Stylesheets``; the reference data was made with
commit ``b5cdfd28``, 7.58.0a), given with ``--stylesheets DIR`` or ``$TEI_STYLESHEETS``. Without
either, the reference side is skipped with a message saying which is missing, teikit is measured
alone, and the table shows the reference timings recorded when the reference data was built
(``reference/timings.json``: wall seconds of one warm SaxonC run, another day and load), marked
as such.

Times are CPU seconds (user + system of this process, or of the child for a fresh process) and
wall seconds, the median over the rounds; the ratio is reference / teikit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from teikit.odd import compile_odd

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
TEI_ODD = SHARED / "schemas" / "tei-odd"
EXEMPLARS = TEI_ODD / "source" / "Exemplars"
P5SUBSET = TEI_ODD / "source" / "p5subset.xml"
CATALOG = TEI_ODD / "catalog.xml"
TIMINGS = TEI_ODD / "reference" / "timings.json"
STEPS = ("odd2odd", "odd2relax", "isosch")
INSTALL = "pip install saxonche"


@dataclass
class Runs:
    """CPU and wall seconds of each round of one measured thing."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def median(self) -> tuple[float, float]:
        """Return the median CPU and wall seconds."""
        return statistics.median(self.cpu), statistics.median(self.wall)


def _cpu() -> float:
    """Return the CPU seconds (user + system) of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(run: Callable[[], object], runs: Runs) -> None:
    """Run *run* once and add its CPU and wall seconds to *runs*."""
    cpu, wall = _cpu(), time.perf_counter()
    run()
    runs.wall.append(time.perf_counter() - wall)
    runs.cpu.append(_cpu() - cpu)


def teikit_fresh(odd: Path, out: Path, runs: Runs) -> None:
    """Run ``teikit odd compile`` in a child process; add its CPU (child) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "teikit", "odd", "compile", str(odd), "-o", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runs.wall.append(time.perf_counter() - wall)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


class Reference:
    """The TEI Stylesheets' ODD pipeline under SaxonC, each stylesheet compiled once."""

    def __init__(self, stylesheets: Path) -> None:
        from saxonche import PySaxonProcessor  # benchmark-only: pip install saxonche

        self.processor = PySaxonProcessor(license=False)
        self.version = str(self.processor.version)
        if CATALOG.exists():
            self.processor.set_catalog_files([str(CATALOG)])
        self.compile_seconds: dict[str, float] = {}
        self.executables = {}
        for step, name in zip(
            STEPS, ("odd2odd.xsl", "odd2relax.xsl", "extract-isosch.xsl"), strict=True
        ):
            started = time.perf_counter()
            xslt = self.processor.new_xslt30_processor()
            self.executables[step] = xslt.compile_stylesheet(
                stylesheet_file=str(stylesheets / "odds" / name)
            )
            self.compile_seconds[step] = time.perf_counter() - started
        self.executables["odd2odd"].set_parameter(
            "defaultSource", self.processor.make_string_value(str(P5SUBSET))
        )
        for step in ("odd2odd", "odd2relax"):
            self.executables[step].set_parameter("lang", self.processor.make_string_value("en"))

    def run(self, odd: Path, out: Path) -> None:
        """Compile *odd* into ``out/NAME.compiled.odd``, ``NAME.rng`` and ``NAME.isosch``."""
        compiled = out / f"{odd.stem}.compiled.odd"
        self.executables["odd2odd"].transform_to_file(
            source_file=str(odd), output_file=str(compiled)
        )
        self.executables["odd2relax"].transform_to_file(
            source_file=str(compiled), output_file=str(out / f"{odd.stem}.rng")
        )
        self.executables["isosch"].transform_to_file(
            source_file=str(compiled), output_file=str(out / f"{odd.stem}.isosch")
        )
        if not (out / f"{odd.stem}.rng").exists():
            raise RuntimeError(f"the reference pipeline wrote no RELAX NG for {odd.name}")


def reference_or_reason(stylesheets: Path | None) -> tuple[Reference | None, str]:
    """Return the reference pipeline, or None and why it is skipped."""
    try:
        import saxonche  # noqa: F401
    except ImportError:
        return None, f"saxonche is not installed ({INSTALL}; for this benchmark only)"
    if stylesheets is None:
        return None, (
            "no TEI Stylesheets given (--stylesheets DIR or $TEI_STYLESHEETS: a checkout of "
            "https://github.com/TEIC/Stylesheets, commit b5cdfd28 for the shared reference data)"
        )
    if not (stylesheets / "odds" / "odd2odd.xsl").exists():
        return None, f"{stylesheets} has no odds/odd2odd.xsl (not a TEI Stylesheets checkout)"
    return Reference(stylesheets), ""


def recorded(name: str) -> float | None:
    """Return the wall seconds the reference build recorded for *name* (all three steps)."""
    if not TIMINGS.exists():
        return None
    jobs = dict(json.loads(TIMINGS.read_text(encoding="utf-8"))["jobs"])
    steps = jobs.get(name, {}).get("steps", {})
    if not all(steps.get(step, {}).get("ok") for step in STEPS):
        return None
    return float(sum(steps[step]["seconds"] for step in STEPS))


def main() -> int:
    """Run the benchmark and print a Markdown table (also written to --markdown)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("odds", nargs="*", default=["tei_all", "tei_lite"], metavar="ODD")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stylesheets", type=Path, default=os.environ.get("TEI_STYLESHEETS"))
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if not P5SUBSET.exists():
        print(f"needs {TEI_ODD} (the shared reference data)", file=sys.stderr)
        return 2
    odds = [EXEMPLARS / f"{name}.odd" for name in args.odds]
    for odd in odds:
        if not odd.exists():
            print(f"no such ODD: {odd}", file=sys.stderr)
            return 2

    reference, skipped = reference_or_reason(args.stylesheets)
    if reference is None:
        print(f"reference pipeline skipped: {skipped}", file=sys.stderr)
    compile_odd(odds[0])  # the bundled TEI source is read once per process: not in "warm"
    warm = {odd.stem: Runs() for odd in odds}
    fresh = {odd.stem: Runs() for odd in odds}
    ref = {odd.stem: Runs() for odd in odds}
    with tempfile.TemporaryDirectory(prefix="bench-odd-") as tmp:
        out = Path(tmp)
        for _ in range(args.rounds):
            for odd in odds:
                measure(lambda odd=odd: compile_odd(odd), warm[odd.stem])  # type: ignore[misc]
                teikit_fresh(odd, out / "teikit", fresh[odd.stem])
                if reference is not None:
                    measure(
                        lambda odd=odd: reference.run(odd, out),  # type: ignore[misc]
                        ref[odd.stem],
                    )

    lines = [
        f"ODD compilation, median of {args.rounds} rounds; CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores; teikit bundles TEI's p5subset 4.9.0a, the reference reads "
        "the shared p5subset.xml (the same 4.9.0a build).",
        "",
        "| ODD | run | CPU s | wall s | reference / this (CPU) | reference / this (wall) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for odd in odds:
        name = odd.stem
        if reference is not None:
            ref_cpu, ref_wall = ref[name].median()
            label = f"reference: TEI Stylesheets under {reference.version}"
            lines.append(f"| {name} | {label} | {ref_cpu:.2f} | {ref_wall:.2f} | 1.0 | 1.0 |")
        else:
            # only a wall time was recorded, on an idle machine, where SaxonC's wall time is
            # about its CPU time: the ratio compares it with teikit's CPU, never its wall time
            ref_cpu, ref_wall = recorded(name) or float("nan"), float("nan")
            lines.append(
                f"| {name} | reference as recorded in reference/timings.json (wall, used as CPU) "
                f"| ({ref_cpu:.2f}) | {ref_cpu:.2f} | 1.0 | - |"
            )
        for label, runs in (
            ("teikit, in process (warm)", warm[name]),
            ("teikit odd compile, fresh process", fresh[name]),
        ):
            cpu, wall = runs.median()
            cpu_ratio = "-" if ref_cpu != ref_cpu else f"{ref_cpu / cpu:.1f}"
            wall_ratio = "-" if ref_wall != ref_wall else f"{ref_wall / wall:.1f}"
            lines.append(
                f"| {name} | {label} | {cpu:.2f} | {wall:.2f} | {cpu_ratio} | {wall_ratio} |"
            )
    lines.append("")
    if reference is not None:
        compiled = ", ".join(f"{k} {v:.1f} s" for k, v in reference.compile_seconds.items())
        lines.append(f"Compiling the stylesheets once (not in the table): {compiled} (wall).")
    else:
        lines.append(
            f"Reference pipeline not run: {skipped}. The reference figures are the wall times "
            "recorded when ../shared/schemas/tei-odd was built (one warm SaxonC process, "
            "odd2odd + odd2relax + extract-isosch); the ratio compares them with teikit's CPU "
            "time, not measured side by side."
        )
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

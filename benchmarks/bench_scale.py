"""Scale benchmark (issue 18): CPU per file and peak memory of every command as a corpus grows.

Run from the repository root (needs ``../shared``)::

    python benchmarks/bench_scale.py [--sizes 1331,5000,20000,100000] [--jobs 2]
        [--commands validate,entities,lint,register,export] [--work DIR] [--out FILE]

For each size N it writes N letters made from the Tillich letters (copy k of ``L00002.xml`` is
``L00002c{k}.xml``, with its ``xml:id`` and every ``#Lnnnnn`` pointer to another letter renamed
the same way, so the letters of one copy point at each other and ids stay unique across the
corpus; the registers are shared through ``--index``). Then it runs each command as a child
process, as a user would, with an empty cache folder (``TEIKIT_CACHE_DIR``), and records:

* CPU seconds (user + system) of the command and all its workers (``RUSAGE_CHILDREN`` deltas),
  and CPU per file: the figure that must stay flat (issue 18: at 100,000 within 1.2x of 1,331);
* wall seconds (noisy on a shared machine: read the CPU columns);
* peak memory summed over the process tree (RSS of the command and its workers, sampled every
  20 ms from ``/proc``), the figure that must stay under 500 MB.

It writes a Markdown table to ``--out`` (default ``benchmarks/results/scale.md``) and stdout.
The generated corpora are kept in ``--work`` (default a folder under ``/tmp``) between runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
TILLICH = SHARED / "corpora" / "tillich-briefe"
INDEXES = [TILLICH / "indices" / "listperson.xml", TILLICH / "indices" / "listplace.xml"]

_LETTER_ID = re.compile(rb'(xml:id="|"#|\s#)(L\d{5})(?=["\s])')


def _commands(corpus: Path, out: Path, jobs: int) -> dict[str, list[str]]:
    """Return the command line of each benchmarked command over *corpus*."""
    index: list[str] = []
    for path in INDEXES:
        index += ["--index", str(path)]
    return {
        "validate": ["validate", "-j", str(jobs), "--format", "json", str(corpus)],
        "entities": ["entities", "-j", str(jobs), *index, "-o", str(out / "e.csv"), str(corpus)],
        "lint": ["lint", "-j", str(jobs), *index, "--format", "json", str(corpus)],
        "register": ["register", "build", str(corpus), "-o", str(out / "register.xml")],
        "export": ["export", "--to", "html", *index, "-o", str(out / "site"), str(corpus)],
    }


def make_corpus(size: int, work: Path) -> Path:
    """Write *size* well-formed letters from the Tillich letters into *work*; return the folder."""
    folder = work / f"letters-{size}"
    if folder.is_dir() and sum(1 for _ in folder.iterdir()) == size:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from lxml import etree

    sources: list[tuple[str, bytes]] = []
    for path in sorted((TILLICH / "editions").glob("L*.xml")):
        data = path.read_bytes()
        try:
            etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue  # Jing-comparable runs: the 5 malformed letters are left out
        sources.append((path.stem, data))
    written = 0
    copy = 0
    while written < size:
        for stem, data in sources:
            if written == size:
                break
            if copy:
                data = _LETTER_ID.sub(rb"\g<1>\g<2>" + f"c{copy}".encode(), data)
                name = f"{stem}c{copy}.xml"
            else:
                name = f"{stem}.xml"
            (folder / name).write_bytes(data)
            written += 1
        copy += 1
    return folder


@dataclass
class Run:
    """One command over one corpus size."""

    command: str
    size: int
    exit_code: int
    cpu: float
    wall: float
    peak_rss: int  # bytes, summed over the process tree

    @property
    def cpu_per_file_ms(self) -> float:
        """CPU milliseconds per file."""
        return 1000 * self.cpu / self.size


def _tree_rss(root: int) -> int:
    """Return the summed RSS in bytes of *root* and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid, size in rss.items():
        walk = pid
        while walk > 1:
            if walk == root:
                total += size
                break
            walk = parents.get(walk, 0)
    return total


def measure(command: str, args: Sequence[str], size: int, env: dict[str, str]) -> Run:
    """Run ``teikit ARGS`` as a child; return its CPU, wall time and peak tree memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "teikit", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(command, size, code, cpu, wall, peak)


def table(runs: Sequence[Run]) -> str:
    """Return the Markdown table of *runs*; CPU per file is compared with the smallest size."""
    lines = [
        "| command | files | exit | CPU s | CPU ms/file | vs smallest | wall s "
        "| peak MB (all processes) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    first: dict[str, float] = {}
    for run in runs:
        base = first.setdefault(run.command, run.cpu_per_file_ms)
        lines.append(
            f"| {run.command} | {run.size:,} | {run.exit_code} | {run.cpu:.1f} | "
            f"{run.cpu_per_file_ms:.2f} | {run.cpu_per_file_ms / base:.2f}x | {run.wall:.1f} | "
            f"{run.peak_rss / 2**20:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the corpora, run the commands, write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1331,5000,20000,100000")
    parser.add_argument("--commands", default="validate,entities,lint,register,export")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "teikit-scale")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "scale.md")
    args = parser.parse_args(argv)
    if not TILLICH.is_dir():
        print(f"bench_scale: {TILLICH} not found (needs ../shared)", file=sys.stderr)
        return 3
    sizes = [int(size) for size in args.sizes.split(",")]
    commands = args.commands.split(",")
    runs: list[Run] = []
    for size in sizes:
        corpus = make_corpus(size, args.work)
        for command in commands:
            out = args.work / f"out-{size}-{command}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            env = dict(os.environ, TEIKIT_CACHE_DIR=str(out / "cache"))
            line = _commands(corpus, out, args.jobs)[command]
            run = measure(command, line, size, env)
            runs.append(run)
            print(
                f"{command} {size}: exit {run.exit_code}, CPU {run.cpu:.1f} s "
                f"({run.cpu_per_file_ms:.2f} ms/file), wall {run.wall:.1f} s, "
                f"peak {run.peak_rss / 2**20:.0f} MB",
                file=sys.stderr,
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)
    ordered = sorted(runs, key=lambda run: (commands.index(run.command), run.size))
    text = table(ordered)
    header = (
        f"# Scale benchmark\n\n`python benchmarks/bench_scale.py --sizes {args.sizes} "
        f"--jobs {args.jobs}`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores.\n\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

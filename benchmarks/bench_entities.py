"""Benchmark ``teikit entities`` against a plain lxml script doing the same extraction (issue 4).

Run from the repository root (needs ``../shared``)::

    python benchmarks/bench_entities.py [--repeat 3] [--jobs 2]

It times, in the same process and run, (a) the library behind ``teikit entities`` writing
the mentions CSV of the Tillich letters with the person and place registers, and (b) a
plain lxml script that writes the same rows (element, type, pointer, resolved id,
canonical name, text, line, path, header/text, dates, a context snippet) without
teikit's hardening, diagnostics or plug-ins; then the command line as a subprocess
(imports included). It reports the best of ``--repeat`` runs and the ratio (target
<= 2x), and the peak memory of one run on the largest ELTeC novel (``tracemalloc`` for
Python allocations, ``ru_maxrss`` of a fresh subprocess for the whole process, libxml2's
tree included).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from teikit.entities import entity_table
from teikit.exporters import get_exporter

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
TILLICH = SHARED / "corpora" / "tillich-briefe"
ELTEC = SHARED / "corpora" / "eltec-eng" / "level2"

TEI = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
NS = {"tei": TEI}


def _letters() -> list[Path]:
    return sorted((TILLICH / "editions").glob("*.xml"))


def _indexes() -> list[Path]:
    return [TILLICH / "indices" / "listperson.xml", TILLICH / "indices" / "listplace.xml"]


def run_teikit(stream: io.StringIO, jobs: int = 1) -> int:
    """Write the mentions CSV with teikit's library; return the number of findings."""
    table, extraction = entity_table(_letters(), indexes=_indexes(), jobs=jobs)
    get_exporter("csv").write(table, stream)
    return len(extraction.report)


def run_plain_lxml(stream: io.StringIO) -> int:
    """Write comparable rows with a straightforward lxml script; return the row count."""
    names: dict[str, str] = {}
    for path in _indexes():
        for entry in etree.parse(str(path)).iter(f"{{{TEI}}}person", f"{{{TEI}}}place"):
            name = entry.find(f"{{{TEI}}}persName")
            if name is None:
                name = entry.find(f"{{{TEI}}}placeName")
            text = " ".join("".join(name.itertext()).split()) if name is not None else ""
            names[entry.get(XML_ID, "")] = text
    find = etree.XPath(
        "//tei:persName|//tei:placeName|//tei:orgName|//tei:name[@type]|//tei:rs[@type]|//tei:date",
        namespaces=NS,
    )
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(
        ["document", "type", "element", "pointer", "entity_id", "canonical_name", "text",
         "line", "xpath", "location", "context", "when", "start", "end"]
    )  # fmt: skip
    rows = 0
    for path in _letters():
        try:
            tree = etree.parse(str(path), parser)
        except etree.XMLSyntaxError:
            continue
        ids = {e.get(XML_ID) for e in tree.iter() if e.get(XML_ID)}
        for element in find(tree):
            local = etree.QName(element).localname
            ref = element.get("ref")
            key = ref[1:] if ref and ref.startswith("#") else None
            ident = key if key is not None and (key in ids or key in names) else None
            text = " ".join("".join(element.itertext()).split())
            parent = element.getparent()
            context = (
                " ".join("".join(parent.itertext()).split())[:160] if parent is not None else ""
            )
            header = next(element.iterancestors(f"{{{TEI}}}teiHeader"), None) is not None
            writer.writerow(
                [str(path), element.get("type") or local, local, ref, ident, names.get(ident or ""),
                 text, element.sourceline, tree.getpath(element), "header" if header else "text",
                 context, element.get("when"), element.get("from") or element.get("notBefore"),
                 element.get("to") or element.get("notAfter")]
            )  # fmt: skip
            rows += 1
    return rows


def best_of(repeat: int, function: Callable[[io.StringIO], object]) -> tuple[float, str]:
    """Return the best wall time of *repeat* runs and the output of the last."""
    best = float("inf")
    output = ""
    for _ in range(repeat):
        stream = io.StringIO()
        start = time.perf_counter()
        function(stream)
        best = min(best, time.perf_counter() - start)
        output = stream.getvalue()
    return best, output


def cli_seconds(repeat: int, jobs: int) -> float:
    """Return the best wall time of the ``teikit entities`` command, as a user runs it."""
    script = (
        "import sys\n"
        "from teikit.cli import cli\n"
        "from teikit.cli.entities import entities\n"
        "cli.commands.setdefault('entities', entities)\n"
        "cli(sys.argv[1:], prog_name='teikit')\n"
    )
    args = [str(TILLICH / "editions"), "-f", "csv", "-j", str(jobs)]
    for index in _indexes():
        args += ["--index", str(index)]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", script, "entities", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(path: Path) -> tuple[int, int, int]:
    """Return (rows, tracemalloc peak bytes, growth of the process's peak RSS in KiB)."""
    tracemalloc.start()
    table, _ = entity_table([path])
    rows = sum(1 for _ in table.rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # A fresh process, so that the peak is that of the run alone. VmHWM, not ru_maxrss:
    # Linux carries ru_maxrss over exec from the parent process.
    measure = (
        "def hwm():\n"
        "    try:\n"
        "        for line in open('/proc/self/status'):\n"
        "            if line.startswith('VmHWM:'):\n"
        "                return int(line.split()[1])\n"
        "    except OSError:\n"
        "        pass\n"
        "    import resource\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    )
    script = (
        measure + "import sys\n"
        "from teikit.entities import entity_table\n"
        "before = hwm()\n"
        "table, _ = entity_table([sys.argv[1]])\n"
        "sum(1 for _ in table.rows)\n"
        "print(hwm() - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    return rows, peak, int(done.stdout)


def main() -> int:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    if not TILLICH.is_dir():
        print(f"skipped: {TILLICH} is missing", file=sys.stderr)
        return 0
    letters = _letters()
    plain, plain_csv = best_of(options.repeat, run_plain_lxml)
    ours, ours_csv = best_of(options.repeat, run_teikit)
    parallel, _ = best_of(options.repeat, lambda s: run_teikit(s, options.jobs))
    rows = ours_csv.count("\r\n") - 1
    print(f"Tillich letters: {len(letters)} files, {rows} mention rows "
          f"(plain script: {plain_csv.count(chr(13) + chr(10)) - 1})")  # fmt: skip
    print(f"  plain lxml script           {plain:6.2f} s")
    print(f"  teikit library, 1 process   {ours:6.2f} s   ratio {ours / plain:.2f}x (target <= 2x)")
    print(f"  teikit library, {options.jobs} processes {parallel:6.2f} s   {parallel / plain:.2f}x")
    cli = cli_seconds(options.repeat, 1)
    print(f"  teikit CLI (subprocess)     {cli:6.2f} s   {cli / plain:.2f}x (imports included)")
    largest = max(ELTEC.glob("*.xml"), key=lambda p: p.stat().st_size, default=None)
    if largest is not None:
        size = largest.stat().st_size
        count, peak, rss = peak_memory(largest)
        print(f"Largest ELTeC file: {largest.name} ({size / 1e6:.1f} MB), {count} rows")
        print(f"  tracemalloc peak (Python)   {peak / 1e6:6.1f} MB")
        print(f"  peak RSS growth (process)   {rss / 1e3:6.1f} MB   (libxml2 tree included)")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"This process: max RSS {usage.ru_maxrss / 1e3:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

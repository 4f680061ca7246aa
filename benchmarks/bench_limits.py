"""Measure teikit on huge and hostile inputs generated on the fly (issue 6, item 7).

Run from the repository root::

    python benchmarks/bench_limits.py [--size-mb 200] [--keep]

It writes, into a temporary folder (streamed: the generator never holds the file), a TEI
document of about ``--size-mb`` megabytes (a header and many short paragraphs with names
and dates), a document nested 100,000 elements deep and one with an 11 MB text node; then
runs ``teikit validate --no-schematron`` (and, with ``--entities``, ``teikit entities``) on each
in a fresh subprocess, and prints wall time, peak resident memory (``ru_maxrss`` of that
subprocess alone) and the exit code. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>A generated document for bench_limits.py</title></titleStmt>
      <publicationStmt><p>Generated.</p></publicationStmt>
      <sourceDesc><p>Generated.</p></sourceDesc>
    </fileDesc>
  </teiHeader>
  <standOff><listPerson><person xml:id="berger"><persName>Anna Berger</persName></person>
  </listPerson></standOff>
  <text>
    <body>
"""
TAIL = b"    </body>\n  </text>\n</TEI>\n"
# Run the command as a child of a small wrapper, so that RUSAGE_CHILDREN is that command's.
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.DEVNULL).returncode\n"
    "wall = time.perf_counter() - start\n"
    "print(code, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def write_big(path: Path, size: int) -> int:
    """Write a TEI document of about *size* bytes; return its paragraph count."""
    count = 0
    with path.open("wb") as stream:
        stream.write(HEAD)
        written = len(HEAD)
        while written < size:
            chunk = b"".join(
                b'      <p n="%d">On <date when="1951-07-03">3 July 1951</date> '
                b'<persName ref="#berger">Anna Berger</persName> wrote again about the '
                b"shipment, the weather and the long delay.</p>\n" % (count + i)
                for i in range(1000)
            )
            stream.write(chunk)
            written += len(chunk)
            count += 1000
        stream.write(TAIL)
    return count


def write_deep(path: Path, depth: int = 100_000) -> None:
    """Write a document nested *depth* elements deep."""
    path.write_bytes(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0">' + b"<p>" * depth + b"</p>" * depth + b"</TEI>"
    )


def write_long_text(path: Path, length: int = 11_000_000) -> None:
    """Write a document with one text node of *length* characters."""
    path.write_bytes(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><p>' + b"x" * length + b"</p></TEI>"
    )


def measure(*args: str, cwd: Path) -> tuple[int, float, float]:
    """Run ``teikit ARGS``; return (exit code, wall seconds, peak RSS in MB)."""
    env = {**os.environ, "TEIKIT_CACHE_DIR": str(cwd / "cache")}
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "teikit", *args]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=cwd, env=env
    ).stdout.split()
    code, wall, rss_kb = int(output[0]), float(output[1]), int(output[2])
    return code, wall, rss_kb / 1024


def main() -> None:
    """Generate the inputs, run the commands and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the big file")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--entities",
        action="store_true",
        help="also run `teikit entities` on the big file (slow: see the note in the issue)",
    )
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="teikit-bench-limits-"))
    try:
        big = folder / "big.xml"
        started = time.perf_counter()
        paragraphs = write_big(big, options.size_mb * 1_000_000)
        generated = time.perf_counter() - started
        print(
            f"generated {big.stat().st_size / 1e6:.0f} MB ({paragraphs:,} paragraphs) "
            f"in {generated:.1f} s"
        )
        write_deep(folder / "deep.xml")
        write_long_text(folder / "long-text.xml")
        validate = ["validate", "--no-schematron", "--no-cache"]
        runs = [
            (f"validate, {options.size_mb} MB", validate, big),
            ("validate, 100,000 deep", validate, folder / "deep.xml"),
            ("validate, 11 MB text node", validate, folder / "long-text.xml"),
        ]
        if options.entities:
            runs.insert(1, (f"entities, {options.size_mb} MB", ["entities", "-o", "out.csv"], big))
        print(f"\n| {'input':<28} | exit | {'wall (s)':>8} | {'peak RSS (MB)':>13} |")
        print(f"|{'-' * 30}|------|{'-' * 10}|{'-' * 15}|")
        for label, args, path in runs:
            code, wall, rss = measure(*args, str(path), cwd=folder)
            print(f"| {label:<28} | {code:>4} | {wall:>8.1f} | {rss:>13.0f} |")
        baseline = measure("--version", cwd=folder)
        label = "teikit --version (baseline)"
        print(f"| {label:<28} | {baseline[0]:>4} | {baseline[1]:>8.1f} | {baseline[2]:>13.0f} |")
    finally:
        if options.keep:
            print(f"\nkept {folder}")
        else:
            for path in sorted(folder.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            folder.rmdir()


if __name__ == "__main__":
    main()

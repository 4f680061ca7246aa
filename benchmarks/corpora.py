"""Run every teikit command over every corpus in ../shared/corpora and tabulate what it says.

Usage::

    python benchmarks/corpora.py [--sample N] [--corpus NAME ...] [--out FILE]

For each corpus (see ``CORPORA``): ``validate`` (against the schema the files declare, mapped
to the copy the corpus ships, else TEI All), ``entities`` (with the corpus's registers),
``lint``, ``register build`` and ``export --to html`` into a folder, each as a separate
``python -m teikit`` process, as a user would run them. It writes a Markdown table (files,
well-formed, valid, mentions by kind and the share resolved, findings by code, time) to stdout
and to ``benchmarks/results/corpora.md``. ``--sample N`` takes every k-th file so that at most
N files of each corpus are read (the CI tier, ``tests/test_corpora_gauntlet.py``, uses this
module with small samples).

The well-formed count and the mention counts are computed independently of teikit (a plain
lxml parse and XPath counts), so that the table can be checked against them.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", HERE.parent.parent / "shared"))
TEI_NS = "http://www.tei-c.org/ns/1.0"
#: Exit codes a corpus run may end with: 0 clean, 1 findings. 2 and 3 are failures here.
FINE = (0, 1)


@dataclass(frozen=True)
class Corpus:
    """One corpus of ../shared/corpora and how its project would run teikit over it."""

    name: str
    paths: tuple[str, ...]
    include: tuple[str, ...] = ("*.xml",)
    indexes: tuple[str, ...] = ()
    #: file name a document's schema URL ends in -> the copy the corpus ships
    schema_copies: dict[str, str] = field(default_factory=dict)
    #: validate against TEI All: the schema the files declare is not in the corpus
    tei_all: bool = False
    #: the largest files: sample fewer of them
    big: bool = False


CORPORA: tuple[Corpus, ...] = (
    Corpus(
        "tillich-briefe",
        ("editions",),
        indexes=("indices/listperson.xml", "indices/listplace.xml"),
    ),
    Corpus("eltec-eng", ("level1", "level2"), tei_all=True, big=True),
    Corpus("eltec-slv", ("ELTeC-slv",), big=True),
    Corpus("tei-p5-test", (".",)),
    Corpus("gerdracor", ("tei",), schema_copies={"schema.rng": "schema/dracor_1.6.0.rng"}),
    Corpus("freedict", (".",), include=("*.tei",), big=True),
    Corpus("iip", ("epidoc-files", "archival-files")),
    Corpus("pta", ("data",), schema_copies={"tei-pta.rng": "schema/tei-pta.rng"}),
    Corpus(
        "bodleian-medieval-mss",
        ("collections",),
        indexes=("places.xml",),
        schema_copies={"msdesc.rng": "schema/msdesc.rng"},
    ),
)


def corpus_files(corpus: Corpus, sample: int | None = None) -> list[Path]:
    """Return the corpus's input files (sorted), every k-th one when *sample* is given."""
    import fnmatch

    root = SHARED / "corpora" / corpus.name
    found: list[Path] = []
    for part in corpus.paths:
        for folder, _, names in os.walk(root / part):
            for name in names:
                if any(fnmatch.fnmatch(name, pattern) for pattern in corpus.include):
                    found.append(Path(folder) / name)
    found.sort()
    if sample is not None:
        limit = max(1, sample // 4) if corpus.big else sample
        step = max(1, -(-len(found) // limit))
        found = found[::step][:limit]
    return found


@dataclass
class Run:
    """One command's run: its arguments, exit code, outputs and time."""

    command: str
    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float
    #: processor time of the command and its worker processes (steadier on a shared machine)
    cpu: float = 0.0

    def json(self) -> Any:
        """Return stdout parsed as JSON."""
        return json.loads(self.stdout)


def teikit(args: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run ``python -m teikit ARGS`` and return what it did."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "teikit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(
        args[0] if args[0] != "register" else "register build",
        list(args),
        done.returncode,
        done.stdout,
        done.stderr,
        seconds,
        cpu,
    )


def well_formed(files: Sequence[Path]) -> int:
    """Return how many *files* a plain lxml parse accepts (independent of teikit)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    count = 0
    for path in files:
        try:
            etree.parse(str(path), parser)
        except etree.XMLSyntaxError:
            continue
        count += 1
    return count


def xpath_counts(files: Sequence[Path]) -> dict[str, int]:
    """Return the number of persName, placeName, orgName and date elements outside register
    entries, counted with XPath over the TEI documents (independent of teikit)."""
    from lxml import etree

    entry = "ancestor::tei:person or ancestor::tei:personGrp or ancestor::tei:persona"
    entry += " or ancestor::tei:place or ancestor::tei:org"
    counts: collections.Counter[str] = collections.Counter()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in files:
        try:
            root = etree.parse(str(path), parser).getroot()
        except etree.XMLSyntaxError:
            continue
        if root.tag not in (f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus"):
            continue
        for element in ("persName", "placeName", "orgName", "date"):
            found = root.xpath(f"count(//tei:{element}[not({entry})])", namespaces={"tei": TEI_NS})
            counts[element] += int(found)
    return dict(counts)


@dataclass
class Result:
    """What every command said about one corpus."""

    corpus: Corpus
    files: list[Path]
    runs: dict[str, Run]
    output: Path

    def validate_summary(self) -> dict[str, Any]:
        """Return the ``summary`` of validate's JSON report."""
        summary: dict[str, Any] = self.runs["validate"].json()["summary"]
        return summary

    def findings(self, command: str) -> collections.Counter[str]:
        """Return the finding codes of *command*'s JSON report, counted."""
        data = self.runs[command].json()
        return collections.Counter(
            d["code"] for entry in data["files"] for d in entry["diagnostics"]
        )

    def mentions(self) -> tuple[collections.Counter[str], collections.Counter[str]]:
        """Return the entity rows by type, and the status of the person, place and org rows
        that have a pointer (``resolved``, ``external``, ``unresolved``, ``wrong-kind``)."""
        rows = self.runs["entities"].json()
        kinds = collections.Counter(str(row["type"]) for row in rows)
        statuses = collections.Counter(
            str(row.get("status"))
            for row in rows
            if row["type"] in ("person", "place", "org") and row.get("status") != "no-ref"
        )
        return kinds, statuses


def environment(work: Path, corpus: Corpus) -> dict[str, str]:
    """Return the environment for a corpus run: its own cache and schema search path."""
    env = dict(os.environ)
    env["TEIKIT_CACHE_DIR"] = str(work / "cache")
    schemas = work / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    root = SHARED / "corpora" / corpus.name
    for name, copy in corpus.schema_copies.items():
        # `teikit schema add NAME FILE` would do the same in the user's store
        shutil.copyfile(root / copy, schemas / name)
    env["TEIKIT_SCHEMA_PATH"] = str(schemas)
    env.pop("COLUMNS", None)
    return env


def run_corpus(corpus: Corpus, work: Path, sample: int | None = None) -> Result:
    """Run every command over *corpus* (or a sample of it) in the folder *work*."""
    files = corpus_files(corpus, sample)
    root = SHARED / "corpora" / corpus.name
    env = environment(work, corpus)
    paths = [str(path) for path in files]  # named one by one: the sample, and *.tei files
    indexes = [arg for index in corpus.indexes for arg in ("--index", str(root / index))]
    schema = ["--schema", str(SHARED / "schemas/tei-p5/tei_all.rng")] if corpus.tei_all else []
    site = work / "site"
    runs = {
        "validate": teikit(["validate", "--format", "json", *schema, *indexes, *paths], env, work),
        "entities": teikit(["entities", "-f", "json", *indexes, *paths], env, work),
        "lint": teikit(["lint", "--format", "json", "-j", "1", *indexes, *paths], env, work),
        "register build": teikit(
            ["register", "build", *indexes, *paths, "-o", str(work / "register.json")], env, work
        ),
        "export": teikit(["export", "--to", "html", *indexes, *paths, "-o", f"{site}/"], env, work),
    }
    return Result(corpus, files, runs, work)


def _top(counter: collections.Counter[str], n: int = 4) -> str:
    return ", ".join(f"{code} {count:,}" for code, count in counter.most_common(n)) or "none"


def table(results: Sequence[Result]) -> str:
    """Return the Markdown table of *results*."""
    lines = [
        "| corpus | files | well-formed | valid | mentions (person / place / org / date) "
        "| pointers of names: resolved / external / unresolved | top validate findings "
        "| top lint findings | CPU seconds (validate / entities / lint / register / export) |",
        "|---|---:|---:|---:|---|---:|---|---|---|",
    ]
    for result in results:
        summary = result.validate_summary()
        kinds, statuses = result.mentions()
        pointed = sum(statuses.values())
        share = (
            " / ".join(
                f"{statuses[status]:,} ({statuses[status] / pointed:.0%})"
                for status in ("resolved", "external", "unresolved")
            )
            if pointed
            else "none"
        )
        seconds = " / ".join(f"{run.cpu:.1f}" for run in result.runs.values())
        lines.append(
            f"| {result.corpus.name} | {len(result.files):,} | {well_formed(result.files):,} "
            f"| {summary['valid']:,} | {kinds['person']:,} / {kinds['place']:,} / "
            f"{kinds['org']:,} / {kinds['date']:,} | {share} | {_top(result.findings('validate'))} "
            f"| {_top(result.findings('lint'))} | {seconds} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the corpora and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="at most N files of each corpus")
    parser.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "corpora.md")
    options = parser.parse_args(argv)
    chosen = [c for c in CORPORA if not options.corpus or c.name in options.corpus]
    results = []
    with tempfile.TemporaryDirectory(prefix="teikit-corpora-") as temporary:
        for corpus in chosen:
            work = Path(temporary) / corpus.name
            work.mkdir()
            result = run_corpus(corpus, work, options.sample)
            for run in result.runs.values():
                if run.code not in FINE or "Traceback" in run.stderr:
                    print(f"{corpus.name}: {run.command} exit {run.code}\n{run.stderr[-2000:]}")
            results.append(result)
        text = table(results)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

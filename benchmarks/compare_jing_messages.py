"""Compare teikit's RELAX NG messages with Jing's, message by message (issue 12, item 5).

For every message Jing gives, teikit must report the same line and name the same subject:
the same element (``element "div" ...``), the same attribute (``attribute "foo" ...``,
``value of attribute "type" ...``) or text (``text not allowed ...``). The default inputs are
the Tillich letters against TEI All (they declare no schema; the letters Jing finds invalid
are the ones compared, the 5 that are not well-formed are left out) and
``examples/invalid-letter.xml`` against the schema it declares. Prints a markdown table of
every Jing message with teikit's message on that line, and the share matched.

    python benchmarks/compare_jing_messages.py [-o table.md] [--letters DIR] [--schema RNG]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from teikit.document import load
from teikit.errors import TeikitError
from teikit.validation.relaxng import load_relaxng

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
LETTERS = SHARED / "corpora" / "tillich-briefe" / "editions"
TEI_ALL = SHARED / "schemas" / "tei-p5" / "tei_all.rng"
EXAMPLE = REPO / "examples" / "invalid-letter.xml"
EXAMPLE_SCHEMA = REPO / "schemas" / "teikit-letter.rng"

_JING: re.Pattern[str] = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): error: (?P<m>.*)$"
)
_SUBJECTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'^(?:value of )?attribute "([^"]+)"'), "attribute"),
    (re.compile(r'^found attribute "([^"]+)"'), "attribute"),
    (re.compile(r'^element "([^"]+)"'), "element"),
    (re.compile(r'^character content of element "([^"]+)"'), "element"),
    (re.compile(r"^(text) not allowed"), "text"),
)


@dataclass(frozen=True)
class Row:
    """One Jing message and what teikit says on the same line."""

    file: str
    line: int
    jing: str
    teikit: str | None
    matched: bool


def subject(message: str) -> tuple[str, str] | None:
    """Return what a message blames: ``("element", "div")``, ``("text", "text")``...

    >>> subject('value of attribute "type" of element "div" is invalid')
    ('attribute', 'type')
    >>> subject("text not allowed here; expected element \\"p\\"")
    ('text', 'text')
    """
    for pattern, kind in _SUBJECTS:
        match = pattern.match(message)
        if match:
            return kind, match.group(1)
    return None


def jing_messages(schema: Path, files: list[Path]) -> dict[Path, list[tuple[int, str]]]:
    """Return Jing's error messages per file (line, message)."""
    done = subprocess.run(
        ["jing", str(schema), *map(str, files)], capture_output=True, text=True, check=False
    )
    found: dict[Path, list[tuple[int, str]]] = {}
    for raw in done.stdout.splitlines():
        match = _JING.match(raw)
        if match:
            found.setdefault(Path(match["file"]), []).append((int(match["line"]), match["m"]))
    return found


def compare(schema: Path, files: list[Path]) -> list[Row]:
    """Return one row per Jing message on *files* validated against *schema*."""
    expected = jing_messages(schema, files)
    rng = load_relaxng(schema)
    rows: list[Row] = []
    for path, messages in sorted(expected.items()):
        document = load(path)
        found = [
            d
            for d in rng.validator_for_documents([document]).validate(document)
            if d.code == "rng.invalid"
        ]
        for line, message in messages:
            on_line = [d for d in found if d.line == line]
            same = [d for d in on_line if subject(d.message) == subject(message)]
            shown = (same or on_line or [None])[0]
            rows.append(Row(path.name, line, message, shown.message if shown else None, bool(same)))
    return rows


def well_formed(folder: Path) -> list[Path]:
    """Return the files below *folder* that parse (Jing stops at the first that does not)."""
    files = []
    for path in sorted(folder.rglob("*.xml")):
        try:
            load(path)
        except TeikitError:
            continue
        files.append(path)
    return files


def _short(message: str | None, limit: int = 110) -> str:
    if message is None:
        return "(nothing on this line)"
    text = message.replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def table(rows: list[Row]) -> str:
    """Return *rows* as a markdown table with the share matched."""
    matched = sum(row.matched for row in rows)
    share = 100 * matched / len(rows) if rows else 100.0
    lines = [
        f"{matched} of {len(rows)} Jing messages matched ({share:.1f} %): same line, same "
        "element, attribute or text named.",
        "",
        "| file | line | Jing | teikit | match |",
        "|---|---:|---|---|---|",
    ]
    lines += [
        f"| {r.file} | {r.line} | {_short(r.jing)} | {_short(r.teikit)} | "
        f"{'yes' if r.matched else 'NO'} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run the comparison and print (or write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=Path, default=LETTERS)
    parser.add_argument("--schema", type=Path, default=TEI_ALL)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rows = compare(args.schema, well_formed(args.letters))
    rows += compare(EXAMPLE_SCHEMA, [EXAMPLE])
    text = table(rows)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

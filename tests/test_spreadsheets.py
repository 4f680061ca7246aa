"""Entity tables in a spreadsheet: XLSX with typed cells, CSV safe from formulas, short
document paths, and ``--type`` read the way users write it (issue 12, items 6 and 8)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from rich.console import Console

from teikit.cli import cli
from teikit.entities.types import UnknownTypeError, resolve_types
from teikit.exporters import Rows
from teikit.exporters.spreadsheet import EXCEL_CELL_LIMIT, guard_formula
from teikit.render.tables import print_rows, rows_table

HEAD = '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>'
TAIL = "</body></text></TEI>\n"
# Values a spreadsheet misreads: a formula, a year before the common era, a date before
# 1900 (a date serial days off), an id with a leading zero, a plain year.
TRICKY = {
    "=HYPERLINK(&quot;http://x&quot;)": '=HYPERLINK("http://x")',
    "+1": "+1",
    "@SUM(A1)": "@SUM(A1)",
}


def run(runner: CliRunner, *args: str) -> Result:
    """Invoke ``teikit entities ARGS``."""
    return runner.invoke(cli, ["entities", *args], catch_exceptions=False)


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + body + TAIL, encoding="utf-8")
    return path


@pytest.fixture
def tricky(tmp_path: Path) -> Path:
    """A document whose mentions hold every value a spreadsheet would misread."""
    names = "".join(f"<p><persName>{escaped}</persName></p>" for escaped in TRICKY)
    dates = (
        '<p><date when="-0356">356 BC</date></p>'
        '<p><date when="1500-03-01">1 March 1500</date></p>'
        '<p><date when="1951">1951</date></p>'
    )
    return write(tmp_path, "tricky.xml", names + dates)


# -- CSV ----------------------------------------------------------------------------------


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(
    runner: CliRunner, tricky: Path
) -> None:
    result = run(runner, str(tricky), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    texts = [row["text"] for row in rows if row["type"] == "person"]
    assert texts == ["'" + value for value in TRICKY.values()]
    years = {row["text"]: row["date_start"] for row in rows if row["type"] == "date"}
    assert years == {"356 BC": "'-0356", "1 March 1500": "1500-03-01", "1951": "1951"}
    # numbers stay numbers: the line column is never guarded
    assert all(row["line"].isdigit() for row in rows)


def test_keep_formulas_writes_the_values_as_they_are(runner: CliRunner, tricky: Path) -> None:
    result = run(runner, str(tricky), "-f", "csv", "--keep-formulas")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [r["text"] for r in rows if r["type"] == "person"] == list(TRICKY.values())
    assert "-0356" in {r["date_start"] for r in rows}


@given(st.text(max_size=20))
def test_the_guard_never_leaves_a_formula_and_only_adds_one_apostrophe(text: str) -> None:
    guarded = guard_formula(text)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert guarded in (text, "'" + text)


# -- XLSX ---------------------------------------------------------------------------------


def test_xlsx_types_text_as_text_and_numbers_as_numbers(
    runner: CliRunner, tricky: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mentions.xlsx"
    result = run(runner, str(tricky), "-o", str(out))  # format from the suffix
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    sheet = load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    column = {name: i for i, name in enumerate(header)}
    rows = list(sheet.iter_rows(min_row=2))
    persons = [row for row in rows if row[column["type"]].value == "person"]
    # the formulas are text cells holding the exact value, no apostrophe, never a formula
    assert [row[column["text"]].value for row in persons] == list(TRICKY.values())
    assert {row[column["text"]].data_type for row in persons} == {"s"}
    dates = {row[column["text"]].value: row[column["date_start"]] for row in rows}
    for text, value in (("356 BC", "-0356"), ("1 March 1500", "1500-03-01"), ("1951", "1951")):
        assert (dates[text].value, dates[text].data_type) == (value, "s")
    lines = [row[column["line"]] for row in rows]
    assert all(isinstance(cell.value, int) and cell.data_type == "n" for cell in lines)
    assert sheet.freeze_panes == "A2"


def test_xlsx_cuts_a_cell_over_excels_limit_with_a_warning(
    runner: CliRunner, tmp_path: Path
) -> None:
    long_name = "A" * (EXCEL_CELL_LIMIT + 10)
    source = write(tmp_path, "long.xml", f"<p><persName>{long_name}</persName></p>")
    out = tmp_path / "long.xlsx"
    result = run(runner, str(source), "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: 2 cell(s) held more than 32,767 characters, Excel's limit: cut there in "
        "the XLSX file (CSV or JSON keep them whole)\n"
    )
    sheet = load_workbook(out).active
    assert sheet is not None
    texts = [cell.value for cell in sheet["H"]]  # text; its context is the other long cell
    assert texts[0] == "text"
    assert texts[1] == "A" * EXCEL_CELL_LIMIT
    # CSV keeps the cell whole and warns that a spreadsheet would cut it
    result = run(runner, str(source), "-f", "csv")
    assert long_name in result.stdout
    assert "a spreadsheet cuts them when it opens the file" in result.stderr


def test_xlsx_to_a_pipe_is_a_workbook(runner: CliRunner, tricky: Path) -> None:
    result = runner.invoke(cli, ["entities", str(tricky), "-f", "xlsx"])
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"PK\x03\x04")  # a zip file
    assert load_workbook(io.BytesIO(result.stdout_bytes)).active is not None


# -- document paths -----------------------------------------------------------------------


def test_documents_are_relative_to_the_inputs_common_folder(
    runner: CliRunner, tmp_path: Path
) -> None:
    body = '<p><persName ref="#x">X</persName></p><listPerson><person xml:id="x"/></listPerson>'
    write(tmp_path / "corpus" / "1900", "a.xml", body)
    write(tmp_path / "corpus" / "1901", "b.xml", body)
    result = run(runner, str(tmp_path / "corpus"), "-f", "csv", "-t", "person")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["document"] for row in rows] == ["1900/a.xml", "1901/b.xml"]
    result = run(runner, str(tmp_path / "corpus"), "--register", "-f", "csv", "-t", "person")
    entries = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert sorted(entry["documents"] for entry in entries) == ["1900/a.xml", "1901/b.xml"]
    assert str(tmp_path) not in result.stdout


# -- --type ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["person", "persons", "Person", "PERSONS", "people"])
def test_type_is_singular_or_plural_in_any_case(value: str) -> None:
    assert resolve_types([value]) == {"person"}


def test_several_types_and_organisations() -> None:
    assert resolve_types(["person,places", "Organisations"]) == {"person", "place", "org"}
    assert resolve_types([]) is None


@pytest.mark.parametrize("value", ["peron", "person,plaecs", "persnos"])
def test_an_unknown_type_is_a_usage_error_listing_the_choices(
    runner: CliRunner, tricky: Path, value: str
) -> None:
    result = run(runner, str(tricky), "-t", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown type" in result.stderr
    assert "choose from person, place, org, date, proposal" in result.stderr


def test_rs_types_used_by_the_documents_are_choices(tmp_path: Path) -> None:
    source = write(tmp_path, "w.xml", '<p><rs type="work">Systematic Theology</rs></p>')
    assert resolve_types(["works"], sources=[source]) == {"work"}
    with pytest.raises(UnknownTypeError, match=r"did you mean 'work'\?.*proposal, work\)"):
        resolve_types(["wrok"], sources=[source])


# -- the terminal table ---------------------------------------------------------------------


def _wide_rows(count: int) -> Rows:
    columns = ("document", "line", "type", "text", "status", "entity_id", "canonical_name")
    rows = [
        (f"/very/long/path/to/the/corpus/L{n:05d}.xml", n, "person", "Paul Tillich " * 3,
         "resolved", f"tillich_person_id__{n}", "Tillich, Paul")
        for n in range(count)
    ]  # fmt: skip
    return Rows(columns, rows)


def test_a_terminal_table_fits_and_shows_file_names() -> None:
    console = Console(file=io.StringIO(), width=60, force_terminal=True, color_system=None)
    print_rows(console, _wide_rows(3))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 60
    assert "L00001.xml" in text
    assert "/very/long" not in text
    # no value is folded letter by letter: every kept column is at least 10 wide
    grid, count, left_out = rows_table(_wide_rows(3), width=60)
    assert count == 3
    assert left_out == ["entity_id", "canonical_name"]
    assert all(column.min_width is not None and column.min_width >= 4 for column in grid.columns)
    assert f"left out to fit the terminal: {', '.join(left_out)}" in " ".join(text.split())


def test_a_long_table_says_how_to_write_a_file() -> None:
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
    assert print_rows(console, _wide_rows(1000), limit=300) == 1000
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "L00299.xml" in text
    assert "L00300.xml" not in text
    assert "1,000 rows" in text
    assert "only the first 300 are shown: write them all with -o FILE.csv" in text

"""The exporter registry and the row exporters (csv, json, jsonl)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teikit import exporters
from teikit.errors import UnknownFormatError
from teikit.exporters import (
    ExporterSpec,
    ExportKind,
    Rows,
    available_formats,
    exporter,
    get_exporter,
    iter_exporters,
)
from teikit.exporters.spreadsheet import guard_formula
from teikit.exporters.to_csv import cell_text
from teikit.exporters.to_xlsx import _ILLEGAL as XLSX_ILLEGAL

COLUMNS = ("text", "count", "forms", "missing")


def _export(name: str, rows: list[tuple[Any, ...]], **options: Any) -> Any:
    spec = get_exporter(name)
    if spec.binary:
        binary = io.BytesIO()
        spec.write(Rows(COLUMNS, iter(rows)), binary, **options)
        return binary.getvalue()
    stream = io.StringIO(newline="")
    spec.write(Rows(COLUMNS, iter(rows)), stream, **options)
    return stream.getvalue()


def _read_back(name: str, text: Any) -> list[dict[str, Any]]:
    if name == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if name == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(text)).active
        assert sheet is not None
        header, *rows = sheet.iter_rows(values_only=True)
        assert header == COLUMNS
        return [
            dict(zip(COLUMNS, ("" if v is None else v for v in row), strict=True)) for row in rows
        ]
    if name == "json":
        return json.loads(text)  # type: ignore[no-any-return]
    return [json.loads(line) for line in text.splitlines()]


# -- registry -----------------------------------------------------------------------------


def test_builtin_row_formats_are_registered() -> None:
    assert available_formats("rows") == ["csv", "json", "jsonl", "xlsx"]
    assert available_formats(ExportKind.ROWS) == available_formats("rows")
    assert all(spec.kind is ExportKind.ROWS for spec in iter_exporters("rows"))


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [("out.csv", "csv"), ("OUT.CSV", "csv"), ("a.json", "json"), ("a.jsonl", "jsonl"),
     ("a.ndjson", "jsonl"), ("dir.v2/rows.json", "json")],
)  # fmt: skip
def test_format_is_inferred_from_the_suffix(file_name: str, expected: str) -> None:
    assert get_exporter(None, path=Path(file_name)).name == expected


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownFormatError, match=r"'ods' \(choose from csv, json, jsonl, xlsx\)"):
        get_exporter("ods")


def test_unknown_suffix_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownFormatError, match="cannot tell the format of 'rows.txt'"):
        get_exporter(None, path=Path("rows.txt"))
    with pytest.raises(UnknownFormatError, match="no format given"):
        get_exporter(None)


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown exporter kind"):
        available_formats("spreadsheet")


def _fresh_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register exporters without leaving them registered for the others."""
    for kind in ExportKind:
        items = exporters._REGISTRIES[kind]._items
        monkeypatch.setattr(exporters._REGISTRIES[kind], "_items", dict(items))


def test_same_name_in_another_kind_is_allowed_but_not_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_registries(monkeypatch)

    @exporter("csv", ".csv", kind="document")
    def write_document_csv(documents: object, stream: io.StringIO) -> None:
        """Write documents as CSV."""

    assert get_exporter("csv", kind="document").write is write_document_csv
    assert get_exporter("csv").name == "csv"  # the rows exporter is untouched
    assert get_exporter("csv", kind="document").description == "Write documents as CSV."
    with pytest.raises(ValueError, match="already registered"):
        exporter("csv", kind="document")(write_document_csv)


class _EntryPoint:
    def __init__(self, name: str, loaded: object = None, error: Exception | None = None) -> None:
        self.name, self.value = name, f"plugin:{name}"
        self._loaded, self._error = loaded, error

    def load(self) -> object:
        if self._error is not None:
            raise self._error
        return self._loaded


def test_plugins_load_lazily_once_and_failures_are_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def write_tsv(table: Rows, stream: io.StringIO) -> None:
        for row in table.rows:
            stream.write("\t".join(map(str, row)) + "\n")

    spec = ExporterSpec("tsv", (".tsv",), ExportKind.ROWS, write_tsv)
    calls: list[str] = []

    def entry_points(group: str) -> list[_EntryPoint]:
        calls.append(group)
        return [_EntryPoint("tsv", spec), _EntryPoint("broken", error=ImportError("no module"))]

    _fresh_registries(monkeypatch)
    monkeypatch.setattr(exporters.PLUGINS, "errors", [])
    monkeypatch.setattr(exporters.PLUGINS, "_loaded", False)
    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    assert "tsv" in available_formats("rows")
    assert get_exporter(None, path=Path("x.tsv")) is spec
    assert calls == ["teikit.exporters"]  # loaded once, however often the registry is asked
    assert exporters.plugin_errors() == [
        "plug-in 'broken' (plugin:broken) failed to load: ImportError: no module"
    ]
    with pytest.raises(UnknownFormatError, match="plug-in 'broken'"):
        get_exporter("ods")


# -- writers ------------------------------------------------------------------------------

ROWS = [
    ("Kim Il Sung", 3, ["Kim Il Sung", "KIM IL SUNG"], None),
    ('a "quoted", comma', 0, [], None),
]


def test_csv_is_rfc4180_with_a_header_and_crlf() -> None:
    text = _export("csv", ROWS)
    assert text == (
        "text,count,forms,missing\r\n"
        "Kim Il Sung,3,Kim Il Sung | KIM IL SUNG,\r\n"
        '"a ""quoted"", comma",0,,\r\n'
    )


def test_csv_bom_only_when_asked() -> None:
    assert _export("csv", ROWS, bom=True).startswith("\ufefftext,")
    assert not _export("csv", ROWS).startswith("\ufeff")


def test_csv_guards_formula_like_cells_unless_asked_to_keep_them() -> None:
    # issue 12: a spreadsheet must not run a transcription as a formula (docs/entities.md)
    row = [("=SUM(A1)", -3, ["@x", "-y"], "+z")]
    assert _export("csv", row).splitlines()[1] == "'=SUM(A1),-3,'@x | -y,'+z"
    assert _export("csv", row, keep_formulas=True).splitlines()[1] == "=SUM(A1),-3,@x | -y,+z"


def test_json_keeps_types_and_order() -> None:
    data = json.loads(_export("json", ROWS))
    assert data[0] == {
        "text": "Kim Il Sung",
        "count": 3,
        "forms": ["Kim Il Sung", "KIM IL SUNG"],
        "missing": None,
    }
    assert list(data[1]) == list(COLUMNS)


def test_jsonl_writes_one_object_per_line() -> None:
    lines = _export("jsonl", ROWS).splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["text"] == 'a "quoted", comma'


@pytest.mark.parametrize("name", available_formats("rows"))
def test_empty_input(name: str) -> None:
    text = _export(name, [])
    assert _read_back(name, text) == []
    expected = {"csv": "text,count,forms,missing\r\n", "json": "[]\n", "jsonl": ""}
    if name != "xlsx":  # a workbook with a header row: read back above
        assert text == expected[name]


@pytest.mark.parametrize("name", available_formats("rows"))
def test_unicode_is_written_as_is(name: str) -> None:
    text = _export(name, [("毛泽东 · Мао · مَاو · 🇰🇷", 1, [], None)])
    assert _read_back(name, text)[0]["text"] == "毛泽东 · Мао · مَاو · 🇰🇷"


def test_cell_text() -> None:
    assert cell_text(None) == ""
    assert cell_text(["a", "b"]) == "a | b"
    assert cell_text(37.97) == "37.97"
    assert cell_text(0) == "0"


# Awkward text: quotes, commas, newlines, right-to-left script, emoji, combining marks,
# and any other character Unicode allows in XML (no surrogates, no NUL).
FRAGMENTS = [*"\",;\n\r\t '|=+-@", "שלום", "ـ", "\u200f", "👩‍👩‍👧", "e\u0301", "\u0301", "🇰🇷"]
AWKWARD = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(AWKWARD, AWKWARD), max_size=5))
def test_awkward_text_round_trips(cells: list[tuple[str, str]]) -> None:
    rows = [(a, 1, [b], None) for a, b in cells]
    for name in available_formats("rows"):
        back = _read_back(name, _export(name, rows))
        # CSV guards what a spreadsheet would run as a formula with one apostrophe
        wanted = [guard_formula(a) if name == "csv" else a for a, _ in cells]
        if name == "xlsx":  # XML 1.0 holds no control characters: they become U+FFFD
            wanted = [XLSX_ILLEGAL.sub("\ufffd", a) for a in wanted]
        assert [r["text"] for r in back] == wanted, name
        if name == "csv":
            # lists are joined: one item comes back whole
            assert [r["forms"] for r in back] == [guard_formula(b) for _, b in cells]
            back = _read_back(name, _export(name, rows, keep_formulas=True))
            assert [r["text"] for r in back] == [a for a, _ in cells]
        elif name == "xlsx":
            assert [r["forms"] for r in back] == [XLSX_ILLEGAL.sub("\ufffd", b) for _, b in cells]
        else:
            assert [r["forms"] for r in back] == [[b] for _, b in cells]

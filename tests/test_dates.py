"""The one reading of TEI date attributes (teikit.dates), issue 12."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teikit.dates import W3CDate, parse_date, read_dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1951", W3CDate("1951", "year", "1951-01-01", "1951-12-31")),
        ("1952-02", W3CDate("1952-02", "month", "1952-02-01", "1952-02-29")),
        ("1951-07-03", W3CDate("1951-07-03", "day", "1951-07-03", "1951-07-03")),
        ("1951-07-03T10:00:00+01:00",
         W3CDate("1951-07-03T10:00:00+01:00", "time", "1951-07-03", "1951-07-03")),
        ("1951-07-03T24:00:00", W3CDate("1951-07-03T24:00:00", "time", "1951-07-03", "1951-07-03")),
        ("-0044-03-15", W3CDate("-0044-03-15", "day", "-0044-03-15", "-0044-03-15")),
        ("--07-03", W3CDate("--07-03", "partial")),
        ("--02-29", W3CDate("--02-29", "partial")),
        ("---31", W3CDate("---31", "partial")),
        ("10:00:00Z", W3CDate("10:00:00Z", "partial")),
    ],
)  # fmt: skip
def test_valid_w3c_values(value: str, expected: W3CDate) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1951-07-03T25:00",  # hour 25, and an xs:dateTime needs seconds
        "1951-07-03T25:00:00",
        "1951-07-03T24:00:01",
        "1951-07-03T10:00",  # no seconds: ISO 8601, not W3C
        "19510703",  # the year 19,510,703 to XML Schema: refused
        "1952-02-30",
        "1951-13",
        "0000",
        "1951-07-03+15:00",
        "--13",
        "3.7.1951",
        "1951-W27",
        "",
    ],
)
def test_invalid_w3c_values(value: str) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("value", "reading"),
    [
        ("19510703", ("1951-07-03", "day", "1951-07-03")),
        ("1951-07-03T10:00", ("1951-07-03T10:00", "time", "1951-07-03")),
        ("1951-W27", ("1951-W27", "partial", None)),
        ("1951-184", ("1951-184", "partial", None)),
        ("19", ("19", "partial", None)),
        ("0000", ("0000", "year", "0000-01-01")),
    ],
)  # fmt: skip
def test_iso_values(value: str, reading: tuple[str, str, str | None]) -> None:
    parsed = parse_date(value, iso=True)
    assert parsed is not None
    assert (parsed.value, parsed.precision, parsed.earliest) == reading


def test_iso_values_are_checked_too() -> None:
    assert parse_date("19510230", iso=True) is None
    assert parse_date("1951-07-03T25:00", iso=True) is None


def test_read_dates_range_and_rejected() -> None:
    reading = read_dates({"notBefore": "1950", "notAfter-iso": "19510703", "when-iso": "x"})
    assert reading.rejected == (("when-iso", "x"),)
    assert reading.exact  # @when-iso is there, though invalid: the date is not a range
    assert reading.start is None


def test_read_dates_range() -> None:
    reading = read_dates({"notBefore": "1950", "notAfter-iso": "19510703"})
    assert not reading.exact
    assert reading.start is not None
    assert reading.start.value == "1950"
    assert reading.end is not None
    assert reading.end.value == "1951-07-03"


def test_read_dates_skips_from_to_that_are_not_dates() -> None:
    reading = read_dates({"from": "#a", "to": "#b"}, from_to=False)
    assert reading.values == {}
    assert reading.rejected == ()


@given(st.dates())
def test_every_calendar_day_is_read_as_itself(day: object) -> None:
    text = str(day)
    parsed = parse_date(text)
    assert parsed == W3CDate(text, "day", text, text)
    assert parse_date(text.replace("-", ""), iso=True) == parsed

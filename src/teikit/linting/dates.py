"""Dates written in running text, and the ISO 8601 value each one stands for.

Recognised forms (month names in English and German, full or abbreviated, written with a
capital; ``3rd`` and ``3.`` are read as ``3``):

=====================  ==================  =========================================
form                   example             value
=====================  ==================  =========================================
``yyyy-mm-dd``         ``1951-07-03``      as written
``d.m.yyyy``           ``3.7.1951``        1951-07-03
``d.m.yy``             ``3.7.51``          century nearest to the document's year
``d/m/yyyy``           ``13/7/1951``       day and month told apart when one is > 12
``d Month yyyy``       ``3 July 1951``     1951-07-03
``Month d, yyyy``      ``July 3, 1951``    1951-07-03
``Month yyyy``         ``July 1951``       1951-07
``d Month``            ``3 July``          year of the document's date
``Month d``            ``July 3``          year of the document's date
``yesterday`` ...      ``yesterday``       the document's date minus one day
``yyyy``               ``1853``            as written; only as the whole of a ``<date>``
=====================  ==================  =========================================

What cannot be decided is flagged, not guessed: ``3.7.`` (no year), ``3/7/1951`` (3 July or
7 March), a two-digit year, a yearless or relative date when the document has no date of its
own. Impossible calendar dates (``31.2.1951``) are flagged as such. ``3.7`` without a final
dot and ``1.2.3`` are numbers, not dates.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["DateMatch", "find_dates", "recognise_date"]

_MONTHS: Final = {
    1: ("January", "Jan", "Januar", "Jänner"),
    2: ("February", "Feb", "Februar", "Febr"),
    3: ("March", "Mar", "März", "Maerz", "Mrz"),
    4: ("April", "Apr"),
    5: ("May", "Mai"),
    6: ("June", "Jun", "Juni"),
    7: ("July", "Jul", "Juli"),
    8: ("August", "Aug"),
    9: ("September", "Sep", "Sept"),
    10: ("October", "Oct", "Oktober", "Okt"),
    11: ("November", "Nov"),
    12: ("December", "Dec", "Dezember", "Dez"),
}
_MONTH_NUMBER: Final = {name.casefold(): n for n, names in _MONTHS.items() for name in names}
_MONTH: Final = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_ORDINAL: Final = r"(?:\.|st|nd|rd|th)?"
_RELATIVE: Final = {"yesterday": -1, "today": 0, "tomorrow": 1}
_YEAR: Final = re.compile(r"\s*(?!0000)(\d{4})\.?\s*")  # the whole content of a <date>
_PATTERN: Final = re.compile(
    "|".join(
        (
            r"(?<![\w.\-])(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\w\-])",
            rf"(?<![\w.])(?P<d1>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m1>{_MONTH})\.?,?\s+"
            r"(?P<y1>\d{4})(?!\w)",
            rf"(?<![\w.])(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
            r"(?P<y2>\d{4})(?!\w)",
            r"(?<![\w.])(?P<d3>\d{1,2})\.\s?(?P<m3>\d{1,2})\.\s?(?P<y3>\d{4}|\d{2})"
            r"(?!\w|\.\d)",
            r"(?<![\w/])(?P<a4>\d{1,2})/(?P<b4>\d{1,2})/(?P<y4>\d{4}|\d{2})(?![\w/])",
            rf"(?<![\w.])(?P<m5>{_MONTH})\.?,?\s+(?P<y5>\d{{4}})(?!\w)",
            rf"(?<![\w.])(?P<d6>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m6>{_MONTH})(?!\w)",
            rf"(?<![\w.])(?P<m7>{_MONTH})\.?\s+(?P<d7>\d{{1,2}})(?:st|nd|rd|th)?(?![\w:]|\.\d)",
            r"(?<![\w.])(?P<d8>\d{1,2})\.(?P<m8>\d{1,2})\.(?!\w|\s?\d)",
            r"(?<!\w)(?P<rel>yesterday|today|tomorrow)(?!\w)",
        )
    ),
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in a text: where, what it stands for, and how that was inferred.

    ``value`` is ``None`` when the date is ambiguous or impossible; ``problem`` then says
    which (``"ambiguous"`` or ``"impossible"``) and ``inference`` why.
    """

    start: int
    end: int
    text: str
    value: str | None
    inference: str
    problem: str | None = None


def _full_date(value: str | None) -> datetime.date | None:
    if value is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _year_of(value: str | None) -> int | None:
    match = re.match(r"(\d{4})", value or "")
    return int(match.group(1)) if match else None


def _calendar_value(year: int, month: int, day: int | None) -> str | None:
    """Return ``yyyy-mm-dd`` (or ``yyyy-mm``), ``None`` for an impossible date."""
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


class _Reader:
    """Turn one regex match into a :class:`DateMatch`, given the document's date."""

    def __init__(self, match: re.Match[str], document_date: str | None) -> None:
        self.match = match
        self.document_date = document_date

    def result(self, value: str | None, inference: str, problem: str | None = None) -> DateMatch:
        match = self.match
        return DateMatch(match.start(), match.end(), match.group(), value, inference, problem)

    def exact(self, year: int, month: int, day: int | None, form: str, how: str = "") -> DateMatch:
        value = _calendar_value(year, month, day)
        if value is None:
            what = f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")
            return self.result(None, f"{form}: {what} is not a calendar date", "impossible")
        return self.result(value, f"{form}{', ' + how if how else ''}")

    def two_digit_year(self, short: str) -> tuple[int | None, str]:
        base = _year_of(self.document_date)
        if base is None:
            return None, "a two-digit year and no document date to take the century from"
        century = base - base % 100
        year = min(
            (century - 100, century, century + 100), key=lambda c: abs(c + int(short) - base)
        )
        return year + int(short), f"century from the document date {self.document_date}"

    def yearless(self, month: int, day: int, form: str) -> DateMatch:
        year = _year_of(self.document_date)
        if year is None:
            return self.result(None, f"{form}: no year, and no document date", "ambiguous")
        return self.exact(
            year, month, day, form, f"year from the document date {self.document_date}"
        )

    def read(self) -> DateMatch | None:
        group = self.match.group
        if group("iy"):
            return self.exact(int(group("iy")), int(group("im")), int(group("id")), "yyyy-mm-dd")
        for d, m, y, form in (
            ("d1", "m1", "y1", "d Month yyyy"),
            ("d2", "m2", "y2", "Month d, yyyy"),
        ):
            if group(m):
                return self.exact(int(group(y)), _month(group(m)), int(group(d)), form)
        if group("d3"):
            day, month, year = int(group("d3")), int(group("m3")), group("y3")
            if len(year) == 4:
                return self.exact(int(year), month, day, "d.m.yyyy")
            full, how = self.two_digit_year(year)
            if full is None:
                return self.result(None, f"d.m.yy: {how}", "ambiguous")
            return self.exact(full, month, day, "d.m.yy", how)
        if group("a4"):
            return self.slashed(int(group("a4")), int(group("b4")), group("y4"))
        if group("m5"):
            return self.exact(int(group("y5")), _month(group("m5")), None, "Month yyyy")
        if group("m6"):
            return self.yearless(_month(group("m6")), int(group("d6")), "d Month")
        if group("m7"):
            if int(group("d7")) > 31:  # "Aug 32": a short year, not a day; left alone
                return None
            return self.yearless(_month(group("m7")), int(group("d7")), "Month d")
        if group("d8"):
            return self.result(None, "d.m. without a year", "ambiguous")
        return self.relative(group("rel"))

    def slashed(self, first: int, second: int, year_text: str) -> DateMatch:
        year: int | None = int(year_text)
        how = ""
        if len(year_text) == 2:
            year, how = self.two_digit_year(year_text)
            if year is None:
                return self.result(None, f"d/m/yy: {how}", "ambiguous")
        assert year is not None
        if first == second or second > 12 >= first:
            form = "d/m/yyyy" if first == second else "m/d/yyyy (the day is over 12)"
            day, month = (first, second) if first == second else (second, first)
            return self.exact(year, month, day, form, how)
        if first > 12 >= second:
            return self.exact(year, second, first, "d/m/yyyy (the day is over 12)", how)
        if first > 12 and second > 12:
            return self.result(None, "d/m/yyyy: neither part is a month", "impossible")
        return self.result(
            None,
            f"d/m or m/d: {_calendar_value(year, second, first) or '?'} "
            f"or {_calendar_value(year, first, second) or '?'}",
            "ambiguous",
        )

    def relative(self, word: str) -> DateMatch:
        base = _full_date(self.document_date)
        if base is None:
            return self.result(None, f"{word.lower()}: no full document date", "ambiguous")
        value = base + datetime.timedelta(days=_RELATIVE[word.lower()])
        return self.result(
            value.isoformat(), f"{word.lower()}, relative to the document date {base.isoformat()}"
        )


def _month(name: str) -> int:
    return _MONTH_NUMBER[name.casefold()]


def _capitalised(match: re.Match[str]) -> bool:
    """Return whether the month name (if any) is written with a capital, as names are."""
    for group in ("m1", "m2", "m5", "m6", "m7"):
        name = match.group(group)
        if name:
            return name[0].isupper()
    return True


def find_dates(text: str, document_date: str | None = None) -> list[DateMatch]:
    """Return the dates written in *text*, reading relative and short forms from *document_date*.

    >>> [(d.text, d.value) for d in find_dates("on 25.6.1950 and yesterday", "1951-07-03")]
    [('25.6.1950', '1950-06-25'), ('yesterday', '1951-07-02')]
    >>> find_dates("31.2.1951")[0].problem
    'impossible'
    """
    found: list[DateMatch] = []
    for match in _PATTERN.finditer(text):
        if not _capitalised(match):
            continue
        result = _Reader(match, document_date).read()
        if result is not None:
            found.append(result)
    return found


def recognise_date(text: str, document_date: str | None = None) -> DateMatch | None:
    """Return the date that makes up *text* (the content of a ``<date>``), if there is one.

    A year on its own (``<date>1853</date>``, as ELTeC's ``sourceDesc`` writes it) is that
    year here, though not in running text, where four digits are as often a number.

    >>> recognise_date(" 3.7.51 ", "1951-07-03").value
    '1951-07-03'
    >>> recognise_date("1853.").value
    '1853'
    """
    year = _YEAR.fullmatch(text)
    if year is not None:
        return DateMatch(year.start(1), year.end(1), year.group(1), year.group(1), "yyyy")
    found = find_dates(text, document_date)
    if len(found) != 1:
        return None
    rest = text[: found[0].start] + text[found[0].end :]
    return found[0] if not re.search(r"\w", rest) else None

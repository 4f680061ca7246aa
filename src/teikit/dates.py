"""How a TEI date attribute is read: the one parser every command uses (issue 12).

``@when``, ``@from``, ``@to``, ``@notBefore`` and ``@notAfter`` hold
``teidata.temporal.w3c`` values (TEI Guidelines 3.6.4, 13.3.7), the XML Schema types

=================  ======================  ===========
type               example                 precision
=================  ======================  ===========
``gYear``          ``1951``, ``-0044``     ``year``
``gYearMonth``     ``1951-07``             ``month``
``date``           ``1951-07-03``          ``day``
``dateTime``       ``1951-07-03T10:00:00``  ``time``
``gMonthDay``      ``--07-03``             ``partial``
``gMonth``         ``--07``                ``partial``
``gDay``           ``---03``               ``partial``
``time``           ``10:00:00``            ``partial``
=================  ======================  ===========

each with an optional time zone (``Z``, ``+01:00``). The calendar is checked
(``1952-02-30``, ``1951-13``, ``1951-07-03T25:00:00`` are invalid; a ``dateTime`` needs its
seconds, hour 24 only as ``24:00:00``); year ``0000`` does not exist (XML Schema 1.0).
A year of more than four digits is refused: ``19510703`` is, to XML Schema, the year
19,510,703, which no edition means; write ``1951-07-03`` (or ``when-iso="19510703"``).

The ``-iso`` variants (``@when-iso``...) hold ``teidata.temporal.iso`` values: all of the
above, plus ISO 8601 forms XML Schema lacks: the basic format (``19510703`` is read as
``1951-07-03``), times without seconds (``1951-07-03T10:00``), centuries (``19``), weeks
(``1951-W27``) and ordinal days (``1951-184``) -- the last three valid but not placed on
the calendar (precision ``partial``), as are the partial W3C forms.

A dated element's range: ``@when`` is exact; otherwise ``@from``/``@notBefore`` give the
start and ``@to``/``@notAfter`` the end (the ``-iso`` variant when the plain one is absent).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

__all__ = [
    "DATE_ATTRIBUTES",
    "DateReading",
    "W3CDate",
    "parse_date",
    "read_dates",
]

#: The ``att.datable.w3c`` attributes; each has an ``-iso`` twin (``att.datable.iso``).
DATE_ATTRIBUTES: Final = ("when", "from", "to", "notBefore", "notAfter")

_TZ: Final = r"(?P<tz>Z|[+-](?P<tzh>\d{2}):(?P<tzm>\d{2}))?"
_CALENDAR: Final = re.compile(
    r"^(?P<year>-?\d{4,})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?)?)?" + _TZ + "$"
)
_PARTIAL: Final = re.compile(
    r"^(?:(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}(?:\.\d+)?)"
    r"|--(?P<month>\d{2})(?:-(?P<day>\d{2}))?|---(?P<gday>\d{2}))" + _TZ + "$"
)
# ISO 8601 forms of teidata.temporal.iso beyond the W3C ones.
_BASIC: Final = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})" + _TZ + "$")
_ISO_OTHER: Final = re.compile(
    r"^(?:\d{2}|\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3])(?:-[1-7])?|\d{4}-(?:00[1-9]|0[1-9]\d|[12]\d\d|3[0-5]\d|36[0-6])"
    r"|(?:[01]\d|2[0-3]):[0-5]\d)" + _TZ + "$"
)


@dataclass(frozen=True, slots=True)
class W3CDate:
    """A valid date value: as written (basic format made extended), its precision and days.

    ``earliest`` and ``latest`` are the first and last day covered (``YYYY-MM-DD``), or
    ``None`` when the value is not placed on the calendar (``--07-03``, ``1951-W27``).
    """

    value: str
    precision: str  # "year" | "month" | "day" | "time" | "partial"
    earliest: str | None = None
    latest: str | None = None


def _zone_ok(match: re.Match[str]) -> bool:
    if match.group("tz") in (None, "Z"):
        return True
    hours, minutes = int(match.group("tzh")), int(match.group("tzm"))
    return minutes <= 59 and (hours < 14 or (hours == 14 and minutes == 0))


def _time_ok(hour: str, minute: str, second: str | None) -> bool:
    h, m, s = int(hour), int(minute), float(second or 0)
    if h == 24:  # 24:00:00 is the end of the day, and nothing else
        return m == 0 and s == 0
    return h <= 23 and m <= 59 and s < 60


def _last_day(year: int, month: int) -> int:
    # the proleptic Gregorian calendar repeats every 400 years: this keeps BCE years valid
    return calendar.monthrange(year % 400 + 2000, month)[1]


@functools.lru_cache(maxsize=4096)  # a corpus repeats its dates: read each value once
def parse_date(value: str, *, iso: bool = False) -> W3CDate | None:
    """Return what the date attribute *value* means, or ``None`` if it is not valid.

    *iso* reads a ``teidata.temporal.iso`` value (``@when-iso``), else a W3C one.

    >>> parse_date("1951-07")
    W3CDate(value='1951-07', precision='month', earliest='1951-07-01', latest='1951-07-31')
    >>> parse_date("19510703") is None, parse_date("19510703", iso=True).value
    (True, '1951-07-03')
    >>> parse_date("1951-07-03T25:00:00") is None
    True
    """
    value = value.strip()
    basic = _BASIC.match(value) if iso else None
    if basic is not None:
        zone = basic.group("tz") or ""
        value = "-".join(basic.group("year", "month", "day")) + zone
    match = _CALENDAR.match(value)
    if match is None:
        partial = _PARTIAL.match(value)
        if partial is not None:
            return _partial(value, partial)
        if iso and _ISO_OTHER.match(value):
            return W3CDate(value, "partial")
        return None
    if not _zone_ok(match):
        return None
    year_text, month_text, day_text = match.group("year", "month", "day")
    digits = year_text.lstrip("-")
    if len(digits) > 4 or (year_text.startswith("-") and int(digits) == 0):
        return None  # 19510703 is no year anyone means; -0000 is not a year
    year = int(year_text)
    if year == 0 and not iso:  # year 0000 does not exist in XML Schema 1.0
        return None
    if month_text is None:
        return W3CDate(value, "year", f"{year_text}-01-01", f"{year_text}-12-31")
    month = int(month_text)
    if not 1 <= month <= 12:
        return None
    last = _last_day(year, month)
    if day_text is None:
        return W3CDate(
            value, "month", f"{year_text}-{month_text}-01", f"{year_text}-{month_text}-{last:02d}"
        )
    if not 1 <= int(day_text) <= last:
        return None
    day = f"{year_text}-{month_text}-{day_text}"
    if match.group("hour") is None:
        return W3CDate(value, "day", day, day)
    if match.group("second") is None and not iso:
        return None  # xs:dateTime needs seconds; ISO 8601 does not
    if not _time_ok(match.group("hour"), match.group("minute"), match.group("second")):
        return None
    return W3CDate(value, "time", day, day)


def _partial(value: str, match: re.Match[str]) -> W3CDate | None:
    if not _zone_ok(match):
        return None
    if match.group("hour") is not None:
        if not _time_ok(match.group("hour"), match.group("minute"), match.group("second")):
            return None
        return W3CDate(value, "partial")
    day_text = match.group("day") or match.group("gday")
    if match.group("month") is not None:
        month = int(match.group("month"))
        if not 1 <= month <= 12:
            return None
        if day_text is not None and not 1 <= int(day_text) <= _last_day(2000, month):
            return None  # --02-29 is a valid gMonthDay
    elif day_text is not None and not 1 <= int(day_text) <= 31:
        return None
    return W3CDate(value, "partial")


@dataclass(frozen=True, slots=True)
class DateReading:
    """The date attributes of one element, read: the valid ones and the rejected ones.

    ``values`` maps each attribute present and valid (``when``, ``when-iso``...) to its
    :class:`W3CDate`; ``rejected`` lists ``(attribute, raw value)`` that are not valid.
    """

    values: dict[str, W3CDate] = field(default_factory=dict)
    rejected: tuple[tuple[str, str], ...] = ()

    def first(self, *names: str) -> tuple[str | None, W3CDate | None]:
        """Return the first of *names* present (valid or not) and its value if valid."""
        rejected = dict(self.rejected)
        for name in names:
            if name in self.values:
                return name, self.values[name]
            if name in rejected:
                return name, None
        return None, None

    @property
    def exact(self) -> bool:
        """Return whether the element has ``@when`` (or ``@when-iso``)."""
        return self.first("when", "when-iso")[0] is not None

    @property
    def start(self) -> W3CDate | None:
        """Return the value the element's date starts at (``@when``, ``@from``, ``@notBefore``)."""
        names = (
            ("when", "when-iso")
            if self.exact
            else ("from", "from-iso", "notBefore", "notBefore-iso")
        )
        return self.first(*names)[1]

    @property
    def end(self) -> W3CDate | None:
        """Return the value the element's date ends at (``@when``, ``@to``, ``@notAfter``)."""
        names = ("when", "when-iso") if self.exact else ("to", "to-iso", "notAfter", "notAfter-iso")
        return self.first(*names)[1]


def read_dates(attributes: etree._Element | dict[str, str], *, from_to: bool = True) -> DateReading:
    """Read the date attributes of an element (or a mapping of its attributes).

    *from_to* is false for elements whose ``@from``/``@to`` are not dates (``span``,
    ``locus``...): they are then left out.

    >>> reading = read_dates({"from": "1950-06-25", "to": "1951-07", "notAfter": "x"})
    >>> reading.start.value, reading.end.value, reading.rejected
    ('1950-06-25', '1951-07', (('notAfter', 'x'),))
    """
    get = attributes.get
    values: dict[str, W3CDate] = {}
    rejected: list[tuple[str, str]] = []
    for base in DATE_ATTRIBUTES:
        if base in ("from", "to") and not from_to:
            continue
        for name, iso in ((base, False), (f"{base}-iso", True)):
            raw = get(name)
            if raw is None:
                continue
            parsed = parse_date(str(raw), iso=iso)
            if parsed is None:
                rejected.append((name, str(raw)))
            else:
                values[name] = parsed
    return DateReading(values, tuple(rejected))

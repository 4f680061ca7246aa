"""Normalise TEI date attributes (``att.datable``) to sortable ISO 8601 start and end values.

TEI Guidelines 3.6.4 and 13.3.7: ``@when`` is an exact date, ``@from``/``@to`` and
``@notBefore``/``@notAfter`` bound a range; the ``-iso`` variants hold ISO 8601 values.
Values keep the precision they were written with (``1951``, ``1951-07``, ``1951-07-03``),
so they sort correctly as text; only what is not a valid calendar value is dropped.
"""

from __future__ import annotations

import calendar
import re
from typing import Final

from lxml import etree

from teikit.entities.model import DateRange

__all__ = ["date_range", "normalise_date"]

# W3C/ISO calendar values with an optional time and time zone (teidata.temporal.w3c).
_DATE: Final = re.compile(
    r"^(?P<year>-?\d{4,})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?P<time>T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)
# ISO 8601 basic format (19510703) as allowed in the -iso attributes.
_BASIC: Final = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
_EXACT: Final = ("when", "when-iso")
_STARTS: Final = ("from", "from-iso", "notBefore", "notBefore-iso")
_ENDS: Final = ("to", "to-iso", "notAfter", "notAfter-iso")


def normalise_date(value: str) -> str | None:
    """Return *value* as an ISO 8601 date (time and zone kept), or ``None`` if it is invalid.

    >>> normalise_date(" 1951-07-03 ")
    '1951-07-03'
    >>> normalise_date("19510703")
    '1951-07-03'
    >>> normalise_date("1951-02-30") is None
    True
    """
    value = value.strip()
    basic = _BASIC.match(value)
    if basic is not None:
        value = "-".join(basic.group("year", "month", "day"))
    match = _DATE.match(value)
    if match is None:
        return None
    year = int(match.group("year"))
    month_text, day_text = match.group("month", "day")
    if month_text is not None:
        month = int(month_text)
        if not 1 <= month <= 12:
            return None
        # the proleptic Gregorian calendar repeats every 400 years; this keeps BCE years valid
        last = calendar.monthrange(year % 400 + 2000, month)[1]
        if day_text is not None and not 1 <= int(day_text) <= last:
            return None
    return value


def _first(element: etree._Element, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Return ``(attribute, raw value)`` of the first of *names* present on *element*."""
    for name in names:
        value = element.get(name)
        if value is not None:
            return name, value
    return None, None


def date_range(element: etree._Element) -> tuple[DateRange, list[tuple[str, str]]]:
    """Return the normalised range of a dated element and the ``(attribute, value)``s rejected.

    >>> from lxml import etree
    >>> date_range(etree.fromstring('<date from="1950-06-25" to="1951-07"/>'))[0]
    DateRange(start='1950-06-25', end='1951-07', precision='range')
    """
    rejected: list[tuple[str, str]] = []

    def pick(names: tuple[str, ...]) -> str | None:
        attribute, raw = _first(element, names)
        if attribute is None or raw is None:
            return None
        value = normalise_date(raw)
        if value is None:
            rejected.append((attribute, raw))
        return value

    if _first(element, _EXACT)[0] is not None:
        when = pick(_EXACT)
        return DateRange(when, when, "exact" if when else None), rejected
    start, end = pick(_STARTS), pick(_ENDS)
    if start is None and end is None:
        return DateRange(None, None, None), rejected
    return DateRange(start, end, "range"), rejected

"""Dated elements (``att.datable``) as sortable ISO 8601 start and end values.

The attributes are read by :mod:`teikit.dates`, the parser every command uses. Values keep
the precision they were written with (``1951``, ``1951-07``, ``1951-07-03``), so they sort
correctly as text; what is not a valid value is left out and reported.
"""

from __future__ import annotations

from lxml import etree

from teikit.dates import parse_date, read_dates
from teikit.entities.model import DateRange

__all__ = ["date_range", "normalise_date"]


def normalise_date(value: str, *, iso: bool = False) -> str | None:
    """Return the date attribute *value* as read by :func:`teikit.dates.parse_date`, or ``None``.

    *iso* reads an ``-iso`` attribute's value (ISO 8601: ``19510703`` is 1951-07-03).

    >>> normalise_date(" 1951-07-03 ")
    '1951-07-03'
    >>> normalise_date("19510703") is None, normalise_date("19510703", iso=True)
    (True, '1951-07-03')
    >>> normalise_date("1951-02-30") is None
    True
    """
    parsed = parse_date(value, iso=iso)
    return None if parsed is None else parsed.value


def date_range(element: etree._Element) -> tuple[DateRange, list[tuple[str, str]]]:
    """Return the normalised range of a dated element and the ``(attribute, value)``s rejected.

    >>> from lxml import etree
    >>> date_range(etree.fromstring('<date from="1950-06-25" to="1951-07"/>'))[0]
    DateRange(start='1950-06-25', end='1951-07', precision='range')
    """
    reading = read_dates(element)
    rejected = list(reading.rejected)
    start, end = reading.start, reading.end
    if reading.exact:
        when = None if start is None else start.value
        return DateRange(when, when, "exact" if when else None), rejected
    if start is None and end is None:
        return DateRange(None, None, None), rejected
    return DateRange(
        None if start is None else start.value, None if end is None else end.value, "range"
    ), rejected

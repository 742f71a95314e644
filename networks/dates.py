"""Dates known only to the year or month.

A date that may be known only to the year or month (joined, left, observed, since, until) is
stored as a DateField plus a precision. A start date stores the first day of its period and an
end date the last day (left 2019, year precision -> 2019-12-31), so "member on date D" is the
plain test joined <= D <= left.
"""

import calendar
import datetime

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def format_partial_date(value: datetime.date | None, precision: str) -> str:
    """Show a date only as precisely as it is known: '2013', 'Dec 2013' or '2013-12-03'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%b %Y")
    return value.isoformat()


def period_start(year: int, month: int | None = None) -> datetime.date:
    return datetime.date(year, month or 1, 1)


def period_end(year: int, month: int | None = None) -> datetime.date:
    if month is None:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


PRECISIONS = [choice.value for choice in DatePrecision]


def spell_period(
    joined: datetime.date | None,
    joined_precision: str,
    left: datetime.date | None,
    left_precision: str,
    took_effect: bool,
) -> str:
    """A membership spell as precisely as it is known: '2013–', 'Dec 2013–2019', 'never started'."""
    if joined is None and left is None:
        return "dates not given by source" if took_effect else "never started"
    start = format_partial_date(joined, joined_precision) or "?"
    end = format_partial_date(left, left_precision) or ("never started" if not took_effect else "")
    return f"{start}–{end}"

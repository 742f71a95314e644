"""Dates known only to the year or month.

A date that may be known only to the year or month (joined, left, observed, since, until) is
stored as a DateField plus a precision. A start date stores the first day of its period and an
end date the last day (left 2019, year precision -> 2019-12-31), so "member on date D" is the
plain test joined <= D <= left.

Everything about such dates lives here: the precision, display ('Dec 2013'), the form files
read and write ('2013-12') and the first and last day of a period.
"""

import calendar
import datetime
import re

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


PRECISIONS = DatePrecision.values
# A date as files write it: YYYY, YYYY-MM or YYYY-MM-DD.
YEAR_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def format_partial_date(value: datetime.date | None, precision: str) -> str:
    """Show a date only as precisely as it is known: '2013', 'Dec 2013' or '2013-12-03'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%b %Y")
    return value.isoformat()


def partial_date_text(value: datetime.date | None, precision: str) -> str:
    """A date as precisely as it is known, in the form files use: '2013', '2013-12', '2013-12-03'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%Y-%m")
    return value.isoformat()


def period_start(year: int, month: int | None = None) -> datetime.date:
    return datetime.date(year, month or 1, 1)


def period_end(year: int, month: int | None = None) -> datetime.date:
    if month is None:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def parse_partial_date(text: str, *, end: bool) -> tuple[datetime.date, str]:
    """'2014' -> (first or last day of 2014, 'year'); '2014-05' -> month; '2014-05-03' -> day."""
    match = YEAR_PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(part) if part else None for part in match.groups())
    if day is not None:
        return datetime.date(year, month, day), DatePrecision.DAY
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"'{text}' has no month {month}")
        return (period_end if end else period_start)(year, month), DatePrecision.MONTH
    return (period_end if end else period_start)(year), DatePrecision.YEAR


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

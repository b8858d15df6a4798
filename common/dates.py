"""A date as the user's language shows it: 06/12/2026 in Vietnamese, 06 Dec 2026 in English
(`config/formats`). Pages use the `date` filter with the same formats; messages, .xlsx titles
and every other text built in Python use these, never a format of their own."""

import datetime as dt

from django.utils import dateformat, formats, timezone

from common.languages import language


def format_date(day: dt.date) -> str:
    return _formatted(day, "SHORT_DATE_FORMAT")


def format_datetime(moment: dt.datetime) -> str:
    """A moment on the clock, in the fund's time zone, to the minute."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return _formatted(moment, "SHORT_DATETIME_FORMAT")


def format_month(day: dt.date) -> str:
    """The month a date falls in: 12/2026, Dec 2026."""
    return _formatted(day, "YEAR_MONTH_FORMAT")


def format_span(first: dt.date, last: dt.date) -> str:
    """Two days of one year, the year said once: 01/12–06/12/2026, 01 Dec–06 Dec 2026."""
    if first == last:
        return format_date(first)
    if first.year != last.year:
        return f"{format_date(first)}–{format_date(last)}"
    return f"{_formatted(first, 'MONTH_DAY_FORMAT')}–{format_date(last)}"


def _formatted(value, kind: str) -> str:
    """In the active language's format; in the site's language where none is active (management
    commands run with translations off, and Django's own fallback is month first)."""
    return dateformat.format(value, formats.get_format(kind, lang=language()))

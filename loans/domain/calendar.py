"""The fund's working days: which days a due date may fall on, with no database.

A day is a working day unless it is one of the fund's weekly rest days (Sunday by default) or
one of its non-working days (Tết, public holidays: `fund.NonWorkingDay`). A due date falling on
a day off moves to the next working day (`loans.domain.schedule`).
"""

from dataclasses import dataclass
from datetime import date, timedelta

SUNDAY = 6  # date.weekday(): Monday 0 ... Sunday 6
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Rest weekdays (`date.weekday()` numbers, at least one day of the week left to work) and
    the dates of the non-working days."""

    rest_weekdays: frozenset[int] = frozenset({SUNDAY})
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        if not self.rest_weekdays < frozenset(range(7)):
            raise ValueError("rest weekdays are numbers 0 to 6, and not all seven of them")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.rest_weekdays and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while day.weekday() in self.rest_weekdays or day in self.holidays:
            day += ONE_DAY
        return day

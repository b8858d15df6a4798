"""Day counts: what a stretch of days is worth in years of interest.

A basis counts the years from `start` (counted) to `end` (not counted) as a whole number over a
fixed denominator: 31 days are 31/365 on actual_365. Keeping the count whole lets interest over
many stretches, each on its own balance, be summed exactly and divided once; interest is
principal × annual rate × years. Adding a basis is adding an entry to `BASES`.

Nothing here rounds: amounts become whole đồng where they become an installment or a posting.
"""

from calendar import isleap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

ACTUAL_365 = "actual_365"
ACTUAL_ACTUAL = "actual_actual"

# Wide enough that multiplying and dividing 18-digit amounts stays exact to far below a đồng,
# so an amount that is exactly half a đồng is still exactly half when it is rounded.
_EXACT = Context(prec=60)


@dataclass(frozen=True)
class Basis:
    """Years from `start` to `end` = `count(start, end) / denominator`."""

    denominator: int
    count: Callable[[date, date], int]

    def interest(self, balance_count: Decimal, annual_rate: Decimal) -> Decimal:
        """Unrounded interest on Σ balance × count over stretches of days, at `annual_rate`."""
        return _EXACT.divide(_EXACT.multiply(annual_rate, balance_count), self.denominator)


def _actual_days(start: date, end: date) -> int:
    return (end - start).days


def _actual_actual_count(start: date, end: date) -> int:
    # Over 365 × 366: a day of a leap year counts 365 (1/366 of a year), any other day 366.
    count = 0
    while start.year < end.year:
        new_year = date(start.year + 1, 1, 1)
        count += (new_year - start).days * (365 if isleap(start.year) else 366)
        start = new_year
    return count + (end - start).days * (365 if isleap(start.year) else 366)


BASES: dict[str, Basis] = {
    ACTUAL_365: Basis(365, _actual_days),
    ACTUAL_ACTUAL: Basis(365 * 366, _actual_actual_count),
}


def interest(principal: Decimal, annual_rate: Decimal, start: date, end: date, basis: str) -> Decimal:
    """Unrounded interest on `principal` at `annual_rate` (0.0660 = 6.6 %/year) from `start` to `end`."""
    if basis not in BASES:
        raise ValueError(f"unknown day-count basis {basis!r}; known: {', '.join(BASES)}")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    day_count = BASES[basis]
    return day_count.interest(principal * day_count.count(start, end), annual_rate)


def year_fraction(start: date, end: date, basis: str) -> Decimal:
    """Unrounded years from `start` to `end` under `basis`: 31 days are 31/365 on actual_365."""
    return interest(Decimal(1), Decimal(1), start, end, basis)

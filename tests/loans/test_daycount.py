from calendar import isleap
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.domain.daycount import ACTUAL_365, ACTUAL_ACTUAL, BASES, interest, year_fraction


def test_actual_365_counts_every_day_against_365():
    # 36,500,000 × 10 % / 365 = 10,000 a day; 15 Jan → 15 Feb 2026 is 31 days: 310,000.
    assert (
        interest(Decimal(36_500_000), Decimal("0.10"), date(2026, 1, 15), date(2026, 2, 15), ACTUAL_365)
        == 310_000
    )
    # A leap year is 366 days, so 366/365 of a year: 36,500,000 × 10 % × 366 / 365 = 3,660,000.
    assert (
        interest(Decimal(36_500_000), Decimal("0.10"), date(2028, 1, 1), date(2029, 1, 1), ACTUAL_365)
        == 3_660_000
    )


def test_actual_actual_splits_at_the_new_year():
    # 133,590,000 × 10 % = 13,359,000 a year: 36,600 a day in 2027 (/365), 36,500 a day in 2028 (/366).
    # 15 Dec 2027 → 15 Jan 2028: 17 days of 2027 × 36,600 = 622,200 + 14 days of 2028 × 36,500 = 511,000.
    assert interest(
        Decimal(133_590_000), Decimal("0.10"), date(2027, 12, 15), date(2028, 1, 15), ACTUAL_ACTUAL
    ) == Decimal(1_133_200)
    # The same days on actual_365: 31 × 36,600 = 1,134,600.
    assert interest(
        Decimal(133_590_000), Decimal("0.10"), date(2027, 12, 15), date(2028, 1, 15), ACTUAL_365
    ) == Decimal(1_134_600)


def test_a_calendar_year_is_one_year_on_actual_actual():
    assert year_fraction(date(2028, 1, 1), date(2029, 1, 1), ACTUAL_ACTUAL) == 1
    assert year_fraction(date(2027, 1, 1), date(2028, 1, 1), ACTUAL_ACTUAL) == 1
    # 1 Jul 2027 → 1 Jul 2028 is 184/365 + 182/366 = 1.0014 years: 184 days of 2027 count more.
    assert 1 < year_fraction(date(2027, 7, 1), date(2028, 7, 1), ACTUAL_ACTUAL) < Decimal("1.0014")


def test_nothing_is_rounded_so_half_a_dong_stays_half():
    # 73 × 50 % × 5 / 365 = 0.5 exactly; rounding it is the schedule's business, not the day count's.
    assert interest(Decimal(73), Decimal("0.5"), date(2026, 1, 1), date(2026, 1, 6), ACTUAL_365) == Decimal(
        "0.5"
    )
    assert year_fraction(date(2026, 1, 1), date(2026, 3, 15), ACTUAL_365) == Decimal("0.2")  # 73 / 365


def test_an_empty_period_earns_nothing():
    assert year_fraction(date(2026, 5, 1), date(2026, 5, 1), ACTUAL_ACTUAL) == 0


@pytest.mark.parametrize(
    ("start", "end", "basis"),
    [
        (date(2026, 2, 1), date(2026, 1, 1), ACTUAL_365),
        (date(2026, 1, 1), date(2026, 2, 1), "30_360"),
    ],
)
def test_refuses_a_period_backwards_or_an_unknown_basis(start, end, basis):
    with pytest.raises(ValueError):
        year_fraction(start, end, basis)


@settings(deadline=None)
@given(
    start=st.dates(date(2000, 1, 1), date(2060, 1, 1)),
    days=st.integers(0, 4000),
    basis=st.sampled_from(sorted(BASES)),
)
def test_year_fraction_is_the_sum_of_its_days(start, days, basis):
    end = start + timedelta(days=days)
    by_day = sum(
        Fraction(1, 365 if basis == ACTUAL_365 or not isleap((start + timedelta(n)).year) else 366)
        for n in range(days)
    )
    assert abs(Fraction(year_fraction(start, end, basis)) - by_day) < Fraction(1, 10**40)

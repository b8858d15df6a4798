"""The schedule engine against schedules worked out by hand, and its invariants.

Every expected figure is a literal; the comment beside it is the arithmetic that gave it
(interest = opening principal × annual rate × days / 365, rounded half-up to the đồng).
"""

import calendar
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor, lcm

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.domain.daycount import ACTUAL_365, ACTUAL_ACTUAL
from loans.domain.schedule import (
    ANNUITY,
    BULLET,
    EQUAL_PRINCIPAL,
    FREQUENCIES,
    LOWER_INSTALLMENTS,
    METHODS,
    PREPAYMENT_MODES,
    SHORTEN_TERM,
    ScheduleError,
    ScheduleTerms,
    build_schedule,
    combine,
    rebuild_future,
)

D = Decimal


def terms(**changes) -> ScheduleTerms:
    fields = {
        "principal": D(100_000_000),
        "annual_rate": D("0.066"),
        "start_date": date(2026, 1, 15),
        "term_months": 12,
        "method": EQUAL_PRINCIPAL,
        "principal_frequency": 1,
        "interest_frequency": 1,
    }
    return ScheduleTerms(**(fields | changes))


def table(rows):
    """(due date, days, opening, principal, interest, closing) of each row."""
    return [
        (row.due_date, row.days, row.opening_principal, row.principal, row.interest, row.closing_principal)
        for row in rows
    ]


# Worked by hand ---------------------------------------------------------------------------------


def test_equal_principal_monthly_over_a_year():
    rows = build_schedule(terms())
    # Principal 100,000,000 / 12 = 8,333,333.33 → 8,333,333 a month; the last takes
    # 100,000,000 − 11 × 8,333,333 = 8,333,337.
    assert table(rows) == [
        # 100,000,000 × 0.066 × 31 / 365 = 204,600,000 / 365 = 560,547.95
        (date(2026, 2, 15), 31, 100_000_000, 8_333_333, 560_548, 91_666_667),
        # 91,666,667 × 0.066 × 28 / 365 = 169,400,000.616 / 365 = 464,109.59
        (date(2026, 3, 15), 28, 91_666_667, 8_333_333, 464_110, 83_333_334),
        # 83,333,334 × 0.066 × 31 / 365 = 170,500,001.364 / 365 = 467,123.29
        (date(2026, 4, 15), 31, 83_333_334, 8_333_333, 467_123, 75_000_001),
        # 75,000,001 × 0.066 × 30 / 365 = 148,500,001.98 / 365 = 406,849.32
        (date(2026, 5, 15), 30, 75_000_001, 8_333_333, 406_849, 66_666_668),
        # 66,666,668 × 0.066 × 31 / 365 = 136,400,002.728 / 365 = 373,698.64
        (date(2026, 6, 15), 31, 66_666_668, 8_333_333, 373_699, 58_333_335),
        # 58,333,335 × 0.066 × 30 / 365 = 115,500,003.3 / 365 = 316,438.37
        (date(2026, 7, 15), 30, 58_333_335, 8_333_333, 316_438, 50_000_002),
        # 50,000,002 × 0.066 × 31 / 365 = 102,300,004.092 / 365 = 280,273.98
        (date(2026, 8, 15), 31, 50_000_002, 8_333_333, 280_274, 41_666_669),
        # 41,666,669 × 0.066 × 31 / 365 = 85,250,004.774 / 365 = 233,561.66
        (date(2026, 9, 15), 31, 41_666_669, 8_333_333, 233_562, 33_333_336),
        # 33,333,336 × 0.066 × 30 / 365 = 66,000,005.28 / 365 = 180,821.93
        (date(2026, 10, 15), 30, 33_333_336, 8_333_333, 180_822, 25_000_003),
        # 25,000,003 × 0.066 × 31 / 365 = 51,150,006.138 / 365 = 140,137.00
        (date(2026, 11, 15), 31, 25_000_003, 8_333_333, 140_137, 16_666_670),
        # 16,666,670 × 0.066 × 30 / 365 = 33,000,006.6 / 365 = 90,410.98
        (date(2026, 12, 15), 30, 16_666_670, 8_333_333, 90_411, 8_333_337),
        # 8,333,337 × 0.066 × 31 / 365 = 17,050,007.502 / 365 = 46,712.35
        (date(2027, 1, 15), 31, 8_333_337, 8_333_337, 46_712, 0),
    ]
    assert [row.number for row in rows] == list(range(1, 13))
    assert rows[0].period_start == date(2026, 1, 15)
    assert rows[0].total == 8_893_881  # 8,333,333 + 560,548


def grace_terms() -> ScheduleTerms:
    # 90,000,000 at 7.2 % from 10 Mar 2026 for 12 months: principal monthly after a 3-month grace,
    # interest quarterly (10 Jun, 10 Sep, 10 Dec, 10 Mar).
    return terms(
        principal=D(90_000_000),
        annual_rate=D("0.072"),
        start_date=date(2026, 3, 10),
        interest_frequency=3,
        grace_months=3,
    )


def test_equal_principal_with_a_grace_and_quarterly_interest():
    rows = build_schedule(grace_terms())
    # Nothing falls due in April and May; 10 Jun is interest only (the grace runs to 10 Jun);
    # then 9 principal dates, 90,000,000 / 9 = 10,000,000 each.
    assert table(rows) == [
        # 90,000,000 × 0.072 × 92 / 365 = 596,160,000 / 365 = 1,633,315.07
        (date(2026, 6, 10), 92, 90_000_000, 0, 1_633_315, 90_000_000),
        (date(2026, 7, 10), 30, 90_000_000, 10_000_000, 0, 80_000_000),
        (date(2026, 8, 10), 31, 80_000_000, 10_000_000, 0, 70_000_000),
        # (90,000,000 × 30 + 80,000,000 × 31 + 70,000,000 × 31) × 0.072 / 365
        #   = 7,350,000,000 × 0.072 / 365 = 529,200,000 / 365 = 1,449,863.01
        (date(2026, 9, 10), 31, 70_000_000, 10_000_000, 1_449_863, 60_000_000),
        (date(2026, 10, 10), 30, 60_000_000, 10_000_000, 0, 50_000_000),
        (date(2026, 11, 10), 31, 50_000_000, 10_000_000, 0, 40_000_000),
        # (60,000,000 × 30 + 50,000,000 × 31 + 40,000,000 × 30) × 0.072 / 365
        #   = 4,550,000,000 × 0.072 / 365 = 327,600,000 / 365 = 897,534.25
        (date(2026, 12, 10), 30, 40_000_000, 10_000_000, 897_534, 30_000_000),
        (date(2027, 1, 10), 31, 30_000_000, 10_000_000, 0, 20_000_000),
        (date(2027, 2, 10), 31, 20_000_000, 10_000_000, 0, 10_000_000),
        # (30,000,000 × 31 + 20,000,000 × 31 + 10,000,000 × 28) × 0.072 / 365
        #   = 1,830,000,000 × 0.072 / 365 = 131,760,000 / 365 = 360,986.30
        (date(2027, 3, 10), 28, 10_000_000, 10_000_000, 360_986, 0),
    ]
    # Quarterly interest accrues over the three monthly rows before it.
    assert [row.interest_from for row in rows if row.interest] == [
        date(2026, 3, 10),
        date(2026, 6, 10),
        date(2026, 9, 10),
        date(2026, 12, 10),
    ]
    assert rows[1].interest_from == rows[1].due_date  # collects no interest


def annuity_terms(**changes) -> ScheduleTerms:
    return terms(
        **{"principal": D(60_000_000), "annual_rate": D("0.09"), "term_months": 6, "method": ANNUITY}
        | changes
    )


def test_annuity_monthly():
    rows = build_schedule(annuity_terms())
    # r = 0.09 × 1 / 12 = 0.0075; 1.0075^6 = 1.045852235; P = 60,000,000 × 0.0075 / (1 − 1 / 1.045852235)
    #   = 10,264,134.45 → 10,264,134; principal = P − the row's actual-day interest.
    assert table(rows) == [
        # 60,000,000 × 0.09 × 31 / 365 = 458,630.14; 10,264,134 − 458,630 = 9,805,504
        (date(2026, 2, 15), 31, 60_000_000, 9_805_504, 458_630, 50_194_496),
        # 50,194,496 × 0.09 × 28 / 365 = 346,548.30; 10,264,134 − 346,548 = 9,917,586
        (date(2026, 3, 15), 28, 50_194_496, 9_917_586, 346_548, 40_276_910),
        # 40,276,910 × 0.09 × 31 / 365 = 307,870.08; 10,264,134 − 307,870 = 9,956,264
        (date(2026, 4, 15), 31, 40_276_910, 9_956_264, 307_870, 30_320_646),
        # 30,320,646 × 0.09 × 30 / 365 = 224,289.71; 10,264,134 − 224,290 = 10,039,844
        (date(2026, 5, 15), 30, 30_320_646, 10_039_844, 224_290, 20_280_802),
        # 20,280,802 × 0.09 × 31 / 365 = 155,023.12; 10,264,134 − 155,023 = 10,109,111
        (date(2026, 6, 15), 31, 20_280_802, 10_109_111, 155_023, 10_171_691),
        # The last row takes what is left: 10,171,691; 10,171,691 × 0.09 × 30 / 365 = 75,242.65
        (date(2026, 7, 15), 30, 10_171_691, 10_171_691, 75_243, 0),
    ]
    assert [row.total for row in rows[:-1]] == [10_264_134] * 5
    assert rows[-1].total == 10_246_934  # 10,171,691 + 75,243


def test_annuity_pays_interest_only_during_its_grace():
    rows = build_schedule(annuity_terms(term_months=9, grace_months=3))
    # n = 6 principal dates after the grace, so P = 10,264,134 as in the 6-month loan.
    assert table(rows[:4]) == [
        (date(2026, 2, 15), 31, 60_000_000, 0, 458_630, 60_000_000),  # 60,000,000 × 0.09 × 31 / 365
        (date(2026, 3, 15), 28, 60_000_000, 0, 414_247, 60_000_000),  # × 28 / 365 = 414,246.58
        (date(2026, 4, 15), 31, 60_000_000, 0, 458_630, 60_000_000),
        # 60,000,000 × 0.09 × 30 / 365 = 443,835.62; 10,264,134 − 443,836 = 9,820,298
        (date(2026, 5, 15), 30, 60_000_000, 9_820_298, 443_836, 50_179_702),
    ]
    assert [row.total for row in rows[3:-1]] == [10_264_134] * 5
    assert rows[-1].due_date == date(2026, 10, 15)


def test_bullet_with_quarterly_interest():
    rows = build_schedule(
        terms(
            principal=D(50_000_000),
            annual_rate=D("0.06"),
            start_date=date(2026, 7, 1),
            method=BULLET,
            principal_frequency=0,
            interest_frequency=3,
        )
    )
    # 50,000,000 × 0.06 = 3,000,000 a year.
    assert table(rows) == [
        (date(2026, 10, 1), 92, 50_000_000, 0, 756_164, 50_000_000),  # 3,000,000 × 92 / 365 = 756,164.38
        (date(2027, 1, 1), 92, 50_000_000, 0, 756_164, 50_000_000),  # 3,000,000 × 92 / 365 = 756,164.38
        (date(2027, 4, 1), 90, 50_000_000, 0, 739_726, 50_000_000),  # 3,000,000 × 90 / 365 = 739,726.03
        (date(2027, 7, 1), 91, 50_000_000, 50_000_000, 747_945, 0),  # 3,000,000 × 91 / 365 = 747,945.21
    ]


def leap_terms(basis: str) -> ScheduleTerms:
    # 100,000,000 at 7.3 % from 15 Dec 2027 for 3 months: 0.073 / 365 × 100,000,000 = 20,000 a day.
    # Principal 100,000,000 / 3 = 33,333,333.33 → 33,333,333, 33,333,333 and 33,333,334.
    return terms(annual_rate=D("0.073"), start_date=date(2027, 12, 15), term_months=3, basis=basis)


def test_across_29_february_2028_on_actual_365():
    assert table(build_schedule(leap_terms(ACTUAL_365))) == [
        (date(2028, 1, 15), 31, 100_000_000, 33_333_333, 620_000, 66_666_667),  # 31 × 20,000
        # 66,666,667 × 0.073 × 31 / 365 = 413,333.34
        (date(2028, 2, 15), 31, 66_666_667, 33_333_333, 413_333, 33_333_334),
        # 15 Feb → 15 Mar 2028 is 29 days: 33,333,334 × 0.073 × 29 / 365 = 193,333.34
        (date(2028, 3, 15), 29, 33_333_334, 33_333_334, 193_333, 0),
    ]


def test_across_29_february_2028_on_actual_actual():
    assert table(build_schedule(leap_terms(ACTUAL_ACTUAL))) == [
        # 17 days of 2027: 7,300,000 × 17 / 365 = 340,000; 14 days of 2028: 7,300,000 × 14 / 366
        #   = 279,234.97; together 619,234.97
        (date(2028, 1, 15), 31, 100_000_000, 33_333_333, 619_235, 66_666_667),
        # 66,666,667 × 0.073 × 31 / 366 = 150,866,667.42 / 366 = 412,204.01
        (date(2028, 2, 15), 31, 66_666_667, 33_333_333, 412_204, 33_333_334),
        # 33,333,334 × 0.073 × 29 / 366 = 70,566,668.08 / 366 = 192,805.10
        (date(2028, 3, 15), 29, 33_333_334, 33_333_334, 192_805, 0),
    ]


def test_a_month_end_start_keeps_to_month_ends():
    rows = build_schedule(
        terms(
            annual_rate=D("0.073"),
            start_date=date(2028, 1, 31),
            term_months=4,
            method=BULLET,
            principal_frequency=0,
        )
    )
    # 20,000 a day (100,000,000 × 0.073 / 365).
    assert table(rows) == [
        (date(2028, 2, 29), 29, 100_000_000, 0, 580_000, 100_000_000),
        (date(2028, 3, 31), 31, 100_000_000, 0, 620_000, 100_000_000),
        (date(2028, 4, 30), 30, 100_000_000, 0, 600_000, 100_000_000),
        (date(2028, 5, 31), 31, 100_000_000, 100_000_000, 620_000, 0),
    ]


def test_a_due_day_clamped_in_february_comes_back_in_march():
    rows = build_schedule(terms(start_date=date(2026, 12, 31), term_months=3))
    assert [row.due_date for row in rows] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]


def test_a_first_due_date_sets_the_day_and_the_last_period_ends_at_maturity():
    rows = build_schedule(
        terms(start_date=date(2026, 1, 10), term_months=4, first_due_date=date(2026, 2, 25))
    )
    assert [(row.due_date, row.days) for row in rows] == [
        (date(2026, 2, 25), 46),  # a long first period: 10 Jan → 25 Feb
        (date(2026, 3, 25), 28),
        (date(2026, 4, 25), 31),
        (date(2026, 5, 10), 15),  # the maturity, 10 Jan + 4 months
    ]


def test_principal_and_interest_on_their_own_frequencies():
    rows = build_schedule(terms(principal=D(120_000_000), principal_frequency=3))
    # Interest every month; 120,000,000 / 4 = 30,000,000 every third month from the start.
    assert [(row.due_date, row.principal) for row in rows if row.principal] == [
        (date(2026, 4, 15), 30_000_000),
        (date(2026, 7, 15), 30_000_000),
        (date(2026, 10, 15), 30_000_000),
        (date(2027, 1, 15), 30_000_000),
    ]
    assert len(rows) == 12
    assert all(row.interest > 0 for row in rows)


def test_fewer_dong_than_rows_never_makes_a_negative_row():
    # 2 đồng over 4 months: 2 / 4 = 0.5 → 1, so 1, 1, then nothing is left for the last two.
    rows = build_schedule(terms(principal=D(2), term_months=4))
    assert [row.principal for row in rows] == [1, 1, 0, 0]


# Rebuilding after a prepayment -----------------------------------------------------------------


def prepaid():
    # 120,000,000 at 6 % from 15 Jan 2026, 10,000,000 principal a month. On 15 Apr, with
    # 3 rows paid (90,000,000 left), the borrower prepays 25,000,000: 65,000,000 remain.
    loan = terms(principal=D(120_000_000), annual_rate=D("0.06"))
    return loan, build_schedule(loan)


def test_a_prepayment_that_shortens_the_term():
    loan, rows = prepaid()
    future = rebuild_future(
        loan, rows=rows, as_of=date(2026, 4, 15), outstanding=D(65_000_000), mode=SHORTEN_TERM
    )
    # Each row keeps its 10,000,000; 65,000,000 lasts six rows and 5,000,000 of a seventh.
    assert [row.number for row in future] == [4, 5, 6, 7, 8, 9, 10]
    assert table(future) == [
        # 65,000,000 × 0.06 × 30 / 365 = 320,547.95
        (date(2026, 5, 15), 30, 65_000_000, 10_000_000, 320_548, 55_000_000),
        # 55,000,000 × 0.06 × 31 / 365 = 280,273.97
        (date(2026, 6, 15), 31, 55_000_000, 10_000_000, 280_274, 45_000_000),
        # 45,000,000 × 0.06 × 30 / 365 = 221,917.81
        (date(2026, 7, 15), 30, 45_000_000, 10_000_000, 221_918, 35_000_000),
        # 35,000,000 × 0.06 × 31 / 365 = 178,356.16
        (date(2026, 8, 15), 31, 35_000_000, 10_000_000, 178_356, 25_000_000),
        # 25,000,000 × 0.06 × 31 / 365 = 127,397.26
        (date(2026, 9, 15), 31, 25_000_000, 10_000_000, 127_397, 15_000_000),
        # 15,000,000 × 0.06 × 30 / 365 = 73,972.60
        (date(2026, 10, 15), 30, 15_000_000, 10_000_000, 73_973, 5_000_000),
        # 5,000,000 × 0.06 × 31 / 365 = 25,479.45
        (date(2026, 11, 15), 31, 5_000_000, 5_000_000, 25_479, 0),
    ]


def test_a_prepayment_that_lowers_the_installments():
    loan, rows = prepaid()
    future = rebuild_future(
        loan, rows=rows, as_of=date(2026, 4, 15), outstanding=D(65_000_000), mode=LOWER_INSTALLMENTS
    )
    # The 9 dates stay: 65,000,000 / 9 = 7,222,222.22 → 7,222,222;
    # the last takes 65,000,000 − 8 × 7,222,222 = 7,222,224.
    assert [row.number for row in future] == list(range(4, 13))
    assert [row.principal for row in future] == [7_222_222] * 8 + [7_222_224]
    assert future[0].interest == 320_548  # 65,000,000 × 0.06 × 30 / 365 = 320,547.95
    assert future[-1].interest == 36_804  # 7,222,224 × 0.06 × 31 / 365 = 36,803.66


def test_interest_after_a_prepayment_runs_from_the_prepayment_date():
    loan, rows = prepaid()
    future = rebuild_future(
        loan, rows=rows, as_of=date(2026, 5, 1), outstanding=D(65_000_000), mode=SHORTEN_TERM
    )
    first = future[0]
    assert (first.number, first.period_start, first.interest_from, first.days) == (
        4,
        date(2026, 5, 1),
        date(2026, 5, 1),
        14,
    )
    assert first.interest == 149_589  # 65,000,000 × 0.06 × 14 / 365 = 149,589.04


def test_an_annuity_prepayment_either_way():
    loan = annuity_terms()
    rows = build_schedule(loan)
    # On 1 Mar 2026, one row paid, 30,000,000 left after a prepayment.
    shorter = rebuild_future(
        loan, rows=rows, as_of=date(2026, 3, 1), outstanding=D(30_000_000), mode=SHORTEN_TERM
    )
    # The payment stays 10,264,134.
    assert table(shorter) == [
        # 30,000,000 × 0.09 × 14 / 365 = 103,561.64; 10,264,134 − 103,562 = 10,160,572
        (date(2026, 3, 15), 14, 30_000_000, 10_160_572, 103_562, 19_839_428),
        # 19,839,428 × 0.09 × 31 / 365 = 151,649.33; 10,264,134 − 151,649 = 10,112,485
        (date(2026, 4, 15), 31, 19_839_428, 10_112_485, 151_649, 9_726_943),
        # 9,726,943 × 0.09 × 30 / 365 = 71,952.73
        (date(2026, 5, 15), 30, 9_726_943, 9_726_943, 71_953, 0),
    ]
    lower = rebuild_future(
        loan, rows=rows, as_of=date(2026, 3, 1), outstanding=D(30_000_000), mode=LOWER_INSTALLMENTS
    )
    # 5 dates left: 1.0075^5 = 1.038066735; P = 30,000,000 × 0.0075 / (1 − 1 / 1.038066735) = 6,135,672.47
    assert table(lower) == [
        (date(2026, 3, 15), 14, 30_000_000, 6_032_110, 103_562, 23_967_890),  # 6,135,672 − 103,562
        # 23,967,890 × 0.09 × 31 / 365 = 183,206.61
        (date(2026, 4, 15), 31, 23_967_890, 5_952_465, 183_207, 18_015_425),
        # 18,015,425 × 0.09 × 30 / 365 = 133,264.79
        (date(2026, 5, 15), 30, 18_015_425, 6_002_407, 133_265, 12_013_018),
        # 12,013,018 × 0.09 × 31 / 365 = 91,825.53
        (date(2026, 6, 15), 31, 12_013_018, 6_043_846, 91_826, 5_969_172),
        # 5,969,172 × 0.09 × 30 / 365 = 44,155.52
        (date(2026, 7, 15), 30, 5_969_172, 5_969_172, 44_156, 0),
    ]


def test_a_shortened_schedule_collects_the_quarter_interest_on_its_new_last_row():
    loan = grace_terms()
    rows = build_schedule(loan)
    # On 10 Sep 2026 (60,000,000 scheduled) the borrower prepays down to 15,000,000: 10 Oct takes
    # 10,000,000 and 10 Nov, a principal-only date, the last 5,000,000 and the interest since 10 Sep.
    future = rebuild_future(
        loan, rows=rows, as_of=date(2026, 9, 10), outstanding=D(15_000_000), mode=SHORTEN_TERM
    )
    assert table(future) == [
        (date(2026, 10, 10), 30, 15_000_000, 10_000_000, 0, 5_000_000),
        # (15,000,000 × 30 + 5,000,000 × 31) × 0.072 / 365 = 43,560,000 / 365 = 119,342.47
        (date(2026, 11, 10), 31, 5_000_000, 5_000_000, 119_342, 0),
    ]
    assert future[-1].interest_from == date(2026, 9, 10)

    lower = rebuild_future(
        loan, rows=rows, as_of=date(2026, 9, 10), outstanding=D(15_000_000), mode=LOWER_INSTALLMENTS
    )
    # 6 principal dates left: 2,500,000 each; interest still quarterly.
    assert [(row.due_date, row.principal, row.interest) for row in lower] == [
        (date(2026, 10, 10), 2_500_000, 0),
        (date(2026, 11, 10), 2_500_000, 0),
        # (15,000,000 × 30 + 12,500,000 × 31 + 10,000,000 × 30) × 0.072 / 365 = 224,383.56
        (date(2026, 12, 10), 2_500_000, 224_384),
        (date(2027, 1, 10), 2_500_000, 0),
        (date(2027, 2, 10), 2_500_000, 0),
        # (7,500,000 × 31 + 5,000,000 × 31 + 2,500,000 × 28) × 0.072 / 365 = 90,246.58
        (date(2027, 3, 10), 2_500_000, 90_247),
    ]


def test_a_full_prepayment_leaves_no_rows():
    loan, rows = prepaid()
    assert rebuild_future(loan, rows=rows, as_of=date(2026, 4, 20), outstanding=D(0), mode=SHORTEN_TERM) == []
    assert rebuild_future(loan, rows=rows, as_of=date(2027, 1, 15), outstanding=D(0), mode=SHORTEN_TERM) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "shorter"}, "mode"),
        ({"outstanding": D(-1)}, "outstanding"),
        ({"outstanding": D("10.5")}, "outstanding"),
        ({"as_of": date(2025, 12, 31)}, "as_of"),
        ({"as_of": date(2027, 1, 15)}, "as_of"),  # the last due date: no row to put 65,000,000 in
    ],
)
def test_rebuild_refuses_what_it_cannot_do(changes, field):
    loan, rows = prepaid()
    arguments = {"rows": rows, "as_of": date(2026, 4, 15), "outstanding": D(65_000_000), "mode": SHORTEN_TERM}
    with pytest.raises(ScheduleError) as refused:
        rebuild_future(loan, **(arguments | changes))
    assert list(refused.value.errors) == [field]


# Household groups -------------------------------------------------------------------------------


def test_a_group_schedule_sums_its_members():
    common = {"annual_rate": D("0.073"), "start_date": date(2026, 1, 15), "term_months": 3}
    first = build_schedule(terms(principal=D(60_000_000), **common))
    second = build_schedule(terms(principal=D(40_000_000), **common))
    # 0.073 × 31 / 365 = 0.0062 and 0.073 × 28 / 365 = 0.0056.
    # First member: 20,000,000 a month;
    #   60M × 0.0062 = 372,000, 40M × 0.0056 = 224,000, 20M × 0.0062 = 124,000.
    # Second: 13,333,333, 13,333,333, 13,333,334; 40M × 0.0062 = 248,000,
    #   26,666,667 × 0.0056 = 149,333.34 → 149,333, 13,333,334 × 0.0062 = 82,666.67 → 82,667.
    assert table(combine([first, second])) == [
        (date(2026, 2, 15), 31, 100_000_000, 33_333_333, 620_000, 66_666_667),  # 372,000 + 248,000
        (date(2026, 3, 15), 28, 66_666_667, 33_333_333, 373_333, 33_333_334),  # 224,000 + 149,333
        (date(2026, 4, 15), 31, 33_333_334, 33_333_334, 206_667, 0),  # 124,000 + 82,667
    ]


def test_a_group_member_with_nothing_due_still_counts_in_the_outstanding():
    first = build_schedule(terms(principal=D(60_000_000), annual_rate=D("0.073"), term_months=3))
    # Disbursed later, on 1 Feb, interest monthly and principal at maturity (1 Apr).
    second = build_schedule(
        terms(
            principal=D(40_000_000),
            annual_rate=D("0.073"),
            start_date=date(2026, 2, 1),
            term_months=2,
            method=BULLET,
            principal_frequency=0,
        )
    )
    assert table(combine([first, second])) == [
        (date(2026, 2, 15), 31, 100_000_000, 20_000_000, 372_000, 80_000_000),  # first: 60M × 0.0062
        # 40,000,000 × 0.073 × 28 / 365 = 224,000 (1 Feb → 1 Mar)
        (date(2026, 3, 1), 14, 80_000_000, 0, 224_000, 80_000_000),
        (date(2026, 3, 15), 14, 80_000_000, 20_000_000, 224_000, 60_000_000),  # first: 40M × 0.0056
        # 40,000,000 × 0.073 × 31 / 365 = 248,000 (1 Mar → 1 Apr)
        (date(2026, 4, 1), 17, 60_000_000, 40_000_000, 248_000, 20_000_000),
        (date(2026, 4, 15), 14, 20_000_000, 20_000_000, 124_000, 0),  # first: 20M × 0.0062
    ]


def test_combining_nothing_gives_nothing():
    assert combine([]) == []


# Refusing impossible terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"principal": D(0)}, "principal"),
        ({"principal": D("1000.5")}, "principal"),
        ({"principal": D("NaN")}, "principal"),
        ({"annual_rate": D("-0.01")}, "annual_rate"),
        ({"term_months": 0}, "term_months"),
        ({"method": "balloon"}, "method"),
        ({"basis": "30_360"}, "basis"),
        ({"principal_frequency": 2}, "principal_frequency"),
        (
            {"interest_frequency": 6, "term_months": 9},
            "interest_frequency",
        ),  # 9 months is not whole half-years
        ({"method": ANNUITY, "principal_frequency": 3}, "principal_frequency"),
        ({"method": BULLET}, "principal_frequency"),
        ({"grace_months": 12}, "grace_months"),
        ({"grace_months": -1}, "grace_months"),
        ({"first_due_date": date(2026, 1, 15)}, "first_due_date"),  # the start itself
        ({"first_due_date": date(2027, 1, 16)}, "first_due_date"),  # after maturity
        ({"interest_frequency": 0, "first_due_date": date(2026, 6, 15)}, "first_due_date"),
    ],
)
def test_impossible_terms_are_refused_field_by_field(changes, field):
    with pytest.raises(ScheduleError) as refused:
        terms(**changes)
    assert list(refused.value.errors) == [field]
    assert str(refused.value)  # a message for each


def test_every_problem_is_reported_at_once():
    with pytest.raises(ScheduleError) as refused:
        terms(principal=D(-5), annual_rate=D("-0.1"), grace_months=20)
    assert set(refused.value.errors) == {"principal", "annual_rate", "grace_months"}


def test_floats_are_refused():
    with pytest.raises(TypeError):
        terms(principal=100_000_000.0)
    with pytest.raises(TypeError):
        terms(annual_rate=0.066)


# Invariants -------------------------------------------------------------------------------------


@st.composite
def any_terms(draw, method=None):
    method = method or draw(st.sampled_from(METHODS))
    interest_frequency = draw(st.sampled_from(FREQUENCIES))
    if method == ANNUITY:
        principal_frequency = interest_frequency
    elif method == BULLET:
        principal_frequency = 0
    else:
        principal_frequency = draw(st.sampled_from(FREQUENCIES))
    period = lcm(principal_frequency or 1, interest_frequency or 1)
    term = period * draw(st.integers(1, 120 // period))
    loan = ScheduleTerms(
        principal=D(draw(st.one_of(st.integers(1, 1_000), st.integers(1, 10**13)))),
        annual_rate=D(draw(st.integers(0, 3_000))) / 10_000,
        start_date=draw(st.dates(date(2020, 1, 1), date(2040, 12, 31))),
        term_months=term,
        method=method,
        principal_frequency=principal_frequency,
        interest_frequency=interest_frequency,
        grace_months=draw(st.integers(0, term - 1)),
        basis=draw(st.sampled_from([ACTUAL_365, ACTUAL_ACTUAL])),
    )
    if interest_frequency and draw(st.booleans()):
        days = (loan.maturity_date - loan.start_date).days
        loan = replace(loan, first_due_date=loan.start_date + timedelta(days=draw(st.integers(1, days))))
    return loan


def assert_repays(rows, *, outstanding, start, loan):
    """Rows that repay `outstanding` from `start`: balances chain, nothing is negative, dates
    rise, and each interest is the rows' own balances × rate × days / year, rounded once."""
    assert sum(row.principal for row in rows) == outstanding
    previous, balance = start, outstanding
    accrued = Fraction(0)  # unrounded interest since the last row that collected some
    for row in rows:
        assert row.period_start == previous < row.due_date
        assert row.opening_principal == balance
        assert row.closing_principal == row.opening_principal - row.principal
        assert min(row.principal, row.interest, row.closing_principal) >= 0
        days = [row.period_start + timedelta(days=n) for n in range(row.days)]
        leap_days = sum(calendar.isleap(day.year) for day in days) if loan.basis == ACTUAL_ACTUAL else 0
        years = Fraction(leap_days, 366) + Fraction(len(days) - leap_days, 365)
        accrued += Fraction(row.opening_principal) * Fraction(loan.annual_rate) * years
        if row.interest_from == row.due_date:
            assert row.interest == 0
        else:
            assert row.interest == floor(accrued + Fraction(1, 2))  # half-up, once
            accrued = Fraction(0)
        previous, balance = row.due_date, row.closing_principal
    assert balance == 0
    assert accrued == 0  # the last row collects all the interest still due


@settings(max_examples=300, deadline=None)
@given(any_terms())
def test_any_schedule_repays_its_principal_with_interest_on_the_declining_balance(loan):
    rows = build_schedule(loan)
    assert_repays(rows, outstanding=loan.principal, start=loan.start_date, loan=loan)
    assert [row.number for row in rows] == list(range(1, len(rows) + 1))
    assert rows[-1].due_date == _months_later(loan.start_date, loan.term_months)
    grace_end = _months_later(loan.start_date, loan.grace_months)
    assert all(row.principal == 0 for row in rows if row.due_date <= grace_end)


def _months_later(day: date, months: int) -> date:
    year, month = day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@settings(deadline=None)
@given(loan=any_terms(method=EQUAL_PRINCIPAL))
def test_equal_principal_rows_are_equal_but_for_the_last(loan):
    principals = [row.principal for row in build_schedule(loan) if row.principal]
    assert len(set(principals[:-1])) <= 1


@settings(deadline=None)
@given(loan=any_terms(method=ANNUITY))
def test_annuity_payments_are_level_but_for_the_last(loan):
    rows = build_schedule(loan)
    # Rows that neither pay off the loan nor have interest above the payment (no principal then).
    level = [row.total for row in rows[:-1] if 0 < row.principal < row.opening_principal]
    assert len(set(level)) <= 1


@settings(max_examples=300, deadline=None)
@given(loan=any_terms(), mode=st.sampled_from(PREPAYMENT_MODES), data=st.data())
def test_a_rebuild_repays_exactly_what_is_outstanding(loan, mode, data):
    rows = build_schedule(loan)
    as_of = loan.start_date + timedelta(
        days=data.draw(st.integers(0, (rows[-1].due_date - loan.start_date).days - 1))
    )
    scheduled = next(row.opening_principal for row in rows if row.due_date > as_of)
    outstanding = data.draw(st.integers(0, int(scheduled)).map(D))
    future = rebuild_future(loan, rows=rows, as_of=as_of, outstanding=outstanding, mode=mode)
    if outstanding == 0:
        assert future == []
        return
    assert_repays(future, outstanding=outstanding, start=as_of, loan=loan)
    before = [(row.number, row.due_date) for row in rows if row.due_date > as_of]
    after = [(row.number, row.due_date) for row in future]
    if mode == LOWER_INSTALLMENTS:
        assert after == before  # every date stays
    else:
        assert after == before[: len(after)]  # rows drop from the end
        if loan.method != ANNUITY:
            kept = {row.due_date: row.principal for row in rows}
            assert all(row.principal == kept[row.due_date] for row in future[:-1])


@settings(deadline=None)
@given(members=st.lists(any_terms(), max_size=5))
def test_a_group_owes_what_its_members_owe(members):
    schedules = [build_schedule(member) for member in members]
    group = combine(schedules)
    for part in ("principal", "interest"):
        assert sum(getattr(row, part) for row in group) == sum(
            getattr(row, part) for rows in schedules for row in rows
        )
    assert [row.due_date for row in group] == sorted({row.due_date for rows in schedules for row in rows})
    for row in group:
        assert row.closing_principal == row.opening_principal - row.principal >= 0
    if group:
        assert group[0].opening_principal == sum(
            member.principal for member in members if member.start_date <= group[0].due_date
        )
        assert group[-1].closing_principal == 0

"""The appraisal's arithmetic against figures worked out by hand, and its invariants."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appraisal.analysis import (
    CoverageYear,
    DebtService,
    Rated,
    anniversary,
    coverage_by_year,
    debt_service_by_year,
    loan_year,
    lowest_coverage,
    statement_ratios,
    weighted_score,
)
from loans.domain.schedule import ANNUITY, BULLET, EQUAL_PRINCIPAL, Installment, ScheduleTerms, build_schedule

D = Decimal


def test_ratios_of_a_statement():
    ratios = statement_ratios(
        profit=D("150000000"),
        total_assets=D("1000000000"),
        current_assets=D("500000000"),
        total_liabilities=D("600000000"),
        current_liabilities=D("300000000"),
        equity=D("400000000"),
    )
    assert ratios.debt_to_equity == D("1.5000")  # 600 / 400
    assert ratios.current_ratio == D("1.6667")  # 500 / 300 = 1.66666..., half-up to four places
    assert ratios.return_on_assets == D("0.1500")  # 150 / 1 000


def test_ratios_without_a_meaningful_denominator_are_none():
    ratios = statement_ratios(
        profit=D("-20000000"),
        total_assets=D(0),
        current_assets=D(0),
        total_liabilities=D("50000000"),
        current_liabilities=D(0),
        equity=D("-50000000"),
    )
    assert ratios.debt_to_equity is None  # negative equity: the owners have nothing at stake
    assert ratios.current_ratio is None
    assert ratios.return_on_assets is None


def test_a_loss_gives_a_negative_return_on_assets():
    ratios = statement_ratios(
        profit=D("-30000000"),
        total_assets=D("400000000"),
        current_assets=D("100000000"),
        total_liabilities=D("100000000"),
        current_liabilities=D("80000000"),
        equity=D("300000000"),
    )
    assert ratios.return_on_assets == D("-0.0750")  # -30 / 400
    assert ratios.debt_to_equity == D("0.3333")  # 100 / 300 = 0.33333...
    assert ratios.current_ratio == D("1.2500")  # 100 / 80


@pytest.mark.parametrize(
    ("due", "year"),
    [
        (dt.date(2026, 4, 2), 1),  # a month in
        (dt.date(2027, 3, 2), 1),  # on the first anniversary: closes year 1
        (dt.date(2027, 3, 3), 2),  # a day after it
        (dt.date(2028, 3, 2), 2),
        (dt.date(2028, 3, 3), 3),
    ],
)
def test_loan_years_end_on_the_anniversary(due, year):
    assert loan_year(dt.date(2026, 3, 2), due) == year


def test_a_loan_started_on_29_february_has_its_anniversary_on_the_28th():
    start = dt.date(2028, 2, 29)
    assert anniversary(start, 1) == dt.date(2029, 2, 28)
    assert loan_year(start, dt.date(2029, 2, 28)) == 1
    assert loan_year(start, dt.date(2029, 3, 1)) == 2
    assert anniversary(start, 4) == dt.date(2032, 2, 29)


def _row(number, due, principal, interest):
    return Installment(number, due, due, due, D(principal), D(interest), D(0), D(0))


def test_debt_service_adds_up_what_falls_due_in_each_loan_year():
    start = dt.date(2026, 3, 2)
    schedule = [
        _row(1, dt.date(2026, 9, 2), 0, 3_000_000),
        _row(2, dt.date(2027, 3, 2), 50_000_000, 3_100_000),  # the anniversary: still year 1
        _row(3, dt.date(2027, 9, 2), 0, 1_500_000),
        _row(4, dt.date(2029, 3, 2), 50_000_000, 4_000_000),  # year 3; year 2's rest is empty
    ]
    by_year = debt_service_by_year(schedule, start=start)
    assert by_year == {
        1: DebtService(D(50_000_000), D(6_100_000)),  # 3 000 000 + 3 100 000
        2: DebtService(D(0), D(1_500_000)),
        3: DebtService(D(50_000_000), D(4_000_000)),
    }
    assert by_year[1].total == D(56_100_000)


def test_coverage_of_a_bullet_loan_with_quarterly_interest_worked_by_hand():
    # 100 000 000 at 7.3 % a year is 20 000 đồng a day (× 0.073 / 365).
    # Quarters from 2 March 2026: 92, 92, 91, 90 days (year 1: 365 days → 7 300 000),
    # then 92, 92, 91, 91 days (to 2 March 2028, a leap February → 7 320 000) and the principal.
    terms = ScheduleTerms(
        principal=D(100_000_000),
        annual_rate=D("0.073"),
        start_date=dt.date(2026, 3, 2),
        term_months=24,
        method=BULLET,
        principal_frequency=0,
        interest_frequency=3,
    )
    debt = debt_service_by_year(build_schedule(terms), start=terms.start_date)
    assert debt == {
        1: DebtService(D(0), D(7_300_000)),
        2: DebtService(D(100_000_000), D(7_320_000)),
    }
    years = coverage_by_year([(1, D(80_000_000), D(30_000_000)), (2, D(300_000_000), D(150_000_000))], debt)
    # Year 1: (80 − 30) million / 7.3 million = 6.849315... → 6.8493
    # Year 2: 150 million / 107.32 million = 1.397689... → 1.3977
    assert [year.coverage for year in years] == [D("6.8493"), D("1.3977")]
    assert lowest_coverage(years) == D("1.3977")


def test_coverage_marks_years_without_a_plan_or_without_repayments():
    debt = {1: DebtService(D(10_000_000), D(1_000_000)), 2: DebtService(D(10_000_000), D(500_000))}
    years = coverage_by_year([(1, D(30_000_000), D(8_000_000)), (3, D(5_000_000), D(1_000_000))], debt)
    assert [(y.year, y.net, y.coverage) for y in years] == [
        (1, D(22_000_000), D(2)),  # 22 / 11
        (2, None, None),  # repayments but no plan for that year
        (3, D(4_000_000), None),  # a plan year after the loan is repaid
    ]
    assert lowest_coverage(years) == D(2)
    assert lowest_coverage([CoverageYear(1, None, None, None)]) is None


def test_the_weighted_score_worked_by_hand():
    # The default weights 10, 15, 20, 25, 15, 15 (total 100), rated 5, 4, 3, 4, 2, 5 out of 5:
    # 10·5/5 + 15·4/5 + 20·3/5 + 25·4/5 + 15·2/5 + 15·5/5 = 10 + 12 + 12 + 20 + 6 + 15 = 75 → 75 %.
    ratings = [
        Rated(5, 5, D(10)),
        Rated(4, 5, D(15)),
        Rated(3, 5, D(20)),
        Rated(4, 5, D(25)),
        Rated(2, 5, D(15)),
        Rated(5, 5, D(15)),
    ]
    assert weighted_score(ratings) == D("0.7500")


def test_weights_need_not_add_up_to_100():
    # Weights 2 and 1, rated 3/4 and 1/4: (2·0.75 + 1·0.25) / 3 = 1.75 / 3 = 0.58333... → 0.5833
    assert weighted_score([Rated(3, 4, D(2)), Rated(1, 4, D(1))]) == D("0.5833")
    assert weighted_score([]) is None


ratings_strategy = st.lists(
    st.tuples(st.integers(1, 10), st.decimals(D("0.01"), D(100), places=2)).flatmap(
        lambda scale_weight: st.builds(
            Rated, st.integers(0, scale_weight[0]), st.just(scale_weight[0]), st.just(scale_weight[1])
        )
    ),
    min_size=1,
    max_size=8,
)


@given(ratings_strategy)
def test_the_score_stays_between_0_and_1(ratings):
    assert D(0) <= weighted_score(ratings) <= D(1)


@given(ratings_strategy, st.data())
def test_raising_a_rating_never_lowers_the_score(ratings, data):
    index = data.draw(st.integers(0, len(ratings) - 1))
    rated = ratings[index]
    better = Rated(data.draw(st.integers(rated.rating, rated.scale)), rated.scale, rated.weight)
    assert weighted_score([*ratings[:index], better, *ratings[index + 1 :]]) >= weighted_score(ratings)


@given(
    principal=st.integers(1_000_000, 5_000_000_000).map(D),
    rate=st.decimals(D(0), D("0.2"), places=4),
    start=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
    shape=st.sampled_from(
        [(EQUAL_PRINCIPAL, 1, 1), (ANNUITY, 3, 3), (BULLET, 0, 6), (EQUAL_PRINCIPAL, 6, 3)]
    ),
    years=st.integers(1, 5),
)
def test_debt_service_by_year_accounts_for_every_installment(principal, rate, start, shape, years):
    method, principal_frequency, interest_frequency = shape
    terms = ScheduleTerms(
        principal=principal,
        annual_rate=rate,
        start_date=start,
        term_months=12 * years,
        method=method,
        principal_frequency=principal_frequency,
        interest_frequency=interest_frequency,
    )
    schedule = build_schedule(terms)
    by_year = debt_service_by_year(schedule, start=start)
    assert list(by_year) == list(range(1, years + 1))
    assert sum(year.principal for year in by_year.values()) == principal
    assert sum(year.interest for year in by_year.values()) == sum(row.interest for row in schedule)


@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), years=st.integers(1, 30))
def test_each_anniversary_closes_its_loan_year(start, years):
    assert loan_year(start, anniversary(start, years)) == years
    assert loan_year(start, anniversary(start, years) + dt.timedelta(days=1)) == years + 1

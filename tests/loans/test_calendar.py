"""Due dates moved off days off, against figures worked out by hand, and under any calendar.

The running example: 12.000.000 đ for 3 months at 7,3 %/year, equal principal, monthly, from
16/01/2026, actual/365, with Tết 16–20/02/2026 off (and Sundays). 12.000.000 × 0,073 / 365 =
2.400 đ a day; after the first 4.000.000, 1.600 đ; after the second, 800 đ.
Row 1's date, Monday 16/02/2026, is Tết: it falls due on Saturday 21/02/2026.
- Interest to the original date: row 1 collects 31 days (16/01–16/02) = 74.400; row 2 runs
  from 16/02 to 16/03, 28 days × 1.600 = 44.800; row 3 31 days × 800 = 24.800.
- Interest to the moved date: row 1 collects 36 days (16/01–21/02) = 86.400; row 2 runs from
  21/02, 23 days × 1.600 = 36.800; row 3 the same 24.800.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.domain.calendar import WorkingCalendar
from loans.domain.engine import LoanTerms, Payment, Tranche, replay
from loans.domain.schedule import METHODS, ScheduleTerms, build_schedule

TET_2026 = frozenset(date(2026, 2, day) for day in range(16, 21))
FUND = WorkingCalendar(holidays=TET_2026)
START = date(2026, 1, 16)
PRINCIPAL = D(12_000_000)


def terms(*, to_moved: bool, calendar=FUND, **changes) -> ScheduleTerms:
    fields = {
        "principal": PRINCIPAL,
        "annual_rate": D("0.073"),
        "start_date": START,
        "term_months": 3,
        "method": "equal_principal",
        "principal_frequency": 1,
        "interest_frequency": 1,
        "calendar": calendar,
        "interest_to_moved_date": to_moved,
    }
    return ScheduleTerms(**(fields | changes))


def loan_terms(*, to_moved: bool) -> LoanTerms:
    return LoanTerms(
        annual_rate=D("0.073"),
        term_months=3,
        method="equal_principal",
        principal_frequency=1,
        interest_frequency=1,
        calendar=FUND,
        interest_to_moved_date=to_moved,
    )


def rows_of(schedule):
    return [(r.due_date, r.period_start, r.period_end, r.principal, r.interest) for r in schedule]


def test_the_next_working_day_skips_sundays_and_holidays():
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 3, 14)}))
    assert calendar.next_working_day(date(2026, 3, 13)) == date(2026, 3, 13)  # a Friday
    assert calendar.next_working_day(date(2026, 3, 15)) == date(2026, 3, 16)  # a Sunday
    # A holiday on Saturday followed by Sunday: Monday.
    assert calendar.next_working_day(date(2026, 3, 14)) == date(2026, 3, 16)
    # Tết over several days, then a working Saturday.
    assert FUND.next_working_day(date(2026, 2, 16)) == date(2026, 2, 21)
    with pytest.raises(ValueError):
        WorkingCalendar(rest_weekdays=frozenset(range(7)))


def test_a_due_date_on_tet_moves_and_interest_runs_to_the_original_date():
    assert rows_of(build_schedule(terms(to_moved=False))) == [
        (date(2026, 2, 21), START, date(2026, 2, 16), D(4_000_000), D(74_400)),
        (date(2026, 3, 16), date(2026, 2, 16), date(2026, 3, 16), D(4_000_000), D(44_800)),
        (date(2026, 4, 16), date(2026, 3, 16), date(2026, 4, 16), D(4_000_000), D(24_800)),
    ]


def test_a_due_date_on_tet_moves_and_interest_runs_to_the_moved_date():
    assert rows_of(build_schedule(terms(to_moved=True))) == [
        (date(2026, 2, 21), START, date(2026, 2, 21), D(4_000_000), D(86_400)),
        (date(2026, 3, 16), date(2026, 2, 21), date(2026, 3, 16), D(4_000_000), D(36_800)),
        (date(2026, 4, 16), date(2026, 3, 16), date(2026, 4, 16), D(4_000_000), D(24_800)),
    ]


def test_a_due_date_on_a_sunday_and_the_maturity_move_too():
    # From 15/01/2026: 15/02 and 15/03/2026 are Sundays, 15/04 a Wednesday.
    schedule = build_schedule(terms(to_moved=False, start_date=date(2026, 1, 15), calendar=WorkingCalendar()))
    assert [row.due_date for row in schedule] == [date(2026, 2, 16), date(2026, 3, 16), date(2026, 4, 15)]
    # Maturity on a holiday followed by a Sunday (Saturday 16/05/2026 made a holiday).
    saturday = WorkingCalendar(holidays=frozenset({date(2026, 5, 16)}))
    schedule = build_schedule(terms(to_moved=True, start_date=date(2026, 2, 16), calendar=saturday))
    assert schedule[-1].due_date == date(2026, 5, 18)
    assert schedule[-1].interest == D(4_000_000) * D("0.073") * 32 / 365  # 16/04–18/05, whole đồng


def test_without_a_calendar_nothing_moves():
    plain = build_schedule(terms(to_moved=False, calendar=None))
    assert [row.due_date for row in plain] == [date(2026, 2, 16), date(2026, 3, 16), date(2026, 4, 16)]
    assert plain == build_schedule(terms(to_moved=True, calendar=None))


@pytest.mark.parametrize(("to_moved", "interest"), [(False, D(74_400)), (True, D(86_400))])
def test_a_repayment_on_the_moved_date_is_on_time(to_moved, interest):
    tranches = [Tranche("t", START, PRINCIPAL)]
    due = date(2026, 2, 21)
    on_time = replay(
        loan_terms(to_moved=to_moved),
        tranches=tranches,
        payments=[Payment("p", due, D(4_000_000) + interest)],
        as_of=due,
    )
    paid = on_time.allocations["p"]
    assert (paid.principal, paid.interest, paid.late_interest, paid.penalty) == (D(4_000_000), interest, 0, 0)
    assert on_time.days_past_due == 0 and on_time.overdue_principal == 0
    # Unpaid, it is due on the moved date, not overdue during Tết, and late from the day after.
    for day in (date(2026, 2, 17), due):
        unpaid = replay(loan_terms(to_moved=to_moved), tranches=tranches, payments=[], as_of=day)
        assert (unpaid.days_past_due, unpaid.overdue_principal, unpaid.late_interest_owed) == (0, 0, 0)
    late = replay(loan_terms(to_moved=to_moved), tranches=tranches, payments=[], as_of=date(2026, 2, 23))
    # Two days late: 4.000.000 × 7,3 % × 150 % × 2 / 365 = 2.400.
    assert (late.days_past_due, late.overdue_principal, late.late_interest_owed) == (
        2,
        D(4_000_000),
        D(2_400),
    )


def test_during_tet_the_interest_accrued_counts_both_periods_when_interest_runs_to_the_original_date():
    # On 18/02: row 1's 74.400 (not due yet) and 2 days of row 2's period at 1.600.
    result = replay(
        loan_terms(to_moved=False),
        tranches=[Tranche("t", START, PRINCIPAL)],
        payments=[],
        as_of=date(2026, 2, 18),
    )
    assert result.accrued_interest == D(74_400) + D(3_200)
    assert result.payoff == PRINCIPAL + D(77_600)


def test_a_payoff_during_tet_repays_the_loan_exactly():
    tranches = [Tranche("t", START, PRINCIPAL)]
    day = date(2026, 2, 18)
    payoff = replay(loan_terms(to_moved=False), tranches=tranches, payments=[], as_of=day).payoff
    result = replay(
        loan_terms(to_moved=False), tranches=tranches, payments=[Payment("p", day, payoff)], as_of=day
    )
    assert result.is_repaid
    assert result.allocations["p"].interest == D(77_600)


@st.composite
def calendars(draw):
    rest = draw(st.frozensets(st.integers(0, 6), max_size=6))
    first = date(2026, 1, 1)
    holidays = draw(
        st.frozensets(st.integers(0, 4 * 366).map(lambda n: first + timedelta(days=n)), max_size=300)
    )
    return WorkingCalendar(rest, holidays)


@settings(max_examples=300, deadline=None)
@given(
    calendar=calendars(),
    to_moved=st.booleans(),
    method=st.sampled_from(METHODS),
    start=st.integers(0, 365).map(lambda n: date(2026, 1, 1) + timedelta(days=n)),
    term=st.sampled_from((3, 6, 12, 24)),
    frequency=st.sampled_from((1, 3)),
    principal=st.integers(1, 10**10).map(D),
)
def test_under_any_calendar_due_dates_are_working_days_in_order_and_repay_the_principal(
    calendar, to_moved, method, start, term, frequency, principal
):
    schedule = build_schedule(
        ScheduleTerms(
            principal=principal,
            annual_rate=D("0.09"),
            start_date=start,
            term_months=term,
            method=method,
            principal_frequency=0 if method == "bullet" else frequency,
            interest_frequency=frequency,
            calendar=calendar,
            interest_to_moved_date=to_moved,
        )
    )
    dues = [row.due_date for row in schedule]
    assert all(calendar.is_working_day(day) for day in dues)
    assert all(a < b for a, b in zip(dues, dues[1:], strict=False))
    assert sum(row.principal for row in schedule) == principal
    assert all(row.interest >= 0 and row.period_start <= row.period_end <= row.due_date for row in schedule)

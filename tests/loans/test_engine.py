"""The engine against amounts worked out by hand, and its invariants under any events.

The running example: 120.000.000 đ for 12 months at 12 %/year, equal principal, monthly, from
15/01/2026, actual/365. Row 1 falls due 15/02/2026 (31 days): principal 10.000.000, interest
120.000.000 × 0,12 × 31/365 = 446.400.000/365 = 1.223.013,70 → 1.223.014.
Row 2, 15/03/2026 (28 days): 110.000.000 × 0,12 × 28/365 = 369.600.000/365 = 1.012.602,74 → 1.012.603.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from loans.domain.calendar import WorkingCalendar
from loans.domain.engine import (
    DUE_INTEREST,
    DUE_PRINCIPAL,
    LATE_INTEREST,
    OVERDUE_INTEREST,
    OVERDUE_PRINCIPAL,
    PREPAYMENT,
    SLOTS,
    Accruing,
    LoanEventError,
    LoanTerms,
    Payment,
    Tranche,
    accruing_on,
    replay,
)
from loans.domain.schedule import LOWER_INSTALLMENTS, SHORTEN_TERM
from loans.selectors.position import LoanPosition, SubLoan
from loans.selectors.schedule import group_schedule

TERMS = LoanTerms(
    annual_rate=D("0.12"),
    term_months=12,
    method="equal_principal",
    principal_frequency=1,
    interest_frequency=1,
)
START = date(2026, 1, 15)
TRANCHE = [Tranche("t1", START, D(120_000_000))]
ROW1 = D(10_000_000) + D(1_223_014)


def run(*payments, as_of, tranches=TRANCHE, terms=TERMS):
    return replay(terms, tranches=tranches, payments=list(payments), as_of=as_of)


def test_a_repayment_on_time_pays_the_installment_interest_then_principal():
    result = run(Payment("p", date(2026, 2, 15), ROW1), as_of=date(2026, 2, 15))
    paid = result.allocations["p"]
    assert (paid.interest, paid.principal, paid.late_interest, paid.penalty) == (
        D(1_223_014),
        D(10_000_000),
        0,
        0,
    )
    assert [(p.slot, p.amount) for p in paid.parts] == [
        (DUE_INTEREST, D(1_223_014)),
        (DUE_PRINCIPAL, D(10_000_000)),
    ]
    assert result.principal_outstanding == D(110_000_000)
    assert result.days_past_due == 0


def test_ten_days_late_adds_late_interest_and_interest_on_the_unpaid_interest():
    # Late interest: 10.000.000 × 12 % × 150 % × 10/365 = 18.000.000/365 = 49.315,07 → 49.315.
    # On unpaid interest: 1.223.014 × 10 % × 10/365 = 1.223.014/365 = 3.350,72 → 3.351.
    late = run(as_of=date(2026, 2, 25))
    assert late.days_past_due == 10
    assert (late.late_interest_owed, late.penalty_owed) == (D(49_315), D(3_351))
    result = run(Payment("p", date(2026, 2, 25), D(11_275_680)), as_of=date(2026, 2, 25))
    paid = result.allocations["p"]
    assert (paid.late_interest, paid.penalty, paid.interest, paid.principal) == (
        D(49_315),
        D(3_351),
        D(1_223_014),
        D(10_000_000),
    )
    assert result.days_past_due == 0


def test_a_short_payment_goes_in_the_products_order():
    # 1.000.000 on 25/02: late interest 49.315 + 3.351 = 52.666 first, the rest 947.334 to the
    # overdue interest; 1.223.014 − 947.334 = 275.680 of it and all the principal stay unpaid.
    result = run(Payment("p", date(2026, 2, 25), D(1_000_000)), as_of=date(2026, 2, 25))
    paid = result.allocations["p"]
    assert [(p.slot, p.amount) for p in paid.parts] == [
        (LATE_INTEREST, D(49_315)),
        ("penalty", D(3_351)),
        (OVERDUE_INTEREST, D(947_334)),
    ]
    assert result.overdue_interest == D(275_680)
    assert result.overdue_principal == D(10_000_000)


def test_a_product_may_put_principal_first():
    terms = LoanTerms(
        **{
            **TERMS.__dict__,
            "allocation_order": (
                OVERDUE_PRINCIPAL,
                OVERDUE_INTEREST,
                LATE_INTEREST,
                DUE_INTEREST,
                DUE_PRINCIPAL,
            ),
        }
    )
    result = run(Payment("p", date(2026, 2, 25), D(1_000_000)), as_of=date(2026, 2, 25), terms=terms)
    assert result.allocations["p"].principal == D(1_000_000)
    assert result.overdue_principal == D(9_000_000)


def test_late_interest_stops_growing_on_what_was_paid():
    # 5.000.000 of principal paid on 20/02 (5 days late): late interest until then on 10.000.000
    # = 10.000.000 × 18 % × 5/365 = 24.657,53; then on 5.000.000 to 25/02 = 12.328,77; together
    # 36.986,30 → 36.986 owed on 25/02 (principal comes first in this order: none of it paid yet).
    order = (OVERDUE_PRINCIPAL, LATE_INTEREST, OVERDUE_INTEREST, DUE_INTEREST, DUE_PRINCIPAL)
    terms = LoanTerms(**{**TERMS.__dict__, "allocation_order": order})
    result = run(Payment("p", date(2026, 2, 20), D(5_000_000)), as_of=date(2026, 2, 25), terms=terms)
    assert result.rows[0].late_accrued.quantize(D("0.01")) == D("36986.30")
    assert result.late_interest_owed == D(36_986)


def test_a_prepayment_on_a_due_date_lowers_the_later_installments():
    # 20.000.000 above row 1 on 15/02: nothing accrued yet this period, all of it principal.
    # 90.000.000 over 11 rows: 8.181.818 × 10 and 8.181.820 last. Row 2: 90.000.000 × 12 % ×
    # 28/365 = 302.400.000/365 = 828.493,15 → 828.493.
    result = run(Payment("p", date(2026, 2, 15), ROW1 + D(20_000_000)), as_of=date(2026, 2, 15))
    assert result.allocations["p"].principal == D(30_000_000)
    future = [r for r in result.rows if r.due_date > date(2026, 2, 15)]
    assert [r.principal for r in future] == [D(8_181_818)] * 10 + [D(8_181_820)]
    assert future[0].interest == D(828_493)
    assert result.versions[-1].reason == "prepayment"


def test_a_prepayment_may_shorten_the_term_instead():
    # Same prepayment, shortening: 10.000.000 a month for 9 more months, last row 15/11/2026.
    result = run(Payment("p", date(2026, 2, 15), ROW1 + D(20_000_000), SHORTEN_TERM), as_of=date(2026, 2, 15))
    future = [r for r in result.rows if r.due_date > date(2026, 2, 15)]
    assert [r.principal for r in future] == [D(10_000_000)] * 9
    assert future[-1].due_date == date(2026, 11, 15)
    assert future[0].interest == D(828_493)


def test_a_prepayment_mid_period_pays_the_interest_accrued_first():
    # Row 1 paid on time; 10.000.000 on 25/02. Accrued since 15/02 on 110.000.000: × 12 % × 10/365
    # = 132.000.000/365 = 361.643,84 → 361.644 of interest; 9.638.356 of principal.
    # 100.361.644 left over 11 rows: 9.123.786 × 10 and 9.123.784 last.
    # Row 2 collects 361.643,84 − 361.644 = −0,16 carried, plus 100.361.644 × 12 % × 18/365 =
    # 593.920,96: 593.920,79 → 593.921.
    result = run(
        Payment("p1", date(2026, 2, 15), ROW1),
        Payment("p2", date(2026, 2, 25), D(10_000_000)),
        as_of=date(2026, 2, 25),
    )
    paid = result.allocations["p2"]
    assert (paid.interest, paid.principal) == (D(361_644), D(9_638_356))
    kinds = [(r.kind, r.due_date) for r in result.rows[:3]]
    assert kinds == [
        ("scheduled", date(2026, 2, 15)),
        (PREPAYMENT, date(2026, 2, 25)),
        ("scheduled", date(2026, 3, 15)),
    ]
    future = [r for r in result.rows if r.due_date > date(2026, 2, 25)]
    assert [r.principal for r in future] == [D(9_123_786)] * 10 + [D(9_123_784)]
    assert future[0].interest == D(593_921)


def test_the_payoff_quote_and_a_payment_above_it():
    # On 25/02 after row 1: 110.000.000 principal + 361.644 accrued = 110.361.644.
    paid_row1 = Payment("p1", date(2026, 2, 15), ROW1)
    assert run(paid_row1, as_of=date(2026, 2, 25)).payoff == D(110_361_644)
    repaid = run(paid_row1, Payment("p2", date(2026, 2, 25), D(110_361_644)), as_of=date(2026, 2, 25))
    assert repaid.is_repaid and repaid.payoff == 0 and repaid.principal_outstanding == 0
    with pytest.raises(LoanEventError) as refused:
        run(paid_row1, Payment("p2", date(2026, 2, 25), D(110_361_645)), as_of=date(2026, 2, 25))
    assert refused.value.key == "p2"
    assert refused.value.payoff == D(110_361_644)


def test_a_second_tranche_is_spread_over_the_rows_to_come():
    # 60.000.000 on 15/01, 60.000.000 more on 25/01. Row 1: 60.000.000 × 12 % × 10/365 =
    # 197.260,27 before the tranche, 120.000.000 × 12 % × 21/365 = 828.493,15 after: 1.025.753,42
    # → 1.025.753; principal 120.000.000 / 12 = 10.000.000 a row.
    tranches = [Tranche("t1", START, D(60_000_000)), Tranche("t2", date(2026, 1, 25), D(60_000_000))]
    result = run(as_of=date(2026, 1, 25), tranches=tranches)
    assert result.rows[0].interest == D(1_025_753)
    assert [r.principal for r in result.rows] == [D(10_000_000)] * 12
    assert [v.reason for v in result.versions] == ["disbursement", "tranche"]


def test_a_payment_before_any_disbursement_is_refused():
    with pytest.raises(LoanEventError):
        run(Payment("p", date(2026, 1, 10), D(1000)), as_of=date(2026, 1, 20))


def test_events_after_the_date_are_not_counted():
    result = run(Payment("p", date(2026, 2, 15), ROW1), as_of=date(2026, 2, 14))
    assert result.allocations == {}
    assert result.principal_outstanding == D(120_000_000)


# --- invariants -------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=40_000_000).map(D)


@st.composite
def histories(draw):
    terms = LoanTerms(
        annual_rate=D(draw(st.integers(min_value=0, max_value=200))) / 1000,
        term_months=draw(st.sampled_from([6, 12, 24])),
        method=draw(st.sampled_from(["equal_principal", "annuity", "bullet"])),
        principal_frequency=1,
        interest_frequency=1,
        allocation_order=tuple(draw(st.permutations(SLOTS))),
    )
    if terms.method == "bullet":
        terms = LoanTerms(**{**terms.__dict__, "principal_frequency": 0})
    principal = D(draw(st.integers(min_value=1_000_000, max_value=200_000_000)))
    return terms, principal, _payments(draw, days=800, most=8)


def _payments(draw, *, days: int, most: int) -> list[Payment]:
    """Up to `most` repayments on days from START to `days` after it, each prepaying either way."""
    return [
        Payment(
            f"p{i}",
            START + timedelta(days=day),
            amount,
            draw(st.sampled_from([LOWER_INSTALLMENTS, SHORTEN_TERM])),
        )
        for i, (day, amount) in enumerate(
            sorted(draw(st.lists(st.tuples(st.integers(0, days), amounts), max_size=most)))
        )
    ]


def _capped(terms, tranches, payments):
    """Drop payments that would be above the debt when made (the service refuses those)."""
    kept = []
    for payment in payments:
        try:
            replay(terms, tranches=tranches, payments=[*kept, payment], as_of=payment.value_date)
        except LoanEventError:
            continue
        kept.append(payment)
    return kept


@settings(max_examples=60, deadline=None)
@given(histories())
def test_every_dong_paid_is_allocated_and_principal_never_goes_below_zero(history):
    terms, principal, payments = history
    payments = _capped(terms, [Tranche("t", START, principal)], payments)
    assume(payments)
    as_of = START + timedelta(days=900)
    result = replay(terms, tranches=[Tranche("t", START, principal)], payments=payments, as_of=as_of)
    for payment in payments:
        assert result.allocations[payment.key].total == payment.amount
    assert 0 <= result.principal_outstanding <= principal
    # The rows always hold exactly the principal that is left to pay.
    assert sum(r.principal_unpaid for r in result.rows) == result.principal_outstanding
    assert all(r.principal_unpaid >= 0 and r.interest_unpaid >= 0 for r in result.rows)


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(0, 900))
def test_paying_the_payoff_quote_repays_the_loan_exactly(history, day):
    terms, principal, payments = history
    on = START + timedelta(days=day)
    payments = _capped(terms, [Tranche("t", START, principal)], [p for p in payments if p.value_date <= on])
    tranches = [Tranche("t", START, principal)]
    payoff = replay(terms, tranches=tranches, payments=payments, as_of=on).payoff
    assume(payoff > 0)
    result = replay(terms, tranches=tranches, payments=[*payments, Payment("all", on, payoff)], as_of=on)
    assert result.is_repaid
    assert result.principal_outstanding == 0


FIRST_DUE = date(2026, 2, 15)


@st.composite
def households(draw):
    """A household of a group: a history, at times a second tranche, and payments on due dates
    (the 15th), where a prepayment falls on the same date as an installment.

    Nothing from its disbursement to its first due date: an event then rebuilds every row from
    its own date, and the rows alone no longer say what the household owed before it.
    """
    terms, principal, payments = draw(histories())
    tranches = [Tranche("t1", START, principal)]
    if draw(st.booleans()):  # before the shortest term's maturity, 15/07/2026
        day = FIRST_DUE + timedelta(days=draw(st.integers(0, 140)))
        tranches.append(Tranche("t2", day, draw(amounts)))
    on_due_dates = [
        Payment(f"d{i}", date(2026 + months // 12, months % 12 + 1, 15), amount, mode)
        for i, (months, amount, mode) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(1, 24), amounts, st.sampled_from([LOWER_INSTALLMENTS, SHORTEN_TERM])
                    ),
                    max_size=4,
                )
            )
        )
    ]
    payments = sorted(
        [*(payment for payment in payments if payment.value_date >= FIRST_DUE), *on_due_dates],
        key=lambda payment: payment.value_date,
    )
    return terms, tranches, _capped(terms, tranches, payments)


@settings(max_examples=60, deadline=None)
@given(st.lists(households(), min_size=1, max_size=4))
def test_a_groups_schedule_is_its_households_rows_summed(members):
    end = START + timedelta(days=900)
    parts = [
        (tranches, replay(terms, tranches=tranches, payments=payments, as_of=end))
        for terms, tranches, payments in members
    ]
    group = group_schedule(LoanPosition(end, [SubLoan(None, result) for _tranches, result in parts]))
    assert group.principal == sum(tranche.amount for tranches, _result in parts for tranche in tranches)
    rows = [(tranches, row) for tranches, result in parts for row in result.rows]
    assert [line.row.due_date for line in group.lines] == sorted({row.due_date for _tranches, row in rows})
    for line in group.lines:
        day = line.row.due_date
        on_day = [row for _tranches, row in rows if row.due_date == day]
        assert (line.principal, line.interest, line.paid, line.left) == (
            sum(row.principal for row in on_day),
            sum(row.interest for row in on_day),
            sum(row.principal_paid + row.interest_paid for row in on_day),
            sum(row.owed for row in on_day),
        )
        # Each household's balance after the day: what it was lent by then less the principal of
        # its rows due by then.
        balances = sum(
            sum(tranche.amount for tranche in tranches if tranche.value_date <= day)
            - sum(row.principal for row in result.rows if row.due_date <= day)
            for tranches, result in parts
        )
        assert line.row.closing_principal == balances == line.row.opening_principal - line.principal


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(0, 400), st.integers(0, 500))
def test_the_balances_on_the_change_points_are_the_replay_on_every_day(history, start, span):
    """Each balance taken on the way is what a replay up to its day gives; between two of them
    the step figures do not move and days past due follow from the oldest unpaid due date."""
    terms, principal, payments = history
    tranches = [Tranche("t", START, principal)]
    payments = _capped(terms, tranches, payments)
    since, as_of = START + timedelta(days=start), START + timedelta(days=start + span)
    plain = replay(terms, tranches=tranches, payments=payments, as_of=as_of)
    result = replay(terms, tranches=tranches, payments=payments, as_of=as_of, balances_from=since)
    # Taking balances changes nothing of the replay itself.
    assert (result.rows, result.allocations, result.versions) == (
        plain.rows,
        plain.allocations,
        plain.versions,
    )
    assert result.balance == plain.balance
    taken = {balance.as_of: balance for balance in result.balances}
    assert len(taken) == len(result.balances) and all(since <= day <= as_of for day in taken)
    assert {p.value_date for p in payments if since <= p.value_date <= as_of} <= {
        b.as_of for b in result.balances if b.event
    }
    # Before the first change point taken, the position is the one of the day before `since`.
    latest = replay(terms, tranches=tranches, payments=payments, as_of=since - timedelta(days=1)).balance
    for offset in range(span + 1):
        day = since + timedelta(days=offset)
        fresh = replay(terms, tranches=tranches, payments=payments, as_of=day)
        _assert_balance_is_the_results(fresh)
        if day in taken:
            assert replace(taken[day], event=False) == fresh.balance
            latest = taken[day]
        elif day > START:
            assert latest.steps == fresh.balance.steps, day
            assert latest.days_past_due(day) == fresh.days_past_due
        if latest.accruing is not None:
            # From the change point to the next, the accruing figures follow from its rows alone
            # (as stored: through the text of a balances row), without the events.
            assert latest.accruing.until > day
            accruing = Accruing.decode(latest.accruing.encode())
            assert accruing_on(terms, accruing, day) == (
                fresh.balance.interest_accrued,
                fresh.balance.late_interest,
                fresh.balance.penalty,
            ), day


def _assert_balance_is_the_results(result):
    """The balance, summed in one pass, says what the result's own figures say."""
    balance, next_due = result.balance, result.next_due
    assert balance.principal_in_term + balance.principal_overdue == result.principal_outstanding
    assert (balance.principal_overdue, balance.interest_overdue) == (
        result.overdue_principal,
        result.overdue_interest,
    )
    assert (balance.late_interest, balance.penalty) == (result.late_interest_owed, result.penalty_owed)
    assert balance.interest_accrued == result.accrued_interest
    assert balance.next_due_date == (next_due.due_date if next_due else None)
    assert balance.days_past_due(result.as_of) == result.days_past_due
    due_today = [row for row in result.rows if row.due_date == result.as_of]
    assert balance.interest_due == sum((row.interest_unpaid for row in due_today), D(0))


@st.composite
def varied_histories(draw):
    """Loans of every shape the accruing rows must serve: principal and interest on their own
    frequencies, grace, both day counts, due dates moved off days off, several tranches."""
    method = draw(st.sampled_from(["equal_principal", "annuity", "bullet"]))
    interest_frequency = draw(st.sampled_from([1, 3]))
    if method == "equal_principal":
        principal_frequency = draw(st.sampled_from([1, 3]))
    else:
        principal_frequency = interest_frequency if method == "annuity" else 0
    terms = LoanTerms(
        annual_rate=D(draw(st.integers(min_value=1, max_value=200))) / 1000,
        term_months=draw(st.sampled_from([6, 12])),
        method=method,
        principal_frequency=principal_frequency,
        interest_frequency=interest_frequency,
        grace_months=draw(st.sampled_from([0, 0, 3])),
        basis=draw(st.sampled_from(["actual_365", "actual_actual"])),
        allocation_order=tuple(draw(st.permutations(SLOTS))),
        calendar=draw(st.sampled_from([None, WorkingCalendar()])),
        interest_to_moved_date=draw(st.booleans()),
    )
    tranches = [Tranche("t1", START, D(draw(st.integers(10_000_000, 200_000_000))))]
    if draw(st.booleans()):
        tranches.append(Tranche("t2", START + timedelta(days=draw(st.integers(1, 120))), D(50_000_000)))
    return terms, tranches, _capped(terms, tranches, _payments(draw, days=500, most=6))


@settings(max_examples=60, deadline=None)
@given(varied_histories(), st.integers(0, 500))
def test_the_accruing_rows_give_the_replays_figures_to_the_next_change_point(history, start):
    """Taken on a change point, the accruing rows give on each later day up to the next change
    point the interest accrued, late interest and penalty a replay to that day gives."""
    terms, tranches, payments = history
    since = START + timedelta(days=start)
    result = replay(terms, tranches=tranches, payments=payments, as_of=since, balances_from=START)
    latest = result.balances[-1]  # the last change point up to `since`
    accruing = Accruing.decode(latest.accruing.encode())
    # Up to the next change point: a due date, or an event (which writes the rows again).
    events = [e.value_date for e in (*tranches, *payments) if e.value_date > latest.as_of]
    day = latest.as_of
    while day < min(accruing.until, *events, latest.as_of + timedelta(days=120)):
        fresh = replay(terms, tranches=tranches, payments=payments, as_of=day).balance
        assert accruing_on(terms, accruing, day) == (
            fresh.interest_accrued,
            fresh.late_interest,
            fresh.penalty,
        ), day
        day += timedelta(days=1)

"""Close of day's SQL (`loans.accrual_sql`) is the engine's accrual to the đồng: its day counts
and rounding for any dates, amounts and rates, on SQLite and PostgreSQL; each loan of a mixed
portfolio at the end of every day as a replay has it; and a close through it gives the same
books and stored rows as one that replays every loan (one portfolio, built once, for both)."""

import datetime as dt
from decimal import Decimal as D

from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from common.money import round_vnd
from fund.models import Fund
from loans import accrual_sql, queries
from loans.domain.daycount import BASES
from loans.models import Loan, LoanTransaction
from loans.services.closing import positions
from tests.loans import factories
from tests.loans.conftest import START, household_group_loan, repay, staffed_active_loan
from tests.loans.test_close_of_day import (
    assert_books_agree,
    close_through,
    repay_at,
    run_in_savepoint,
    snapshot,
)

ONE_DAY = dt.timedelta(days=1)
FLAT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def select(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@FLAT
@given(basis=st.sampled_from(sorted(BASES)), start=dates, days=st.integers(0, 2000))
@example(basis="actual_actual", start=dt.date(2027, 12, 20), days=400)  # into and out of a leap year
def test_the_day_count_in_sql_is_the_engines(db, basis, start, days):
    end = start + dt.timedelta(days=days)
    ops = accrual_sql.vendor_ops()
    sql = accrual_sql.count_sql(ops, "%(basis)s", ops.day("%(start)s"), ops.day("%(end)s"))
    assert select(sql, {"basis": basis, "start": start.isoformat(), "end": end.isoformat()}) == (
        BASES[basis].count(start, end)
    )


@FLAT
@given(
    basis=st.sampled_from(sorted(BASES)),
    base=st.decimals(min_value=-1_000_000, max_value=10**10, places=20),
    balance=st.integers(0, 10**12),
    days=st.integers(0, 400),
    rate=st.decimals(min_value=0, max_value=D("0.2"), places=6),
    factor=st.decimals(min_value=1, max_value=2, places=4),
)
# Exactly half a đồng, from the count (0.073 × 2 500 / 365) and from what was accrued before.
@example(basis="actual_365", base=D(0), balance=2500, days=1, rate=D("0.073"), factor=D(1))
@example(basis="actual_365", base=D("-0.5"), balance=0, days=0, rate=D(0), factor=D(1))
@example(basis="actual_actual", base=D("1.25"), balance=1, days=1, rate=D(0), factor=D(1))
def test_interest_in_sql_is_rounded_as_the_engines(db, basis, base, balance, days, rate, factor):
    count = balance * BASES[basis].count(dt.date(2026, 1, 1), dt.date(2026, 1, 1) + dt.timedelta(days=days))
    ops = accrual_sql.vendor_ops()
    sql = accrual_sql.interest_sql(
        ops,
        ops.number("%(base)s"),
        ops.number("%(count)s"),
        ops.number("%(rate)s"),
        ops.number("%(factor)s"),
        "%(basis)s",
    )
    params = {"basis": basis, "base": str(base), "count": str(count), "rate": str(rate)}
    params["factor"] = str(factor)
    engine = round_vnd(base + BASES[basis].interest(D(count), rate * factor))
    assert D(select(sql, params)) == engine


# --- a mixed portfolio ------------------------------------------------------------------------


def portfolio(staff, bank) -> list[Loan]:
    """Monthly, quarterly on actual/actual, with days of grace, and a household group's loan."""
    quarterly = factories.product(principal_frequency=3, interest_frequency=3, day_count="actual_actual")
    return [
        staffed_active_loan(staff, on=START, account=bank, number="HĐ-M"),
        staffed_active_loan(staff, on=START, account=bank, number="HĐ-Q", loan_product=quarterly),
        staffed_active_loan(
            staff, on=START, account=bank, number="HĐ-G", loan_product=factories.product(overdue_grace_days=3)
        ),
        household_group_loan(staff, bank, D(30_000_000), D(50_000_000), number="HĐ-H")[0],
    ]


def events(loans, staff, day: dt.date) -> None:
    """What happens on `day`: the monthly loan's first installment paid on time, the graced
    one's paid late, part of the monthly loan's second paid back-dated, the rest left unpaid
    (overdue, then in non-accrual: suspended interest)."""
    monthly, _quarterly, graced, _group = loans
    if day == dt.date(2026, 2, 15):
        repay_at(monthly, staff, day, D(11_223_014))
    elif day == dt.date(2026, 2, 17):
        repay_at(graced, staff, day, D(11_000_000))
    elif day == dt.date(2026, 3, 25):
        if Fund.objects.get().business_date < day:
            close_through(staff, day - ONE_DAY)
        repay(Loan.objects.get(pk=monthly.pk), staff, dt.date(2026, 3, 20), D(4_000_000))  # back-dated


def replayed_ends(loan_ids: list[int], day: dt.date) -> dict:
    """Each loan at the end of `day` by the engine's replay (what it writes rolled back)."""
    serviced = queries.lock_serviced_loans(loan_ids)
    loans = Loan.objects.filter(pk__in=loan_ids).select_related("product")
    grace = {loan.pk: loan.product.overdue_grace_days for loan in loans}
    return run_in_savepoint(
        lambda: positions.replayed([serviced[pk] for pk in loan_ids], day, grace_days=grace)[0]
    )


def test_each_loan_every_day_is_its_replay_and_a_close_from_the_rows_gives_the_books_of_replays(
    fund, staff, bank, monkeypatch
):
    until = dt.date(2026, 3, 31)  # three month ends: accrual and provisions
    loans = portfolio(staff, bank)  # once: ids are not given back by a rollback on PostgreSQL
    ids = sorted(loan.pk for loan in loans)

    def scenario(check: bool):
        answered, day = 0, START
        while day <= until:
            events(loans, staff, day)
            if check:
                from_rows = positions.projected(ids, day)
                replayed = replayed_ends(ids, day)
                assert from_rows == {pk: end for pk, end in replayed.items() if pk in from_rows}, day
                # Loans spread over the portfolio (an ordinary day's chunk): the same answers.
                assert positions.projected([*ids, ids[-1] + 1000], day) == from_rows, day
                answered += len(from_rows)
            close_through(staff, day)
            day += ONE_DAY
        assert_books_agree(until)
        if check:
            # Most loans, most days, have no change point by the next morning: the statement answers.
            assert answered > 0.8 * len(ids) * (day - START).days
            assert Loan.objects.get(contract__number="HĐ-H").accrual_suspended
            assert Loan.objects.get(contract__number="HĐ-M").debt_group == 2
        return snapshot()

    from_rows = run_in_savepoint(lambda: scenario(check=True))
    monkeypatch.setattr(positions, "projected", lambda loan_ids, day: {})  # every loan replayed
    replaying = run_in_savepoint(lambda: scenario(check=False))
    assert from_rows == replaying
    kinds = {kind for _number, _member, kind, *_amounts in from_rows["sub-ledger"]}
    assert {LoanTransaction.Kind.SUSPENSION, LoanTransaction.Kind.PROVISION} <= kinds

"""The close-of-day bench's portfolio has the shape it promises (bench/portfolio.py
`build_shaped`): installments falling due on every working day, a tenth quarterly, 5 % overdue
over every debt band, and books the close of day and the ledger agree on."""

from collections import Counter
from datetime import timedelta

import pytest

from bench import portfolio
from fund.models import Frequency, Fund
from loans.domain.classification import days_past_due
from loans.models import Loan, LoanBalance, LoanStatus, LoanTransaction
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.runs import close_business_day

pytestmark = pytest.mark.django_db
COUNT = 300


@pytest.fixture(scope="module")
def shape(shared_db):
    return portfolio.build_shaped(COUNT)


def _current():
    return LoanBalance.objects.filter(valid_to__isnull=True)


def test_the_loans_stand_on_the_business_date_closed_up_to_it_and_reconciled(shape):
    assert len(shape.loan_ids) == COUNT
    assert Loan.objects.filter(status=LoanStatus.ACTIVE).count() == COUNT
    assert shape.catch_up.business_date == shape.day - timedelta(days=1)
    assert shape.catch_up.loans == COUNT  # the first close looks at every loan
    assert Fund.objects.get().business_date == shape.day
    assert shape.schedules < COUNT  # loans alike share their schedule's replay
    assert [row.code for row in reconciliation(as_of=shape.day) if row.difference] == []


def test_a_tenth_repays_quarterly_and_installments_fall_due_on_every_working_day(shape):
    quarterly = Loan.objects.filter(contract__principal_frequency=Frequency.QUARTERLY)
    assert set(quarterly.values_list("pk", flat=True)) == set(shape.quarterly_ids)
    assert len(shape.quarterly_ids) == COUNT // 10
    performing = _current().exclude(loan_id__in=shape.overdue_ids)
    due = Counter(performing.values_list("next_due_date", flat=True))
    assert min(due) >= shape.day  # nothing a performing loan owes has fallen due yet
    month = [shape.day + timedelta(days=offset) for offset in range(30)]
    working = [day for day in month if day.weekday() != 6]  # Sunday's installments move to Monday
    mean = sum(due[day] for day in month) / len(working)
    assert all(mean / 3 <= due[day] <= 3 * mean for day in working), due


def test_five_percent_are_overdue_over_every_debt_band_grouped_by_the_close(shape):
    rows = {row.loan_id: row for row in _current()}
    overdue = {pk for pk, row in rows.items() if days_past_due(row.oldest_unpaid_due_date, shape.day)}
    assert overdue <= set(shape.overdue_ids)
    # A first installment due on a Sunday moves to Monday: a loan or two is a day less late.
    assert COUNT * 4 // 100 <= len(overdue) <= len(shape.overdue_ids) == COUNT * 5 // 100
    loans = Loan.objects.select_related("product").in_bulk(overdue)

    def group_on(day):
        return {
            pk: loan.product.debt_group_for(days_past_due(rows[pk].oldest_unpaid_due_date, day))
            for pk, loan in loans.items()
        }

    assert set(group_on(shape.day).values()) == {1, 2, 3, 4, 5}
    # The catch-up close grouped them as they stood at the end of its day.
    assert {pk: loan.debt_group for pk, loan in loans.items()} == group_on(shape.catch_up.business_date)


def test_back_dated_repayments_are_booked_on_the_day_and_its_close_agrees_with_the_ledger(shape):
    repayments = portfolio.backdate_repayments(shape)
    assert len(repayments) == round(COUNT * portfolio.BACKDATED_SHARE)
    assert {r.loan_id for r in repayments} <= set(shape.overdue_ids)
    booked = LoanTransaction.objects.filter(repayment__in=repayments)
    assert {(t.value_date, t.booking_date) for t in booked} == {(shape.day - timedelta(days=3), shape.day)}
    closed = close_business_day(actor=portfolio.bench_user())
    assert closed.business_date == shape.day
    assert closed.loans == COUNT  # a month end looks at every loan
    assert [row.code for row in reconciliation(as_of=shape.day) if row.difference] == []
    again = portfolio.backdate_repayments(shape)  # the next day's go to other loans
    assert not {r.loan_id for r in again} & {r.loan_id for r in repayments}

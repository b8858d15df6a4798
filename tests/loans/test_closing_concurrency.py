"""Close of day against other work at the same moment, on PostgreSQL (row locks are real there)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from fund.models import Fund
from loans.models import CloseOfDay, Repayment
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.runs import close_until
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.concurrency import at_once
from tests.loans.conftest import START

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
UNTIL = START + dt.timedelta(days=20)


def test_two_accountants_closing_at_once_close_each_day_once(loan, staff):
    accountant = staff["accountant"]
    results = at_once(*[lambda: close_until(actor=accountant, until=UNTIL) for _ in range(2)])
    assert sum(len(closed) for closed in results) == 20, results
    assert Fund.objects.get().business_date == UNTIL
    closed = list(CloseOfDay.objects.order_by("business_date").values_list("business_date", flat=True))
    assert closed == [START + dt.timedelta(days=n) for n in range(20)]
    assert [row.code for row in reconciliation(as_of=UNTIL) if row.difference] == []


def test_repayments_entered_while_days_close_leave_exact_books(loan, staff):
    def pay(i: int):
        day = Fund.objects.get().business_date
        return record_repayment(
            actor=staff["officer"],
            loan=loan,
            entry=RepaymentInput(value_date=day, amount=D(500_000 + i), channel="cash", reference=f"PT {i}"),
        )

    results = at_once(
        lambda: close_until(actor=staff["accountant"], until=UNTIL), *[lambda i=i: pay(i) for i in range(4)]
    )
    assert all(isinstance(result, Repayment | list) for result in results), results
    assert Fund.objects.get().business_date == UNTIL
    # A repayment dated on a day closed meanwhile is booked by the next close: the books agree.
    close_until(actor=staff["accountant"], until=UNTIL + dt.timedelta(days=2))
    assert [row.code for row in reconciliation(as_of=UNTIL + dt.timedelta(days=2)) if row.difference] == []

"""Close of day over a due date on a day off: nobody is overdue because of a holiday."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from fund.models import Fund
from ledger.selectors import account_balance
from loans.models import Loan
from loans.selectors.position import loan_position
from loans.services.closing.runs import close_until
from tests.loans.conftest import ROW1, START, staffed_active_loan

pytestmark = pytest.mark.django_db
SUNDAY = dt.date(2026, 2, 15)  # row 1 of the example loan falls due on it
MONDAY = dt.date(2026, 2, 16)


def test_an_installment_due_on_a_sunday_is_overdue_only_after_the_monday(fund, staff, bank):
    Fund.objects.update(rest_weekdays=[6], calendar_token=uuid.uuid4())  # Sundays off
    loan = staffed_active_loan(
        staff,
        on=START,
        account=bank,
    )
    assert loan_position(loan, as_of=MONDAY).due_today == ROW1  # moved, interest unchanged
    close_until(actor=staff["accountant"], until=MONDAY)  # Sunday closed, unpaid
    assert account_balance(code="128312", as_of=SUNDAY) == 0
    assert loan_position(loan, as_of=MONDAY).late_interest == 0
    close_until(actor=staff["accountant"], until=MONDAY + dt.timedelta(days=1))  # Monday closed, unpaid
    assert account_balance(code="128312", as_of=MONDAY) == D(10_000_000)
    assert account_balance(code="128311", as_of=MONDAY) == D(110_000_000)
    assert Loan.objects.get(pk=loan.pk).debt_group == 1

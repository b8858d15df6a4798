"""Close of day, a second reading: the defects it found, each as the sequence that showed it.

The loan of the examples (conftest): 120.000.000 đ over 12 months from 15/01/2026, 10.000.000
of principal due on the 15th of each month.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from fund.models import Fund
from fund.services.calendar import add_non_working_days, remove_non_working_day
from ledger.models import Period, PeriodState
from ledger.selectors import account_balance
from loans import queries
from loans.models import DebtGroupChange, Loan, Repayment
from loans.selectors.position import loan_position
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.runs import close_until
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.loans import factories
from tests.loans.conftest import START, staffed_active_loan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 6, 30)  # close of day runs up to today: far enough for a year end


@pytest.fixture(autouse=True)
def later_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def close(staff, until: dt.date) -> None:
    close_until(actor=staff["accountant"], until=until)


def pay(loan, staff, day: dt.date, amount: D) -> Repayment:
    entry = RepaymentInput(value_date=day, amount=amount, channel=Repayment.Channel.BANK_TRANSFER)
    return record_repayment(actor=staff["officer"], loan=Loan.objects.get(pk=loan.pk), entry=entry)


def pay_due(loan, staff, day: dt.date) -> None:
    pay(loan, staff, day, loan_position(Loan.objects.get(pk=loan.pk), as_of=day).to_pay_now)


def staff_loan(staff, bank, **approval) -> Loan:
    return staffed_active_loan(
        staff,
        on=START,
        account=bank,
        **approval,
    )


def test_a_repayment_within_the_days_of_grace_takes_the_principal_from_the_in_term_account(staff, bank):
    loan = staff_loan(staff, bank, loan_product=factories.product(overdue_grace_days=3))
    close(staff, dt.date(2026, 2, 17))  # due 15/02, unpaid 2 days: overdue to the engine, in term in the GL
    assert account_balance(code="128312", as_of=dt.date(2026, 2, 16)) == 0
    pay_due(loan, staff, dt.date(2026, 2, 17))
    booked = queries.booked([loan.pk])[loan.pk]
    assert (booked.principal, booked.overdue_principal) == (D(110_000_000), D(0))
    assert account_balance(code="128312", as_of=dt.date(2026, 2, 17)) == 0
    assert account_balance(code="128311", as_of=dt.date(2026, 2, 17)) == D(110_000_000)
    close(staff, dt.date(2026, 2, 25))
    assert account_balance(code="128312", as_of=dt.date(2026, 2, 24)) == 0
    assert [row.code for row in reconciliation(as_of=dt.date(2026, 2, 25)) if row.difference] == []


def test_last_years_accrual_still_receivable_after_a_cure_is_reversed_to_6428(staff, bank, loan):
    """Cured in December with interest left on the memo; in January a small repayment releases
    the memo first and collects the rest from the receivable; the switch back to non-accrual
    then reverses to 6428 all of December's accrual the receivable still holds."""
    day = dt.date(2026, 2, 15)
    while day <= dt.date(2026, 10, 15):
        close(staff, day)
        pay_due(loan, staff, day)
        day = dt.date(2026, day.month + 1, 15)
    close(staff, dt.date(2026, 12, 20))  # 15/11 unpaid: group 2 from 25/11, non-accrual
    pay_due(loan, staff, dt.date(2026, 12, 20))
    close(staff, dt.date(2027, 1, 15))  # cured on 20/12; accrual on 31/12
    assert not Loan.objects.get(pk=loan.pk).accrual_suspended
    year_end = queries.booked([loan.pk], until=dt.date(2026, 12, 31))[loan.pk]
    memo = queries.booked([loan.pk])[loan.pk].suspended_interest
    assert year_end.interest_receivable == D(36_164) and memo == D(19_726)  # 11 and 6 days on 10.000.000
    pay(loan, staff, dt.date(2027, 1, 15), D(30_000))  # 19.726 released from the memo, 10.274 collected
    close(staff, dt.date(2027, 1, 26))  # 15/01 unpaid: group 2 again on 25/01
    assert Loan.objects.get(pk=loan.pk).accrual_suspended
    assert account_balance(code="6428", as_of=dt.date(2027, 1, 25)) == D(36_164 - 10_274)
    assert [row.code for row in reconciliation(as_of=dt.date(2027, 1, 26)) if row.difference] == []


def test_a_day_off_removed_after_a_close_moves_the_due_date_back_and_close_of_day_finds_it(staff, bank):
    accountant = staff["accountant"]
    accountant.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_nonworkingday", "delete_nonworkingday"])
    )
    accountant = type(accountant).objects.get(pk=accountant.pk)
    add_non_working_days(actor=accountant, first=dt.date(2026, 2, 13), last=dt.date(2026, 2, 27), name="Tết")
    loan = staff_loan(staff, bank)  # its first due date moved to 28/02
    close(staff, dt.date(2026, 1, 20))
    for offset in range(15):  # the days off were a mistake: the due date is 15/02 again
        remove_non_working_day(actor=accountant, day=dt.date(2026, 2, 13) + dt.timedelta(days=offset))
    close(staff, dt.date(2026, 2, 27))  # nothing paid
    assert account_balance(code="128312", as_of=dt.date(2026, 2, 15)) == D(10_000_000)
    assert list(DebtGroupChange.objects.filter(loan=loan).values_list("changed_on", "to_group")) == [
        (dt.date(2026, 2, 25), 2)
    ]


def test_close_of_day_refused_by_a_closed_month_says_why_on_the_page(staff, loan, client, user_with_role):
    close(staff, dt.date(2026, 2, 10))
    # Closed as a hand edit would leave it: the service closes a month only after close of day
    # has run through it (`loans.selectors.reconciliation.month_close_refusals`).
    Period.objects.create(year=2026, month=2, state=PeriodState.CLOSED)
    client.force_login(staff["accountant"])
    response = client.post(reverse("loans:close_of_day"), {"until": "2026-03-05"})
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()  # its first day, 10/02, refused
    assert errors and all("02/2026" in why and why in response.content.decode() for why in errors)
    # Nothing closed in the closed month: the page says the business date stayed.
    assert Fund.objects.get().business_date == dt.date(2026, 2, 10)
    assert response.context["business_date"] == dt.date(2026, 2, 10)
    assert account_balance(code="128312", as_of=dt.date(2026, 3, 5)) == 0


@pytest.mark.parametrize("command", [["close_day", "--until", "2026-01-20"], ["reconcile"]])
def test_the_commands_before_the_fund_is_set_up_say_so(command, user_with_role):
    user_with_role(is_superuser=True)
    with pytest.raises(CommandError, match="not set up"):
        call_command(*command)

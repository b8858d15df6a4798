"""`manage.py close_day` and `manage.py reconcile`, as an accountant runs them from a shell."""

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from common.dates import format_date
from fund.models import Fund
from ledger.services import EntryDraft, Line, post_entry
from loans.models import CloseOfDay, LoanTransaction
from loans.services.closing.runs import close_until
from tests.loans.conftest import START

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_close_day_closes_each_missed_day_in_order_with_its_progress(loan, staff):
    out = run("close_day", "--until", "2026-01-20", "--user", staff["accountant"].username)
    assert Fund.objects.get().business_date == dt.date(2026, 1, 20)
    assert list(CloseOfDay.objects.order_by("business_date").values_list("business_date", flat=True)) == [
        dt.date(2026, 1, 15) + dt.timedelta(days=n) for n in range(5)
    ]
    assert (
        f"5/5 {format_date(dt.date(2026, 1, 19))}" in out
        and f"Business date now {format_date(dt.date(2026, 1, 20))}." in out
    )


def test_close_day_refuses_a_date_not_after_the_business_date_or_a_user_without_the_right(loan, staff):
    with pytest.raises(CommandError, match=format_date(dt.date(2026, 1, 15))):
        run("close_day", "--until", "2026-01-15", "--user", staff["accountant"].username)
    with pytest.raises(CommandError, match="--user"):
        run("close_day", "--until", "2026-01-20", "--user", staff["officer"].username)
    assert not CloseOfDay.objects.exists() and Fund.objects.get().business_date == dt.date(2026, 1, 15)


def test_reconcile_agrees_after_close_of_day_and_finds_a_manual_entry_on_a_control_account(loan, staff):
    run("close_day", "--until", "2026-02-20", "--user", staff["accountant"].username)  # a month end: accrual
    out = run("reconcile", "--as-of", "2026-02-20")
    assert "13881" in out and "128311" in out and "Every control account agrees with the GL." in out
    post_entry(
        EntryDraft(
            value_date=dt.date(2026, 2, 20),
            memo="Hạch toán tay vào tài khoản lãi phải thu",
            idempotency_key="manual-13881",
            lines=[Line("13881", debit=D(1_000)), Line("5151", credit=D(1_000))],
        ),
        created_by=staff["accountant"],
    )
    with pytest.raises(CommandError, match="13881") as refused:
        run("reconcile", "--as-of", "2026-02-20")
    assert refused.value.returncode == 1
    assert "Every control account" in run("reconcile", "--as-of", "2026-02-19")  # the day before it


def test_a_loan_whose_books_left_its_events_stops_the_close_and_closes_nothing(loan, staff):
    # A sub-ledger row no event explains (as a hand edit of the database would leave).
    stray = LoanTransaction.objects.filter(loan=loan).first()
    stray.pk, stray.principal = None, D(1_000)
    stray.save()
    with pytest.raises(ValidationError, match="do not agree with its events"):
        close_until(actor=staff["accountant"], until=dt.date(2026, 1, 17))
    assert Fund.objects.get().business_date == START and not CloseOfDay.objects.exists()

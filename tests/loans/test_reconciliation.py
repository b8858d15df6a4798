"""The loans' sub-ledger against the GL as pages: the control accounts as of a date, the loans
and entries that carry an account's difference, a loan's rows, the .xlsx; the same loans named
by `manage.py reconcile`; a month closed only once close of day has run through it and the
books agree on its last day.

The loan of the examples (conftest): 120.000.000 đ paid out on 15/01/2026 from the bank 11211.
"""

import contextlib
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from common.dates import format_date
from ledger.models import Period, PeriodState
from ledger.services import EntryDraft, Line, close_period, post_entry
from loans.models import LoanTransaction
from loans.selectors.reconciliation import account_drill_down, reconciliation
from loans.services.closing.runs import close_until
from tests.ledger.factories import as_if_committed
from tests.loans.conftest import START, move_to, sixty_million_loan, staffed_active_loan
from tests.loans.test_close_of_day_properties import act, actions, business_date
from tests.sheets import table_under

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 20)  # after the January month end: interest accrued to 13881
TODAY = dt.date(2026, 7, 1)  # the calendar: the months before July have ended


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def client(client, settings, staff):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(staff["accountant"])
    return client


@pytest.fixture
def closed(loan, staff):
    close_until(actor=staff["accountant"], until=DAY)
    return loan


def differing(as_of: dt.date) -> dict[str, D]:
    return {row.code: row.difference for row in reconciliation(as_of=as_of) if row.difference}


def assert_nothing_differs(as_of: dt.date) -> None:
    assert differing(as_of) == {}, as_of
    for row in reconciliation(as_of=as_of):
        found = account_drill_down(code=row.code, as_of=as_of)
        assert (found.entries, found.loans) == ([], []), (row.code, as_of)


def reconcile(as_of: dt.date) -> str:
    out = io.StringIO()
    with contextlib.suppress(CommandError):
        call_command("reconcile", "--as-of", as_of.isoformat(), stdout=out)
    return out.getvalue()


def test_the_page_agrees_after_close_of_day_and_defaults_to_the_business_date(client, closed):
    response = client.get(reverse("loans:reconciliation"))
    page = response.content.decode()
    assert response.context["as_of"] == DAY and "Every control account agrees with the GL." in page
    assert "128311" in page and "13881" in page
    assert_nothing_differs(DAY)
    account = client.get(reverse("loans:reconciliation_account", args=["128311"]), {"as_of": "2026-02-20"})
    assert "No loan differs." in account.content.decode()


def test_a_copied_sub_ledger_row_names_its_loan_on_the_page_and_in_the_command(client, closed):
    # A sub-ledger row no event explains (as a hand edit of the database would leave).
    stray = LoanTransaction.objects.get(loan=closed, kind=LoanTransaction.Kind.DISBURSEMENT)
    stray.pk = None
    stray.save()
    assert differing(DAY) == {"128311": D(120_000_000)}
    found = account_drill_down(code="128311", as_of=DAY)
    assert [(loan.loan_id, loan.difference, loan.shared) for loan in found.loans] == [
        (closed.pk, D(120_000_000), False)
    ]
    # Twice the tranche in term, less the installment of 15/02 moved to overdue (128312).
    assert found.loans[0].sub_ledger == D(240_000_000 - 10_000_000)
    (entry,) = found.entries
    assert (entry.entry_id, entry.reference, entry.sub_ledger, entry.gl) == (
        stray.journal_entry_id,
        closed.contract.number,
        D(240_000_000),
        D(120_000_000),
    )
    page = client.get(reverse("loans:reconciliation"), {"as_of": "2026-02-20"}).content.decode()
    assert "Some control accounts differ from the GL." in page
    account = client.get(reverse("loans:reconciliation_account", args=["128311"]), {"as_of": "2026-02-20"})
    assert closed.reference in account.content.decode()
    rows = client.get(
        reverse("loans:reconciliation_loan", args=["128311", closed.pk]), {"as_of": "2026-02-20"}
    ).content.decode()
    assert rows.count(reverse("ledger:entry_detail", args=[stray.journal_entry_id])) >= 3  # 2 rows + entry
    out = reconcile(DAY)
    assert f"loan {closed.reference} contract {closed.contract.number}" in out
    assert "128311" in out.split("the loans and entries that differ")[0]
    assert differing(START - dt.timedelta(days=1)) == {}  # before the tranche, nothing


def test_a_changed_close_of_day_row_names_the_loans_of_its_entry(closed):
    accrual = LoanTransaction.objects.filter(loan=closed, kind=LoanTransaction.Kind.ACCRUAL).first()
    LoanTransaction.objects.filter(pk=accrual.pk).update(interest_receivable=accrual.interest_receivable + 7)
    assert differing(DAY) == {"13881": D(7)}
    found = account_drill_down(code="13881", as_of=DAY)
    assert [(loan.loan_id, loan.difference) for loan in found.loans] == [(closed.pk, D(7))]
    assert [(entry.entry_id, entry.reference, entry.difference) for entry in found.entries] == [
        (accrual.journal_entry_id, "", D(7))
    ]
    assert f"loan {closed.reference}" in reconcile(DAY)
    assert differing(accrual.value_date - dt.timedelta(days=1)) == {}


def test_of_the_loans_of_a_close_of_day_entry_the_one_whose_principal_left_its_events_comes_first(
    loan, staff, bank
):
    other = staffed_active_loan(staff, on=START, account=bank, number="HĐ-02/2026")
    close_until(actor=staff["accountant"], until=DAY)  # both moved 10 000 000 to overdue on 16/02
    moved = LoanTransaction.objects.get(loan=other, kind=LoanTransaction.Kind.OVERDUE)
    LoanTransaction.objects.filter(pk=moved.pk).update(principal=5)  # 5 more in term than posted
    assert differing(DAY) == {"128311": D(5)}
    found = account_drill_down(code="128311", as_of=DAY)
    assert [(entry.entry_id, set(entry.loans), entry.difference) for entry in found.entries] == [
        (moved.journal_entry_id, {loan.pk, other.pk}, D(5))
    ]
    assert [(row.loan_id, row.shared, row.principal_differs) for row in found.loans] == [
        (other.pk, True, True),
        (loan.pk, True, False),
    ]
    assert f"loan {other.reference} contract {other.contract.number}: 0 VND (and an entry it shares), " in (
        reconcile(DAY).replace("\xa0", " ")
    )


def test_a_manual_entry_on_a_control_account_is_no_loan_unless_it_names_one(closed, staff):
    for key, reference in (("no-loan", "PT-12"), ("a-loan", closed.contract.number)):
        post_entry(
            EntryDraft(
                value_date=DAY,
                memo="Hạch toán tay",
                idempotency_key=key,
                lines=[Line("13881", debit=D(1_000), reference=reference), Line("5151", credit=D(1_000))],
            ),
            created_by=staff["accountant"],
        )
    found = account_drill_down(code="13881", as_of=DAY)
    assert sorted((entry.reference, entry.loans, entry.difference) for entry in found.entries) == [
        (closed.contract.number, (closed.pk,), D(-1_000)),
        ("PT-12", (), D(-1_000)),
    ]
    assert [(loan.loan_id, loan.difference) for loan in found.loans] == [(closed.pk, D(-1_000))]
    assert differing(DAY) == {"13881": D(-2_000)}
    assert "no loan" in reconcile(DAY)


def test_the_xlsx_has_the_accounts_and_a_sheet_per_account_that_differs(client, closed, staff):
    post_entry(
        EntryDraft(
            value_date=DAY,
            memo="Hạch toán tay",
            idempotency_key="manual",
            lines=[Line("13881", debit=D(1_000)), Line("5151", credit=D(1_000))],
        ),
        created_by=staff["accountant"],
    )
    response = client.get(reverse("loans:reconciliation_export"), {"as_of": "2026-02-20"})
    book = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)
    assert book.sheetnames == ["Reconciliation", "13881"]
    summary = {row[0]: tuple(row[2:]) for row in table_under(book["Reconciliation"], "Account")}
    gl = summary["13881"][1]
    assert summary["13881"] == (gl - 1_000, gl, -1_000) and summary["Total"][2] == -1_000
    lines = [tuple(row) for row in table_under(book["13881"], "Entry")]
    assert lines[0][3:] == (None, "no loan", 0, 1_000, -1_000)  # an empty reference: an empty cell


def test_bad_input_gets_a_message_not_an_error(client, closed, staff):
    page = client.get(reverse("loans:reconciliation"), {"as_of": "31/31/2026"})
    assert page.status_code == 400 and "Enter a valid date." in page.content.decode()
    assert client.get(reverse("loans:reconciliation_export"), {"as_of": "x"}).status_code == 400
    assert client.get(reverse("loans:reconciliation_account", args=["111"])).status_code == 404
    assert client.get(reverse("loans:reconciliation_account", args=["9" * 300])).status_code == 404
    client.force_login(staff["officer"])
    assert client.get(reverse("loans:reconciliation")).status_code == 403


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=actions)
def test_after_any_events_and_closes_no_loan_and_no_entry_differs(fund, staff, bank, actions):
    with transaction.atomic():
        move_to(START)
        loan = sixty_million_loan(staff, bank)
        for action in actions:
            with contextlib.suppress(ValidationError), transaction.atomic():
                act(action, loan, staff, bank)
        close_until(actor=staff["accountant"], until=business_date() + dt.timedelta(days=1))
        month_ends = [dt.date(2026, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 6)]
        for day in [*(day for day in month_ends if day < business_date()), business_date()]:
            assert_nothing_differs(day)
        for day in (day for day in month_ends if day < business_date()):
            assert close_period(actor=staff["accountant"], year=day.year, month=day.month).is_closed
        transaction.set_rollback(True)


# --- closing a month ---------------------------------------------------------------------------


def test_a_month_closes_once_close_of_day_has_run_through_its_last_day(loan, staff):
    with pytest.raises(ValidationError) as refused:
        close_period(actor=staff["accountant"], year=2026, month=1)
    last, business = format_date(dt.date(2026, 1, 31)), format_date(dt.date(2026, 1, 15))
    assert refused.value.message_dict == {
        "month": [f"Close of day has not run through {last}: {business} is not closed yet."]
    }
    close_until(actor=staff["accountant"], until=dt.date(2026, 1, 31))  # the 31st itself not yet
    with pytest.raises(ValidationError, match=f"{last} is not closed yet"):
        close_period(actor=staff["accountant"], year=2026, month=1)
    assert not Period.objects.filter(state=PeriodState.CLOSED).exists()
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 1))
    as_if_committed()  # PostgreSQL checks each entry's month at commit: before the month closes
    assert close_period(actor=staff["accountant"], year=2026, month=1).is_closed


def test_a_month_whose_books_differ_on_its_last_day_is_refused_saying_which_account(client, closed, staff):
    close_until(actor=staff["accountant"], until=dt.date(2026, 3, 2))
    post_entry(
        EntryDraft(
            value_date=dt.date(2026, 2, 27),
            memo="Hạch toán tay",
            idempotency_key="manual",
            lines=[Line("13881", debit=D(1_000)), Line("5151", credit=D(1_000))],
        ),
        created_by=staff["accountant"],
    )
    with pytest.raises(ValidationError) as refused:
        close_period(actor=staff["accountant"], year=2026, month=2)
    last = format_date(dt.date(2026, 2, 28))
    why = f"As of {last} the loans' sub-ledger differs from the GL on account 13881 by -1,000\xa0VND."
    assert refused.value.message_dict == {"month": [why]}
    url = reverse("ledger:period_close", args=[2026, 2])
    confirming = client.get(url).content.decode()
    assert "sub-ledger agrees with the GL on every control account" in confirming  # what it checks
    assert "account 13881 by -1,000" in confirming and 'name="confirm"' not in confirming
    page = client.post(url, {"confirm": "1"}, follow=True).content.decode()
    assert "account 13881 by -1,000" in page
    assert not Period.objects.filter(year=2026, month=2).exists()
    as_if_committed()
    assert close_period(actor=staff["accountant"], year=2026, month=1).is_closed  # January agrees

"""Due-date reminders and overdue notices: the right installments on the right day, once each,
by e-mail and SMS, what failed recorded; found set-based on the stored balances."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from common.dates import format_date
from common.sms import SmsError
from fund import roles
from fund.models import Borrower, Fund
from loans import tasks
from loans.models import Delivery, Notice, NoticeKind
from loans.services.closing.runs import close_until
from loans.services.reminders import record_notices, send_reminders
from tests.loans.conftest import ROW1, START, move_to, staffed_active_loan

pytestmark = pytest.mark.django_db
FIRST_DUE = dt.date(2026, 2, 15)  # the example loan's first installment (ROW1)


class RecordingSender:
    """An SMS sender for tests: keeps what it was asked to send; fails for numbers in `failing`."""

    sent: list[tuple[str, str]] = []
    failing: set[str] = set()

    def send(self, *, to: str, text: str) -> None:
        if to in self.failing:
            raise SmsError("gateway refused the number")
        self.sent.append((to, text))


@pytest.fixture(autouse=True)
def senders(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_SENDER = "tests.loans.test_reminders.RecordingSender"
    settings.LANGUAGE_CODE = "en"
    RecordingSender.sent, RecordingSender.failing = [], set()


@pytest.fixture
def loan_a(staff, bank, user_with_role):
    loan = staffed_active_loan(staff, on=START, account=bank, number="HĐ-A")
    user_with_role(roles.COOP_USER, borrower=loan.borrower, email="ketoan@htx-a.vn")
    return loan


def test_a_reminder_goes_n_days_before_the_due_date_once(loan_a):
    assert Fund.objects.get().reminder_days_before == 5
    assert send_reminders(day=FIRST_DUE - dt.timedelta(days=6)).recorded == 0
    run = send_reminders(day=FIRST_DUE - dt.timedelta(days=5))
    assert run.recorded == 1
    notice = Notice.objects.get()
    assert (notice.loan, notice.kind, notice.due_date, notice.amount.amount) == (
        loan_a,
        NoticeKind.DUE,
        FIRST_DUE,
        ROW1,
    )
    assert (notice.email_status, notice.sms_status) == (Delivery.SENT, Delivery.SENT)
    assert [message.to for message in mail.outbox] == [["ketoan@htx-a.vn"]]
    assert "11,223,014" in mail.outbox[0].body and format_date(dt.date(2026, 2, 15)) in mail.outbox[0].body
    assert RecordingSender.sent == [(loan_a.borrower.phone, mail.outbox[0].body)]
    # The same day again, and the days up to the due date: nothing twice.
    for day in (FIRST_DUE - dt.timedelta(days=5), FIRST_DUE - dt.timedelta(days=1), FIRST_DUE):
        assert send_reminders(day=day).recorded == 0
    assert (Notice.objects.count(), len(mail.outbox), len(RecordingSender.sent)) == (1, 1, 1)


def test_no_reminder_when_the_fund_turns_them_off(loan_a):
    Fund.objects.update(reminder_days_before=0)
    assert send_reminders(day=FIRST_DUE - dt.timedelta(days=1)).recorded == 0
    assert not mail.outbox


def test_overdue_notices_at_each_step_once_and_failures_recorded(
    loan_a, staff, bank, django_capture_on_commit_callbacks
):
    move_to(dt.date(2026, 2, 2))
    on_time = staffed_active_loan(staff, on=dt.date(2026, 2, 2), account=bank, number="HĐ-B")
    Borrower.objects.filter(pk=on_time.borrower_id).update(phone="0987654321")
    RecordingSender.failing = {loan_a.borrower.phone}
    with django_capture_on_commit_callbacks(execute=True):
        close_until(actor=staff["accountant"], until=dt.date(2026, 3, 2))
    # A is 15 days past due (its first installment unpaid); B's first falls due on 2 March.
    run = send_reminders(day=dt.date(2026, 3, 2))
    notices = {(n.loan_id, n.kind, n.step, n.due_date): n for n in Notice.objects.all()}
    assert set(notices) == {
        (loan_a.pk, NoticeKind.OVERDUE, 1, FIRST_DUE),
        (on_time.pk, NoticeKind.DUE, 0, dt.date(2026, 3, 2)),
    }
    late = notices[(loan_a.pk, NoticeKind.OVERDUE, 1, FIRST_DUE)]
    assert late.amount.amount == ROW1  # the unpaid installment's principal and interest
    assert (late.email_status, late.sms_status) == (Delivery.SENT, Delivery.FAILED)
    assert "gateway refused" in late.error
    # B's co-op has no user with an e-mail: recorded as such, its SMS sent.
    due = notices[(on_time.pk, NoticeKind.DUE, 0, dt.date(2026, 3, 2))]
    assert (due.email_status, due.sms_status) == (Delivery.NO_ADDRESS, Delivery.SENT)
    assert run.sent["sms_failed"] == 1 and run.sent["email_sent"] == 1
    # A rerun sends nothing twice (nor retries the failed SMS).
    assert send_reminders(day=dt.date(2026, 3, 2)).recorded == 0
    assert (len(mail.outbox), len(RecordingSender.sent), Notice.objects.count()) == (1, 1, 2)
    # Later (the same rows): A reaches 30 days past due, its next step's notice, never the first
    # step's again; B's unpaid installment of 2 March is now past due.
    assert record_notices(day=dt.date(2026, 3, 17)) == 2
    later = Notice.objects.filter(on=dt.date(2026, 3, 17)).values_list("loan", "kind", "step", "due_date")
    assert set(later) == {
        (loan_a.pk, NoticeKind.OVERDUE, 30, FIRST_DUE),
        (on_time.pk, NoticeKind.OVERDUE, 1, dt.date(2026, 3, 2)),
    }


def test_the_installments_are_found_in_the_same_queries_however_many_loans(loan_a, staff, bank):
    def recording(day) -> int:
        with CaptureQueriesContext(connection) as queries:
            record_notices(day=day)
        return len(queries)

    one = recording(FIRST_DUE - dt.timedelta(days=5))
    for number in ("HĐ-B", "HĐ-C"):
        staffed_active_loan(staff, on=START, account=bank, number=number)
    Notice.objects.all().delete()
    three = recording(FIRST_DUE - dt.timedelta(days=5))
    assert Notice.objects.filter(kind=NoticeKind.DUE, due_date=FIRST_DUE).count() == 3
    assert three == one


def test_the_daily_task_is_off_until_the_fund_turns_it_on_and_runs_eagerly(loan_a):
    entry = PeriodicTask.objects.get(name="Due-date reminders (daily)")
    assert (entry.task, entry.enabled) == ("loans.send_reminders", False)
    Fund.objects.update(business_date=FIRST_DUE - dt.timedelta(days=2))
    result = tasks.send_reminders.delay().get(timeout=60)
    assert result["recorded"] == 1 and result["email_sent"] == 1
    assert Notice.objects.get().on == FIRST_DUE - dt.timedelta(days=2)


def test_amounts_are_whole_dong(loan_a):
    send_reminders(day=FIRST_DUE)
    assert Notice.objects.get().amount.amount == ROW1 == ROW1.to_integral_value()
    assert isinstance(Notice.objects.get().amount.amount, D)

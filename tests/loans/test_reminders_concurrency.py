"""Two reminder runs at the same moment (beat firing twice, a rerun during a run) record each
notice once and send it once."""

import datetime as dt

import pytest
from django.core import mail

from fund import roles
from loans.models import Notice
from loans.services.reminders import send_reminders
from tests.concurrency import at_once
from tests.loans.conftest import START, staffed_active_loan
from tests.loans.test_reminders import FIRST_DUE, RecordingSender, senders  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_runs_at_once_send_each_notice_once(staff, bank, user_with_role):
    loans = [staffed_active_loan(staff, on=START, account=bank, number=f"HĐ-{n}") for n in range(3)]
    for loan in loans:
        user_with_role(roles.COOP_USER, borrower=loan.borrower, email=f"ketoan{loan.pk}@htx.vn")
    day = FIRST_DUE - dt.timedelta(days=3)
    runs = at_once(lambda: send_reminders(day=day), lambda: send_reminders(day=day))
    assert not [run for run in runs if isinstance(run, Exception)], runs
    assert Notice.objects.count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        f"ketoan{loan.pk}@htx.vn" for loan in loans
    )
    assert len(RecordingSender.sent) == 3

"""Watching close of day: the runs list and a run's page with its failed loans retried, the
progress the close of day page polls, and `manage.py close_day` watching the workers' runs.

The loan of the examples (conftest): 120.000.000 đ over 12 months from 15/01/2026, 10.000.000
of principal due on the 15th of each month.
"""

import contextlib
import datetime as dt
from decimal import Decimal as D
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from common.dates import format_date
from fund.models import Fund
from loans.models import CloseChunk, CloseFailure, CloseOfDay, CloseRun, LoanTransaction
from loans.services.closing.runs import close_until
from tests.fund.factories import BorrowerFactory
from tests.loans.conftest import START, move_to, staffed_active_loan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def client(client, settings):
    """Pages in English, so that they can be compared with the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def broken(loan):
    """The example loan with a sub-ledger row no event explains (as a hand edit of the database
    would leave): its books do not agree with its events, close of day cannot close it."""
    stray = LoanTransaction.objects.filter(loan=loan).first()
    stray.pk, stray.principal = None, D(1_000)
    stray.save()
    return stray


@pytest.fixture
def other(staff, bank):
    """Another borrower's loan, which closes whatever happens to the example loan."""
    return staffed_active_loan(staff, on=START, account=bank, borrower=BorrowerFactory(), number="HĐ-02/2026")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_runs_list_shows_each_days_counts_summed_over_its_chunks(client, staff, loan):
    client.force_login(staff["accountant"])
    started = client.post(reverse("loans:close_of_day"), {"until": "2026-02-17"}, follow=True)
    assert f"33 days closed; the business date is now {format_date(dt.date(2026, 2, 17))}." in messages_of(
        started
    )

    response = client.get(reverse("loans:close_runs"))
    assert response.status_code == 200
    summaries = {summary.run.business_date: summary for summary in response.context["summaries"]}
    assert len(summaries) == 25  # a page of them, the latest first
    assert max(summaries) == dt.date(2026, 2, 16)
    for day, summary in summaries.items():
        closed = CloseOfDay.objects.get(business_date=day)
        assert summary.run.state == CloseRun.State.DONE and summary.done == summary.chunks
        assert (summary.loans, sum(summary.steps)) == (closed.loans, closed.postings)
    month_end, due = summaries[dt.date(2026, 1, 31)], summaries[dt.date(2026, 2, 15)]
    # 31/01: interest accrued and provisions for the loan; 15/02: row 1 unpaid moves to overdue.
    assert month_end.steps[1] == 1 and month_end.steps[3] >= 1 and month_end.steps[0] == 0
    assert due.steps[0] == 1
    assert {phase for phase, _seconds in month_end.phases} and month_end.duration is not None
    page = response.content.decode()
    assert (
        reverse("loans:close_run", args=[month_end.run.pk]) in page
        and format_date(dt.date(2026, 1, 31)) in page
    )
    assert "Page 1 of 2" in page


def test_a_loan_that_fails_shows_on_its_run_and_closes_on_a_retry_once_mended(client, staff, broken, other):
    loan = broken.loan
    client.force_login(staff["accountant"])
    refused = client.post(reverse("loans:close_of_day"), {"until": "2026-01-17"})
    assert refused.status_code == 400
    assert loan.reference in refused.content.decode()
    assert Fund.objects.get().business_date == START  # the day stays open; the other loan closed
    run = CloseRun.objects.get(business_date=START)
    failure = CloseFailure.objects.get(run=run)
    assert (failure.loan_id, failure.state) == (loan.pk, CloseFailure.State.OPEN)
    assert reverse("loans:close_run", args=[run.pk]) in refused.content.decode()  # the page says where

    page = client.get(reverse("loans:close_run", args=[run.pk])).content.decode()
    assert reverse("loans:loan_detail", args=[loan.pk]) in page and loan.borrower.name in page
    assert "do not agree with its events" in page
    retry = reverse("loans:failure_retry", args=[failure.pk])
    assert retry in page

    still = client.post(retry, follow=True)
    assert any(f"{loan.reference} still cannot be closed" in text for text in messages_of(still))
    failure = CloseFailure.objects.get(pk=failure.pk)
    assert failure.state == CloseFailure.State.OPEN and Fund.objects.get().business_date == START

    broken.delete()  # mended
    closed = client.post(retry, follow=True)
    assert f"{loan.reference} is closed for {format_date(dt.date(2026, 1, 15))}." in messages_of(closed)
    failure = CloseFailure.objects.get(pk=failure.pk)
    assert failure.state == CloseFailure.State.RESOLVED and failure.resolved_at is not None
    assert Fund.objects.get().business_date == START + dt.timedelta(days=1)
    assert CloseOfDay.objects.filter(business_date=START).exists()
    assert retry not in closed.content.decode()  # nothing left to retry


def running_run(staff, *, until: dt.date) -> CloseRun:
    """A run the workers are on: its one chunk still to do."""
    run = CloseRun.objects.create(business_date=START, until=until, started_by=staff["accountant"])
    CloseChunk.objects.create(run=run, number=1, after=0)
    return run


def test_the_progress_is_polled_while_the_workers_close_and_no_longer_once_done(client, staff, loan):
    client.force_login(staff["accountant"])
    run = running_run(staff, until=START + dt.timedelta(days=2))
    progress = reverse("loans:close_progress")
    page = client.get(reverse("loans:close_of_day")).content.decode()
    assert f'hx-get="{progress}"' in page and 'hx-trigger="every 2s"' in page
    partial = client.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' in partial and "0 of 1 chunks done" in partial

    chunk = run.chunks.get()
    chunk.finish(loans=3, counts={"overdue": 2, "accrual": 1, "groups": 1}, seconds={"read": 0.5})
    chunk.save()
    run.finish()
    run.save()
    move_to(START + dt.timedelta(days=1))
    # Done, and the next day's run not started yet: still looking, for a while.
    partial = client.get(progress).content.decode()
    assert 'hx-trigger="every 2s"' in partial and "1 of 1 chunks done; 3 loans looked at" in partial
    assert "2 overdue, 1 accrual" in partial and "1 debt groups changed" in partial

    move_to(run.until)  # every day closed
    partial = client.get(progress).content.decode()
    assert "hx-trigger" not in partial and f"{format_date(dt.date(2026, 1, 15))} is closed." in partial
    assert 'id="close-progress"' not in client.get(reverse("loans:close_of_day")).content.decode()


def test_a_chunk_stopped_by_an_error_shows_why_and_stops_the_polling(client, staff, loan):
    client.force_login(staff["accountant"])
    run = running_run(staff, until=START + dt.timedelta(days=1))
    CloseChunk.objects.filter(run=run).update(error="database connection lost")
    page = client.get(reverse("loans:close_of_day")).content.decode()
    assert "Chunk 1: database connection lost" in page and "hx-trigger" not in page
    detail = client.get(reverse("loans:close_run", args=[run.pk])).content.decode()
    assert "database connection lost" in detail


def test_only_who_runs_close_of_day_watches_it(client, staff, broken):
    close_until_refused(staff)
    run = CloseRun.objects.get()
    failure = CloseFailure.objects.get()
    client.force_login(staff["officer"])
    for url in (
        reverse("loans:close_runs"),
        reverse("loans:close_run", args=[run.pk]),
        reverse("loans:close_progress"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("loans:failure_retry", args=[failure.pk])).status_code == 403
    broken.delete()
    assert client.post(reverse("loans:failure_retry", args=[failure.pk])).status_code == 403
    assert CloseFailure.objects.get().state == CloseFailure.State.OPEN
    client.force_login(staff["accountant"])
    assert client.get(reverse("loans:failure_retry", args=[failure.pk])).status_code == 405


def close_until_refused(staff) -> None:
    with pytest.raises(ValidationError):
        close_until(actor=staff["accountant"], until=START + dt.timedelta(days=2))


# --- manage.py close_day --------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("close_day", *args, stdout=out)
    return out.getvalue()


def test_close_day_names_the_loans_that_could_not_be_closed(staff, broken, other):
    with pytest.raises(CommandError) as refused:
        run_command("--until", "2026-01-17", "--user", staff["accountant"].username)
    assert f"  {broken.loan.reference}: " in str(refused.value)
    assert "do not agree with its events" in str(refused.value)
    assert Fund.objects.get().business_date == START


@pytest.fixture
def workers(monkeypatch):
    """A broker: the command starts the close and watches the runs; the workers are played by
    closing the days in this process when it starts, as far as they can."""
    broker = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))
    monkeypatch.setattr("loans.management.commands.close_day.current_app", broker)
    monkeypatch.setattr("loans.management.commands.close_day.time.sleep", lambda seconds: None)

    def start_close(*, actor, until):
        with contextlib.suppress(ValidationError):  # a loan failed: its run stays open
            close_until(actor=actor, until=until)

    monkeypatch.setattr("loans.management.commands.close_day.start_close", start_close)


def test_close_day_with_workers_prints_each_day_they_close(staff, loan, workers):
    out = run_command("--until", "2026-01-20", "--user", staff["accountant"].username)
    assert Fund.objects.get().business_date == dt.date(2026, 1, 20)
    assert (
        f"1/5 {format_date(dt.date(2026, 1, 15))}" in out
        and f"5/5 {format_date(dt.date(2026, 1, 19))}" in out
        and f"Business date now {format_date(dt.date(2026, 1, 20))}." in out
    )


def test_close_day_with_workers_stops_at_a_loan_they_could_not_close(staff, broken, other, workers):
    with pytest.raises(CommandError) as refused:
        run_command("--until", "2026-01-20", "--user", staff["accountant"].username)
    assert refused.value.returncode == 1
    assert f"The close of {format_date(dt.date(2026, 1, 15))} cannot finish:" in str(refused.value)
    assert f"  {broken.loan.reference}: " in str(refused.value)


def test_the_pages_speak_vietnamese(client, settings, staff, broken):
    close_until_refused(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    client.force_login(staff["accountant"])
    run = CloseRun.objects.get()
    detail = client.get(reverse("loans:close_run", args=[run.pk])).content.decode()
    assert "Khoản vay không khóa sổ được" in detail and "Thử lại" in detail and "Đang chạy" in detail
    page = client.get(reverse("loans:close_of_day")).content.decode()
    assert "1 khoản vay không khóa sổ được" in page and "Xem lượt khóa sổ" in page
    assert "Các lượt khóa sổ cuối ngày" in client.get(reverse("loans:close_runs")).content.decode()

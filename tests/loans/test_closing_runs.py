"""Close of day runs: a day closed in chunks of borrowers' loans gives the books one chunk gives;
a chunk that failed part-way is closed again by the rerun and nothing twice; a loan that cannot
be closed fails alone and closes on retry once mended; the nightly task is there, off."""

import datetime as dt
from decimal import Decimal as D

import pytest
from celery import current_app
from django.core.exceptions import ValidationError
from django_celery_beat.models import PeriodicTask

from fund.models import Fund
from ledger.models import JournalEntry
from loans import tasks
from loans.models import CloseChunk, CloseFailure, CloseOfDay, CloseRun, Loan, LoanTransaction
from loans.selectors.reconciliation import reconciliation
from loans.services.closing import days, runs
from tests.loans.conftest import ROW1, START, household_group_loan, repay
from tests.loans.test_close_of_day import close_through, run_in_savepoint, snapshot

pytestmark = pytest.mark.django_db
ONE_DAY = dt.timedelta(days=1)
# From the example loan's start over two month ends: row 1 falls due, unpaid rows go overdue.
UNTIL = dt.date(2026, 3, 5)


@pytest.fixture
def portfolio(fund, staff, bank, loan):
    """Two borrowers: the example co-op's loan and a household group's loan."""
    household_group_loan(staff, bank, D(30_000_000), D(20_000_000), number="HĐ-02/2026")


def history(staff, loan, until: dt.date) -> None:
    """Days closed to `until`: the example loan's row 1 paid five days late, on 20/02."""
    close_through(staff, dt.date(2026, 2, 19))
    repay(loan, staff, dt.date(2026, 2, 20), ROW1)
    close_through(staff, until)


def test_chunks_of_one_borrower_give_the_books_of_one_chunk(portfolio, staff, loan, settings):
    def close(size):
        def run():
            settings.CLOSE_OF_DAY_CHUNK = size
            history(staff, loan, UNTIL)
            chunks = list(CloseChunk.objects.filter(run__business_date=dt.date(2026, 2, 28)))
            # 14/02, the day before the example loan's row 1 falls due: an ordinary day.
            ordinary = CloseChunk.objects.filter(run__business_date=dt.date(2026, 2, 14))
            found = [(chunk.after, chunk.last, chunk.found) for chunk in ordinary.order_by("number")]
            return snapshot(), len(chunks), sum(chunk.loans for chunk in chunks), chunks, found

        return run

    whole, one_chunk, loans, _, _ = run_in_savepoint(close(1000))
    chunked, two_chunks, loans_chunked, month_end, ordinary = run_in_savepoint(close(1))
    assert (one_chunk, two_chunks) == (1, 2)
    assert loans == loans_chunked == 2  # a month end: every loan, once
    # A month end's chunks find their loans themselves; an ordinary day's were found once, at
    # the run's start, each in the chunk of its borrower.
    assert [chunk.found for chunk in month_end] == [None, None]
    assert loan.pk in [pk for _after, _last, found in ordinary for pk in found]
    for after, last, found in ordinary:
        assert all(after < Loan.objects.get(pk=pk).borrower_id <= (last or 10**12) for pk in found)
    assert chunked["gl"] == whole["gl"] and chunked["closed"] == whole["closed"]
    assert chunked == whole
    assert whole["closed"][-1][0] == UNTIL


def test_a_chunk_that_failed_is_closed_by_the_rerun_and_nothing_twice(
    portfolio, staff, settings, monkeypatch
):
    settings.CLOSE_OF_DAY_CHUNK = 1
    uninterrupted = run_in_savepoint(lambda: (close_through(staff, UNTIL), snapshot())[1])
    month_end = dt.date(2026, 2, 28)
    close_through(staff, month_end - ONE_DAY)
    real, calls = days.close_steps, []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(kwargs["borrowers"])
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "close_steps", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        runs.close_business_day(actor=staff["accountant"])
    run = CloseRun.objects.get(business_date=month_end)
    states = list(run.chunks.order_by("number").values_list("state", "error"))
    assert states == [("done", ""), ("pending", "the worker died")]
    assert Fund.objects.get().business_date == month_end  # the day is not closed
    entries = JournalEntry.objects.count()
    # Started again: the rerun closes only the chunk left, and the day moves on.
    monkeypatch.setattr(runs, "close_steps", real)
    closed = runs.close_business_day(actor=staff["accountant"])
    assert closed.business_date == month_end and JournalEntry.objects.count() > entries
    assert set(run.chunks.values_list("state", flat=True)) == {"done"}
    assert CloseRun.objects.filter(business_date=month_end).count() == 1
    close_through(staff, UNTIL)
    assert snapshot() == uninterrupted


def test_a_loan_that_cannot_be_closed_fails_alone_and_closes_on_retry(portfolio, staff, loan):
    close_through(staff, dt.date(2026, 2, 27))
    # A wrong sub-ledger row (as a bad manual write would leave): the loan's books no longer
    # agree with its events.
    disbursed = LoanTransaction.objects.filter(loan=loan, kind="disbursement").first()
    wrong = {"loan_id": loan.pk, "kind": "disbursement", "value_date": START, "booking_date": START}
    money = {"amount": D(1), "interest": D(0), "late_interest": D(0), "penalty": D(0)}
    LoanTransaction.objects.create(**wrong, **money, principal=D(1), journal_entry=disbursed.journal_entry)
    with pytest.raises(ValidationError) as refused:
        runs.close_business_day(actor=staff["accountant"])
    assert "do not agree" in str(refused.value) and loan.reference in str(refused.value)
    (failure,) = CloseFailure.objects.filter(state="open")
    assert failure.loan_id == loan.pk and "do not agree" in failure.message
    # The other borrower's loan closed (month end: its interest posted, on the memo as it is in
    # non-accrual, and its provisions); the day did not.
    run = failure.run
    assert set(run.chunks.values_list("state", flat=True)) == {"done"}
    posted = LoanTransaction.objects.filter(value_date=run.business_date, kind__in=["accrual", "suspension"])
    assert posted.exclude(loan=loan).exists() and not posted.filter(loan=loan).exists()
    assert Fund.objects.get().business_date == run.business_date
    assert not runs.retry_failure(actor=staff["accountant"], failure=failure)  # still wrong
    assert CloseFailure.objects.get(pk=failure.pk).state == "open"
    # Mended, the retry closes it and the day.
    LoanTransaction.objects.create(
        **wrong, **money | {"amount": D(1)}, principal=D(-1), journal_entry=disbursed.journal_entry
    )
    assert runs.retry_failure(actor=staff["accountant"], failure=failure)
    assert CloseFailure.objects.get(pk=failure.pk).state == "resolved"
    assert posted.filter(loan=loan).exists()
    assert Fund.objects.get().business_date == run.business_date + ONE_DAY
    assert CloseOfDay.objects.filter(business_date=run.business_date).exists()
    assert not [row for row in reconciliation(as_of=run.business_date) if row.difference]


def test_the_nightly_close_is_a_periodic_task_off_until_the_fund_turns_it_on(portfolio, staff, monkeypatch):
    task = PeriodicTask.objects.get(task="loans.close_to_today")
    assert not task.enabled and task.crontab.hour == "0"
    assert "loans.close_to_today" in current_app.tasks
    with pytest.raises(ValueError, match="no such user"):
        tasks.close_to_today("")
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: dt.date(2026, 1, 20))
    tasks.close_to_today(staff["accountant"].username)  # eagerly: every day to yesterday
    assert Fund.objects.get().business_date == dt.date(2026, 1, 20)
    assert CloseOfDay.objects.latest("business_date").business_date == dt.date(2026, 1, 19)

"""Close of day through two real Celery worker processes (Redis, PostgreSQL): the books of a close
in one process; a worker killed with kill -9 part-way, then a rerun, gives the books of an
uninterrupted close; two closes started at once make one run; repayments entered while the
workers close days leave exact books."""

import datetime as dt
import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django_celery_results.models import TaskResult

from fund.models import Fund
from loans.models import CloseChunk, CloseOfDay, CloseRun, Loan, ReconciliationCheck, Repayment
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.runs import close_until, start_close
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.concurrency import at_once
from tests.loans.conftest import START
from tests.loans.test_balances import assert_rows_are_the_replay
from tests.loans.test_close_of_day import run_in_savepoint, snapshot
from tests.loans.test_closing_runs import portfolio  # noqa: F401 (a fixture)

pytestmark = pytest.mark.postgres
UNTIL = START + dt.timedelta(days=20)


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the workers did not get there in time"
        time.sleep(0.1)


def business_date_is(day: dt.date):
    return lambda: Fund.objects.get().business_date == day


def eagerly(staff, until=UNTIL) -> dict:
    """The books of closing up to `until` in this process, rolled back."""
    return run_in_savepoint(lambda: (close_until(actor=staff["accountant"], until=until), snapshot())[1])


def test_a_close_through_two_workers_gives_the_books_of_one_process(celery_workers, portfolio, staff):  # noqa: F811
    expected = eagerly(staff)
    run = start_close(actor=staff["accountant"], until=UNTIL)
    assert run.business_date == START and Fund.objects.get().business_date == START  # sent, not run here
    wait_for(business_date_is(UNTIL))
    assert snapshot() == expected
    workers = set(TaskResult.objects.filter(task_name="loans.close_chunk").values_list("worker", flat=True))
    assert workers and workers <= {celery_workers.hostname(0), celery_workers.hostname(1)}
    assert set(CloseRun.objects.values_list("state", flat=True)) == {"done"}
    # Once the last day closed, a worker checked the books as of the business date it left.
    wait_for(lambda: ReconciliationCheck.objects.filter(as_of=UNTIL).exists())
    assert ReconciliationCheck.objects.get(as_of=UNTIL).differences == []


def test_a_worker_killed_part_way_then_a_rerun_gives_the_books_of_an_uninterrupted_close(
    celery_workers,
    portfolio,  # noqa: F811
    staff,
    loan,
):
    expected = eagerly(staff)
    # An officer's transaction holds the loan: the worker closing the first day's chunk waits
    # for it inside the chunk's transaction, and is killed there.
    held, release = threading.Event(), threading.Event()

    def hold_the_loan():
        try:
            with transaction.atomic():
                Loan.objects.select_for_update().get(pk=loan.pk)
                held.set()
                release.wait(120)
        finally:
            connection.close()  # the thread's own

    holder = threading.Thread(target=hold_the_loan)
    holder.start()
    held.wait(30)
    start_close(actor=staff["accountant"], until=UNTIL)
    wait_for(lambda: _chunk_held_by_a_worker(START))
    celery_workers.kill(0)
    celery_workers.kill(1)
    release.set()
    holder.join()
    # Nothing of the day stayed: its chunk is pending and (once PostgreSQL has ended the dead
    # worker's transaction) free, no day closed, no loan left locked.
    wait_for(lambda: not _chunk_held_by_a_worker(START), seconds=60)
    assert Fund.objects.get().business_date == START and not CloseOfDay.objects.exists()
    assert list(CloseChunk.objects.values_list("state", flat=True)) == ["pending"]
    with transaction.atomic():
        assert Loan.objects.select_for_update(nowait=True).filter(pk=loan.pk).exists()
    celery_workers.forget_tasks()  # the dead worker's task is not handed on: the rerun does it
    celery_workers.start(0)
    celery_workers.start(1)
    rerun = start_close(actor=staff["accountant"], until=UNTIL)
    assert rerun.business_date == START and CloseRun.objects.count() == 1  # the same run, continued
    wait_for(business_date_is(UNTIL))
    assert snapshot() == expected


def _chunk_held_by_a_worker(day: dt.date) -> bool:
    """Whether the day's pending chunk is locked by a worker's transaction."""
    with transaction.atomic():
        pending = CloseChunk.objects.filter(run__business_date=day, state=CloseChunk.State.PENDING)
        if not pending.exists():
            return False
        return not pending.select_for_update(skip_locked=True).exists()


def test_two_closes_started_at_once_make_one_run(celery_workers, portfolio, staff):  # noqa: F811
    expected = eagerly(staff)
    first, second = at_once(*[lambda: start_close(actor=staff["accountant"], until=UNTIL) for _ in range(2)])
    assert isinstance(first, CloseRun) and first.pk == second.pk
    wait_for(business_date_is(UNTIL))
    assert CloseRun.objects.count() == CloseOfDay.objects.count() == (UNTIL - START).days
    assert snapshot() == expected


def test_repayments_entered_while_the_workers_close_days_leave_exact_books(celery_workers, loan, staff):
    def pay(i: int):
        day = Fund.objects.get().business_date
        entry = RepaymentInput(value_date=day, amount=D(500_000 + i), channel="cash", reference=f"PT {i}")
        return record_repayment(actor=staff["officer"], loan=loan, entry=entry)

    results = at_once(
        lambda: start_close(actor=staff["accountant"], until=UNTIL), *[lambda i=i: pay(i) for i in range(4)]
    )
    assert all(isinstance(result, Repayment | CloseRun) for result in results), results
    wait_for(business_date_is(UNTIL))
    for i in range(4, 8):
        pay(i)
    start_close(actor=staff["accountant"], until=UNTIL + dt.timedelta(days=2))
    wait_for(business_date_is(UNTIL + dt.timedelta(days=2)))
    assert [row.code for row in reconciliation(as_of=UNTIL + dt.timedelta(days=2)) if row.difference] == []
    assert_rows_are_the_replay(loan, until=UNTIL + dt.timedelta(days=1))

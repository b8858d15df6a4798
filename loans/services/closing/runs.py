"""Close of day runs: each business date closed in chunks of borrowers' loans, each chunk a
Celery task, under one run record (`loans.models.CloseRun`) that a rerun continues.

- `open_run`, with the fund locked: the business date's run, the one started already (two
  accountants starting a close at once get the same run) or a new one cut into chunks of about
  `CLOSE_OF_DAY_CHUNK` loans, a borrower's loans in one chunk (`candidates.chunks`).
- `run_chunk`: one chunk in its own transaction (`days.close_steps`), its row taken with
  FOR UPDATE SKIP LOCKED by a worker (another worker's chunk is skipped, not waited for) and
  marked done in the same transaction: a chunk is closed once; a worker killed part-way leaves
  its transaction rolled back and the chunk pending, no lock held (PostgreSQL ends a dead
  connection's locks). A loan that cannot be closed is recorded (`CloseFailure`), the others
  close; `retry_failure` closes it alone once mended.
- `finish_run`: when every chunk is done and no failure is open, the fund locked, the business
  date moves on and the day's `CloseOfDay` and portfolio summary (`summaries`) are written; with
  workers, the next day's run starts then, up to the run's `until`.

`start_close` is how a page or the nightly task starts closing: with a broker
(`CELERY_BROKER_URL`) the chunks go to the workers; without one `close_until` closes each day in
this process, the same tasks run eagerly. A repayment or tranche on a loan of a chunk being
closed waits for the chunk's transaction (the loan's row lock); it is booked on the business
date, and when its loan's chunk is done already the next day's close takes it up.
"""

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from celery import current_app, group
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.dates import format_date
from fund.models import Fund
from fund.models.fund import AccrualPosting
from fund.services import next_business_date, refuse_day_not_over
from fund.services.common import locked_fund, require_permission
from ledger.models import Period, PeriodState
from loans import queries
from loans.models import CloseChunk, CloseFailure, CloseOfDay, CloseRun, Loan, LoanStatus
from loans.services.closing import candidates
from loans.services.closing.days import (
    PERMISSION,
    Outcome,
    close_loans,
    close_steps,
    is_month_end,
    last_calendar,
    plan_until,
)
from loans.services.closing.reconciling import queue_check
from loans.services.closing.snapshots import freeze_classification
from loans.services.closing.summaries import write_summary

ONE_DAY = timedelta(days=1)
PENDING = CloseChunk.State.PENDING


def close_business_day(*, actor, before: date | None = None) -> CloseOfDay | None:
    """Close the fund's business date in this process and move it to the next day; with
    `before`, only if the business date is still before it (None when not: another close got
    there first). Raises ValidationError when a loan could not be closed (the others are)."""
    require_permission(actor, PERMISSION)
    while True:
        with transaction.atomic():
            run = open_run(actor=actor, before=before)
        if run is None:
            return None
        for chunk in run.chunks.filter(state=PENDING).values_list("pk", flat=True):
            run_chunk(chunk, wait=True)  # another process closing it: wait, then find it done
        closed = finish_run(run.pk)
        if closed is not None:
            return closed
        if not CloseRun.objects.filter(pk=run.pk, state=CloseRun.State.DONE).exists():
            raise ValidationError(_failures_message(run))
        # Another process finished this day meanwhile: on with the next one.


def close_until(
    *, actor, until: date, progress: Callable[[CloseOfDay], None] | None = None
) -> list[CloseOfDay]:
    """Close each day from the business date until the business date is `until`, in order, in
    this process: stopped part-way, the days closed stay closed and a rerun goes on."""
    require_permission(actor, PERMISSION)
    plan_until(until)
    closed = []
    # Up to `until` whoever else closes days meanwhile (two accountants at once): the business
    # date is read again, locked, before each day.
    while (day := close_business_day(actor=actor, before=until)) is not None:
        closed.append(day)
        if progress is not None:
            progress(day)
    if closed:
        queue_check()
    return closed


def start_close(*, actor, until: date) -> CloseRun | None:
    """Close the days up to `until`: with a broker, the first day's chunks go to the workers
    and each finished day starts the next (returns the first run at once); without one, every
    day is closed here first (returns the last run)."""
    require_permission(actor, PERMISSION)
    plan_until(until)
    if current_app.conf.task_always_eager:
        closed = close_until(actor=actor, until=until)
        return CloseRun.objects.get(business_date=closed[-1].business_date) if closed else None
    with transaction.atomic():
        run = open_run(actor=actor, until=until)
        transaction.on_commit(lambda: dispatch(run))
    return run


def open_run(*, actor, until: date | None = None, before: date | None = None) -> CloseRun | None:
    """The run of the business date, the fund locked: the one started already (its `until`
    moved on to `until`), or a new one with its chunks. None when the business date is
    `before` already. Call inside `transaction.atomic()`."""
    fund = locked_fund()  # one run at a time: a second start waits, then finds this one
    day = fund.business_date
    if before is not None and day >= before:
        return None
    run = CloseRun.objects.filter(business_date=day).first()
    if run is not None:
        if until is not None and until > run.until:
            run.until = until
            run.save(update_fields=["until"])
        return run
    if Period.objects.filter(year=day.year, month=day.month, state=PeriodState.CLOSED).exists():
        raise ValidationError(
            _("%(month)s is closed in the books: a day in it cannot be closed. Reopen the month first.")
            % {"month": f"{day:%m/%Y}"}
        )
    refuse_day_not_over(fund)
    full = is_month_end(day) or fund.accrual_posting == AccrualPosting.DAILY
    # A loan's stored rows hold its next due date as the calendar then moved it: after a change
    # of the calendar (a day off removed moves a due date earlier) every loan's rows are written
    # again, once, so that the days to come find the loans falling due (`candidates`).
    rebuild = last_calendar() != fund.calendar_token
    run = CloseRun.objects.create(
        business_date=day, until=until or day + ONE_DAY, full=full, rebuild=rebuild, started_by=actor
    )
    bounds = candidates.chunks(day, full=full or rebuild, size=settings.CLOSE_OF_DAY_CHUNK)
    CloseChunk.objects.bulk_create(
        CloseChunk(run=run, number=number, after=chunk.after, last=chunk.last, found=chunk.found)
        for number, chunk in enumerate(bounds, start=1)
    )
    return run


CLOSED, DONE_ALREADY, BUSY = "closed", "done already", "busy"


def run_chunk(chunk_id: int, *, wait: bool = False) -> str:
    """Close one chunk in its own transaction: CLOSED; DONE_ALREADY; or BUSY when (unless
    `wait`) another worker holds it right now — or held it and died, its transaction not rolled
    back yet: its task tries again later (`loans.tasks.close_chunk`)."""
    try:
        with transaction.atomic():
            chunks = CloseChunk.objects.select_for_update(of=("self",), skip_locked=not wait)
            chunk = chunks.select_related("run").filter(pk=chunk_id, state=PENDING).first()
            if chunk is None:
                return (
                    BUSY if CloseChunk.objects.filter(pk=chunk_id, state=PENDING).exists() else DONE_ALREADY
                )
            run = chunk.run
            outcome = close_steps(
                Fund.objects.get(),
                run.business_date,
                actor=run.started_by,
                full=run.full,
                rebuild=run.rebuild,
                borrowers=(chunk.after, chunk.last),
                found=chunk.found,
                key=f"loans:close:{chunk.number}",
            )
            _record_failures(run, outcome)
            chunk.finish(loans=outcome.loans, counts=outcome.counts, seconds=outcome.seconds)
            chunk.save()
            return CLOSED
    except Exception as error:
        # Rolled back: the chunk stays pending for a rerun; say why on the run's page.
        CloseChunk.objects.filter(pk=chunk_id).update(error=str(error)[:2000])
        raise


def retry_failure(*, actor, failure: CloseFailure) -> bool:
    """Close a loan that failed again, for its run's day, with its borrower's other active loans
    (the borrower's worst group); True when it closed, and the day is finished if it was the last."""
    require_permission(actor, PERMISSION)
    with transaction.atomic():
        failure = CloseFailure.objects.select_for_update().select_related("run").get(pk=failure.pk)
        if failure.state != CloseFailure.State.OPEN:
            return True
        run, fund = failure.run, Fund.objects.get()
        ids = {failure.loan_id}
        if fund.worst_group_per_borrower:
            borrower = Loan.objects.filter(pk=failure.loan_id).values("borrower_id")
            ids |= set(
                Loan.objects.filter(borrower_id__in=borrower, status=LoanStatus.ACTIVE).values_list(
                    "pk", flat=True
                )
            )
        # A key of its own each time: a retry posts only what changed since.
        key = f"loans:close:retry:{uuid.uuid4().hex[:12]}"
        outcome = close_loans(
            fund, run.business_date, sorted(ids), actor=actor, full=run.full, rebuild=run.rebuild, key=key
        )
        _record_failures(run, outcome)
        closed = failure.loan_id not in outcome.failures
        if closed:
            failure.resolve()
            failure.save()
    if closed:
        finish_run(run.pk)
    return closed


def finish_run(run_id: int) -> CloseOfDay | None:
    """The run's day closed, once every chunk is done and no failure is open: the business
    date moves on (and with workers the next day's run starts, up to the run's `until`).
    None while it cannot finish, or when it was finished already."""
    with transaction.atomic():
        fund = locked_fund()
        run = CloseRun.objects.select_for_update().get(pk=run_id)
        if run.state == CloseRun.State.DONE:
            return None
        if (
            run.chunks.filter(state=PENDING).exists()
            or run.failures.filter(state=CloseFailure.State.OPEN).exists()
        ):
            return None
        queries.hold_the_day_alone()  # the money events under way are summed; the next wait
        chunks = list(run.chunks.all())
        next_business_date(fund)
        closed = CloseOfDay.objects.create(
            business_date=run.business_date,
            loans=sum(chunk.loans for chunk in chunks),
            postings=sum(Outcome(counts=chunk.counts).postings for chunk in chunks),
            closed_by=run.started_by,
            calendar_token=fund.calendar_token,
        )
        freeze_classification(run.business_date)
        write_summary(run.business_date)
        run.finish()
        run.save()
    # Eagerly `close_until` goes on itself, day by day (rather than each day calling the next),
    # and checks the books once at the end.
    if not current_app.conf.task_always_eager:
        if fund.business_date < run.until:
            start_close(actor=run.started_by, until=run.until)
        else:
            queue_check()
    return closed


def dispatch(run: CloseRun) -> None:
    """The run's pending chunks to the workers, each a task that tries to finish the run after
    it; with none pending, the finish alone."""
    pending = list(run.chunks.filter(state=PENDING).values_list("pk", flat=True))
    run.chunks.filter(pk__in=pending).update(error="")  # what stopped them before: tried again now
    if pending:
        group(current_app.signature("loans.close_chunk", args=(pk,)) for pk in pending).apply_async()
    else:
        current_app.send_task("loans.finish_close", args=(run.pk,))


def _record_failures(run: CloseRun, outcome: Outcome) -> None:
    for loan_id, message in outcome.failures.items():
        updated = CloseFailure.objects.filter(run=run, loan_id=loan_id, state=CloseFailure.State.OPEN).update(
            message=message
        )
        if not updated:
            CloseFailure.objects.create(run=run, loan_id=loan_id, message=message)


def _failures_message(run: CloseRun) -> str:
    failures = run.failures.filter(state=CloseFailure.State.OPEN).select_related("loan")
    details = "; ".join(f"{failure.loan.reference}: {failure.message}" for failure in failures[:5])
    count = failures.count()
    return ngettext(
        "%(count)d loan could not be closed on %(date)s (%(details)s). The other loans are closed; "
        "retry it on the close of day page once it is mended.",
        "%(count)d loans could not be closed on %(date)s (%(details)s). The other loans are closed; "
        "retry them on the close of day page once they are mended.",
        count,
    ) % {"count": count, "date": format_date(run.business_date), "details": details}

"""Celery tasks of the loans app: close of day's chunks (`loans.services.closing.runs`), the
nightly close, a django-celery-beat periodic task that is off until the fund turns it on, the
books' check after a close (`loans.services.closing.reconciling`), and long report exports
(`loans.services.exports`) with their daily expiry, and repayment files imported
(`common.jobs`)."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from common import jobs
from fund.models import User
from fund.selectors import current_fund
from loans.services import exports, reminders
from loans.services.closing import reconciling, runs
from loans.services.onboarding import importing
from loans.services.servicing import imports

ERROR_RETRIES = 3


@shared_task(name="loans.close_chunk", bind=True, max_retries=None)
def close_chunk(self, chunk_id: int, errors: int = 0) -> str:
    """Close one chunk of a run, then finish the run if it was the last. A chunk another worker
    holds is tried again in a few seconds until it is done (that worker may have died); one
    that failed (its error kept on it), a few times more, then it waits for a rerun."""
    try:
        result = runs.run_chunk(chunk_id)
    except Exception as error:
        if errors >= ERROR_RETRIES:
            raise
        raise self.retry(exc=error, countdown=10 * (errors + 1), kwargs={"errors": errors + 1}) from error
    if result == runs.BUSY:
        raise self.retry(countdown=3)
    run_id = runs.CloseChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).get()
    runs.finish_run(run_id)
    return result


@shared_task(name="loans.finish_close")
def finish_close(run_id: int) -> None:
    runs.finish_run(run_id)


@shared_task(name="loans.check_books")
def check_books(as_of: str, user_id: int | None) -> int:
    actor = User.objects.filter(pk=user_id).first() if user_id is not None else None
    return reconciling.check_books(as_of=date.fromisoformat(as_of), actor=actor).pk


@shared_task(name="loans.close_to_today")
def close_to_today(username: str) -> None:
    """Close every day up to yesterday, as `username` (an accountant: set in the periodic task's
    keyword arguments when the fund turns the nightly close on)."""
    actor = User.objects.filter(username=username, is_active=True).first() if username else None
    if actor is None:
        raise ValueError(f"the nightly close runs as an active user: no such user {username!r}")
    today = timezone.localdate()
    if current_fund().business_date < today:
        runs.start_close(actor=actor, until=today)


@shared_task(name="loans.run_export")
def run_export(job_id: int) -> None:
    exports.run_export(job_id)


@shared_task(name="loans.expire_exports")
def expire_exports() -> int:
    """Daily (django-celery-beat, "Expired exports (daily)"): the files kept long enough go."""
    return exports.expire_exports()


@shared_task(name="loans.import_repayments")
def import_repayments(job_id: int) -> None:
    jobs.run_import(job_id, imports.import_job)


@shared_task(name="loans.commit_portfolio")
def commit_portfolio(batch_id: int) -> None:
    importing.run_commit(batch_id)


@shared_task(name="loans.send_reminders")
def send_reminders() -> dict:
    """Daily (django-celery-beat, "Due-date reminders (daily)", off until the fund turns it on):
    the due-date reminders and overdue notices of the business date."""
    run = reminders.send_reminders()
    return {"on": run.on.isoformat(), "recorded": run.recorded, **run.sent}

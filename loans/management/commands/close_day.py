"""Run close of day for each missed day, in order, up to a date (`loans.services.closing`): in this
process, or with a broker by the workers, this command watching the runs until they are done."""

import datetime as dt
import time

from celery import current_app
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common.dates import format_date
from fund.models import Fund, User
from fund.selectors import FundNotSetUp
from loans.models import CloseChunk, CloseFailure, CloseOfDay, CloseRun
from loans.selectors.closing import NEXT_RUN_WAIT
from loans.services.closing.days import ONE_DAY, PERMISSION, plan_until
from loans.services.closing.runs import close_until, start_close

POLL_SECONDS = 1


class Command(BaseCommand):
    help = "Close each business day in order until the business date is --until (default: today)."

    def add_arguments(self, parser):
        parser.add_argument("--until", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--user", help="who closes (default: the first active superuser)")

    def handle(self, *args, until: dt.date | None = None, user: str | None = None, **options):
        actor = self._actor(user)
        until = until or timezone.localdate()
        try:
            plan = plan_until(until)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except FundNotSetUp as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Closing {plan.days} days from {format_date(plan.first)}; {plan.active_loans} active loans."
        )
        done = 0

        def progress(day) -> None:
            nonlocal done
            done += 1
            bar = "#" * (30 * done // plan.days)
            self.stdout.write(
                f"[{bar:<30}] {done}/{plan.days} {format_date(day.business_date)}: "
                f"{day.loans} loans, {day.postings} postings"
            )

        # A chunk's error from before this start: its chunk is run again now.
        stale = set(CloseChunk.objects.filter(state=CloseChunk.State.PENDING).values_list("pk", "error"))
        try:
            if current_app.conf.task_always_eager:
                close_until(actor=actor, until=until, progress=progress)
            else:
                start_close(actor=actor, until=until)
                self._watch(plan.first, until, progress, stale)
        except ValidationError as error:
            run = CloseRun.objects.filter(state=CloseRun.State.RUNNING).first()
            raise CommandError("\n".join([*error.messages, *_reasons(run, stale)])) from None
        self.stdout.write(self.style.SUCCESS(f"Business date now {format_date(until)}."))

    def _watch(self, day: dt.date, until: dt.date, progress, stale: set) -> None:
        """Each day closed by the workers, as it closes, until the business date is `until`;
        stops at a loan that could not be closed or a chunk that failed."""
        while True:
            # Read first: a day is closed with the business date moved past it, in one transaction.
            reached = Fund.objects.values_list("business_date", flat=True).get() >= until
            for closed in CloseOfDay.objects.filter(business_date__gte=day).order_by("business_date"):
                progress(closed)
                day = closed.business_date + ONE_DAY
            if reached:
                return
            run = CloseRun.objects.filter(business_date=day).first()
            if reasons := _reasons(run, stale):
                raise CommandError("\n".join([f"The close of {format_date(day)} cannot finish:", *reasons]))
            if run is None and _next_run_late(day):
                raise CommandError(f"The close of {format_date(day)} did not start: see the workers' log.")
            time.sleep(POLL_SECONDS)

    def _actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None or not actor.has_perm(PERMISSION):
            raise CommandError("Name an active user allowed to run close of day with --user.")
        return actor


def _reasons(run: CloseRun | None, stale: set) -> list[str]:
    """Why `run` cannot finish: its loans that could not be closed, and its chunks stopped by an
    error (other than the one they had before this start)."""
    if run is None:
        return []
    failures = run.failures.filter(state=CloseFailure.State.OPEN).select_related("loan")
    chunks = run.chunks.filter(state=CloseChunk.State.PENDING).exclude(error="")
    return [f"  {failure.loan.reference}: {failure.message}" for failure in failures] + [
        f"  chunk {chunk.number}: {chunk.error}" for chunk in chunks if (chunk.pk, chunk.error) not in stale
    ]


def _next_run_late(day: dt.date) -> bool:
    """The day before `day` closed a while ago and no worker started `day`'s run since."""
    before = (
        CloseRun.objects.filter(business_date=day - ONE_DAY).values_list("finished_at", flat=True).first()
    )
    return before is not None and timezone.now() - before > NEXT_RUN_WAIT

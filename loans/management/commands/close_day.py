"""Run close of day for each missed day, in order, up to a date (`loans.services.closing`)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fund.models import User
from fund.selectors import FundNotSetUp
from loans.services.closing.days import PERMISSION, plan_until
from loans.services.closing.runs import close_until


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
            f"Closing {plan.days} days from {plan.first:%d/%m/%Y}; {plan.active_loans} active loans."
        )
        done = 0

        def progress(day) -> None:
            nonlocal done
            done += 1
            bar = "#" * (30 * done // plan.days)
            self.stdout.write(
                f"[{bar:<30}] {done}/{plan.days} {day.business_date:%d/%m/%Y}: "
                f"{day.loans} loans, {day.postings} postings"
            )

        try:
            close_until(actor=actor, until=until, progress=progress)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Business date now {until:%d/%m/%Y}."))

    def _actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None or not actor.has_perm(PERMISSION):
            raise CommandError("Name an active user allowed to run close of day with --user.")
        return actor

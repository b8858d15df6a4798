"""The fund's calendar of non-working days: adding and removing days, seeding a new fund's.

A day on or before the business date is never added or removed: the schedules of the days
already run must never change. Every change gives the fund a new `calendar_token`, so that the
calendar kept in memory (`fund.selectors.calendar_days`) is read again.
"""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.dates import format_date
from fund.models import Fund, NonWorkingDay, User
from fund.public_holidays import PUBLIC_HOLIDAYS
from fund.selectors import forget_calendar
from fund.services.common import locked_fund, require_permission

# The most days one request adds: a range longer than Tết with its weekends is a typing mistake.
MAX_RANGE_DAYS = 31


def add_non_working_days(*, actor: User, first: dt.date, last: dt.date | None = None, name: str) -> int:
    """Mark `first` (to `last`, both counted) as days off, named `name`; days already marked keep
    their name. Returns how many days were added."""
    require_permission(actor, "fund.add_nonworkingday")
    last = last or first
    name = " ".join(name.split())
    errors = {}
    if not name:
        errors["name"] = _("Say what the day is (Tết, a public holiday...).")
    elif len(name) > NonWorkingDay._meta.get_field("name").max_length:
        errors["name"] = _("The name has at most %(max)d characters.") % {
            "max": NonWorkingDay._meta.get_field("name").max_length
        }
    if last < first:
        errors["last"] = _("The last day cannot be before the first.")
    elif (last - first).days >= MAX_RANGE_DAYS:
        errors["last"] = _("A range has at most %(max)d days.") % {"max": MAX_RANGE_DAYS}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fund = locked_fund()
        _refuse_run_days(fund, first, "first")
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        taken = set(NonWorkingDay.objects.filter(date__in=days).values_list("date", flat=True))
        new = [NonWorkingDay(date=day, name=name, added_by=actor) for day in days if day not in taken]
        for day in new:  # one by one (at most MAX_RANGE_DAYS): the audit trail records each
            day.save()
        if new:
            calendar_changed(fund)
    return len(new)


def remove_non_working_day(*, actor: User, day: dt.date) -> None:
    """Make `day` a working day again (unless it is a weekly rest day)."""
    require_permission(actor, "fund.delete_nonworkingday")
    with transaction.atomic():
        fund = locked_fund()
        _refuse_run_days(fund, day, "date")
        deleted, _by_model = NonWorkingDay.objects.filter(date=day).delete()
        if not deleted:
            raise ValidationError(_("%(date)s is not a non-working day.") % {"date": format_date(day)})
        calendar_changed(fund)


def seed_public_holidays(fund: Fund, *, actor: User | None) -> None:
    """A new fund's calendar: the public holidays of its first business date's year and the next
    that `fund.public_holidays` knows and that come after that date."""
    years = (fund.business_date.year, fund.business_date.year + 1)
    NonWorkingDay.objects.bulk_create(
        [
            NonWorkingDay(date=day, name=name, added_by=actor)
            for year in years
            for day, name in PUBLIC_HOLIDAYS.get(year, ())
            if day > fund.business_date
        ],
        ignore_conflicts=True,
    )
    calendar_changed(fund)


def rest_weekdays_problem(fund: Fund, rest_weekdays: list[int]) -> str | None:
    """Why the weekly rest days cannot change now, or None. They change every date's standing,
    the days already run too: only on the fund's first business date, before any schedule."""
    if sorted(rest_weekdays) != sorted(fund.rest_weekdays) and fund.business_date != fund.opened_on:
        return _(
            "The weekly rest days can change only on the fund's first business date: schedules "
            "already made would move. Add the days off one by one instead."
        )
    return None


def calendar_changed(fund: Fund) -> None:
    """Note on the (locked) fund that its calendar changed."""
    fund.calendar_token = uuid.uuid4()
    fund.save(update_fields=["calendar_token"])
    forget_calendar()


def _refuse_run_days(fund: Fund, day: dt.date, field: str) -> None:
    if day <= fund.business_date:
        raise ValidationError(
            {
                field: _(
                    "%(date)s is on or before the business date (%(business_date)s): the days already "
                    "run never change, nor the schedules that fell due on them."
                )
                % {"date": format_date(day), "business_date": format_date(fund.business_date)}
            }
        )

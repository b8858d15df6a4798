"""Closing and reopening a month of the books."""

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.transitions import run
from ledger.models import JournalSequence, Period, PeriodEvent

MONTH = gettext_lazy("A month")  # as a refused transition names it


def close_period(*, actor: AbstractBaseUser, year: int, month: int, reason: str = "") -> Period:
    """Close a month that has ended: nothing can be posted into it until it is reopened."""
    if not actor.has_perm("ledger.close_period"):
        raise PermissionDenied(_("You may not close accounting periods."))
    _check_month(year, month)
    if dt.date(year, month, 1) > timezone.localdate().replace(day=1) - dt.timedelta(days=1):
        raise ValidationError({"month": _("%(month)02d/%(year)s has not ended yet.") % _month(year, month)})
    refused = _("%(month)02d/%(year)s is already closed.")
    return _change(actor, year, month, PeriodEvent.Action.CLOSE, reason.strip(), _("closed"), refused)


def reopen_period(*, actor: AbstractBaseUser, year: int, month: int, reason: str) -> Period:
    """Reopen a closed month; who and why are kept with it."""
    if not actor.has_perm("ledger.reopen_period"):
        raise PermissionDenied(_("You may not reopen accounting periods."))
    _check_month(year, month)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the month is reopened.")})
    refused = _("%(month)02d/%(year)s is not closed.")
    return _change(actor, year, month, PeriodEvent.Action.REOPEN, reason, _("reopened"), refused)


def _change(actor, year: int, month: int, event: str, reason: str, action: str, refused: str) -> Period:
    """Close or reopen the month (the transition named like the event) and record who and why."""
    with transaction.atomic():
        period = _locked_period(year, month)
        run(period, event, actor=actor, subject=MONTH, action=action, refused=refused % _month(year, month))
        period.save()
        PeriodEvent.objects.create(period=period, action=event, actor=actor, reason=reason)
    return period


def _locked_period(year: int, month: int) -> Period:
    """The month's row, locked (made on first use).

    The year's number counter is locked first: postings of the year hold it from numbering
    to commit, so a closing waits for those in flight, and those after it see the month closed.
    """
    JournalSequence.objects.bulk_create([JournalSequence(year=year)], ignore_conflicts=True)
    JournalSequence.objects.select_for_update().get(year=year)
    Period.objects.bulk_create([Period(year=year, month=month)], ignore_conflicts=True)
    return Period.objects.select_for_update().get(year=year, month=month)


def _check_month(year: int, month: int) -> None:
    if not (isinstance(year, int) and isinstance(month, int) and 1 <= month <= 12 and 1900 < year < 3000):
        raise ValidationError({"month": _("Choose a month of a year.")})


def _month(year: int, month: int) -> dict:
    return {"month": month, "year": year}

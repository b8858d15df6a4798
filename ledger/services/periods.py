"""Closing and reopening a month of the books."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.transitions import run
from ledger.models import JournalEntry, JournalSequence, Period, PeriodEvent
from ledger.selectors import result_balances

MONTH = gettext_lazy("A month")  # as a refused transition names it

# What other apps require before a month may close: each check takes the year and the month and
# returns why it may not (translated sentences), nothing when it may. The loans' books must be
# finished for the month (close of day run through its last day, the sub-ledger agreeing with the
# GL), but the ledger knows nothing of loans (DESIGN.md "Layout"): rather than a loans service
# wrapping this one, which a page, the admin or a shell could go around, the app that knows
# registers its check here when it is ready (`loans.apps`), and every close passes through it.
# Each check comes with what it checks, in a sentence, for the confirmation a close asks for.
CloseCheck = Callable[[int, int], list[str]]
_close_checks: dict[CloseCheck, str] = {}
_YEAR_CHECK = gettext_lazy(
    "December closes only once the year is closed (its closing entry is dated on its last day)."
)


def register_close_check(check: CloseCheck, checks: str) -> None:
    """Ask `check(year, month)` before any month closes (once, however often registered);
    `checks`: what it checks, as the confirmation of a close lists it."""
    _close_checks[check] = checks


def close_refusals(year: int, month: int) -> list[str]:
    """Why the month may not close yet, by the registered checks (none: it may)."""
    return [reason for check in _close_checks for reason in check(year, month)]


@dataclass(frozen=True)
class ClosePreview:
    """What closing a month checks and finds now, and what it closes: the page confirming it."""

    checks: list[str]  # what is checked, in sentences
    refusals: list[str]  # why it may not close now (none: it may)
    entries: int  # the entries dated in the month, which nothing may join once it is closed


def close_preview(year: int, month: int) -> ClosePreview:
    _check_month(year, month)
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return ClosePreview(
        checks=[str(text) for text in _close_checks.values()] + [str(_YEAR_CHECK)],
        refusals=_not_ended(year, month) or _refusals(year, month),
        entries=JournalEntry.objects.filter(value_date__gte=start, value_date__lt=end).count(),
    )


def _refusals(year: int, month: int) -> list[str]:
    return close_refusals(year, month) + _year_not_closed(year, month)


def _not_ended(year: int, month: int) -> list[str]:
    if dt.date(year, month, 1) > timezone.localdate().replace(day=1) - dt.timedelta(days=1):
        return [_("%(month)02d/%(year)s has not ended yet.") % _month(year, month)]
    return []


def _year_not_closed(year: int, month: int) -> list[str]:
    """December closes only once the year is (`year_end`): its closing entry goes into it."""
    if month == 12 and result_balances(as_of=dt.date(year, 12, 31)):
        return [
            _("Close the year %(year)s first: its income and expense accounts still have balances.")
            % {"year": year}
        ]
    return []


def close_period(*, actor: AbstractBaseUser, year: int, month: int, reason: str = "") -> Period:
    """Close a month that has ended: nothing can be posted into it until it is reopened."""
    if not actor.has_perm("ledger.close_period"):
        raise PermissionDenied(_("You may not close accounting periods."))
    _check_month(year, month)
    if not_ended := _not_ended(year, month):
        raise ValidationError({"month": not_ended})
    refused = _("%(month)02d/%(year)s is already closed.")
    return _change(
        actor, year, month, PeriodEvent.Action.CLOSE, reason.strip(), _("closed"), refused, checked=True
    )


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


def _change(
    actor, year: int, month: int, event: str, reason: str, action: str, refused: str, checked: bool = False
) -> Period:
    """Close or reopen the month (the transition named like the event) and record who and why;
    `checked`: the registered checks first, under the lock, so nothing posted meanwhile escapes."""
    with transaction.atomic():
        period = locked_period(year, month)
        if checked and not period.is_closed:
            reasons = _refusals(year, month)
            if reasons:
                raise ValidationError({"month": reasons})
        run(period, event, actor=actor, subject=MONTH, action=action, refused=refused % _month(year, month))
        period.save()
        PeriodEvent.objects.create(period=period, action=event, actor=actor, reason=reason)
    return period


def locked_period(year: int, month: int) -> Period:
    """The month's row, locked (made on first use): what closes, reopens or closes the year.

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

"""Closing a year of the books (kết chuyển cuối năm, Circular 200/2014/TT-BTC art. 96) and
reversing that closing.

One entry dated 31/12 takes every income and expense account's balance to 911 (Xác định kết
quả kinh doanh) and the result from 911 to 4212 (this year's undistributed profit, a loss on
its debit side). Balances are sums of every line from the first (`ledger.selectors`), so the
new year needs no opening entry: the balance-sheet accounts carry over by themselves and the
income and expense accounts start it at zero. Moving 4212 to 4211 (earlier years) once the
year's accounts are approved is an ordinary entry of the new year.

The year closes once its months up to November are closed and while December is open (the
entry goes into it); December then closes only after the year (`periods.close_refusals`). So
the closing can be reversed, with a reason, until December closes: reopen December first.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import ZERO
from ledger.drafts import EntryDraft, Line
from ledger.models import Account, AccountType, JournalEntry, Period, PeriodState
from ledger.selectors import result_balances
from ledger.services.periods import close_refusals, locked_period
from ledger.services.posting import post_entry, reverse_entry

SOURCE_YEAR_END = "year_end"
RESULT = "911"  # Xác định kết quả kinh doanh
THIS_YEAR = "4212"  # Lợi nhuận sau thuế chưa phân phối năm nay


def closing_entry(year: int) -> JournalEntry | None:
    """The year's closing entry that stands (not reversed), if any."""
    return (
        JournalEntry.objects.filter(
            source_kind=SOURCE_YEAR_END, source_ref=str(year), reversed_by__isnull=True
        )
        .order_by("-pk")
        .first()
    )


def closing_lines(year: int) -> list[Line]:
    """Each income and expense account's balance on 31/12 off it and onto 911 (one line per kind
    of account), then 911's result to 4212."""
    lines: list[Line] = []
    totals = {AccountType.INCOME: ZERO, AccountType.EXPENSE: ZERO}
    for row in result_balances(as_of=dt.date(year, 12, 31)):
        lines.append(_line(row.code, -row.balance))
        totals[row.type] += row.balance
    lines += [_line(RESULT, total) for total in totals.values() if total]
    result = sum(totals.values(), ZERO)  # what 911 holds now: a profit is a credit (negative)
    if result:
        lines += [_line(RESULT, -result), _line(THIS_YEAR, result)]
    return lines


def _line(code: str, amount: Decimal) -> Line:
    """A line moving `amount` onto the account's balance (debit − credit)."""
    return Line(code, debit=amount) if amount > 0 else Line(code, credit=-amount)


def close_year(*, actor: AbstractBaseUser, year: int) -> JournalEntry:
    """Post the year's closing entry, once: closing a closed year returns its entry."""
    if not actor.has_perm("ledger.close_period"):
        raise PermissionDenied(_("You may not close accounting periods."))
    _check_year(year)
    if dt.date(year, 12, 31) >= timezone.localdate():
        raise ValidationError({"year": _("%(year)s has not ended yet.") % {"year": year}})
    with transaction.atomic():
        december = locked_period(year, 12)  # no month of the year closes or reopens meanwhile
        standing = closing_entry(year)
        if standing is not None:
            return standing
        _check_months(year, december)
        reasons = close_refusals(year, 12)
        if reasons:
            raise ValidationError({"year": reasons})
        _check_accounts()
        lines = closing_lines(year)
        if not lines:
            raise ValidationError(
                {
                    "year": _("No income or expense account has a balance on %(date)s.")
                    % {"date": format_date(dt.date(year, 12, 31))}
                }
            )
        # A key per closing: after a reversal the year can be closed again, with a new entry.
        count = JournalEntry.objects.filter(source_kind=SOURCE_YEAR_END, source_ref=str(year)).count()
        draft = EntryDraft(
            value_date=dt.date(year, 12, 31),
            memo=_("Year-end closing %(year)s: income and expenses to 911, the result to 4212")
            % {"year": year},
            idempotency_key=f"ledger:year-end:{year}:{count + 1}",
            source_kind=SOURCE_YEAR_END,
            source_ref=str(year),
            lines=lines,
        )
        return post_entry(draft, created_by=actor)


def reopen_year(*, actor: AbstractBaseUser, year: int, reason: str) -> JournalEntry:
    """Reverse the year's closing entry (dated 31/12 like it), saying why; December must be open."""
    if not actor.has_perm("ledger.reopen_period"):
        raise PermissionDenied(_("You may not reopen accounting periods."))
    _check_year(year)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the year is reopened.")})
    with transaction.atomic():
        december = locked_period(year, 12)
        entry = closing_entry(year)
        if entry is None:
            raise ValidationError({"year": _("%(year)s is not closed.") % {"year": year}})
        if december.is_closed:
            raise ValidationError(
                {"year": _("12/%(year)s is closed: reopen it first, then the year.") % {"year": year}}
            )
        return reverse_entry(entry=entry, reason=reason, created_by=actor)


def _check_months(year: int, december: Period) -> None:
    closed = set(
        Period.objects.filter(year=year, month__lt=12, state=PeriodState.CLOSED).values_list(
            "month", flat=True
        )
    )
    open_months = [f"{month:02d}/{year}" for month in range(1, 12) if month not in closed]
    if open_months:
        raise ValidationError(
            {"year": _("Close the year's months first: %(months)s.") % {"months": ", ".join(open_months)}}
        )
    if december.is_closed:
        raise ValidationError(
            {"year": _("12/%(year)s is closed: reopen it to post the year's closing entry.") % {"year": year}}
        )


def _check_accounts() -> None:
    missing = [
        code for code in (RESULT, THIS_YEAR) if not Account.objects.filter(code=code, active=True).exists()
    ]
    if missing:
        raise ValidationError(
            {"year": _("Add the account(s) %(codes)s to the chart first.") % {"codes": ", ".join(missing)}}
        )


def _check_year(year: int) -> None:
    if not (isinstance(year, int) and 1900 < year < 3000):
        raise ValidationError({"year": _("Choose a year.")})

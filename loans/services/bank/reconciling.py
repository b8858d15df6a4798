"""A bank account's statement period marked reconciled (who, when) once every line of it is
matched, and reopened by an accountant with a reason."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.dates import format_date
from common.money import format_vnd
from common.text import cleaned_text
from fund.services.common import require_permission
from ledger.models import Account
from loans.models import ReconciledPeriod, StatementLine, StatementMapping
from loans.selectors.bank import balance_check

_LISTED = 5  # the open lines a refusal names; the page lists them all


def reconcile_period(*, actor, account: Account, first_date: date, last_date: date) -> ReconciledPeriod:
    """Mark the lines booked from `first_date` to `last_date` reconciled: refused while any is
    unmatched or only suggested (saying which), or the period overlaps one already reconciled."""
    require_permission(actor, "loans.reconcile_bank")
    if first_date > last_date:
        raise ValidationError({"last_date": _("The period ends before it starts.")})
    with transaction.atomic():
        # Imports and matches of the account wait: no line changes while the period is checked.
        StatementMapping.objects.select_for_update().filter(account=account).first()
        lines = StatementLine.objects.filter(account=account, booking_date__range=(first_date, last_date))
        if not lines.exists():
            raise ValidationError(
                {"first_date": _("No statement line of this account is booked in the period.")}
            )
        overlapping = ReconciledPeriod.objects.filter(
            account=account, reopened_at__isnull=True, first_date__lte=last_date, last_date__gte=first_date
        ).first()
        if overlapping is not None:
            raise ValidationError(
                {
                    "first_date": _("The period %(period)s, already reconciled, overlaps it.")
                    % {"period": overlapping}
                }
            )
        open_lines = list(lines.exclude(status=StatementLine.Status.MATCHED).order_by("booking_date", "pk"))
        if open_lines:
            raise ValidationError(_open_lines_message(open_lines))
        check = balance_check(account, last_date)
        return ReconciledPeriod.objects.create(
            account=account,
            first_date=first_date,
            last_date=last_date,
            reconciled_by=actor,
            statement_balance=check.statement,
            books_balance=check.books,
        )


def _open_lines_message(lines: list[StatementLine]) -> str:
    unmatched = sum(line.status == StatementLine.Status.UNMATCHED for line in lines)
    suggested = len(lines) - unmatched
    counts = ngettext("%(count)s line is unmatched", "%(count)s lines are unmatched", unmatched) % {
        "count": unmatched
    }
    counts += "; " + ngettext(
        "%(count)s suggestion is not confirmed", "%(count)s suggestions are not confirmed", suggested
    ) % {"count": suggested}
    named = ", ".join(
        f"{format_date(line.booking_date)} {format_vnd(line.amount)} ({line.get_status_display().lower()})"
        for line in lines[:_LISTED]
    )
    more = len(lines) - _LISTED
    tail = (" " + _("and %(count)s more") % {"count": more}) if more > 0 else ""
    return _("Not reconciled: %(counts)s: %(lines)s%(more)s.") % {
        "counts": counts,
        "lines": named,
        "more": tail,
    }


def reopen_period(*, actor, period: ReconciledPeriod, reason: str) -> ReconciledPeriod:
    """Undo a reconciliation, with the reason kept; its lines can be changed again."""
    require_permission(actor, "loans.reconcile_bank")
    reason = cleaned_text(reason, "reason", required=_("Say why the period is reopened."))
    with transaction.atomic():
        period = ReconciledPeriod.objects.select_for_update().get(pk=period.pk)
        if period.reopened_at is not None:
            raise ValidationError(_("This period is already reopened."))
        period.reopened_by, period.reopened_at, period.reopen_reason = actor, timezone.now(), reason
        period.save(update_fields=["reopened_by", "reopened_at", "reopen_reason"])
    return period

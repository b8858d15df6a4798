"""Statement lines matched to the fund's transactions: automatically on import (the rules are
`loans.domain.bank_matching`), confirmed or rejected by an accountant, matched by hand to one of
the transactions a line may be, or matched to the repayment recorded from an unmatched credit.
A line in a reconciled period is not changed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.services.common import require_permission
from ledger.models import Account
from loans.domain.bank_matching import EXACT, LineFacts, assign
from loans.models import Loan, LoanMemberShare, Repayment, StatementLine, StatementMapping
from loans.models.bank import TARGETS
from loans.selectors.bank import candidates, closing_period, possible_matches, unmatched_open_lines
from loans.services.servicing.repayments import RepaymentInput, record_repayment


def match_lines(*, account: Account, lines: list[StatementLine], window: int) -> None:
    """Match the unmatched `lines` (saved) to the account's transactions no line has yet."""
    lines = [line for line in lines if line.status == StatementLine.Status.UNMATCHED]
    if not lines:
        return
    facts = [
        LineFacts(
            key=line.pk,
            credit=line.direction == StatementLine.Direction.CREDIT,
            value_date=line.value_date,
            amount=line.amount.amount,
            text=f"{line.description} {line.reference}",
        )
        for line in lines
    ]
    first, last = min(f.value_date for f in facts), max(f.value_date for f in facts)
    found = assign(facts, candidates(account=account, first=first, last=last, window=window), window=window)
    by_key = {line.pk: line for line in lines}
    now = timezone.now()
    for key, (status, candidate) in found.items():
        line = by_key[key]
        line.status = status
        setattr(line, f"{candidate.kind}_id", candidate.pk)
        line.matched_at = now if status == EXACT else None
    StatementLine.objects.bulk_update([by_key[key] for key in found], ["status", *TARGETS, "matched_at"])


def match_again(*, actor, account: Account) -> int:
    """Match the account's unmatched lines again (transactions entered since); how many matched."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        mapping = StatementMapping.objects.select_for_update().filter(account=account).first()
        if mapping is None:
            return 0
        lines = unmatched_open_lines(account)
        match_lines(account=account, lines=lines, window=mapping.match_days)
    return sum(line.status != StatementLine.Status.UNMATCHED for line in lines)


def _locked(line: StatementLine, *statuses: str) -> StatementLine:
    """The line, re-read and locked after its account's layout row: every change to an account's
    lines (import, matching again, a period reconciled) holds that row, so none overwrites another."""
    StatementMapping.objects.select_for_update().filter(account_id=line.account_id).first()
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in statuses:
        raise ValidationError(
            _("This line is %(status)s now; reload the page.") % {"status": line.get_status_display().lower()}
        )
    period = closing_period(line.account, line.booking_date)
    if period is not None:
        raise ValidationError(
            _("This line is in the period %(period)s, reconciled: reopen the period first.")
            % {"period": period}
        )
    return line


def match_line(*, actor, line: StatementLine, kind: str, pk: int) -> StatementLine:
    """The accountant matches an unmatched line to one of the transactions it may be
    (`possible_matches`: its amount and direction, within the account's window, on no line)."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        line = _locked(line, StatementLine.Status.UNMATCHED)
        window = StatementMapping.objects.get(account_id=line.account_id).match_days
        if not any((c.kind, c.pk) == (kind, pk) for c in possible_matches(line, window)):
            raise ValidationError(
                _(
                    "This line cannot be that transaction: a line is matched to one of its amount, going "
                    "the same way, dated within %(days)s days of it, that no other line is matched to."
                )
                % {"days": window}
            )
        setattr(line, f"{kind}_id", pk)
        line.status, line.matched_by, line.matched_at = StatementLine.Status.MATCHED, actor, timezone.now()
        line.save(update_fields=["status", "matched_by", "matched_at", f"{kind}_id"])
    return line


def confirm_match(*, actor, line: StatementLine) -> StatementLine:
    """The accountant agrees with a suggested match."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        line = _locked(line, StatementLine.Status.SUGGESTED)
        line.status, line.matched_by, line.matched_at = StatementLine.Status.MATCHED, actor, timezone.now()
        line.save(update_fields=["status", "matched_by", "matched_at"])
    return line


def reject_match(*, actor, line: StatementLine) -> StatementLine:
    """A suggested or matched line is not that transaction: both are free again."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        line = _locked(line, StatementLine.Status.SUGGESTED, StatementLine.Status.MATCHED)
        line.status, line.matched_by, line.matched_at = StatementLine.Status.UNMATCHED, None, None
        for name in TARGETS:
            setattr(line, name, None)
        line.save(update_fields=["status", "matched_by", "matched_at", *TARGETS])
    return line


def record_line_repayment(
    *,
    actor,
    line: StatementLine,
    loan: Loan,
    share: LoanMemberShare | None = None,
    prepayment_mode: str = Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
) -> Repayment:
    """Record an unmatched credit as the loan's repayment (through the repayment service: its
    checks, allocation and posting into the line's bank account), matched to the line."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        line = _locked(line, StatementLine.Status.UNMATCHED)
        if line.direction != StatementLine.Direction.CREDIT:
            raise ValidationError(_("Only money in can be a repayment."))
        entry = RepaymentInput(
            value_date=line.value_date,
            amount=line.amount.amount,
            channel=Repayment.Channel.BANK_TRANSFER,
            reference=line.reference,
            account=line.account,
            prepayment_mode=prepayment_mode,
            share=share,
            idempotency_key=f"bank:{line.fingerprint}",
        )
        repayment = record_repayment(actor=actor, loan=loan, entry=entry, permission="loans.reconcile_bank")
        line.repayment, line.status = repayment, StatementLine.Status.MATCHED
        line.matched_by, line.matched_at = actor, timezone.now()
        line.save(update_fields=["repayment", "status", "matched_by", "matched_at"])
    return repayment

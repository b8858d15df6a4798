"""Write-off (xử lý rủi ro) and what is recovered after it.

A write-off is approved by the management board and applied on the business date
(`apply_write_off`): what the loan owes leaves the balance sheet as the posting rules say
(`fund.accounting.WriteOff`), its stored balances owe nothing from that day, and the loan is
`written_off`. The fund keeps pursuing the debt off-balance for the years it sets. Money then
received on it is a recovery (`record_recovery`), entered like a repayment, not approved: income,
and off the memo of what is written off, never above what is still on it. A recovery entered
in error is reversed (`reverse_recovery`), by an accountant, on the business date. From the day
the tracking period ends (`tracked_until`) an accountant ends the tracking (`end_tracking`): what
is still on the memo taken off it, and nothing recovered or reversed on the loan after.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.errors import FieldErrors
from common.money import MAX_AMOUNT, ZERO, format_vnd
from common.text import cleaned_text
from common.transitions import check
from fund import accounting
from fund.selectors import current_fund, value_date_problem
from fund.services.common import require_permission
from ledger.models import Account
from ledger.services import EntryDraft, bounded_memo, reversal_of, reverse_entry
from loans import queries
from loans.models import Loan, LoanStatus, LoanTransaction, Recovery, Repayment, WriteOff
from loans.queries import ServicedLoan
from loans.replaying import parts_of, replay_part
from loans.services import booking
from loans.services.closing.postings import prior_year_parts
from loans.services.servicing import balances
from loans.services.servicing.repayments import default_account
from loans.services.servicing.settling import reversal_values
from loans.services.transitions import apply_transition_by_id

_REFERENCE_LIMIT = Recovery._meta.get_field("reference").max_length


def write_off_problem(loan) -> str | None:
    """Why the loan cannot be written off, or None: only an active loan, owing principal, can."""
    if loan.status != LoanStatus.ACTIVE:
        return _("Only an active loan can be written off; this one is %(status)s.") % {
            "status": loan.get_status_display().lower()
        }
    return None


def owed_interest(loan: ServicedLoan, day: date) -> tuple[Decimal, Decimal]:
    """What the loan owes on `day` in interest (accrued, due and overdue) and in late interest
    (with interest on unpaid interest), over its sub-loans, as its replay says."""
    interest = late = ZERO
    for share in parts_of(loan):
        balance = replay_part(loan, share, as_of=day).balance
        interest += balance.interest_accrued + balance.interest_due + balance.interest_overdue
        late += balance.late_interest + balance.penalty
    return interest, late


def tracked_until(day: date, years: int) -> date:
    """The day the fund stops pursuing a debt written off on `day` (29 February: 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def apply_write_off(*, actor, loan: Loan) -> WriteOff:
    """Write the loan off on the business date, as approved: call from the approval's apply,
    which checked the board's authority. Refused (a message) for a loan that is not active."""
    locked = queries.lock_loan(loan.pk)
    if problem := write_off_problem(locked):
        raise ValidationError(problem)
    fund = current_fund()
    day, booked = fund.business_date, locked.booked
    if booked.outstanding <= 0:
        raise ValidationError(_("The loan owes no principal on the books: there is nothing to write off."))
    interest, late = owed_interest(locked, day)
    reversed_receivable = {
        "interest": -booked.interest_receivable,
        "late_interest": -booked.late_interest_receivable,
    }
    prior = (
        prior_year_parts(locked.pk, day, reversed_receivable) if min(reversed_receivable.values()) < 0 else {}
    )
    contract = locked.contract.number
    event = accounting.WriteOff(
        contract=contract,
        booked=booked,
        interest=interest,
        late_interest=late,
        prior_year_interest=prior.get("interest", ZERO),
        prior_year_late_interest=prior.get("late_interest", ZERO),
    )
    posted = booking.post_event(
        locked,
        event,
        actor=actor,
        value_date=day,
        memo=_("Write-off of %(loan)s, contract %(contract)s")
        % {"loan": locked.reference, "contract": contract},
        key=f"write-off:{locked.pk}",
        source_kind="write_off",
    )
    controls = posted.controls
    booking.record(
        locked,
        posted,
        kind=LoanTransaction.Kind.WRITE_OFF,
        value_date=day,
        booking_date=day,
        amount=booked.outstanding + interest + late,
        principal=controls["principal"] + controls["overdue_principal"],
    )

    cover = accounting.cover(posted.moved)
    record = WriteOff.objects.create(
        loan_id=locked.pk,
        written_off_on=day,
        principal=booked.outstanding,
        interest=interest + late,
        from_specific=cover.specific,
        from_general=cover.general,
        to_expense=cover.expense,
        tracked_until=tracked_until(day, fund.off_balance_years),
        journal_entry=posted.entry,
        applied_by=actor,
    )
    for share in parts_of(locked):
        balances.clear_from(locked.pk, share.pk if share else None, day)
    apply_transition_by_id(
        locked.pk,
        "write_off",
        actor=actor,
        note=_(
            "Written off: %(principal)s principal and %(interest)s interest, tracked off-balance "
            "until %(date)s."
        )
        % {
            "principal": format_vnd(record.principal.amount),
            "interest": format_vnd(record.interest.amount),
            "date": format_date(record.tracked_until),
        },
    )
    return record


# --- recovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryInput:
    """Money received on a written-off loan, as an officer or accountant enters it."""

    value_date: date
    amount: Decimal
    channel: str
    account: Account | None = None  # None: the channel's usual account
    reference: str = ""
    idempotency_key: str = ""


def _recovery_key(loan: Loan, entry: RecoveryInput) -> str:
    text = "|".join(
        [
            str(loan.pk),
            entry.value_date.isoformat(),
            str(entry.amount),
            entry.channel,
            entry.reference.strip(),
        ]
    )
    return "rc:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _recovery_errors(locked: ServicedLoan, entry: RecoveryInput, account, *, fund, write_off) -> dict:
    errors = FieldErrors()
    refuse = errors.refuse

    if locked.status != LoanStatus.WRITTEN_OFF:
        refuse(
            "__all__",
            _(
                "A recovery is money received on a written-off loan; this one is %(status)s: "
                "record a repayment."
            )
            % {"status": locked.get_status_display().lower()},
        )
        return errors
    if write_off.ended_on is not None:
        refuse("__all__", _ended(write_off, _("no recovery can be recorded on it any more.")))
        return errors
    if problem := value_date_problem(entry.value_date, fund=fund):
        refuse("value_date", problem)
    elif entry.value_date < write_off.written_off_on:
        refuse(
            "value_date",
            _("The loan was written off on %(date)s: a recovery is dated on or after it.")
            % {"date": format_date(write_off.written_off_on)},
        )
    left = locked.booked.off_balance
    if entry.amount is None or entry.amount <= 0 or entry.amount != entry.amount.to_integral_value():
        refuse("amount", _("The amount is a whole number of đồng above 0."))
    elif entry.amount > min(left, MAX_AMOUNT):
        refuse(
            "amount",
            _("Only %(left)s is still tracked off-balance on this loan: a recovery cannot be more.")
            % {"left": format_vnd(left)},
        )
    if entry.channel not in Repayment.Channel.values:
        refuse("channel", _("Choose how the money came in."))
    if len(entry.reference.strip()) > _REFERENCE_LIMIT:
        refuse("reference", _("At most %(limit)s characters.") % {"limit": _REFERENCE_LIMIT})
    if account is None or not fund.lending_accounts.filter(pk=account.pk).exists():
        refuse("account", _("Choose one of the fund's cash or bank accounts."))
    return errors


@transaction.atomic
def record_recovery(*, actor, loan: Loan, entry: RecoveryInput) -> Recovery:
    """Record and post money received on a written-off loan. Entering it again returns it."""
    require_permission(actor, "loans.add_recovery")
    key = entry.idempotency_key or _recovery_key(loan, entry)
    locked = queries.lock_loan(loan.pk)
    if (found := Recovery.objects.filter(idempotency_key=key).first()) is not None:
        return found
    fund = current_fund()
    account = entry.account or default_account(entry.channel, list(fund.lending_accounts.all()))
    write_off = WriteOff.objects.filter(loan_id=locked.pk).first()
    errors = _recovery_errors(locked, entry, account, fund=fund, write_off=write_off)
    if errors:
        raise ValidationError(errors)
    contract = locked.contract.number
    event = accounting.Recovery(
        amount=entry.amount,
        received_into=account.code,
        contract=contract,
        receipt=entry.reference.strip(),
        booked=locked.booked,
    )
    posted = booking.post_event(
        locked,
        event,
        actor=actor,
        value_date=entry.value_date,
        memo=_("Recovery on written-off %(loan)s, contract %(contract)s")
        % {"loan": locked.reference, "contract": contract},
        key=f"recovery:{key}",
        source_kind="recovery",
    )
    booking.record(
        locked,
        posted,
        kind=LoanTransaction.Kind.RECOVERY,
        value_date=entry.value_date,
        booking_date=fund.business_date,
        amount=entry.amount,
    )
    controls = posted.controls
    return Recovery.objects.create(
        loan_id=locked.pk,
        value_date=entry.value_date,
        amount=entry.amount,
        channel=entry.channel,
        reference=entry.reference.strip(),
        account=account,
        principal=-controls["written_off_principal"],
        interest=-controls["written_off_interest"],
        idempotency_key=key,
        journal_entry=posted.entry,
        recorded_by=actor,
    )


def recovery_reversal_entry(*, actor, recovery: Recovery, reason: str) -> EntryDraft:
    """The entry reversing the recovery would post on the business date (what its page shows
    before it is confirmed). Refused as `reverse_recovery` would refuse it now."""
    reason = _reversal_reason(reason)
    _check_reversal(actor, recovery)
    memo = _recovery_reversal_memo(recovery, reason)
    return reversal_of(recovery.journal_entry, reason=memo, value_date=current_fund().business_date)


@transaction.atomic
def reverse_recovery(*, actor, recovery: Recovery, reason: str) -> Recovery:
    """Reverse a recovery entered in error, on the business date, with a reason: its entry
    reversed, and its sub-ledger row mirrored, so what it took off the memo of written-off debt
    is pursued again. The loan stays written off."""
    reason = _reversal_reason(reason)
    queries.lock_loan(recovery.loan_id)  # first, as every money event on the loan holds it
    locked = Recovery.objects.select_for_update(of=("self",)).select_related("journal_entry")
    recovery = locked.get(pk=recovery.pk)
    _check_reversal(actor, recovery)
    recovery.reverse()
    day = current_fund().business_date
    entry = reverse_entry(
        entry=recovery.journal_entry,
        reason=_recovery_reversal_memo(recovery, reason),
        created_by=actor,
        value_date=day,
    )
    row = LoanTransaction.objects.get(
        journal_entry_id=recovery.journal_entry_id, kind=LoanTransaction.Kind.RECOVERY
    )
    LoanTransaction.objects.create(**reversal_values(row, entry=entry, on=day))
    recovery.reversed_on, recovery.reversal_entry, recovery.reversal_reason = day, entry, reason
    recovery.reversed_by, recovery.reversed_at = actor, timezone.now()
    recovery.save()
    return recovery


def _reversal_reason(reason: str) -> str:
    return cleaned_text(reason, "reason", required=_("Say why the recovery is reversed."))


def _check_reversal(actor, recovery: Recovery) -> None:
    refused = _("This recovery is already reversed.")
    check(recovery, "reverse", actor=actor, subject=_("A recovery"), action=_("reversed"), refused=refused)
    # Reversed now, it would put back on the memo what the end of the tracking took off it.
    ended = WriteOff.objects.filter(loan_id=recovery.loan_id, ended_on__isnull=False).first()
    if ended is not None:
        raise ValidationError(_ended(ended, _("its recoveries can no longer be reversed.")))


def _recovery_reversal_memo(recovery: Recovery, reason: str) -> str:
    memo = _("Recovery of %(amount)s dated %(date)s reversed: %(reason)s") % {
        "amount": format_vnd(recovery.amount.amount),
        "date": format_date(recovery.value_date),
        "reason": reason,
    }
    return bounded_memo(memo)


# --- the end of the off-balance tracking -----------------------------------------------------


def tracking_end_entry(*, actor, write_off: WriteOff, reason: str) -> EntryDraft:
    """The entry ending the write-off's off-balance tracking would post on the business date
    (what its page shows before it is confirmed), reading only: no row is locked. Refused as
    `end_tracking` would refuse it now."""
    reason = _end_reason(reason)
    loan, record, day = _ending(actor, write_off, lock=False)
    return booking.draft(loan, **_tracking_end(loan, record, reason, day))


@transaction.atomic
def end_tracking(*, actor, write_off: WriteOff, reason: str) -> WriteOff:
    """End the off-balance tracking of a written-off loan on the business date, from its
    `tracked_until` on, with a reason: what the memo still holds of it (written off, net of
    recoveries) taken off 0041 and 0042 as a recovery takes it off, and its sub-ledger row
    beside. The loan stays written off; nothing is recovered on it after. Ended once."""
    reason = _end_reason(reason)
    locked, record, day = _ending(actor, write_off, lock=True)
    posted = booking.post_event(locked, actor=actor, **_tracking_end(locked, record, reason, day))
    booking.record(
        locked,
        posted,
        kind=LoanTransaction.Kind.TRACKING_END,
        value_date=day,
        booking_date=day,
        amount=locked.booked.off_balance,
    )
    record.end_tracking()
    record.ended_on, record.end_entry, record.end_reason = day, posted.entry, reason
    record.ended_by, record.ended_at = actor, timezone.now()
    record.save()
    return record


def _end_reason(reason: str) -> str:
    return cleaned_text(reason, "reason", required=_("Say why the off-balance tracking ends."))


def _ending(actor, write_off: WriteOff, *, lock: bool) -> tuple[ServicedLoan, WriteOff, date]:
    """The loan and its write-off (locked if `lock`: the end, not its preview), and the business
    date; refused unless the actor may end the tracking today."""
    if lock:
        loan = queries.lock_loan(write_off.loan_id)  # first, as every money event on the loan holds it
        record = WriteOff.objects.select_for_update(of=("self",)).get(pk=write_off.pk)
    else:
        loan, record = queries.read_loan(write_off.loan_id), WriteOff.objects.get(pk=write_off.pk)
    refused = _ended(record, _("it cannot be ended again.")) if record.ended_on else None
    check(record, "end_tracking", actor=actor, subject=_("A write-off"), action=_("ended"), refused=refused)
    day = current_fund().business_date
    if day < record.tracked_until:
        raise ValidationError(
            _(
                "The fund tracks this loan off-balance until %(date)s: its tracking can be ended "
                "once the business date reaches that day."
            )
            % {"date": format_date(record.tracked_until)}
        )
    if loan.booked.off_balance <= 0:
        raise ValidationError(
            _("Everything written off on this loan was recovered: nothing is left off-balance to take off.")
        )
    return loan, record, day


def _tracking_end(locked: ServicedLoan, record: WriteOff, reason: str, day: date) -> dict:
    """The event ending the tracking and how its entry is posted (`booking.draft`, `.post_event`)."""
    contract = locked.contract.number
    memo = _("Off-balance tracking of written-off %(loan)s, contract %(contract)s, ended: %(reason)s") % {
        "loan": locked.reference,
        "contract": contract,
        "reason": reason,
    }
    return {
        "event": accounting.TrackingEnd(contract=contract, booked=locked.booked),
        "value_date": day,
        "memo": bounded_memo(memo),
        "key": f"tracking-end:{record.pk}",
        "source_kind": "tracking_end",
    }


def _ended(write_off: WriteOff, consequence: str) -> str:
    return _("The off-balance tracking of this loan ended on %(date)s: %(consequence)s") % {
        "date": format_date(write_off.ended_on),
        "consequence": consequence,
    }

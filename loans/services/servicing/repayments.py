"""Repayments (trả nợ): recording and reversing them.

Every repayment locks its loan, so two officers entering repayments for one loan at once are
taken one after the other; each posts one balanced entry whose lines are its allocation.
Recording one is the busiest use case there is: its reads and writes go through
`loans.queries` rather than the ORM (see there why).
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
from common.money import MAX_AMOUNT, format_vnd
from common.text import cleaned_text
from common.transitions import check
from fund.selectors import current_fund, value_date_problem
from fund.services.common import require_permission
from ledger.models import Account
from ledger.services import BusyNow, EntryDraft, what_it_would_post
from loans.domain.engine import LoanEventError
from loans.models import Loan, LoanMemberShare, LoanStatus, Repayment
from loans.queries import FundDay, ServicedLoan, fund_day, insert, lock_loan
from loans.services.servicing.settling import repayment_reversal_draft, reverse_repayment_posting, settle

_REFERENCE_LIMIT = Repayment._meta.get_field("reference").max_length


@dataclass(frozen=True)
class RepaymentInput:
    """One repayment as an officer enters it. `account` None: the channel's usual account."""

    value_date: date
    amount: Decimal
    channel: str
    reference: str = ""
    account: Account | None = None
    prepayment_mode: str = Repayment.PrepaymentMode.LOWER_INSTALLMENTS
    share: LoanMemberShare | None = None
    idempotency_key: str = ""


def default_account(channel: str, accounts: list[Account] | None = None) -> Account | None:
    """Cash lands in the fund's first cash account; anything else in its first bank account."""
    prefix = "111" if channel == Repayment.Channel.CASH else "112"
    if accounts is None:
        accounts = list(current_fund().lending_accounts.all())
    return min((a for a in accounts if a.code.startswith(prefix)), key=lambda a: a.code, default=None)


def input_key(loan: Loan, entry: RepaymentInput) -> str:
    """A key for what was entered: the same repayment entered or imported again finds itself."""
    text = "|".join(
        [
            str(loan.pk),
            str(entry.share.pk if entry.share else ""),
            entry.value_date.isoformat(),
            str(entry.amount),
            entry.channel,
            entry.reference.strip(),
        ]
    )
    return "in:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _input_errors(
    loan: ServicedLoan,
    entry: RepaymentInput,
    account: Account | None,
    *,
    day: FundDay,
) -> dict[str, list[str]]:
    errors = FieldErrors()
    refuse = errors.refuse

    if loan.status != LoanStatus.ACTIVE:
        refuse(
            "__all__",
            _("Only an active loan takes repayments; this one is %(status)s.")
            % {"status": loan.get_status_display().lower()},
        )
        return errors
    if problem := value_date_problem(entry.value_date, fund=day):
        refuse("value_date", problem)
    if entry.amount is None or entry.amount <= 0 or entry.amount != entry.amount.to_integral_value():
        refuse("amount", _("The amount is a whole number of đồng above 0."))
    elif entry.amount > MAX_AMOUNT:
        # No loan owes this much; refused here, before the row is written, as the column cannot hold it.
        refuse("amount", _("This is more than the whole debt."))
    if len(entry.reference.strip()) > _REFERENCE_LIMIT:
        refuse("reference", _("At most %(limit)s characters.") % {"limit": _REFERENCE_LIMIT})
    if entry.channel not in Repayment.Channel.values:
        refuse("channel", _("Choose how the money came in."))
    if entry.prepayment_mode not in Repayment.PrepaymentMode.values:
        refuse("prepayment_mode", _("Choose what a prepayment changes."))
    if loan.is_group_loan:
        if entry.share is None or entry.share.loan_id != loan.pk or entry.share.contract_amount is None:
            refuse("share", _("Choose the household of this group loan that repays."))
    elif entry.share is not None:
        refuse("share", _("Only a household group's loan is repaid household by household."))
    if account is None:
        refuse("account", _("The fund has no account for this channel; choose the account."))
    elif account not in day.lending_accounts:
        refuse("account", _("Choose one of the fund's cash or bank accounts."))
    return errors


def record_repayment(
    *, actor, loan: Loan, entry: RepaymentInput, batch=None, permission: str = "loans.add_repayment"
) -> Repayment:
    """Record, allocate and post a repayment. Entering the same one again returns it unchanged.

    `permission` allows the actor: an officer's entry, or an accountant's repayment found on the
    bank statement (`loans.services.bank.matching`)."""
    require_permission(actor, permission)
    key = entry.idempotency_key or input_key(loan, entry)
    with transaction.atomic():
        locked = lock_loan(loan.pk)
        day = fund_day(key)
        if day.recorded is not None:
            return Repayment.objects.get(pk=day.recorded)
        account = entry.account or default_account(entry.channel, day.lending_accounts)
        errors = _input_errors(locked, entry, account, day=day)
        if errors:
            raise ValidationError(errors)
        repayment = insert(
            Repayment(
                loan_id=locked.pk,
                share=entry.share,
                value_date=entry.value_date,
                amount=entry.amount,
                channel=entry.channel,
                reference=entry.reference.strip(),
                account=account,
                prepayment_mode=entry.prepayment_mode,
                idempotency_key=key,
                batch=batch,
                recorded_by=actor,
            )
        )
        try:
            settle(locked, actor=actor, business_date=day.business_date, new=repayment)
        except LoanEventError as error:
            raise _refusal(error, repayment) from None
    return repayment


def _refusal(error: LoanEventError, repayment: Repayment) -> ValidationError:
    if error.key != f"r{repayment.pk}":
        # A back-dated repayment took what a later one had paid, so the later one is too much now.
        return ValidationError(
            {
                "amount": _(
                    "Dated %(date)s, this repayment would leave a later repayment above the debt: %(why)s"
                )
                % {"date": format_date(repayment.value_date), "why": error}
            }
        )
    if error.payoff is not None:
        return ValidationError(
            {
                "amount": _(
                    "This is more than the whole debt. To repay the loan in full on %(date)s, pay "
                    "exactly %(payoff)s."
                )
                % {"date": format_date(repayment.value_date), "payoff": format_vnd(error.payoff)}
            }
        )
    return ValidationError({"value_date": str(error)})


def repayment_reversal_entry(*, actor, repayment: Repayment, reason: str) -> EntryDraft:
    """The entry reversing the repayment would post on the business date (what its page shows
    before it is confirmed), reading only: no row is locked. Refused as `reverse_repayment`
    would refuse it now."""
    status = Loan.objects.values_list("status", flat=True).get(pk=repayment.loan_id)
    reason = _reversal_reason(actor, repayment, status, reason)
    return repayment_reversal_draft(repayment, on=current_fund().business_date, reason=reason)


def repayment_reversal_entries(*, actor, repayment: Repayment, reason: str) -> tuple[list[EntryDraft], bool]:
    """The entries reversing the repayment would post, in order, and whether they are all (what
    its page shows before it is confirmed): the reversal rehearsed (`what_it_would_post`),
    its own entry then those re-allocating the later repayments whose allocation changes. While
    another transaction holds the loan (or the day, or the year's counter), not waiting for it:
    the reversal's own entry alone, read without a lock. Refused as `reverse_repayment` would
    refuse it now."""

    def rehearsed():
        reverse_repayment(actor=actor, repayment=Repayment.objects.get(pk=repayment.pk), reason=reason)

    try:
        return what_it_would_post(rehearsed), True
    except BusyNow:
        return [repayment_reversal_entry(actor=actor, repayment=repayment, reason=reason)], False


@transaction.atomic
def reverse_repayment(*, actor, repayment: Repayment, reason: str) -> Repayment:
    """Reverse a repayment (with a reason) and re-allocate every later repayment in order."""
    # The loan first, as every money event holds it; the repayment's row after it.
    loan = lock_loan(repayment.loan_id)
    repayment = Repayment.objects.select_for_update(no_key=True).get(pk=repayment.pk)
    reason = _reversal_reason(actor, repayment, loan.status, reason)
    business_date = current_fund().business_date
    repayment.reverse()
    repayment.reversed_by, repayment.reversed_at, repayment.reversal_reason = actor, timezone.now(), reason
    repayment.save()
    reverse_repayment_posting(repayment, actor=actor, on=business_date, reason=reason)
    settle(loan, actor=actor, correction=True, business_date=business_date, since=repayment.value_date)
    return repayment


def _reversal_reason(actor, repayment: Repayment, loan_status: str, reason: str) -> str:
    """The reason cleaned, or the refusal of the repayment's reversal by the actor now."""
    if loan_status == LoanStatus.WRITTEN_OFF:
        raise ValidationError(_("The loan is written off: its repayments can no longer be reversed."))
    reason = cleaned_text(reason, "reason", required=_("Say why the repayment is reversed."))
    refused = _("This repayment is already reversed.")
    check(repayment, "reverse", actor=actor, subject=_("A repayment"), action=_("reversed"), refused=refused)
    return reason

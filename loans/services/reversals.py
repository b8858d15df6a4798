"""Reversing a tranche after it was authorized and posted, as an approved request says.

The loan is replayed without the tranche, as a reversed repayment is (`settling.settle`): every
repayment whose allocation changes is posted again on the business date. A repayment the loan
can no longer take whole (above the debt without the tranche, or before anything else was
lent) is reversed and, for what the loan can take, entered again; what is above the debt is
owed back to the borrower (33888). Then one entry takes the tranche's principal off the loan
accounts as they hold it now (in term and overdue), debited to the account the money came back
into or to other receivables (13888) while the borrower owes it back, takes off the receivable
and the memo what was accrued on it beyond what the loan now owes, and credits the refunds.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import ZERO, format_vnd
from fund import accounting
from fund.selectors import current_fund
from ledger.models import Account
from loans import queries
from loans.domain.engine import LoanEventError, replay
from loans.models import Disbursement, Loan, LoanStatus, LoanTransaction, Repayment, TrancheReversal
from loans.queries import ServicedLoan
from loans.replaying import loan_terms, parts_of
from loans.services import booking
from loans.services.closing.postings import prior_year_parts
from loans.services.servicing import balances
from loans.services.servicing.settling import reverse_repayment_posting, settle
from loans.services.transitions import apply_transition_by_id

REVERSIBLE_LOANS = (LoanStatus.ACTIVE, LoanStatus.CLOSED)


def reversal_problem(loan, tranche: Disbursement, *, fund, returned_into: Account | None) -> dict | None:
    """Why the tranche cannot be reversed now, by field (None: it can)."""
    if tranche.loan_id != loan.pk:
        return {"tranche": [_("Choose a tranche of this loan.")]}
    if tranche.status != Disbursement.Status.AUTHORIZED:
        return {
            "tranche": [
                _("Only an authorized tranche is reversed; this one is %(status)s.")
                % {"status": tranche.get_status_display().lower()}
            ]
        }
    if loan.status not in REVERSIBLE_LOANS:
        return {
            "__all__": [
                _("A tranche of a loan that is %(status)s cannot be reversed.")
                % {"status": loan.get_status_display().lower()}
            ]
        }
    if returned_into is not None and not fund.lending_accounts.filter(pk=returned_into.pk).exists():
        return {"returned_into": [_("Choose one of the fund's cash or bank accounts.")]}
    if fund.other_receivables_account_id is None or fund.refunds_payable_account_id is None:
        return {
            "__all__": [
                _(
                    "Set the fund's other receivables and other payables accounts on the Fund page "
                    "first: a reversed tranche may be owed back, and repayments refunded."
                )
            ]
        }
    return None


@transaction.atomic
def apply_tranche_reversal(*, actor, tranche: Disbursement, returned_into: Account | None) -> TrancheReversal:
    """Reverse the authorized tranche on the business date, as approved (the approval checked
    the roles and that neither the requester nor the approver authorized it). `returned_into`:
    the cash or bank account the money came back into; None: the borrower owes it back."""
    loan = queries.lock_loan(tranche.loan_id)
    tranche = Disbursement.objects.select_for_update(of=("self",)).get(pk=tranche.pk)
    fund = current_fund()
    if problem := reversal_problem(loan, tranche, fund=fund, returned_into=returned_into):
        raise ValidationError(problem)
    day = fund.business_date
    tranche.reverse()  # checked above: authorized
    tranche.save()
    refunds = _refund_above_the_debt(loan, tranche, actor=actor, day=day)
    settle(loan, actor=actor, correction=True, business_date=day, since=tranche.value_date)
    record = _post(
        loan,
        tranche,
        actor=actor,
        day=day,
        returned_into=returned_into,
        debited=(returned_into or fund.other_receivables_account).code,
        refund_payable=fund.refunds_payable_account.code,
        refunds=refunds,
    )
    lent = Disbursement.objects.filter(loan_id=loan.pk, status=Disbursement.Status.AUTHORIZED).exists()
    status = Loan.objects.values_list("status", flat=True).get(pk=loan.pk)
    if not lent:
        for share in parts_of(loan):
            balances.drop_all(loan.pk, share.pk if share else None)
        if status == LoanStatus.ACTIVE:
            apply_transition_by_id(
                loan.pk, "deactivate", actor=actor, note=_("Its only tranche was reversed: nothing is lent.")
            )
    return record


def _refund_above_the_debt(
    loan: ServicedLoan, tranche, *, actor, day: date
) -> list[tuple[str, Decimal, str]]:
    """Reverse each repayment the loan cannot take whole without the tranche and enter again
    what it can take; each (its account, the amount above the debt, its reference)."""
    terms = loan_terms(loan.contract)
    refunds = []
    for share in parts_of(loan):
        tranches, payments = queries.events(loan.pk, share.pk if share else None)
        while True:
            try:
                replay(terms, tranches=tranches, payments=payments, as_of=day)
                break
            except LoanEventError as error:
                if not error.key.startswith("r"):
                    raise ValidationError(str(error)) from None
                index = next(i for i, p in enumerate(payments) if p.key == error.key)
                kept = error.payoff or ZERO  # none: nothing was lent on its date
                repayment = Repayment.objects.select_related("account").get(pk=int(error.key[1:]))
                refunds.append(_split(repayment, kept, tranche, actor=actor, day=day))
                payments = [
                    *payments[:index],
                    *([replace(payments[index], amount=kept)] if kept else []),
                    *payments[index + 1 :],
                ]
    return refunds


def _split(repayment: Repayment, kept: Decimal, tranche, *, actor, day: date) -> tuple[str, Decimal, str]:
    """The repayment reversed and, for `kept`, entered again; the rest is to refund."""
    above = repayment.amount.amount - kept
    reason = _("Tranche of %(date)s reversed: %(above)s of this repayment is above the debt, to refund.") % {
        "date": format_date(tranche.value_date),
        "above": format_vnd(above),
    }
    reverse_repayment_posting(repayment, actor=actor, on=day, reason=reason)
    repayment.reverse()
    repayment.reversed_by, repayment.reversed_at, repayment.reversal_reason = actor, timezone.now(), reason
    repayment.save()
    if kept:
        Repayment.objects.create(
            loan_id=repayment.loan_id,
            share_id=repayment.share_id,
            value_date=repayment.value_date,
            amount=kept,
            channel=repayment.channel,
            reference=repayment.reference,
            account=repayment.account,
            prepayment_mode=repayment.prepayment_mode,
            idempotency_key=f"{repayment.idempotency_key}:kept",
            recorded_by=actor,
        )
    return repayment.account.code, above, repayment.reference


def _owed_now(loan: ServicedLoan, day: date) -> tuple[Decimal, Decimal, Decimal]:
    """Over the sub-loans replayed without the tranche, as close of day holds them on the
    morning of `day`: principal overdue (past the product's days of grace), interest and late
    interest owed."""
    grace = Loan.objects.values_list("product__overdue_grace_days", flat=True).get(pk=loan.pk)
    overdue_by = day - timedelta(days=1 + grace)
    overdue = interest = late = ZERO
    terms = loan_terms(loan.contract)
    for share in parts_of(loan):
        tranches, payments = queries.events(loan.pk, share.pk if share else None)
        if not tranches:
            continue
        result = replay(terms, tranches=tranches, payments=payments, as_of=day)
        overdue += sum((row.principal_unpaid for row in result.rows if row.due_date <= overdue_by), ZERO)
        balance = result.balance
        interest += balance.interest_accrued + balance.interest_due + balance.interest_overdue
        late += balance.late_interest + balance.penalty
    return overdue, interest, late


def _post(
    loan: ServicedLoan, tranche, *, actor, day, returned_into, debited, refund_payable, refunds
) -> TrancheReversal:
    booked = queries.booked([loan.pk])[loan.pk]
    overdue_now, interest, late = _owed_now(loan, day)
    amount = tranche.amount.amount
    overdue = min(max(booked.overdue_principal - overdue_now, ZERO), amount)
    # What the books hold of each kind of interest beyond what is owed without the tranche comes
    # off: the receivable first, then the memo of suspended interest.
    off = {}
    for kind, owed, receivable, suspended in (
        ("interest", interest, booked.interest_receivable, booked.suspended_interest),
        ("late_interest", late, booked.late_interest_receivable, booked.suspended_late),
    ):
        excess = max(receivable + suspended - owed, ZERO)
        off[kind] = min(excess, max(receivable, ZERO))
        off[f"suspended_{kind}"] = excess - off[kind]
    change = {"interest": -off["interest"], "late_interest": -off["late_interest"]}
    prior = prior_year_parts(loan.pk, day, change) if min(change.values()) < 0 else {}
    contract = loan.contract.number
    event = accounting.TrancheReversal(
        contract=contract,
        debited=debited,
        in_term=amount - overdue,
        overdue=overdue,
        accrual=accounting.Accrual(
            interest=change["interest"],
            late_interest=change["late_interest"],
            contract=contract,
            prior_year_interest=prior.get("interest", ZERO),
            prior_year_late_interest=prior.get("late_interest", ZERO),
        ),
        suspension=accounting.Suspension(
            -off["suspended_interest"], -off["suspended_late_interest"], contract
        ),
        refund_payable=refund_payable,
        refunds=tuple(refunds),
    )
    posted = booking.post_event(
        loan,
        event,
        actor=actor,
        value_date=day,
        memo=_("Tranche of %(date)s reversed, %(loan)s, contract %(contract)s")
        % {"date": format_date(tranche.value_date), "loan": loan.reference, "contract": contract},
        key=f"tranche-reversal:{tranche.pk}",
        source_kind="tranche_reversal",
    )
    booking.record(
        loan,
        posted,
        kind=LoanTransaction.Kind.TRANCHE_REVERSAL,
        value_date=day,
        booking_date=day,
        amount=amount,
        principal=-amount,
        disbursement=tranche,
    )
    return TrancheReversal.objects.create(
        disbursement=tranche,
        reversed_on=day,
        returned_into=returned_into,
        in_term=amount - overdue,
        overdue=overdue,
        interest=sum(off.values(), ZERO),
        refunded=sum((above for _account, above, _ref in refunds), ZERO),
        journal_entry=posted.entry,
        applied_by=actor,
    )

"""Interest waiver or reduction (miễn, giảm lãi): of the interest accrued, the interest due and
overdue, or the late interest, all of it or an amount. What the receivable holds is taken off
it against this year's income, or 6428 for what an earlier fiscal year accrued; a non-accrual
loan's suspended interest is taken off the memo account only. Not a restructuring: the loan's
debt group is not held."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import ZERO, format_vnd, is_whole_dong
from fund import accounting
from fund.selectors import business_date
from loans.models import LoanTransaction
from loans.models.actions import ActionKind
from loans.services.actions import restructuring
from loans.services.actions.choices import ACCRUED, LATE, OVERDUE, WAIVER_PARTS
from loans.services.actions.registry import ActionKind as Kind
from loans.services.closing.postings import prior_year_parts


@dataclass(frozen=True)
class InterestWaiver:
    part: str = field(
        metadata={"label": gettext_lazy("Interest waived"), "format": "choice", "choices": WAIVER_PARTS}
    )
    amount: Decimal | None = field(
        default=None, metadata={"label": gettext_lazy("Amount (empty: all of it)"), "format": "vnd"}
    )


def owed(loan, part: str, day: date) -> Decimal:
    """What the loan owes of that part of its interest on `day`."""
    result = restructuring.replayed(loan, day)
    balance = result.balance
    if part == ACCRUED:
        return balance.interest_accrued
    if part == OVERDUE:
        return balance.interest_overdue + balance.interest_due
    return balance.late_interest + balance.penalty


def validate(loan, payload: InterestWaiver, *, business_date: date) -> None:
    if payload.part not in (ACCRUED, OVERDUE, LATE):
        raise ValidationError({"part": _("Choose which interest is waived.")})
    most = owed(loan, payload.part, business_date)
    if most <= 0:
        raise ValidationError({"part": _("The loan owes none of this interest now.")})
    amount = payload.amount
    if amount is not None and (amount <= 0 or not is_whole_dong(amount)):
        raise ValidationError({"amount": _("Give a whole number of đồng above zero, or leave it empty.")})
    if amount is not None and amount > most:
        raise ValidationError(
            {
                "amount": _("The loan owes %(owed)s of this interest now: no more can be waived.")
                % {"owed": format_vnd(most)}
            }
        )


def authority_amount(loan, payload: InterestWaiver) -> Decimal:
    return payload.amount or owed(loan, payload.part, business_date())


def _on_the_books(loan, part: str, amount: Decimal, day: date) -> accounting.Waiver:
    """The waiver as the books hold the interest: receivable (this year's or earlier) or memo."""
    booked = restructuring.booked(loan.pk)
    late = part == LATE
    contract = loan.contract.number
    if loan.accrual_suspended:
        held = booked.suspended_late if late else booked.suspended_interest
        taken = min(amount, max(held, ZERO))
        return accounting.Waiver(
            contract=contract, **{"suspended_late" if late else "suspended_interest": taken}
        )
    held = booked.late_interest_receivable if late else booked.interest_receivable
    taken = min(amount, max(held, ZERO))
    kind = "late_interest" if late else "interest"
    prior = prior_year_parts(loan.pk, day, {kind: -taken}).get(kind, ZERO) if taken else ZERO
    return accounting.Waiver(contract=contract, **{kind: taken - prior, f"prior_year_{kind}": prior})


def apply(applying) -> str:
    loan, payload, day = applying.loan, applying.payload, applying.business_date
    amount = payload.amount or owed(applying.action.loan, payload.part, day)
    restructuring.record_effect(
        applying.action,
        {
            "interest": str(amount if payload.part == OVERDUE else ZERO),
            "accrued": str(amount if payload.part == ACCRUED else ZERO),
            "late_interest": str(amount if payload.part == LATE else ZERO),
        },
    )
    restructuring.post(
        applying,
        _on_the_books(loan, payload.part, amount, day),
        kind=LoanTransaction.Kind.WAIVER,
        step="waiver",
        amount=amount,
    )
    restructuring.settle_again(applying)
    return _("%(amount)s waived: %(part)s.") % {
        "amount": format_vnd(amount),
        "part": str(dict(WAIVER_PARTS)[payload.part]).lower(),
    }


KIND = Kind(
    kind=ActionKind.WAIVER,
    payload=InterestWaiver,
    form="loans.action_forms.WaiverForm",
    validate=validate,
    authority_amount=authority_amount,
    apply=apply,
    group_loans=False,  # `restructuring.replayed` refuses one
)

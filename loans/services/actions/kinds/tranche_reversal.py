"""Reversing an authorized tranche: asked for by an accountant, approved by an approver whose
authority covers the tranche, neither being whoever authorized it; applied by
`loans.services.reversals`."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.dates import format_date
from common.money import ZERO, format_vnd
from fund.selectors import current_fund
from ledger.models import Account
from loans.models import Disbursement
from loans.models.actions import ActionKind as Kind
from loans.services.actions.registry import ActionKind, Applying
from loans.services.reversals import REVERSIBLE_LOANS, apply_tranche_reversal, reversal_problem


@dataclass(frozen=True)
class TrancheReversalPayload:
    tranche: int = field(metadata={"label": gettext_lazy("Tranche (number)")})
    # The cash or bank account's code; empty: the borrower owes it back.
    returned_into: str = field(default="", metadata={"label": gettext_lazy("Money returned into")})


def _tranche(loan, payload) -> Disbursement | None:
    return Disbursement.objects.filter(pk=payload.tranche, loan_id=loan.pk).first()


def _account(payload) -> Account | None:
    return Account.objects.filter(code=payload.returned_into).first() if payload.returned_into else None


def validate(loan, payload: TrancheReversalPayload, *, business_date) -> None:
    tranche = _tranche(loan, payload)
    if tranche is None:
        raise ValidationError({"tranche": _("Choose a tranche of this loan.")})
    account = _account(payload)
    if payload.returned_into and account is None:
        raise ValidationError({"returned_into": _("Choose one of the fund's cash or bank accounts.")})
    if problem := reversal_problem(loan, tranche, fund=current_fund(), returned_into=account):
        raise ValidationError(problem)


def authority_amount(loan, payload) -> Decimal:
    tranche = _tranche(loan, payload)
    return tranche.amount.amount if tranche else ZERO


def excluded(loan, payload) -> dict[int, str]:
    tranche = _tranche(loan, payload)
    if tranche is None or tranche.decided_by_id is None:
        return {}
    return {
        tranche.decided_by_id: _(
            "You authorized this tranche, so you may neither ask for nor approve its reversal."
        )
    }


def apply(applying: Applying) -> str:
    tranche = _tranche(applying.action.loan, applying.payload)
    record = apply_tranche_reversal(
        actor=applying.actor, tranche=tranche, returned_into=_account(applying.payload)
    )
    where = (
        _("returned into %(account)s") % {"account": record.returned_into}
        if record.returned_into
        else _("owed back by the borrower")
    )
    return _(
        "Tranche of %(date)s reversed: %(amount)s (%(in_term)s in term, %(overdue)s overdue) %(where)s; "
        "%(interest)s interest taken off; %(refunded)s of repayments to refund."
    ) % {
        "date": format_date(tranche.value_date),
        "amount": format_vnd(tranche.amount.amount),
        "in_term": format_vnd(record.in_term.amount),
        "overdue": format_vnd(record.overdue.amount),
        "where": where,
        "interest": format_vnd(record.interest.amount),
        "refunded": format_vnd(record.refunded.amount),
    }


KIND = ActionKind(
    kind=Kind.TRANCHE_REVERSAL,
    payload=TrancheReversalPayload,
    form="loans.risk_forms.TrancheReversalForm",
    validate=validate,
    authority_amount=authority_amount,
    apply=apply,
    loan_statuses=REVERSIBLE_LOANS,
    excluded=excluded,
)

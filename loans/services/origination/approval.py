"""Recording the decision on an appraised application: the loan's approved terms, its
households' approved shares, or the rejection.

The appraisal decides (authority, four eyes, the terms' check: `appraisal.services.decisions`);
these functions are how it changes the loan's rows. Call them inside the caller's transaction,
with the loan locked.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from loans.models import Loan, LoanMemberShare
from loans.services.transitions import apply_transition


def record_approval(
    *,
    actor,
    loan: Loan,
    amount: Decimal,
    term_months: int,
    annual_rate: Decimal,
    conditions: str,
    decided_on: date,
    shares: Mapping[LoanMemberShare, Decimal],
    note: str = "",
) -> Loan:
    """The loan approved on these terms; each household share (of a group loan) its amount."""
    for share, share_amount in shares.items():
        share.approved_amount = share_amount
        share.save(update_fields=["approved_amount", "approved_amount_currency"])
    approved = _approved(amount, term_months, annual_rate, conditions, decided_on)
    return apply_transition(loan, "approve", actor=actor, note=note, **approved)


def record_rejection(*, actor, loan: Loan, reason: str, decided_on: date) -> Loan:
    """The loan rejected; the co-op reads the reason."""
    return apply_transition(
        loan,
        "reject",
        actor=actor,
        note=reason,
        rejection_reason=reason,
        decided_on=decided_on,
    )


def revoke_approval(*, actor, loan: Loan, reason: str) -> Loan:
    """The approval taken back: the loan is appraised again, with no approved terms or shares."""
    loan.member_shares.update(approved_amount=None)
    cleared = _approved(None, None, None, "", None)
    return apply_transition(loan, "undo_approval", actor=actor, note=reason, **cleared)


def _approved(amount, term_months, annual_rate, conditions, decided_on) -> dict:
    """The loan's fields an approval sets and undoing it clears."""
    return {
        "approved_amount": amount,
        "approved_term_months": term_months,
        "approved_rate": annual_rate,
        "approval_conditions": conditions,
        "decided_on": decided_on,
    }

"""Deciding on an appraised application: approve, reject, or undo an approval.

Who may decide is the fund's data: the amount decides the authority level it needs
(`fund.selectors.authority`), and whoever appraised an application never decides on it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from appraisal.models import Appraisal
from appraisal.proposal import LendingTerms
from appraisal.selectors import decision_amount
from appraisal.services.common import check_four_eyes, locked, seen_status
from appraisal.services.terms import collateral_error, terms_errors
from common.money import format_vnd, is_whole_dong
from common.text import cleaned_text
from fund.models import Borrower
from fund.selectors import business_date, check_authority
from fund.services.common import require_permission
from loans.models import Loan, LoanMemberShare
from loans.selectors.origination import exposure_problem
from loans.services.origination.approval import record_approval, record_rejection, revoke_approval
from loans.services.transitions import check_transition


@dataclass(frozen=True)
class ApprovalTerms:
    """What the approver grants. `shares`, for a household group only: each household's approved
    amount by `LoanMemberShare` id; None keeps the requested shares (only when the amount is the
    amount requested)."""

    amount: Decimal | None
    term_months: int | None
    annual_rate: Decimal | None
    conditions: str = ""
    shares: Mapping[int, Decimal | None] | None = None


def _decision_start(*, actor, loan: Loan, name: str, expected_status: str | None) -> tuple[Loan, Appraisal]:
    """Lock the loan, refuse what the transition refuses, then apply the four-eyes rule."""
    require_permission(actor, "loans.decide_loan")
    row = locked(loan)
    expected = seen_status(loan, expected_status)
    check_transition(row, name, actor=actor, expected_status=expected)
    appraisal = Appraisal.objects.select_related("appraiser").get(loan=row)
    appraisal.loan = row
    check_four_eyes(actor=actor, appraisal=appraisal)
    return row, appraisal


def _approved_shares(loan: Loan, terms: ApprovalTerms, errors: dict) -> dict[LoanMemberShare, Decimal]:
    """Each household's approved share: whole đồng, above 0, at most what it asked, together
    exactly the approved amount. What is wrong goes into `errors` under "shares"."""
    shares = list(loan.member_shares.select_related("member").select_for_update(of=("self",)))
    problems = errors.setdefault("shares", [])
    if not loan.is_group_loan:
        if terms.shares:
            problems.append(_("Only a household group's loan is split among households."))
        return {}
    if terms.shares is None:
        if terms.amount == loan.amount.amount:
            return {share: share.amount.amount for share in shares}
        problems.append(_("The amount is not the one requested: give each household's approved share."))
        return {}
    if set(terms.shares) != {share.pk for share in shares}:
        problems.append(_("Give an approved share for each household of the application, and only for them."))
    approved = {}
    for share in shares:
        amount = terms.shares.get(share.pk)
        if amount is None or not amount.is_finite() or amount <= 0 or not is_whole_dong(amount):
            problems.append(
                _("%(member)s: the share is a whole number of đồng above 0.") % {"member": share.member}
            )
        elif amount > share.amount.amount:
            problems.append(
                _("%(member)s: the approved share cannot exceed the %(requested)s requested.")
                % {"member": share.member, "requested": format_vnd(share.amount.amount)}
            )
        else:
            approved[share] = amount
    total = sum(approved.values(), Decimal(0))
    if not problems and terms.amount is not None and total != terms.amount:
        problems.append(
            _("The households' shares add up to %(total)s, not the amount of %(amount)s.")
            % {"total": format_vnd(total), "amount": format_vnd(terms.amount)}
        )
    return approved


def approve_loan(
    *, actor, loan: Loan, terms: ApprovalTerms, expected_status: str | None = None, note: str = ""
) -> Loan:
    """Approve an appraised application on these terms, within the actor's authority."""
    with transaction.atomic():
        row, _appraisal = _decision_start(
            actor=actor, loan=loan, name="approve", expected_status=expected_status
        )
        # Approvals of one borrower queue here, so two cannot both fit under its exposure limit.
        Borrower.objects.select_for_update().get(pk=row.borrower_id)
        decided_on = business_date()
        lending = LendingTerms(terms.amount, terms.term_months, terms.annual_rate)
        errors = terms_errors(row, lending, start=decided_on)
        if "amount" not in errors:
            for problem in (collateral_error(row, terms.amount), exposure_problem(row, terms.amount)):
                if problem:
                    errors.setdefault("amount", []).append(problem)
        shares = _approved_shares(row, terms, errors)
        errors = {field: messages for field, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)
        check_authority(actor, terms.amount)
        return record_approval(
            actor=actor,
            loan=row,
            amount=terms.amount,
            term_months=terms.term_months,
            annual_rate=terms.annual_rate,
            conditions=terms.conditions.strip(),
            decided_on=decided_on,
            shares=shares,
            note=note.strip(),
        )


def reject_loan(*, actor, loan: Loan, reason: str, expected_status: str | None = None) -> Loan:
    """Reject an appraised application. The reason is shown to the co-op."""
    with transaction.atomic():
        row, appraisal = _decision_start(
            actor=actor, loan=loan, name="reject", expected_status=expected_status
        )
        reason = cleaned_text(
            reason, "reason", required=_("Give the reason for rejecting; the co-op will read it.")
        )
        check_authority(actor, decision_amount(appraisal))
        return record_rejection(actor=actor, loan=row, reason=reason, decided_on=business_date())


def undo_approval(*, actor, loan: Loan, reason: str, expected_status: str | None = None) -> Loan:
    """Take an approval back (nothing is disbursed yet): the application is appraised again."""
    with transaction.atomic():
        row, _appraisal = _decision_start(
            actor=actor, loan=loan, name="undo_approval", expected_status=expected_status
        )
        reason = cleaned_text(reason, "reason", required=_("Say why the approval is undone."))
        check_authority(actor, row.approved_amount.amount)
        return revoke_approval(actor=actor, loan=row, reason=reason)

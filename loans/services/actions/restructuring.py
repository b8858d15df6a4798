"""What the restructuring kinds share (extension, rescheduling, waiver): the loan as the replay
sees it on the business date, its books, posting a restructuring's money event through the
posting rules with its sub-ledger line, and settling the loan again afterwards."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.money import ZERO
from fund import accounting
from fund.accounting import Booked
from fund.selectors import business_date
from loans import queries
from loans.domain.engine import Result
from loans.models import Loan, LoanAction, LoanTransaction
from loans.replaying import replay_part
from loans.services import booking
from loans.services.servicing.settling import settle


def replayed(loan, day: date) -> Result:
    """The loan (one sub-loan: a household group's loan cannot be restructured yet) on `day`."""
    if loan.is_group_loan:
        raise ValidationError(_("A household group's loan cannot be restructured here yet."))
    if getattr(loan, "contract", None) is None:
        raise ValidationError(_("The loan has no contract."))
    return replay_part(loan, None, as_of=day)


def principal_put_off(loan, payload) -> Decimal:
    """The authority amount of an extension or a rescheduling: the principal outstanding on the
    business date, which it puts off."""
    return replayed(loan, business_date()).principal_outstanding


def booked(loan_id: int) -> Booked:
    return queries.booked([loan_id]).get(loan_id, Booked())


def post(
    applying, event, *, kind: str, step: str, amount: Decimal, principal: Decimal = ZERO
) -> LoanTransaction | None:
    """Post a restructuring's money event on the business date and record it in the loan's
    sub-ledger (what it did to each control account, as the rule says). Nothing when it moves
    nothing."""
    loan = applying.loan
    if not accounting.lines(event, loan.gl):
        return None
    day = applying.business_date
    posted = booking.post_event(
        loan,
        event,
        actor=applying.actor,
        value_date=day,
        memo=_("%(action)s of %(loan)s, contract %(contract)s")
        % {
            "action": applying.action.get_kind_display(),
            "loan": loan.reference,
            "contract": loan.contract.number,
        },
        key=f"action:{applying.action.pk}:{step}",
        source_kind="loan_action",
    )
    return booking.record(
        loan, posted, kind=kind, value_date=day, booking_date=day, amount=amount, principal=principal
    )


def overdue_back_in_term(applying, overdue: Decimal) -> None:
    """Overdue principal falls due again on the new schedule: back to the loan account in term."""
    post(
        applying,
        accounting.OverdueTransfer(amount=-overdue, contract=applying.loan.contract.number),
        kind=LoanTransaction.Kind.OVERDUE,
        step="overdue",
        amount=overdue,
    )


def record_effect(action: LoanAction, effect: dict) -> None:
    """What the replay takes the action as, saved before the loan is settled again."""
    action.effect = effect
    LoanAction.objects.filter(pk=action.pk).update(effect=effect)


def settle_again(applying) -> None:
    """The loan replayed with the action: a new schedule version, the stored balances from the
    business date on."""
    settle(
        # Locked before the action was applied: the loan has a change to replay now.
        replace(applying.loan, has_changes=True),
        actor=applying.actor,
        business_date=applying.business_date,
        since=applying.business_date,
    )


def mark_restructured(loan_id: int, day: date) -> None:
    """Counted as restructured, and held in its debt group or worse from now until the cure
    period is paid on time (close of day decides when)."""
    loan = Loan.objects.get(pk=loan_id)
    Loan.objects.filter(pk=loan_id).update(
        restructure_count=loan.restructure_count + 1,
        restructured_on=day,
        restructured_group=max(loan.debt_group, loan.restructured_group or 1),
    )

"""What extension and rescheduling share: the new plan as the replay takes it, checked by
building the schedule it gives, and the rate in force."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from loans.domain.schedule import ScheduleError, ScheduleTerms
from loans.models import LoanAction
from loans.models.actions import ActionKind, ActionStatus
from loans.replaying import fund_calendar


def rate_in_force(loan) -> Decimal:
    """The contract's rate, or the last rescheduling's."""
    last = (
        LoanAction.objects.filter(loan_id=loan.pk, status=ActionStatus.APPLIED, kind=ActionKind.RESCHEDULING)
        .order_by("-pk")
        .values_list("effect", flat=True)
        .first()
    )
    return Decimal(last["annual_rate"]) if last else loan.contract.annual_rate


def effect(
    *, plan: dict, annual_rate: Decimal, start: date, take_overdue: bool, capitalised: Decimal
) -> dict:
    return {
        "plan": {
            **plan,
            "first_due_date": plan["first_due_date"].isoformat() if plan["first_due_date"] else None,
        },
        "annual_rate": str(annual_rate),
        "start": start.isoformat(),
        "take_overdue": take_overdue,
        "capitalised": str(capitalised),
    }


def check_schedule(
    plan: dict, *, principal: Decimal, annual_rate: Decimal, start: date, fields: dict
) -> None:
    """Refuse a plan no schedule can be built from; each error on the request's field that
    caused it (`fields`: the plan's names to the request's)."""
    try:
        ScheduleTerms(
            principal=principal, annual_rate=annual_rate, start_date=start, calendar=fund_calendar(), **plan
        )
    except ScheduleError as error:
        raise ValidationError(
            {fields.get(name, "__all__"): message for name, message in error.errors.items()}
        ) from None


def plan_of(contract, **given) -> dict:
    """The plan of the contract's repayment rules, with what is `given` instead."""
    plan = {
        "method": contract.amortization,
        "principal_frequency": contract.principal_frequency,
        "interest_frequency": contract.interest_frequency,
        "grace_months": 0,
        "first_due_date": None,
        "basis": contract.day_count,
        "interest_to_moved_date": contract.interest_to_moved_date,
    }
    plan.update(given)
    return plan

"""Rescheduling (điều chỉnh kỳ hạn trả nợ): a new schedule from the business date — its term,
method, frequencies, grace on principal and rate (within the lending-terms check). What is
overdue is carried as it is or, as the approver chooses, goes into the new schedule: the overdue
principal, and the overdue interest on the balance sheet capitalised (Dr loan principal / Cr
interest receivable); suspended interest (memo 0043) is never capitalised, it stays overdue."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.dates import format_date
from common.money import ZERO
from fund import accounting
from fund.models.products import Amortization, Frequency
from fund.selectors import current_fund
from loans.domain.terms import Limits, rate_problem
from loans.models import LoanTransaction
from loans.models.actions import ActionKind
from loans.services.actions import restructuring
from loans.services.actions.choices import CAPITALISE, CARRY, OVERDUE_CHOICES
from loans.services.actions.kinds._plans import check_schedule, effect, plan_of
from loans.services.actions.registry import ActionKind as Kind


@dataclass(frozen=True)
class Rescheduling:
    term_months: int = field(metadata={"label": gettext_lazy("New term from the business date (months)")})
    amortization: str = field(
        metadata={"label": gettext_lazy("Amortization"), "format": "choice", "choices": Amortization.choices}
    )
    principal_frequency: int = field(
        metadata={"label": gettext_lazy("Principal repaid"), "format": "choice", "choices": Frequency.choices}
    )
    interest_frequency: int = field(
        metadata={"label": gettext_lazy("Interest paid"), "format": "choice", "choices": Frequency.choices}
    )
    annual_rate: Decimal = field(
        metadata={"label": gettext_lazy("Interest rate per year"), "format": "percent"}
    )
    grace_months: int = field(default=0, metadata={"label": gettext_lazy("Principal grace (months)")})
    first_due_date: date | None = field(default=None, metadata={"label": gettext_lazy("First due date")})
    overdue: str = field(
        default=CARRY,
        metadata={"label": gettext_lazy("What is overdue"), "format": "choice", "choices": OVERDUE_CHOICES},
    )


# The plan's names and the request's.
_FIELDS = {"method": "amortization", "principal": "term_months"}


def _plan(loan, payload: Rescheduling) -> dict:
    return plan_of(
        loan.contract,
        term_months=payload.term_months,
        method=payload.amortization,
        principal_frequency=payload.principal_frequency,
        interest_frequency=payload.interest_frequency,
        grace_months=payload.grace_months,
        first_due_date=payload.first_due_date,
    )


def _capitalised(loan, result, payload: Rescheduling, booked) -> Decimal:
    """The overdue interest taken into the principal: only what the receivable holds."""
    if payload.overdue != CAPITALISE or loan.accrual_suspended:
        return ZERO
    return min(result.overdue_interest, max(booked.interest_receivable, ZERO))


def validate(loan, payload: Rescheduling, *, business_date: date) -> None:
    result = restructuring.replayed(loan, business_date)
    if result.principal_outstanding <= 0:
        raise ValidationError(_("Nothing of the principal is left to reschedule."))
    if payload.overdue not in (CAPITALISE, CARRY):
        raise ValidationError({"overdue": _("Choose what becomes of what is overdue.")})
    limits = Limits.of(loan.product, rate_cap=current_fund().max_annual_rate, product_rate=False)
    if problem := rate_problem(payload.annual_rate, limits):
        raise ValidationError({"annual_rate": problem})
    if payload.first_due_date is not None and payload.first_due_date <= business_date:
        raise ValidationError({"first_due_date": _("The first due date must be after the business date.")})
    check_schedule(
        _plan(loan, payload),
        principal=result.principal_outstanding,
        annual_rate=payload.annual_rate,
        start=business_date,
        fields=_FIELDS
        | {name: name for name in ("term_months", "grace_months", "first_due_date")}
        | {"principal_frequency": "principal_frequency", "interest_frequency": "interest_frequency"},
    )


def apply(applying) -> str:
    loan, payload, day = applying.loan, applying.payload, applying.business_date
    model_loan = applying.action.loan
    result = restructuring.replayed(model_loan, day)
    booked = restructuring.booked(loan.pk)
    capitalised = _capitalised(loan, result, payload, booked)
    take = payload.overdue == CAPITALISE
    restructuring.record_effect(
        applying.action,
        effect(
            plan=_plan(model_loan, payload),
            annual_rate=payload.annual_rate,
            start=day,
            take_overdue=take,
            capitalised=capitalised,
        ),
    )
    if take and booked.overdue_principal > 0:
        restructuring.overdue_back_in_term(applying, booked.overdue_principal)
    if capitalised:
        restructuring.post(
            applying,
            accounting.Capitalisation(amount=capitalised, contract=loan.contract.number),
            kind=LoanTransaction.Kind.CAPITALISED,
            step="capitalised",
            amount=capitalised,
            principal=capitalised,
        )
    restructuring.settle_again(applying)
    restructuring.mark_restructured(loan.pk, day)
    if capitalised:
        return _("New schedule from %(date)s; %(amount)s of overdue interest capitalised.") % {
            "date": format_date(day),
            "amount": f"{capitalised:,.0f}".replace(",", "."),
        }
    return _("New schedule from %(date)s.") % {"date": format_date(day)}


KIND = Kind(
    kind=ActionKind.RESCHEDULING,
    payload=Rescheduling,
    form="loans.action_forms.ReschedulingForm",
    validate=validate,
    authority_amount=restructuring.principal_put_off,
    apply=apply,
    approver_fields=("overdue",),
    group_loans=False,  # `restructuring.replayed` refuses one
)

"""Extension (gia hạn nợ): the installments still to pay fall due later, the maturity moved up
to the product's limit (short-term: a number of months; medium and long: a share of the term).
The schedule keeps its rules and grid; overdue principal may fall due on the new dates too."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.dates import format_date
from common.money import ZERO
from fund.models.products import TermClass, term_class_of
from loans.domain.engine import SCHEDULED
from loans.models import LoanAction
from loans.models.actions import ActionKind, ActionStatus
from loans.services.actions import restructuring
from loans.services.actions.kinds._plans import check_schedule, effect, plan_of, rate_in_force
from loans.services.actions.registry import ActionKind as Kind


@dataclass(frozen=True)
class Extension:
    months: int = field(metadata={"label": gettext_lazy("Months beyond the maturity")})
    include_overdue: bool = field(
        default=True, metadata={"label": gettext_lazy("Overdue principal falls due on the new dates too")}
    )


def limit_months(loan) -> int:
    """How far beyond its maturity the product lets the loan go, in months, over all extensions."""
    product, term = loan.product, loan.contract.term_months
    if term_class_of(term) == TermClass.SHORT:
        return product.extension_short_months
    return int(term * product.extension_term_share)


def extended_months(loan) -> int:
    """The months the loan's earlier extensions took it beyond its maturity."""
    payloads = LoanAction.objects.filter(
        loan_id=loan.pk, kind=ActionKind.EXTENSION, status=ActionStatus.APPLIED
    ).values_list("payload", flat=True)
    return sum(payload["months"] for payload in payloads)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _plan(loan, result, payload: Extension, day: date) -> tuple[dict, date, Decimal]:
    """The plan from the last due date before `day` (the grid goes on) to the new maturity."""
    rows = [row for row in result.rows if row.kind == SCHEDULED]
    passed = [row.period_end for row in rows if row.due_date <= day]
    start = max(passed) if passed else rows[0].period_start
    maturity = rows[-1].period_end
    plan = plan_of(loan.contract, term_months=_months_between(start, maturity) + payload.months)
    outstanding = sum((row.principal for row in rows if row.due_date > day), ZERO)
    if payload.include_overdue:
        outstanding += result.overdue_principal
    return plan, start, outstanding


def validate(loan, payload: Extension, *, business_date: date) -> None:
    result = restructuring.replayed(loan, business_date)
    if result.principal_outstanding <= 0:
        raise ValidationError(_("Nothing of the principal is left to extend."))
    if payload.months < 1:
        raise ValidationError({"months": _("Extend by one month or more.")})
    limit, used = limit_months(loan), extended_months(loan)
    if used + payload.months > limit:
        raise ValidationError(
            {
                "months": _(
                    "The product lets this loan go at most %(limit)s months beyond its maturity; "
                    "%(used)s are taken by earlier extensions."
                )
                % {"limit": limit, "used": used}
            }
        )
    plan, start, outstanding = _plan(loan, result, payload, business_date)
    check_schedule(
        plan,
        principal=max(outstanding, Decimal(1)),
        annual_rate=rate_in_force(loan),
        start=start,
        fields={"term_months": "months", "principal_frequency": "months", "interest_frequency": "months"},
    )


def apply(applying) -> str:
    loan, payload, day = applying.loan, applying.payload, applying.business_date
    model_loan = applying.action.loan
    result = restructuring.replayed(model_loan, day)
    plan, start, _outstanding = _plan(model_loan, result, payload, day)
    old = result.rows[-1].due_date
    restructuring.record_effect(
        applying.action,
        effect(
            plan=plan,
            annual_rate=rate_in_force(model_loan),
            start=start,
            take_overdue=payload.include_overdue,
            capitalised=ZERO,
        ),
    )
    overdue = restructuring.booked(loan.pk).overdue_principal
    if payload.include_overdue and overdue > 0:
        restructuring.overdue_back_in_term(applying, overdue)
    restructuring.settle_again(applying)
    restructuring.mark_restructured(loan.pk, day)
    new = restructuring.replayed(model_loan, day).rows[-1].due_date
    return _("Maturity moved from %(old)s to %(new)s.") % {"old": format_date(old), "new": format_date(new)}


KIND = Kind(
    kind=ActionKind.EXTENSION,
    payload=Extension,
    form="loans.action_forms.ExtensionForm",
    validate=validate,
    authority_amount=restructuring.principal_put_off,
    apply=apply,
    group_loans=False,  # `restructuring.replayed` refuses one
)

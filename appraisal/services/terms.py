"""Whether proposed lending terms fit the product, the request and the fund: one set of rules
for the appraiser's recommendation and the approver's decision."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from appraisal.proposal import LendingTerms, schedule_terms
from common.money import format_vnd
from fund.templatetags.money import percent
from loans.domain.schedule import ScheduleError
from loans.models import Loan

# The schedule engine's fields, named as the terms' fields.
_SCHEDULE_FIELDS = {"principal": "amount", "annual_rate": "annual_rate", "grace_months": "grace_months"}
RATE_PLACES = Decimal("0.000001")  # the loan's and the appraisal's rate columns keep six places


def terms_errors(loan: Loan, terms: LendingTerms, *, start: date) -> dict[str, list[str]]:
    """Every way the terms break the request or the product, by field (amount, term_months,
    annual_rate, grace_months); a schedule starting on `start` must be possible."""
    product = loan.product
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        if message not in errors.setdefault(field, []):  # both frequencies may say the same
            errors[field].append(message)

    if terms.amount is not None and terms.amount.is_finite() and terms.amount > loan.amount.amount:
        refuse(
            "amount",
            _("The amount cannot be more than the %(requested)s requested.")
            % {"requested": format_vnd(loan.amount.amount)},
        )
    for field, problem in (
        ("amount", product.amount_problem(terms.amount)),
        ("term_months", product.term_problem(terms.term_months)),
    ):
        if problem:
            refuse(field, problem)
    rate = terms.annual_rate
    if rate is None or not rate.is_finite() or rate < 0:
        refuse("annual_rate", _("Give the interest rate per year, 0 or more."))
    elif rate > product.annual_rate:
        refuse(
            "annual_rate",
            _("The rate cannot be above the product's %(rate)s a year.")
            % {"rate": percent(product.annual_rate)},
        )
    elif rate != rate.quantize(RATE_PLACES):
        refuse("annual_rate", _("Give the rate with at most four decimals of a per cent."))
    grace = terms.grace_months
    if grace is None or not 0 <= grace <= product.max_grace_months:
        refuse(
            "grace_months",
            _("%(product)s allows a principal grace of up to %(months)s months.")
            % {"product": product.name, "months": product.max_grace_months},
        )
    if not errors:
        try:
            schedule_terms(product, terms, start=start)
        except ScheduleError as exc:
            for field, message in exc.errors.items():
                refuse(_SCHEDULE_FIELDS.get(field, "term_months"), message)
    return errors


def collateral_error(loan: Loan, amount: Decimal) -> str | None:
    """Why the amount cannot be lent without collateral, when none is recorded."""
    threshold = loan.product.collateral_waiver_threshold.amount
    if amount > threshold and not loan.collateral.exists():
        return _("Above %(threshold)s the product needs collateral, and none is recorded.") % {
            "threshold": format_vnd(threshold)
        }
    return None

"""Whether proposed lending terms fit the product, the request and the fund: one set of rules
for the appraiser's recommendation and the approver's decision."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from appraisal.proposal import LendingTerms, schedule_terms
from common.money import format_vnd, is_whole_dong
from fund.selectors import current_fund
from fund.templatetags.money import percent
from loans.models import Loan
from loans.schedule import ScheduleError
from loans.selectors import borrower_exposure

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

    amount = terms.amount
    if amount is None or not amount.is_finite() or amount <= 0 or not is_whole_dong(amount):
        refuse("amount", _("The amount is a whole number of đồng above 0."))
    elif amount > loan.amount.amount:
        refuse(
            "amount",
            _("The amount cannot be more than the %(requested)s requested.")
            % {"requested": format_vnd(loan.amount.amount)},
        )
    elif not product.amount_min.amount <= amount <= product.amount_max.amount:
        refuse(
            "amount",
            _("%(product)s lends from %(low)s to %(high)s.")
            % {
                "product": product.name,
                "low": format_vnd(product.amount_min.amount),
                "high": format_vnd(product.amount_max.amount),
            },
        )
    if (
        terms.term_months is None
        or not product.term_min_months <= terms.term_months <= product.term_max_months
    ):
        refuse(
            "term_months",
            _("%(product)s lends for %(low)s to %(high)s months.")
            % {"product": product.name, "low": product.term_min_months, "high": product.term_max_months},
        )
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


def exposure_error(loan: Loan, amount: Decimal) -> str | None:
    """Why lending the amount would take the borrower above the fund's limit per borrower."""
    already = borrower_exposure(loan.borrower_id, exclude_loan_id=loan.pk)
    limit = current_fund().exposure_limit
    if already + amount > limit:
        return _(
            "Approving this would bring what %(borrower)s owes or has been promised to %(total)s, "
            "above its limit of %(limit)s."
        ) % {"borrower": loan.borrower, "total": format_vnd(already + amount), "limit": format_vnd(limit)}
    return None

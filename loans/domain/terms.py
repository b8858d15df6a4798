"""Whether lending terms may be lent on: the one check of amount, term, rate and grace.

The appraiser's recommendation, the approver's decision, the signed contract and the schedule
engine all ask it. With `Limits` (a product's ranges and the fund's highest rate, both data) it
says what breaks them; without, only what no loan can have (a principal that is not whole đồng
above 0, a negative rate, a term under a month, a grace as long as the term). Plain `Decimal`,
no database: the callers read the limits from the product and the fund.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from common.money import format_percent, format_vnd, is_whole_dong

RATE_PLACES = Decimal("0.000001")  # the rate columns of loans, contracts and appraisals keep six places


@dataclass(frozen=True)
class Limits:
    """What a product lends, and the highest rate. `product_rate`: the product's own rate, the
    most an appraisal or approval may set; None where only the fund's `rate_cap` applies (a
    contract may set its own rate within the cap)."""

    product: str  # its name, for the messages
    amount_min: Decimal
    amount_max: Decimal
    term_min_months: int
    term_max_months: int
    max_grace_months: int
    rate_cap: Decimal
    product_rate: Decimal | None = None

    @classmethod
    def of(cls, product, *, rate_cap: Decimal, product_rate: bool = True) -> "Limits":
        """The limits of a `fund.LoanProduct` under the fund's `max_annual_rate`."""
        return cls(
            product=product.name,
            amount_min=product.amount_min.amount,
            amount_max=product.amount_max.amount,
            term_min_months=product.term_min_months,
            term_max_months=product.term_max_months,
            max_grace_months=product.max_grace_months,
            rate_cap=rate_cap,
            product_rate=product.annual_rate if product_rate else None,
        )


def amount_problem(amount: Decimal | None, limits: Limits | None = None) -> str | None:
    """Why `amount` cannot be lent (None when it can)."""
    if amount is None or not amount.is_finite() or amount <= 0 or not is_whole_dong(amount):
        return _("The amount is a whole number of đồng above 0.")
    if limits and not limits.amount_min <= amount <= limits.amount_max:
        return _("%(product)s lends from %(low)s to %(high)s.") % {
            "product": limits.product,
            "low": format_vnd(limits.amount_min),
            "high": format_vnd(limits.amount_max),
        }
    return None


def term_problem(months: int | None, limits: Limits | None = None) -> str | None:
    """Why a loan cannot run for `months` (None when it can)."""
    if limits and (months is None or not limits.term_min_months <= months <= limits.term_max_months):
        return _("%(product)s lends for %(low)s to %(high)s months.") % {
            "product": limits.product,
            "low": limits.term_min_months,
            "high": limits.term_max_months,
        }
    if months is None or months <= 0:
        return _("The term must be at least one month.")
    return None


def rate_problem(rate: Decimal | None, limits: Limits | None = None) -> str | None:
    """Why a loan cannot charge `rate` a year (None when it can)."""
    if rate is None or not rate.is_finite() or rate < 0:
        return _("Give the interest rate per year, 0 or more.")
    if limits is None:
        return None
    if rate > limits.rate_cap:
        return _("The rate must be between 0 and %(max)s a year.") % {"max": format_percent(limits.rate_cap)}
    if limits.product_rate is not None and rate > limits.product_rate:
        return _("The rate cannot be above the product's %(rate)s a year.") % {
            "rate": format_percent(limits.product_rate)
        }
    if rate != rate.quantize(RATE_PLACES):
        return _("Give the rate with at most four decimals of a per cent.")
    return None


def grace_problem(months: int | None, term_months: int | None, limits: Limits | None = None) -> str | None:
    """Why no principal can wait `months` of grace (None when it can)."""
    if months is None or months < 0:
        return _("The grace period cannot be negative.")
    if limits and months > limits.max_grace_months:
        return _("%(product)s allows a principal grace of up to %(months)s months.") % {
            "product": limits.product,
            "months": limits.max_grace_months,
        }
    if term_months is not None and 0 < term_months <= months:
        return _("The grace period must be shorter than the term.")
    return None


def terms_errors(
    *,
    amount: Decimal | None,
    term_months: int | None,
    annual_rate: Decimal | None,
    grace_months: int | None,
    limits: Limits | None = None,
) -> dict[str, str]:
    """What is wrong with the terms, by field (amount, term_months, annual_rate, grace_months)."""
    problems = {
        "amount": amount_problem(amount, limits),
        "term_months": term_problem(term_months, limits),
        "annual_rate": rate_problem(annual_rate, limits),
        "grace_months": grace_problem(grace_months, term_months, limits),
    }
    return {field: problem for field, problem in problems.items() if problem}

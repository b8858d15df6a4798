"""Whether proposed lending terms fit the product, the request and the fund: one set of rules
for the appraiser's recommendation and the approver's decision."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from appraisal.proposal import LendingTerms, schedule_terms
from common.money import format_vnd
from fund.selectors import current_fund
from loans.domain.schedule import ScheduleError
from loans.domain.terms import Limits
from loans.domain.terms import terms_errors as lending_terms_errors
from loans.models import Loan

# The schedule engine's fields, named as the terms' fields.
_SCHEDULE_FIELDS = {"principal": "amount", "annual_rate": "annual_rate", "grace_months": "grace_months"}


def terms_errors(loan: Loan, terms: LendingTerms, *, start: date) -> dict[str, list[str]]:
    """Every way the terms break the request, the product or the fund's highest rate, by field
    (amount, term_months, annual_rate, grace_months); a schedule starting on `start` must be
    possible."""
    errors: dict[str, list[str]] = {}
    if terms.amount is not None and terms.amount.is_finite() and terms.amount > loan.amount.amount:
        errors["amount"] = [
            _("The amount cannot be more than the %(requested)s requested.")
            % {"requested": format_vnd(loan.amount.amount)}
        ]
    limits = Limits.of(loan.product, rate_cap=current_fund().max_annual_rate)
    problems = lending_terms_errors(
        amount=terms.amount,
        term_months=terms.term_months,
        annual_rate=terms.annual_rate,
        grace_months=terms.grace_months,
        limits=limits,
    )
    for field, message in problems.items():
        errors.setdefault(field, []).append(message)
    if not errors:
        try:
            schedule_terms(loan.product, terms, start=start)
        except ScheduleError as exc:
            for field, message in exc.errors.items():
                messages = errors.setdefault(_SCHEDULE_FIELDS.get(field, "term_months"), [])
                if message not in messages:  # both frequencies may say the same
                    messages.append(message)
    return errors


def collateral_error(loan: Loan, amount: Decimal) -> str | None:
    """Why the amount cannot be lent without collateral, when none is recorded."""
    threshold = loan.product.collateral_waiver_threshold.amount
    if amount > threshold and not loan.collateral.exists():
        return _("Above %(threshold)s the product needs collateral, and none is recorded.") % {
            "threshold": format_vnd(threshold)
        }
    return None

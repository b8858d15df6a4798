"""The loan an appraisal proposes or an approver grants: its terms and its repayment schedule.

The schedule is the schedule engine's, on the product's method, frequencies and day count.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fund.models import LoanProduct
from loans.domain.engine import LoanTerms
from loans.domain.schedule import ScheduleTerms
from loans.replaying import fund_calendar


@dataclass(frozen=True)
class LendingTerms:
    amount: Decimal | None
    term_months: int | None
    annual_rate: Decimal | None
    grace_months: int = 0


def schedule_terms(product: LoanProduct, terms: LendingTerms, *, start: date) -> ScheduleTerms:
    """Raises `loans.domain.schedule.ScheduleError` for terms no schedule can be built from."""
    loan_terms = LoanTerms.of_product(
        product,
        annual_rate=terms.annual_rate,
        term_months=terms.term_months,
        grace_months=terms.grace_months,
        calendar=fund_calendar(),
    )
    return loan_terms.schedule_terms(principal=terms.amount, start=start)

"""The loan an appraisal proposes or an approver grants: its terms and its repayment schedule.

The schedule is the schedule engine's, on the product's method, frequencies and day count.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fund.models import LoanProduct
from loans.domain.schedule import ScheduleTerms


@dataclass(frozen=True)
class LendingTerms:
    amount: Decimal | None
    term_months: int | None
    annual_rate: Decimal | None
    grace_months: int = 0


def schedule_terms(product: LoanProduct, terms: LendingTerms, *, start: date) -> ScheduleTerms:
    """Raises `loans.domain.schedule.ScheduleError` for terms no schedule can be built from."""
    return ScheduleTerms(
        principal=terms.amount,
        annual_rate=terms.annual_rate,
        start_date=start,
        term_months=terms.term_months,
        method=product.amortization,
        principal_frequency=product.principal_frequency,
        interest_frequency=product.interest_frequency,
        grace_months=terms.grace_months,
        basis=product.day_count,
    )

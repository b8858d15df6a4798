"""The arithmetic of an appraisal, with no database: ratios, debt-service coverage, the score.

Everything is `Decimal`. Ratios are shown, never posted, so they are rounded to four places
here for display and comparison; money is never rounded here (the schedule engine already
gave whole đồng). A ratio whose denominator is zero (or negative equity) has no meaning and is
None.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from common.money import ZERO
from loans.domain.schedule import Installment

RATIO_PLACES = Decimal("0.0001")


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ratios:
    debt_to_equity: Decimal | None  # total liabilities / equity
    current_ratio: Decimal | None  # current assets / current liabilities
    return_on_assets: Decimal | None  # profit / total assets, a fraction


def statement_ratios(
    *,
    profit: Decimal,
    total_assets: Decimal,
    current_assets: Decimal,
    total_liabilities: Decimal,
    current_liabilities: Decimal,
    equity: Decimal,
) -> Ratios:
    return Ratios(
        # With equity at or below zero the owners have nothing at stake: no ratio describes that.
        debt_to_equity=ratio(total_liabilities, equity) if equity > 0 else None,
        current_ratio=ratio(current_assets, current_liabilities),
        return_on_assets=ratio(profit, total_assets),
    )


# --- debt service -------------------------------------------------------------------------


def anniversary(start: date, years: int) -> date:
    """`start` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def loan_year(start: date, due: date) -> int:
    """The loan year (1, 2, ...) a due date falls in: year n runs from the (n-1)th anniversary
    of the start, exclusive, to the nth, inclusive, so an installment on an anniversary closes
    the year before it."""
    years = due.year - start.year
    return years if due <= anniversary(start, years) else years + 1


@dataclass(frozen=True)
class DebtService:
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def debt_service_by_year(schedule: Sequence[Installment], *, start: date) -> dict[int, DebtService]:
    """Principal and interest falling due in each loan year, for every year up to the last due."""
    if not schedule:
        return {}
    last = loan_year(start, schedule[-1].due_date)
    principal = dict.fromkeys(range(1, last + 1), ZERO)
    interest = dict.fromkeys(range(1, last + 1), ZERO)
    for row in schedule:
        year = loan_year(start, row.due_date)
        principal[year] += row.principal
        interest[year] += row.interest
    return {year: DebtService(principal[year], interest[year]) for year in principal}


@dataclass(frozen=True)
class CoverageYear:
    """One plan year against the loan year it funds. Missing figures are None."""

    year: int
    inflow: Decimal | None
    outflow: Decimal | None
    debt_service: DebtService | None

    @property
    def net(self) -> Decimal | None:
        if self.inflow is None or self.outflow is None:
            return None
        return self.inflow - self.outflow

    @property
    def coverage(self) -> Decimal | None:
        """Debt-service coverage: net cash flow / (principal + interest due that year)."""
        if self.net is None or self.debt_service is None:
            return None
        return ratio(self.net, self.debt_service.total)


def coverage_by_year(
    cash_flow: Iterable[tuple[int, Decimal, Decimal]], debt_service: dict[int, DebtService]
) -> list[CoverageYear]:
    """Each year with a plan figure or a repayment: (year, inflow, outflow) against the debt service."""
    flows = {year: (inflow, outflow) for year, inflow, outflow in cash_flow}
    years = sorted(set(flows) | set(debt_service))
    return [
        CoverageYear(year, *flows.get(year, (None, None)), debt_service=debt_service.get(year))
        for year in years
    ]


def lowest_coverage(years: Iterable[CoverageYear]) -> Decimal | None:
    """The weakest year's coverage among the years that have repayments and plan figures."""
    figures = [year.coverage for year in years if year.coverage is not None]
    return min(figures) if figures else None


# --- score --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rated:
    rating: int
    scale: int
    weight: Decimal

    @property
    def points(self) -> Decimal:
        """This criterion's part of the score before dividing by the total weight."""
        return self.weight * self.rating / self.scale


def weighted_score(ratings: Iterable[Rated]) -> Decimal | None:
    """Σ weight × rating / scale ÷ Σ weight: a fraction from 0 (all zero) to 1 (all top marks)."""
    ratings = list(ratings)
    total_weight = sum((r.weight for r in ratings), ZERO)
    if not ratings or total_weight == 0:
        return None
    return ratio(sum((r.points for r in ratings), ZERO), total_weight)

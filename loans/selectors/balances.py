"""Reading the stored balances rows (`loans.models.LoanBalance`): positions without a replay.

The row valid on a day D is the one with `valid_from <= D < valid_to` (valid_to NULL: current),
so every sub-loan's position on D is one indexed query (`balances_as_of`). Rows are written by
every money event up to the business date of that event; until close of day brings them forward
(it writes the rows for installments falling due), a current row is exact up to its next due
date (`LoanBalance.exact_on`), and the readers that must be exact on later days replay.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from common.money import ZERO
from loans.models import Loan, LoanBalance


def balances_as_of(day: date, *, loans=None) -> QuerySet[LoanBalance]:
    """Each sub-loan's row valid on `day` (of `loans` only, if given: loans or their ids)."""
    rows = LoanBalance.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day)
    return rows if loans is None else rows.filter(loan__in=loans)


@dataclass(frozen=True)
class StoredPosition:
    """A loan's stored figures on `as_of`, summed over its sub-loans (the loan page's header)."""

    as_of: date
    rows: list[LoanBalance]

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(row, name).amount for row in self.rows), ZERO)

    @property
    def principal_outstanding(self) -> Decimal:
        return self._sum("principal_in_term") + self._sum("principal_overdue")

    @property
    def overdue_principal(self) -> Decimal:
        return self._sum("principal_overdue")

    @property
    def overdue_interest(self) -> Decimal:
        return self._sum("interest_overdue")

    @property
    def days_past_due(self) -> int:
        return max((row.days_past_due(self.as_of) for row in self.rows), default=0)

    @property
    def next_due_date(self) -> date | None:
        return min((row.next_due_date for row in self.rows if row.next_due_date), default=None)

    @property
    def next_due_amount(self) -> Decimal:
        day = self.next_due_date
        return sum((row.next_due_amount.amount for row in self.rows if row.next_due_date == day), ZERO)


def stored_position(loan: Loan, *, as_of: date, sub_loans: int) -> StoredPosition | None:
    """The loan's stored position on `as_of`, if its rows are exact on that day (one query);
    None if a due date has overtaken them since the loan's last event (no close of day yet), or
    if any of its `sub_loans` disbursed sub-loans has no row (a group loan serviced before the
    rows existed has rows only for the households that repaid since)."""
    rows = list(balances_as_of(as_of, loans=[loan.pk]))
    if len(rows) != sub_loans or not rows or not all(row.exact_on(as_of) for row in rows):
        return None
    return StoredPosition(as_of, rows)

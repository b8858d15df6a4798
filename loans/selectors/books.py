"""A loan on the fund's books: its debt group and history, what is posted of its interest, its
provisions — what close of day keeps (`loans.services.closing`), beside what it owes."""

from dataclasses import dataclass
from decimal import Decimal

from fund.accounting import Booked
from loans import queries
from loans.models import DebtGroupChange, Loan
from loans.selectors.position import LoanPosition


@dataclass(frozen=True)
class LoanBooks:
    debt_group: int
    accrual_suspended: bool
    booked: Booked  # what its sub-ledger holds on each control account
    interest_owed: Decimal  # interest, late interest and interest on unpaid interest not paid
    group_changes: list[DebtGroupChange]

    @property
    def interest_posted(self) -> Decimal:
        """Of what is owed, what is on the books: receivable (income) or suspended (memo)."""
        booked = self.booked
        return (
            booked.interest_receivable
            + booked.late_interest_receivable
            + booked.suspended_interest
            + booked.suspended_late
        )

    @property
    def interest_not_posted(self) -> Decimal:
        """Accrued since the last posting (month end, or the day before when posted daily)."""
        return self.interest_owed - self.interest_posted

    @property
    def suspended(self) -> Decimal:
        return self.booked.suspended_interest + self.booked.suspended_late


def loan_books(loan: Loan, position: LoanPosition) -> LoanBooks:
    return LoanBooks(
        debt_group=loan.debt_group,
        accrual_suspended=loan.accrual_suspended,
        booked=queries.booked([loan.pk]).get(loan.pk, Booked()),
        interest_owed=position.accrued_interest + position.interest_due + position.late_charges,
        group_changes=list(DebtGroupChange.objects.filter(loan=loan).order_by("-changed_on", "-pk")),
    )

"""The loan's sub-ledger as a statement (sao kê), with the balance after each line."""

from dataclasses import dataclass
from decimal import Decimal

from common.money import ZERO
from loans.models import LoanTransaction
from loans.models.loan import Loan
from loans.models.money import MONEY_KINDS


@dataclass(frozen=True)
class StatementLine:
    """One line of the sub-ledger with the principal outstanding after it (sao kê)."""

    transaction: LoanTransaction
    balance: Decimal

    @property
    def disbursed(self) -> Decimal:
        tx = self.transaction
        return tx.principal.amount if tx.kind == LoanTransaction.Kind.DISBURSEMENT else ZERO

    @property
    def principal_repaid(self) -> Decimal:
        tx = self.transaction
        return ZERO if tx.kind == LoanTransaction.Kind.DISBURSEMENT else -tx.principal.amount


# What the borrower paid and received; close of day's postings are the fund's book-keeping
# (`loans.selectors.books`), not lines of the borrower's statement.


def statement(loan: Loan) -> list[StatementLine]:
    """The loan's sub-ledger of money events in value-date order, each line with the balance it
    leaves (one query)."""
    transactions = (
        LoanTransaction.objects.filter(loan=loan, kind__in=MONEY_KINDS)
        .select_related("journal_entry", "share__member", "repayment", "disbursement")
        .order_by("value_date", "pk")
    )
    lines, balance = [], ZERO
    for tx in transactions:
        balance += tx.principal.amount
        lines.append(StatementLine(tx, balance))
    return lines

"""What a loan owes on a date: each sub-loan replayed, summed over the households of a group."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from common.money import ZERO
from loans.domain.engine import Change, Result
from loans.models import LoanMemberShare
from loans.models.loan import Loan, LoanStatus
from loans.replaying import changes_of, parts_of, replay_part


@dataclass(frozen=True)
class SubLoan:
    """One sub-loan replayed on a date: the loan itself, or a household's share of a group loan."""

    share: LoanMemberShare | None
    result: Result

    @property
    def household(self):
        return self.share.member if self.share is not None else None


def _summed(name: str) -> property:
    """A figure of the loan: the engine's `name`, summed over the sub-loans."""
    return property(lambda position: sum((getattr(part.result, name) for part in position.parts), ZERO))


@dataclass(frozen=True)
class LoanPosition:
    """What a loan owes on `as_of`, summed over its sub-loans (one, or one per household)."""

    as_of: date
    parts: list[SubLoan]
    written_off_on: date | None = None  # off the balance sheet from then: what it owed is written off

    disbursed = _summed("disbursed")
    principal_outstanding = _summed("principal_outstanding")
    due_today = _summed("due_today")
    overdue_principal = _summed("overdue_principal")
    overdue_interest = _summed("overdue_interest")
    late_interest = _summed("late_interest_owed")
    penalty = _summed("penalty_owed")
    accrued_interest = _summed("accrued_interest")
    payoff = _summed("payoff")

    @property
    def late_charges(self) -> Decimal:
        return self.late_interest + self.penalty

    @property
    def overdue(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.late_charges

    @property
    def interest_due(self) -> Decimal:
        """Interest fallen due by `as_of` and not paid (overdue, or due that day)."""
        return sum(
            (
                row.interest_unpaid
                for part in self.parts
                for row in part.result.rows
                if row.due_date <= self.as_of
            ),
            ZERO,
        )

    @property
    def to_pay_now(self) -> Decimal:
        """What brings the loan up to date today: everything overdue and everything due today."""
        return self.overdue + self.due_today

    @property
    def days_past_due(self) -> int:
        return max((part.result.days_past_due for part in self.parts), default=0)

    @property
    def next_due_date(self) -> date | None:
        dates = [part.result.next_due.due_date for part in self.parts if part.result.next_due]
        return min(dates, default=None)

    @property
    def next_due_amount(self) -> Decimal:
        """What falls due on the next due date (every household's part of it, for a group)."""
        day = self.next_due_date
        rows = (row for part in self.parts for row in part.result.rows if row.due_date == day)
        return sum((row.principal_unpaid + row.interest_unpaid for row in rows), ZERO)

    @property
    def started(self) -> bool:
        return self.disbursed > 0

    @property
    def households(self) -> list[tuple[object, "LoanPosition"]]:
        """Each sub-loan's own position, with its household (None for a loan that is not a group's)."""
        return [
            (part.household, LoanPosition(self.as_of, [part], self.written_off_on)) for part in self.parts
        ]


def loan_position(loan: Loan, *, as_of: date, changes: list[Change] | None = None) -> LoanPosition:
    """The loan on `as_of`: each sub-loan replayed from its contract, tranches and repayments.
    `changes`: its applied restructurings and waivers, when the caller has read them.

    A few queries per sub-loan, however long the loan's history (no query per repayment).
    """
    if getattr(loan, "contract", None) is None:
        return LoanPosition(as_of, [])
    if changes is None:
        changes = changes_of([loan.pk]).get(loan.pk, [])
    written_off = loan.write_off_record.written_off_on if loan.status == LoanStatus.WRITTEN_OFF else None
    return LoanPosition(
        as_of,
        [SubLoan(share, replay_part(loan, share, as_of=as_of, changes=changes)) for share in parts_of(loan)],
        written_off if written_off is not None and written_off <= as_of else None,
    )

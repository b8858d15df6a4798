"""A loan at the end of a business date: its replay to the next morning, and its stored rows.

The close of day D brings each loan it looks at to the morning of D + 1: what fell due on D
and is unpaid is overdue then, interest has accrued through D, and late interest too. The same
replay writes the loan's stored balances rows up to D + 1 (`servicing.balances`), so the rows
hold each day the fund closed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from common.money import ZERO
from loans import queries
from loans.domain.engine import replay
from loans.queries import ServicedLoan
from loans.replaying import loan_terms, parts_of
from loans.services.servicing import balances

ONE_DAY = timedelta(days=1)


@dataclass
class DayEnd:
    """What a loan owes at the end of a day, over all its sub-loans."""

    principal: Decimal = ZERO  # in term
    overdue_principal: Decimal = ZERO  # unpaid past its due date and the product's days of grace
    interest: Decimal = ZERO  # interest accrued, due and overdue, not paid
    late_interest: Decimal = ZERO  # late interest and interest on unpaid interest, not paid
    oldest_unpaid_due_date: date | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.principal + self.overdue_principal


def day_end(loan: ServicedLoan, day: date, *, grace_days: int, rebuild: bool = False) -> DayEnd | None:
    """The loan at the end of `day`, its stored rows written up to the next day; None when
    nothing is disbursed to it. `rebuild`: its rows written again from its first tranche (the
    calendar changed: the next due date they hold may have moved). Call with the loan locked."""
    following = day + ONE_DAY
    overdue_by = day - timedelta(days=grace_days)
    terms = loan_terms(loan.contract)
    end, disbursed = DayEnd(), False
    for share in parts_of(loan):
        share_id = share.pk if share else None
        tranches, payments, current = queries.events_and_balance(loan.pk, share_id)
        rewrite = balances.rewrite_from(
            loan.pk, share_id, tranches, current, since=None if rebuild else following
        )
        if rewrite is None:
            continue
        disbursed = True
        result = replay(
            terms, tranches=tranches, payments=payments, as_of=following, balances_from=rewrite.day
        )
        balances.store_balances(rewrite, result)
        balance = result.balance
        overdue = sum((row.principal_unpaid for row in result.rows if row.due_date <= overdue_by), ZERO)
        end.overdue_principal += overdue
        end.principal += balance.principal_in_term + balance.principal_overdue - overdue
        end.interest += balance.interest_accrued + balance.interest_due + balance.interest_overdue
        end.late_interest += balance.late_interest + balance.penalty
        oldest = balance.oldest_unpaid_due_date
        if oldest is not None and (end.oldest_unpaid_due_date is None or oldest < end.oldest_unpaid_due_date):
            end.oldest_unpaid_due_date = oldest
    return end if disbursed else None

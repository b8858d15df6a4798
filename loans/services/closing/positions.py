"""A loan at the end of a business date, from its stored rows or from a replay.

The close of day D brings each loan it looks at to the morning of D + 1: what fell due on D
and is unpaid is overdue then, interest has accrued through D, and late interest too.

Most loans have no change point by then (no installment falls due on D + 1 or fell due on D):
their current rows say it all, the accruing figures from the rows they keep, for every such loan
in one SQL statement (`projected`, `loans.accrual_sql`: no replay, no write, no loop over them).
The others are replayed, and the same replay writes their stored balances rows up to D + 1
(`replayed`, `servicing.balances`), so the rows hold each day the fund closed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from common.money import ZERO
from loans import accrual_sql, queries
from loans.domain.engine import LoanEventError
from loans.queries import ServicedLoan
from loans.replaying import changes_of
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

    def add(self, *, principal, overdue, interest, late_interest, oldest: date | None) -> None:
        """A sub-loan's figures (principal: in term and overdue, of which `overdue` is past grace)."""
        self.overdue_principal += overdue
        self.principal += principal - overdue
        self.interest += interest
        self.late_interest += late_interest
        if oldest is not None:
            self.oldest_unpaid_due_date = min(oldest, self.oldest_unpaid_due_date or oldest)


def projected(loan_ids: list[int], day: date) -> dict[int, DayEnd]:
    """The loans at the end of `day` from their current rows alone, in one statement for them
    all (`loans.accrual_sql`); a loan it cannot say (no rows, rows written before they kept their
    accruing rows, or a change point by the next morning) is not among them: it is replayed."""
    return {
        pk: DayEnd(
            principal=end.principal - end.overdue,
            overdue_principal=end.overdue,
            interest=end.interest,
            late_interest=end.late_interest,
            oldest_unpaid_due_date=end.oldest_unpaid_due_date,
        )
        for pk, end in accrual_sql.projected(loan_ids, day).items()
    }


def replayed(
    loans: list[ServicedLoan], day: date, *, grace_days: dict[int, int], rebuild: bool = False
) -> tuple[dict[int, DayEnd], dict[int, str]]:
    """The loans at the end of `day` by a replay, their stored rows written up to the next day
    (`rebuild`: again from their first tranche, the calendar having changed: the next due date
    they hold may have moved). The events of the loans that are not a group's are read at once,
    and every loan's rows written at once. Returns the loans with something disbursed, and the
    loans whose events cannot be replayed, with why. Call with the loans locked."""
    plain = {} if rebuild else queries.events_of_loans([loan.pk for loan in loans if not loan.is_group_loan])
    changes = changes_of([loan.pk for loan in loans])
    ends, failures, rewrites = {}, {}, []
    for loan in loans:
        events = plain.get(loan.pk, ([], [], None)) if not (rebuild or loan.is_group_loan) else None
        try:
            end = _replayed(
                loan, day, grace_days[loan.pk], rebuild, events, rewrites, changes.get(loan.pk, [])
            )
        except LoanEventError as error:
            failures[loan.pk] = str(error)
            continue
        if end is not None:
            ends[loan.pk] = end
    balances.store_many(rewrites)
    return ends, failures


def _replayed(
    loan: ServicedLoan, day: date, grace_days: int, rebuild: bool, events, rewrites, changes
) -> DayEnd | None:
    """One loan's `replayed`: `events` its own when read already (else each sub-loan's are read),
    `changes` its approved restructurings and waivers; the rows to write added to `rewrites`."""
    following = day + ONE_DAY
    overdue_by = day - timedelta(days=grace_days)
    end, disbursed = DayEnd(), False
    for rewrite, result in balances.replays(
        loan, as_of=following, since=None if rebuild else following, changes=changes, events=events
    ):
        disbursed = True
        rewrites.append((rewrite, result))
        balance = result.balance
        end.add(
            principal=balance.principal_in_term + balance.principal_overdue,
            overdue=sum((row.principal_unpaid for row in result.rows if row.due_date <= overdue_by), ZERO),
            interest=balance.interest_accrued + balance.interest_due + balance.interest_overdue,
            late_interest=balance.late_interest + balance.penalty,
            oldest=balance.oldest_unpaid_due_date,
        )
    return end if disbursed else None

"""A loan at the end of a business date, from its stored rows or from a replay.

The close of day D brings each loan it looks at to the morning of D + 1: what fell due on D
and is unpaid is overdue then, interest has accrued through D, and late interest too.

Most loans have no change point by then (no installment falls due on D + 1 or fell due on D):
their current rows say it all, the accruing figures from the rows they keep, for every such loan
in one SQL statement (`projected`, `loans.accrual_sql`: no replay, no write, no loop over them).
A loan whose only change point is that one, with no event since its current row, is brought
there from that row and its schedule in force (`forwarded`: no event read, no replay). The
others are replayed (`replayed`). Both write the stored balances rows up to D + 1
(`servicing.balances`), so the rows hold each day the fund closed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from common.db import Among
from common.money import ZERO, amount_of
from loans import accrual_sql, queries
from loans.domain.engine import Accruing, LoanEventError, Result, Row, brought_forward
from loans.models import LoanBalance, LoanTransaction, ScheduleRow, ScheduleVersion
from loans.models.money import MONEY_KINDS
from loans.queries import ServicedLoan
from loans.replaying import changes_of, loan_terms
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


def forwarded(loans: list[ServicedLoan], day: date, *, grace_days: dict[int, int]) -> dict[int, DayEnd]:
    """Of the loans (none with a change point short of the next morning: `projected` said so),
    those brought to the end of `day` from their current row and schedule in force
    (`engine.brought_forward`), their row of the next day written: a loan that is not a group's,
    with no restructuring or waiver, no event dated after its current row started, and its next
    change point the next morning. The others are replayed. Call with the loans locked."""
    following = day + ONE_DAY
    plain = [loan.pk for loan in loans if not loan.is_group_loan]
    changed = changes_of(plain)
    rows = LoanBalance.objects.filter(Among("loan_id", [pk for pk in plain if not changed.get(pk)]))
    current = {
        row.loan_id: row for row in rows.filter(share__isnull=True, valid_to__isnull=True) if row.accruing
    }
    if not current:
        return {}
    events = LoanTransaction.objects.filter(
        Among("loan_id", list(current)),
        kind__in=MONEY_KINDS,
        value_date__gt=min(row.valid_from for row in current.values()),
    )
    for loan_id, value_date in events.values_list("loan_id", "value_date"):
        if loan_id in current and value_date > current[loan_id].valid_from:
            del current[loan_id]
    taken = {pk: Accruing.decode(row.accruing) for pk, row in current.items()}
    taken = {pk: accruing for pk, accruing in taken.items() if accruing.until == following}
    # The rows before the first one accruing and due by the current row's start were paid in
    # full: left out, as `brought_forward` allows. Most of a schedule on a loan in its later
    # years, they cost more to read and copy than all the rest.
    schedules = _schedules(
        {
            pk: min([current[pk].valid_from + ONE_DAY, *(row.due_date for row in accruing.rows)])
            for pk, accruing in taken.items()
        }
    )
    by_pk = {loan.pk: loan for loan in loans}
    ends, rewrites = {}, []
    for pk, accruing in taken.items():
        row = current[pk]
        result = brought_forward(
            loan_terms(by_pk[pk].contract), accruing, schedules.get(pk, []), row.valid_from
        )
        if result is None:
            continue
        rewrites.append((balances.Rewrite(pk, None, following, balances.stored(row), drop=False), result))
        ends[pk] = DayEnd()
        _add(ends[pk], result, day - timedelta(days=grace_days[pk]))
    balances.store_many(rewrites)
    return ends


def _schedules(cuts: dict[int, date]) -> dict[int, list[Row]]:
    """Each loan's latest schedule version's rows (not a group's loans), in order, from the first
    due on or after the loan's cut."""
    latest = {}
    versions = ScheduleVersion.objects.filter(Among("loan_id", list(cuts)), share__isnull=True)
    for loan_id, pk, number in versions.values_list("loan_id", "pk", "number"):
        if number > latest.get(loan_id, (0, 0))[0]:
            latest[loan_id] = (number, pk)
    owner = {pk: loan_id for loan_id, (_number, pk) in latest.items()}
    fields = ("kind", "number", "due_date", "period_start", "interest_from")
    rows = ScheduleRow.objects.filter(Among("version_id", list(owner))).order_by("version_id", "position")
    answer: dict[int, list[Row]] = {}
    for version_id, *values in rows.values_list("version_id", *fields, *_AMOUNTS):
        loan_id = owner[version_id]
        kept = answer.setdefault(loan_id, [])
        if not kept and values[2] < cuts[loan_id]:
            continue
        *dates, principal, interest, opening = values
        amounts = (amount_of(principal), amount_of(interest), amount_of(opening))
        # The period end is not stored: `brought_forward` sets it.
        kept.append(Row(*dates, *amounts, period_end=dates[2]))
    return answer


_AMOUNTS = ("principal", "interest", "opening_principal")


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
        _add(end, result, overdue_by)
    return end if disbursed else None


def _add(end: DayEnd, result: Result, overdue_by: date) -> None:
    """A sub-loan's replay (or its row brought forward) added to the loan's end of day."""
    balance = result.balance
    end.add(
        principal=balance.principal_in_term + balance.principal_overdue,
        overdue=sum((row.principal_unpaid for row in result.rows if row.due_date <= overdue_by), ZERO),
        interest=balance.interest_accrued + balance.interest_due + balance.interest_overdue,
        late_interest=balance.late_interest + balance.penalty,
        oldest=balance.oldest_unpaid_due_date,
    )

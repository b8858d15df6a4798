"""A loan's schedule as a table: each row with what is paid and left; a group's rows summed."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from common.money import ZERO
from loans.domain.engine import PREPAYMENT, Result, Row
from loans.domain.schedule import Installment, combine
from loans.selectors.position import LoanPosition

PAID, PARTLY_PAID, OVERDUE, DUE_TODAY, UPCOMING = "paid", "partly_paid", "overdue", "due_today", "upcoming"
WRITTEN_OFF = "written_off"


class _RowAmounts:
    """What a schedule table shows of its line's `row` in every case."""

    @property
    def principal(self) -> Decimal:
        return self.row.principal

    @property
    def interest(self) -> Decimal:
        return self.row.interest

    @property
    def total(self) -> Decimal:
        return self.row.principal + self.row.interest


@dataclass(frozen=True)
class ScheduleLine(_RowAmounts):
    """One row of the schedule in force and what has been paid of it on `as_of`."""

    row: Row
    state: str

    @property
    def paid(self) -> Decimal:
        return self.row.principal_paid + self.row.interest_paid

    @property
    def late_charges(self) -> Decimal:
        """Late interest and interest on unpaid interest still owed on this row."""
        return self.row.late_owed + self.row.penalty_owed

    @property
    def left(self) -> Decimal:
        return self.row.owed

    @property
    def is_prepayment(self) -> bool:
        return self.row.kind == PREPAYMENT


@dataclass(frozen=True)
class GroupLine(_RowAmounts):
    """A due date of a household group's schedule: the households' rows summed (`row`), and what
    they have paid of them and still owe, from their own lines on that date (`members`)."""

    row: Installment
    members: "Schedule"

    @property
    def paid(self) -> Decimal:
        return self.members.paid

    @property
    def late_charges(self) -> Decimal:
        return self.members.late_charges

    @property
    def left(self) -> Decimal:
        return self.members.left


@dataclass(frozen=True)
class Schedule:
    """A schedule's lines (`ScheduleLine` or `GroupLine`) and the totals of a table's footer."""

    lines: list

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines), ZERO)

    @property
    def principal(self) -> Decimal:
        return self._sum("principal")

    @property
    def interest(self) -> Decimal:
        return self._sum("interest")

    @property
    def total(self) -> Decimal:
        return self._sum("total")

    @property
    def paid(self) -> Decimal:
        return self._sum("paid")

    @property
    def late_charges(self) -> Decimal:
        return self._sum("late_charges")

    @property
    def left(self) -> Decimal:
        return self._sum("left")


def _state(row: Row, as_of: date, written_off: bool) -> str:
    if row.owed == 0:
        return PAID
    if written_off:  # what it owed went off the balance sheet, to be recovered
        return WRITTEN_OFF
    if row.due_date < as_of:
        return OVERDUE
    if row.due_date == as_of:
        return DUE_TODAY
    return PARTLY_PAID if row.principal_paid or row.interest_paid else UPCOMING


def schedule_of(result: Result, *, written_off_on: date | None = None) -> Schedule:
    """A sub-loan's schedule in force on the replay's date, each row with what is paid and left
    (`written_off_on`: the loan's write-off, by that date)."""
    written_off = written_off_on is not None
    return Schedule([ScheduleLine(row, _state(row, result.as_of, written_off)) for row in result.rows])


def group_schedule(position: LoanPosition) -> Schedule:
    """A household group's schedule in force: its households' schedules summed by due date
    (`combine`), each date with what the households have paid of it and still owe on it."""
    on_date: dict[date, list[ScheduleLine]] = {}
    for part in position.parts:
        for line in schedule_of(part.result, written_off_on=position.written_off_on).lines:
            on_date.setdefault(line.row.due_date, []).append(line)
    combined = combine(
        [[row.as_installment() for row in part.result.rows] for part in position.parts],
        lent=[
            [(tranche.value_date, tranche.amount) for tranche in part.result.tranches]
            for part in position.parts
        ],
    )
    return Schedule([GroupLine(row, Schedule(on_date[row.due_date])) for row in combined])

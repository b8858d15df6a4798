"""A loan's life replayed: tranches and repayments in value-date order over its schedule.

Everything the loan owes on a date follows from its contract terms and its money events, so
the engine keeps no state of its own: `replay(terms, tranches, payments, as_of=...)` gives the
schedule versions the events produced, how each repayment was allocated, and what is owed on
`as_of`. Services store those results; reversing a repayment is replaying without it. Like
`loans.domain.schedule`, this is plain `Decimal` and `date`, with no database.

Asked for (`balances_from`), the same pass also gives the sub-loan's `Balance` on every date
its position may change from that day on — each event's date, each due date and the day after
it — which is what the stored balances rows hold (`loans.services.servicing.balances`).

The rules (DESIGN.md, the product's data):
- Interest is the schedule's: each row collects interest on the in-term balance. Principal left
  unpaid after its due date stops earning in-term interest and earns late interest instead, at
  the rate × the overdue multiplier (150 %); interest left unpaid earns interest at the product's
  rate on unpaid interest (at most 10 %/year), here called the penalty. Both count days from the
  due date to the payment and are rounded once, cumulatively: what is owed is the rounded total
  accrued less what was paid.
- A repayment pays, in the product's order, late interest (with the penalty), overdue interest,
  overdue principal, interest due that day and principal due that day — oldest rows first within
  each part. What is left prepays: first the interest accrued so far in the current period, then
  future principal, and the schedule is rebuilt from that day, shortening the term or lowering
  the installments as the officer chose. A repayment above the whole debt is refused.
- A tranche after the first adds to the in-term balance and spreads it over the rows to come.
"""

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import ZERO, format_vnd, round_vnd
from loans.domain.calendar import WorkingCalendar
from loans.domain.classification import days_past_due
from loans.domain.daycount import BASES
from loans.domain.schedule import (
    LOWER_INSTALLMENTS,
    PREPAYMENT_MODES,
    Dates,
    Installment,
    Plan,
    ScheduleError,
    ScheduleTerms,
    build_schedule,
    rebuild_future,
    schedule_dates,
)

# The parts of a repayment, in the order a product may arrange them (fund.models.Portion).
LATE_INTEREST = "late_interest"
OVERDUE_INTEREST = "overdue_interest"
OVERDUE_PRINCIPAL = "overdue_principal"
DUE_INTEREST = "due_interest"
DUE_PRINCIPAL = "due_principal"
SLOTS = (LATE_INTEREST, OVERDUE_INTEREST, OVERDUE_PRINCIPAL, DUE_INTEREST, DUE_PRINCIPAL)

SCHEDULED = "scheduled"  # a row of the schedule
PREPAYMENT = "prepayment"  # a row a prepayment added on its own date, paid by it

# Why a schedule version was made.
FIRST_DISBURSEMENT = "disbursement"
TRANCHE = "tranche"
PREPAID = "prepayment"
MIGRATION = "migration"  # a loan brought in mid-life at a cut-over date (`Opening`)


class LoanEventError(ValueError):
    """An event the loan cannot take (a repayment before any disbursement, above the debt...)."""

    def __init__(self, message: str, *, key: str = "", payoff: Decimal | None = None):
        super().__init__(message)
        self.key = key
        self.payoff = payoff


@dataclass(frozen=True)
class LoanTerms(Plan):
    """The contract's terms, everything but the principal and the start (those come from
    tranches): the rate, how it is repaid (`Plan`), and what is owed when late, in what order."""

    annual_rate: Decimal
    overdue_multiplier: Decimal = Decimal("1.5")
    unpaid_interest_rate: Decimal = Decimal("0.10")
    allocation_order: tuple[str, ...] = SLOTS

    def __post_init__(self):
        if sorted(self.allocation_order) != sorted(SLOTS):
            raise ValueError(f"the allocation order must arrange exactly {', '.join(SLOTS)}")

    @classmethod
    def of_product(
        cls,
        product,
        *,
        annual_rate: Decimal,
        term_months: int,
        grace_months: int = 0,
        first_due_date: date | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> "LoanTerms":
        """Terms on a `fund.LoanProduct`'s method, frequencies, day count and overdue rules (or
        a contract's: it keeps its product's as signed, by the same names)."""
        return cls(
            annual_rate=annual_rate,
            term_months=term_months,
            method=product.amortization,
            principal_frequency=product.principal_frequency,
            interest_frequency=product.interest_frequency,
            grace_months=grace_months,
            first_due_date=first_due_date,
            basis=product.day_count,
            overdue_multiplier=product.overdue_multiplier,
            unpaid_interest_rate=product.unpaid_interest_rate,
            allocation_order=tuple(product.allocation_order),
            calendar=calendar,
            interest_to_moved_date=product.interest_to_moved_date,
        )

    def schedule_terms(self, *, principal: Decimal, start: date) -> ScheduleTerms:
        plan = {f.name: getattr(self, f.name) for f in fields(Plan)}
        return ScheduleTerms(principal=principal, annual_rate=self.annual_rate, start_date=start, **plan)


@dataclass(frozen=True)
class Opening:
    """Where a loan brought in mid-life stands at the end of the cut-over date, as the books it
    comes from say: lent `lent` from `start` (the contract's schedule is rebuilt from them for
    what is left in term), and what it owes overdue, all of it on one row due on the oldest
    unpaid due date `oldest_unpaid` (principal, interest, late interest and interest on unpaid
    interest owed), and the in-term interest accrued and not yet due (`accrued`).
    """

    start: date
    lent: Decimal
    accrued: Decimal = ZERO
    oldest_unpaid: date | None = None
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    late_interest: Decimal = ZERO
    penalty: Decimal = ZERO

    def encode(self) -> str:
        return json.dumps({name: _plain(value) for name, value in vars(self).items()}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> "Opening":
        values = json.loads(text)
        return cls(
            **{
                name: None
                if value is None
                else date.fromisoformat(value)
                if name in cls._DATES
                else Decimal(value)
                for name, value in values.items()
            }
        )

    _DATES = ("start", "oldest_unpaid")


@dataclass(frozen=True)
class Tranche:
    """Money lent on `value_date`; or, with `opening`, the principal a loan brought in mid-life
    owes at the cut-over date (`amount`, in term and overdue), where its replay starts."""

    key: str
    value_date: date
    amount: Decimal
    opening: Opening | None = None


@dataclass(frozen=True)
class Payment:
    key: str
    value_date: date
    amount: Decimal
    mode: str = LOWER_INSTALLMENTS  # what a prepayment in it changes


@dataclass(frozen=True)
class Restructure:
    """A new schedule from `value_date` (an extension or a rescheduling, approved): the rows due
    after it are laid out again on `plan` at `annual_rate`, from `start` (the day its grid starts
    from: the restructuring's date, or the last due date before it for an extension that keeps
    the grid), interest from `value_date` on. `take_overdue`: the overdue principal, and the
    overdue interest `capitalised` (only what is on the balance sheet), go into the new
    schedule's principal; otherwise what is overdue stays as it is."""

    key: str
    value_date: date
    plan: Plan
    annual_rate: Decimal
    start: date
    reason: str
    take_overdue: bool = False
    capitalised: Decimal = ZERO


@dataclass(frozen=True)
class Waiver:
    """Interest forgiven on `value_date` (approved): `interest` of what fell due (oldest first),
    `accrued` of the current period's, `late_interest` of late interest and interest on unpaid
    interest (oldest first). Never more than is owed then."""

    key: str
    value_date: date
    interest: Decimal = ZERO
    accrued: Decimal = ZERO
    late_interest: Decimal = ZERO


Change = Restructure | Waiver


@dataclass
class Row:
    """A row in force and what has been paid of it (late interest and penalty accrue per row).

    Its interest period ends on `period_end`: its due date, or the date the due date was moved
    from when interest does not run to the moved date (`Installment`).
    """

    kind: str
    number: int | None
    due_date: date
    period_start: date
    interest_from: date
    principal: Decimal
    interest: Decimal
    opening_principal: Decimal
    # Unrounded interest accrued before `interest_from` that this row collects (after a rebuild).
    carry: Decimal = ZERO
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    late_accrued: Decimal = ZERO
    late_paid: Decimal = ZERO
    penalty_accrued: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    accrued_to: date | None = None
    period_end: date = field(kw_only=True)

    @property
    def collects_interest(self) -> bool:
        return self.interest_from < self.due_date or self.carry != ZERO

    def copy(self) -> "Row":
        """A copy to accrue on: replays and close of day copy rows by the hundred thousand, and
        `copy.copy` takes several times as long."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    @property
    def principal_unpaid(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.interest - self.interest_paid

    @property
    def late_owed(self) -> Decimal:
        return round_vnd(self.late_accrued) - self.late_paid

    @property
    def penalty_owed(self) -> Decimal:
        return round_vnd(self.penalty_accrued) - self.penalty_paid

    @property
    def owed(self) -> Decimal:
        return self.principal_unpaid + self.interest_unpaid + self.late_owed + self.penalty_owed

    def as_installment(self) -> Installment:
        return Installment(
            self.number or 0,
            self.due_date,
            self.period_start,
            self.interest_from,
            self.principal,
            self.interest,
            self.opening_principal,
            self.opening_principal - self.principal,
            self.period_end,
        )


@dataclass(frozen=True)
class Version:
    """A change of schedule: from `effective_date`, made by the event keyed `cause`."""

    effective_date: date
    reason: str
    cause: str  # the key of the tranche or payment


@dataclass(frozen=True)
class Part:
    """One piece of an allocation: `amount` of `slot` paid on the row due on `due_date`."""

    slot: str
    due_date: date
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """How one repayment was spent, in the sub-ledger's four portions and piece by piece."""

    key: str
    value_date: date
    principal: Decimal
    interest: Decimal
    late_interest: Decimal
    penalty: Decimal
    parts: tuple[Part, ...]

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.late_interest + self.penalty


@dataclass(frozen=True)
class Balance:
    """A sub-loan's figures on `as_of`, as its stored balances row holds them.

    The step figures (`STEPS`) stay the same from one change point to the next: an event, a due
    date (an installment falls due: `interest_due`, `next_due_*`, `oldest_unpaid_due_date`) and
    the day after it (what is left unpaid is overdue). The accruing ones — `interest_accrued`,
    `late_interest`, `penalty` — grow every day; they are as of `as_of`. Principal due on
    `as_of` is still in term (it is overdue from the next day). `event`: an event of the sub-loan
    is dated `as_of`.
    """

    as_of: date
    principal_in_term: Decimal
    principal_overdue: Decimal
    interest_accrued: Decimal
    interest_due: Decimal  # fallen due on `as_of` and not paid; overdue from the next day
    interest_overdue: Decimal
    late_interest: Decimal
    penalty: Decimal
    next_due_date: date | None
    next_due_amount: Decimal
    oldest_unpaid_due_date: date | None  # of the oldest row due by `as_of` not fully paid
    event: bool = False
    # What the accruing figures grow from until the next change point (`accruing_on`); taken
    # with the balances of a replay (`replay(balances_from=...)`), None otherwise.
    accruing: "Accruing | None" = field(default=None, compare=False)
    restructure_count: int = field(default=0, compare=False)

    STEPS = (
        "principal_in_term",
        "principal_overdue",
        "interest_due",
        "interest_overdue",
        "next_due_date",
        "next_due_amount",
        "oldest_unpaid_due_date",
    )
    FIGURES = (*STEPS, "interest_accrued", "late_interest", "penalty")

    @property
    def steps(self) -> tuple:
        return tuple(getattr(self, name) for name in self.STEPS)

    def days_past_due(self, day: date) -> int:
        """On `day` (no event since `as_of`): days since the oldest unpaid row fell due."""
        return days_past_due(self.oldest_unpaid_due_date, day)


@dataclass
class Result:
    """The loan on `as_of`: its versions, its allocations and every balance a page or report needs."""

    as_of: date
    rows: list[Row]
    versions: list[Version]
    allocations: dict[str, Allocation]
    disbursed: Decimal
    accrued_interest: Decimal  # rounded interest of the current period accrued by `as_of`, not yet due
    # With `replay(balances_from=...)`: the balances on each possible change point from then on.
    balances: list[Balance] = field(default_factory=list)
    # The tranches paid out by `as_of`: what the loan was lent when (a group's schedule sums them).
    tranches: list[Tranche] = field(default_factory=list)
    capitalised: Decimal = ZERO  # interest a restructuring added to the principal
    restructure_count: int = 0  # restructurings (`Restructure`) by `as_of`

    def _due_by(self, day: date) -> list[Row]:
        return [row for row in self.rows if row.due_date <= day]

    @property
    def principal_outstanding(self) -> Decimal:
        return self.disbursed + self.capitalised - sum((a.principal for a in self.allocations.values()), ZERO)

    @property
    def overdue_principal(self) -> Decimal:
        return sum((r.principal_unpaid for r in self.rows if r.due_date < self.as_of), ZERO)

    @property
    def overdue_interest(self) -> Decimal:
        return sum((r.interest_unpaid for r in self.rows if r.due_date < self.as_of), ZERO)

    @property
    def late_interest_owed(self) -> Decimal:
        return sum((r.late_owed for r in self.rows), ZERO)

    @property
    def penalty_owed(self) -> Decimal:
        return sum((r.penalty_owed for r in self.rows), ZERO)

    @property
    def due_today(self) -> Decimal:
        return sum(
            (r.principal_unpaid + r.interest_unpaid for r in self.rows if r.due_date == self.as_of), ZERO
        )

    @property
    def payoff(self) -> Decimal:
        """Everything owed on `as_of`, if the loan were repaid in full that day."""
        owed = sum((r.owed for r in self._due_by(self.as_of)), ZERO)
        future = sum((r.principal for r in self.rows if r.due_date > self.as_of), ZERO)
        return owed + self.accrued_interest + future

    @property
    def days_past_due(self) -> int:
        """Days since the oldest row still unpaid fell due (0 when nothing is overdue)."""
        for row in self.rows:
            if row.due_date < self.as_of and (row.principal_unpaid > 0 or row.interest_unpaid > 0):
                return (self.as_of - row.due_date).days
        return 0

    @property
    def next_due(self) -> Row | None:
        """The first row not fully paid that falls due on or after `as_of`."""
        for row in self.rows:
            if row.due_date >= self.as_of and (row.principal_unpaid > 0 or row.interest_unpaid > 0):
                return row
        return None

    @property
    def is_repaid(self) -> bool:
        """Disbursed and nothing at all left to pay, now or later."""
        return self.disbursed > 0 and all(r.owed == 0 for r in self.rows)

    @property
    def balance(self) -> Balance:
        """In one pass over the rows, as every repayment takes one (same sums as the properties)."""
        day = self.as_of
        overdue_principal = overdue_interest = due_interest = late = penalty = next_amount = ZERO
        oldest = next_date = None
        for row in self.rows:
            if row.late_accrued or row.late_paid:  # most rows never were late: no rounding for them
                late += row.late_owed
            if row.penalty_accrued or row.penalty_paid:
                penalty += row.penalty_owed
            principal, interest = row.principal_unpaid, row.interest_unpaid
            unpaid = principal > 0 or interest > 0
            if row.due_date < day:
                overdue_principal += principal
                overdue_interest += interest
            elif row.due_date == day:
                due_interest += interest
            if unpaid and oldest is None and row.due_date <= day:
                oldest = row.due_date
            if next_date is None and unpaid and row.due_date >= day:
                next_date = row.due_date
            if row.due_date == next_date:
                next_amount += principal + interest
        return Balance(
            as_of=day,
            principal_in_term=self.principal_outstanding - overdue_principal,
            principal_overdue=overdue_principal,
            interest_accrued=self.accrued_interest,
            interest_due=due_interest,
            interest_overdue=overdue_interest,
            late_interest=late,
            penalty=penalty,
            next_due_date=next_date,
            next_due_amount=next_amount,
            oldest_unpaid_due_date=oldest,
            restructure_count=self.restructure_count,
        )


@dataclass(frozen=True)
class Accruing:
    """A sub-loan's accruing figures on any day from a change point to the day before the next
    (`until`), without replaying its events: the rows they accrue on, as the replay holds them
    on that change point before accruing (what it would accrue from, were it run to a later day):
    the rows still owing something due by then (late interest, penalty), and the rows the
    current period's in-term interest runs over and is collected by. `accruing_on` runs the
    engine's own accrual on copies of them, so the figures are a replay's to the đồng.
    """

    until: date
    rows: tuple[Row, ...]
    # The rate in force when taken (a rescheduling may have changed the contract's); None: the contract's.
    annual_rate: Decimal | None = None

    _FIELDS = tuple(f.name for f in fields(Row))
    _DATES = frozenset({"due_date", "period_start", "interest_from", "accrued_to", "period_end"})

    def encode(self) -> str:
        """As text for a stored balances row (dates ISO, amounts exact)."""
        return json.dumps(
            [
                self.until.isoformat(),
                [[_plain(getattr(row, name)) for name in self._FIELDS] for row in self.rows],
                *([] if self.annual_rate is None else [str(self.annual_rate)]),
            ],
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> "Accruing":
        until, rows, *rate = json.loads(text)
        return cls(
            date.fromisoformat(until),
            tuple(_decoded(values) for values in rows),
            Decimal(rate[0]) if rate else None,
        )


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# How each of a row's fields is read back from `Accruing.encode`'s text (None: as it is).
_PARSERS = tuple(
    date.fromisoformat if name in Accruing._DATES else None if name in ("kind", "number") else Decimal
    for name in Accruing._FIELDS
)


def _decoded(values: list) -> Row:
    return Row(
        **{
            name: value if value is None or parse is None else parse(value)
            for name, parse, value in zip(Accruing._FIELDS, _PARSERS, values, strict=True)
        }
    )


def accruing_on(terms: LoanTerms, accruing: Accruing, day: date) -> tuple[Decimal, Decimal, Decimal]:
    """Interest accrued (in term, not yet due), late interest and penalty owed on `day`, a day
    from the change point `accruing` was taken on to the day before the next."""
    if day >= accruing.until:
        raise ValueError(f"{day} is past the stretch the accruing rows hold (until {accruing.until})")
    if accruing.annual_rate is not None and accruing.annual_rate != terms.annual_rate:
        terms = replace(terms, annual_rate=accruing.annual_rate)
    loan = _Loan(terms)
    loan.rows = [row.copy() for row in accruing.rows]
    loan.accrue(day)
    late = sum((row.late_owed for row in loan.rows if row.late_accrued or row.late_paid), ZERO)
    penalty = sum((row.penalty_owed for row in loan.rows if row.penalty_accrued or row.penalty_paid), ZERO)
    return round_vnd(loan.accrued_interest(day)), late, penalty


def brought_forward(
    terms: LoanTerms, accruing: Accruing, schedule: Sequence[Row], since: date
) -> Result | None:
    """The sub-loan on `accruing.until`, its next change point (an installment falling due, or
    the day after one left unpaid), from its balance of `since` (taken then: its `accruing`) and
    the rows of its schedule in force (`schedule`, in order, as stored: nothing paid, no carry,
    each interest period ending where the next row's starts; those due by `since` and before
    the first accruing row may be left out, paid in full), without its events: what `replay`
    gives when no event (no change either) is dated after `since`, its `balances` the one of that
    day as `replay(balances_from=...)` takes it. None when the rows cannot be told so: the
    accruing rows are not among the schedule's, or the next stretch accrues on the last row,
    whose period end is not stored (a moved due date's interest may not run to it)."""
    day, pending, rows, taken = accruing.until, list(accruing.rows), [], set()
    starts = [row.period_start for row in schedule if row.kind == SCHEDULED]
    scheduled = 0  # scheduled rows met: the next one starts where this one's period ends
    for row in schedule:
        scheduled += row.kind == SCHEDULED
        if pending and _same(pending[0], row):  # the accruing rows are some of them, in order
            taken.add(len(rows))
            rows.append(pending.pop(0).copy())
            continue
        paid = row.due_date <= since  # not among the accruing rows: paid in full, or not due yet
        # A period never ends after its due date: the opening row of a loan brought in ends on it.
        end = (
            min(starts[scheduled], row.due_date)
            if row.kind == SCHEDULED and scheduled < len(starts)
            else row.due_date
        )
        twin = row.copy()  # not `replace`: it costs ten times as much, on every schedule row
        twin.principal_paid, twin.interest_paid = (row.principal, row.interest) if paid else (ZERO, ZERO)
        twin.period_end = end
        rows.append(twin)
    if pending:
        return None
    loan = _Loan(terms if accruing.annual_rate is None else replace(terms, annual_rate=accruing.annual_rate))
    loan.rows = rows
    # The rows still owing (the accruing rows due by `since`) start where the replay had settled.
    due = [index for index, row in enumerate(rows) if row.due_date <= since]
    loan.settled = min((index for index in due if index in taken), default=len(due))
    loan.disbursed = sum((row.principal_unpaid for row in rows), ZERO)  # owed now: nothing repaid since
    last = loan.accruing(day)
    final = max((index for index, row in enumerate(rows) if row.kind == SCHEDULED), default=None)
    if (
        final is not None
        and final not in taken
        and not terms.interest_to_moved_date
        and any(_same(row, rows[final]) for row in last.rows)
    ):
        return None
    loan.accrue(day)
    result = loan.result(day)
    result.balances = [replace(result.balance, accruing=last)]
    return result


def _same(kept: Row, stored: Row) -> bool:
    return (kept.kind, kept.number, kept.due_date, kept.principal, kept.opening_principal) == (
        stored.kind,
        stored.number,
        stored.due_date,
        stored.principal,
        stored.opening_principal,
    )


def replay(
    terms: LoanTerms,
    *,
    tranches: Sequence[Tranche],
    payments: Sequence[Payment],
    as_of: date,
    balances_from: date | None = None,
    changes: Sequence[Change] = (),
) -> Result:
    """The loan on `as_of` after its events up to that day.

    Events are taken by value date; on one day tranches before payments, then the approved
    changes (`changes`: restructurings, waivers), each kind in the order given (the order they
    were recorded in). Raises `LoanEventError` for an event the loan cannot
    take; its `key` names the event, and for a payment above the debt `payoff` says the most it
    could have been. `balances_from`: also the `Balance` on each date from that one to `as_of`
    where the position may change (`Result.balances`, each what `replay(as_of=that date)` gives).
    """
    events = sorted(
        [(t.value_date, 0, i, t) for i, t in enumerate(tranches)]
        + [(p.value_date, 1, i, p) for i, p in enumerate(payments)]
        + [(c.value_date, 2, i, c) for i, c in enumerate(changes)],
        key=lambda event: event[:3],
    )
    loan = _Loan(terms)
    balances = _Balances(loan, balances_from) if balances_from is not None else None
    for day, _kind, _index, event in events:
        if day > as_of:
            break
        if balances is not None:
            balances.take(before=day)
            balances.event_on(day)
        if isinstance(event, Tranche):
            loan.disburse(event)
        elif isinstance(event, Restructure):
            loan.restructure(event)
        elif isinstance(event, Waiver):
            loan.waive(event)
        else:
            loan.pay(event)
    last = None
    if balances is not None:
        balances.take(before=as_of)
        last = loan.accruing(as_of)  # before the accrual to `as_of`, as `take` takes them
    loan.accrue(as_of)
    result = loan.result(as_of)
    result.tranches = [tranche for tranche in tranches if tranche.value_date <= as_of]
    if balances is not None:
        result.balances = balances.finish(result, last)
    return result


ONE_DAY = timedelta(days=1)


class _Balances:
    """The balances on the change points from `start` on, taken as the replay passes them.

    A change point is a day an event is dated, or a due date of the rows in force, or the day
    after one. Taking one copies the rows and accrues the copies, so the replay itself goes on
    exactly as without it.
    """

    def __init__(self, loan: "_Loan", start: date):
        self.loan = loan
        self.next = start  # the first day not looked at yet
        self.events: set[date] = set()
        self.taken: list[Balance] = []

    def event_on(self, day: date) -> None:
        if day >= self.next:
            self.events.add(day)

    def take(self, *, before: date) -> None:
        """The balances on the change points from `self.next` to the day before `before`
        (all the events of those days are replayed already)."""
        if before <= self.next:
            return
        for day in sorted(d for d in self._days() if self.next <= d < before):
            balance = self.loan.balance_on(day)
            self.taken.append(replace(balance, event=day in self.events, accruing=self.loan.accruing(day)))
        self.next = before

    def finish(self, result: Result, accruing: "Accruing") -> list[Balance]:
        """All the balances taken, with the one on the last day (`result`'s) if it is a change
        point: that one is the result's own, with no copy; `accruing` its rows before the
        accrual to that day."""
        day = result.as_of
        if day >= self.next and day in self._days():
            self.taken.append(replace(result.balance, event=day in self.events, accruing=accruing))
        return self.taken

    def _days(self) -> set[date]:
        return {day for row in self.loan.rows for day in (row.due_date, row.due_date + ONE_DAY)} | self.events


class _Loan:
    def __init__(self, terms: LoanTerms):
        self.terms = terms
        self.basis = BASES[terms.basis]
        self.schedule_terms: ScheduleTerms | None = None
        self._contract_rows: list[Installment] | None = []  # None: not built yet
        self.settled = 0  # rows before this index are paid in full
        self.rows: list[Row] = []
        self.versions: list[Version] = []
        self.allocations: dict[str, Allocation] = {}
        self.disbursed = ZERO
        self.capitalised = ZERO
        self.restructure_count = 0

    @property
    def contract_rows(self) -> list[Installment]:
        """The schedule as first built, for tranches: a loan brought in builds it only if one
        comes (its opening needs the contract's dates alone)."""
        if self._contract_rows is None:
            self._contract_rows = build_schedule(self.schedule_terms)
        return self._contract_rows

    @contract_rows.setter
    def contract_rows(self, rows: list[Installment]) -> None:
        self._contract_rows = rows

    def result(self, as_of: date) -> Result:
        """The loan on `as_of`; call once accrued to that day."""
        return Result(
            as_of=as_of,
            rows=self.rows,
            versions=self.versions,
            allocations=self.allocations,
            disbursed=self.disbursed,
            accrued_interest=round_vnd(self.accrued_interest(as_of)) if self.rows else ZERO,
            capitalised=self.capitalised,
            restructure_count=self.restructure_count,
        )

    def balance_on(self, day: date) -> Balance:
        """The balance on `day` (no event after it replayed yet), leaving the loan as it is:
        accrued on copies of the rows accruing touches (those past due and not settled)."""
        shadow = copy.copy(self)
        shadow.rows = rows = list(self.rows)
        for index in range(self.settled, len(rows)):
            if rows[index].due_date >= day:
                break
            rows[index] = rows[index].copy()
        shadow.accrue(day)
        return shadow.result(day).balance

    def accruing(self, day: date) -> Accruing:
        """The rows the accruing figures grow on from `day` (its events replayed) until the next
        change point (a due date, or the day after one left unpaid): copies, as they are now."""
        changes = [row.due_date for row in self.rows if row.due_date > day]
        if any(row.due_date == day and (row.principal_unpaid or row.interest_unpaid) for row in self.rows):
            changes.append(day + ONE_DAY)  # left unpaid, it is overdue then
        until = min(changes, default=date.max)
        first = next((row for row in self.rows if row.due_date > day and row.collects_interest), None)
        start = first.interest_from if first else until
        kept = [
            row.copy()
            for index, row in enumerate(self.rows)
            if (index >= self.settled and row.due_date <= day)  # may owe: late interest, penalty
            or (row.kind == SCHEDULED and row.period_end > start and row.period_start < until)  # the path
            or (row.due_date > day and row.collects_interest and (row is first or row.interest_from < until))
        ]
        rate = self.terms.annual_rate if self.restructure_count else None
        return Accruing(until, tuple(kept), rate)

    # --- events -------------------------------------------------------------------------

    def disburse(self, tranche: Tranche) -> None:
        if tranche.amount <= 0:
            raise LoanEventError(_("A disbursement must be more than zero."), key=tranche.key)
        if tranche.opening is not None and self.schedule_terms is None:
            self._open(tranche)
            return
        if self.schedule_terms is None:
            self.schedule_terms = self.terms.schedule_terms(
                principal=tranche.amount, start=tranche.value_date
            )
            self.contract_rows = build_schedule(self.schedule_terms)
            self.rows = [_row(installment) for installment in self.contract_rows]
            self.disbursed = tranche.amount
            self._snapshot(tranche.value_date, FIRST_DISBURSEMENT, tranche.key)
            return
        if tranche.value_date >= self.schedule_terms.maturity_date:
            raise LoanEventError(
                _("A tranche cannot be disbursed on or after the maturity date."), key=tranche.key
            )
        self.accrue(tranche.value_date)
        self.disbursed += tranche.amount
        # A tranche is spread over the contract's remaining dates, even if a prepayment had
        # shortened the schedule.
        self._rebuild(
            tranche.value_date,
            extra=tranche.amount,
            interest_paid=ZERO,
            mode=LOWER_INSTALLMENTS,
            template=self.contract_rows,
        )
        self._snapshot(tranche.value_date, TRANCHE, tranche.key)

    def _open(self, tranche: Tranche) -> None:
        """The rows of a loan brought in at the cut-over date `tranche.value_date`: what is
        overdue on one row due on its oldest unpaid due date, its late interest and interest on
        unpaid interest owed as accrued to the cut-over; what is in term on the contract's
        remaining dates, the next row collecting the interest accrued before the cut-over."""
        opening, day = tranche.opening, tranche.value_date
        self.schedule_terms = self.terms.schedule_terms(principal=opening.lent, start=opening.start)
        self.contract_rows = None
        self.disbursed = tranche.amount
        self.rows = []
        self._rebuild(
            day,
            extra=tranche.amount - opening.overdue_principal,
            interest_paid=-opening.accrued,
            mode=LOWER_INSTALLMENTS,
            template=schedule_dates(self.schedule_terms),
        )
        if opening.oldest_unpaid is not None:
            due = opening.oldest_unpaid
            overdue = Row(
                SCHEDULED,
                None,
                due,
                due,
                due,
                opening.overdue_principal,
                opening.overdue_interest,
                opening.overdue_principal,
                late_accrued=opening.late_interest,
                penalty_accrued=opening.penalty,
                accrued_to=day,
                period_end=due,
            )
            self.rows.insert(0, overdue)
        self._snapshot(day, MIGRATION, tranche.key)

    def pay(self, payment: Payment) -> None:
        day, key = payment.value_date, payment.key
        if self.schedule_terms is None or day < self.schedule_terms.start_date:
            raise LoanEventError(
                _("Nothing is disbursed yet on %(date)s.") % {"date": format_date(day)}, key=key
            )
        if payment.amount <= 0:
            raise LoanEventError(_("A repayment must be more than zero."), key=key)
        if payment.mode not in PREPAYMENT_MODES:
            raise LoanEventError(_("Choose what a prepayment changes."), key=key)
        self.accrue(day)
        left = payment.amount
        parts: list[Part] = []
        owing = list(self._owing(day))
        for slot in self.terms.allocation_order:
            for row in owing:
                if left == 0:
                    break
                left = self._pay_slot(row, slot, day, left, parts)
        if left > 0:
            left = self._prepay(day, left, payment, parts)
        if left > 0:
            # Everything owed was taken and something is left: what was taken is the payoff.
            payoff = payment.amount - left
            raise LoanEventError(
                _("The repayment is more than the whole debt, which is %(payoff)s on %(date)s.")
                % {"payoff": format_vnd(payoff), "date": format_date(day)},
                key=key,
                payoff=payoff,
            )
        totals = dict.fromkeys(("principal", "interest", "late_interest", "penalty"), ZERO)
        for part in parts:
            totals[_PORTION_OF_SLOT[part.slot]] += part.amount
        self.allocations[key] = Allocation(key=key, value_date=day, parts=tuple(parts), **totals)

    def restructure(self, change: Restructure) -> None:
        """The rows due after the change's date laid out again (`Restructure`)."""
        day, key = change.value_date, change.key
        if self.schedule_terms is None or day < self.schedule_terms.start_date:
            raise LoanEventError(
                _("Nothing is disbursed yet on %(date)s.") % {"date": format_date(day)}, key=key
            )
        self.accrue(day)
        carried = self.accrued_interest(day)
        moved = ZERO
        capitalise = change.capitalised
        if change.take_overdue:
            for row in self._owing(day):
                if row.due_date < day:
                    moved += row.principal_unpaid
                    row.principal = row.principal_paid
                    taken = min(capitalise, row.interest_unpaid)
                    row.interest -= taken
                    capitalise -= taken
        if capitalise:
            raise LoanEventError(_("More interest is capitalised than is overdue."), key=key)
        future = sum((r.principal for r in self.rows if r.due_date > day), ZERO)
        outstanding = future + moved + change.capitalised
        self.terms = replace(self.terms, annual_rate=change.annual_rate)
        plan = {f.name: getattr(change.plan, f.name) for f in fields(Plan)}
        try:
            terms = ScheduleTerms(
                principal=outstanding, annual_rate=change.annual_rate, start_date=change.start, **plan
            )
            rows = self._numbered_on(day, build_schedule(terms))
            new = rebuild_future(
                terms, rows=rows, as_of=day, outstanding=outstanding, mode=LOWER_INSTALLMENTS
            )
        except ScheduleError as error:
            raise LoanEventError(str(error), key=key) from None
        self.schedule_terms, self.contract_rows = terms, rows
        self._lay_out(day, new, carried)
        self.capitalised += change.capitalised
        self.restructure_count += 1
        self._snapshot(day, change.reason, key)

    def waive(self, waiver: Waiver) -> None:
        """Interest forgiven (`Waiver`), at most what is owed on its date."""
        day = waiver.value_date
        self.accrue(day)
        late, interest = waiver.late_interest, waiver.interest
        for row in self._owing(day):
            taken = min(late, row.late_owed)
            row.late_paid += taken
            late -= taken
            taken = min(late, row.penalty_owed)
            row.penalty_paid += taken
            late -= taken
            taken = min(interest, row.interest_unpaid)
            row.interest_paid += taken
            interest -= taken
        accrued = min(waiver.accrued, round_vnd(self.accrued_interest(day)))
        for collecting in self._interest_rows(day):
            taken = min(accrued, collecting.interest)
            collecting.carry -= taken
            collecting.interest -= taken
            accrued -= taken

    # --- allocation ---------------------------------------------------------------------

    def _pay_slot(self, row: Row, slot: str, day: date, left: Decimal, parts: list[Part]) -> Decimal:
        overdue, due_today = row.due_date < day, row.due_date == day
        if slot == LATE_INTEREST and overdue:
            late = min(left, row.late_owed)
            row.late_paid += late
            penalty = min(left - late, row.penalty_owed)
            row.penalty_paid += penalty
            _record(parts, LATE_INTEREST, row, late)
            _record(parts, "penalty", row, penalty)
            return left - late - penalty
        if (slot == OVERDUE_INTEREST and overdue) or (slot == DUE_INTEREST and due_today):
            paid = min(left, row.interest_unpaid)
            row.interest_paid += paid
            _record(parts, slot, row, paid)
            return left - paid
        if (slot == OVERDUE_PRINCIPAL and overdue) or (slot == DUE_PRINCIPAL and due_today):
            paid = min(left, row.principal_unpaid)
            row.principal_paid += paid
            _record(parts, slot, row, paid)
            return left - paid
        return left

    def _prepay(self, day: date, left: Decimal, payment: Payment, parts: list[Part]) -> Decimal:
        """Interest accrued so far this period, then future principal; the schedule is rebuilt."""
        future_principal = sum((r.principal for r in self.rows if r.due_date > day), ZERO)
        interest = min(left, round_vnd(self.accrued_interest(day)))
        principal = min(left - interest, future_principal)
        if interest == 0 and principal == 0:
            return left  # nothing left to prepay: the loan is repaid
        if principal > 0:
            scheduled = [r.as_installment() for r in self.rows if r.kind == SCHEDULED]
            self._rebuild(
                day, extra=-principal, interest_paid=interest, mode=payment.mode, template=scheduled
            )
        else:
            # Only interest paid ahead: the next row collects that much less; nothing else moves.
            # (Past the end of a period whose due date moved on, and beyond that row's interest,
            # the row after it collects the rest less.)
            unpaid = interest
            for collecting in self._interest_rows(day):
                taken = min(unpaid, collecting.interest)
                collecting.carry -= taken
                collecting.interest -= taken
                unpaid -= taken
        row = Row(
            PREPAYMENT,
            None,
            day,
            day,
            day,
            principal,
            interest,
            future_principal,
            principal_paid=principal,
            interest_paid=interest,
            period_end=day,
        )
        position = next((i for i, r in enumerate(self.rows) if r.due_date > day), len(self.rows))
        self.rows.insert(position, row)
        _record(parts, DUE_INTEREST, row, interest)
        _record(parts, DUE_PRINCIPAL, row, principal)
        self._snapshot(day, PREPAID, payment.key)
        return left - interest - principal

    # --- interest ------------------------------------------------------------------------

    def _owing(self, day: date):
        """The rows due by `day` that may still owe something, oldest first.

        Rows before `self.settled` are paid in full and can never owe again (nothing accrues on
        a paid row), so each replay walks only the open part of the schedule.
        """
        rows = self.rows
        while (
            self.settled < len(rows) and rows[self.settled].due_date <= day and rows[self.settled].owed == 0
        ):
            self.settled += 1
        for row in rows[self.settled :]:
            if row.due_date > day:
                break
            yield row

    def accrue(self, day: date) -> None:
        """Late interest on principal, and the penalty on interest, left unpaid past due, up to `day`."""
        late_rate = self.terms.annual_rate * self.terms.overdue_multiplier
        for row in self._owing(day):
            if row.due_date >= day:
                break
            start = row.accrued_to or row.due_date
            if start >= day:
                continue
            days = self.basis.count(start, day)
            if row.principal_unpaid > 0:
                row.late_accrued += self.basis.interest(row.principal_unpaid * days, late_rate)
            if row.interest_unpaid > 0:
                row.penalty_accrued += self.basis.interest(
                    row.interest_unpaid * days, self.terms.unpaid_interest_rate
                )
            row.accrued_to = day

    def _interest_rows(self, day: date):
        """The rows due after `day` collecting interest accrued by then: the next row collecting
        interest, and the following ones whose interest runs from before `day` (after a period
        that ended before its moved due date)."""
        first = True
        for row in self.rows:
            if row.kind == SCHEDULED and row.due_date > day and row.collects_interest:
                if not first and row.interest_from >= day:
                    return
                first = False
                yield row

    def accrued_interest(self, day: date) -> Decimal:
        """Unrounded in-term interest accrued by `day` towards the rows that collect it."""
        start, carry = None, ZERO
        for row in self._interest_rows(day):
            start = start or row.interest_from
            carry += row.carry
        if start is None:
            return ZERO
        return carry + self._path_interest(start, day)

    def _path_interest(self, start: date, end: date) -> Decimal:
        """Unrounded interest on the schedule's in-term balance from `start` to `end`."""
        balance_count = ZERO
        for row in self.rows:
            if row.kind != SCHEDULED or row.period_end <= start:
                continue
            low, high = max(row.period_start, start), min(row.period_end, end)
            if high > low:
                balance_count += row.opening_principal * self.basis.count(low, high)
            if row.period_end >= end:
                break
        return self.basis.interest(balance_count, self.terms.annual_rate)

    def payoff(self, day: date) -> Decimal:
        owed = sum((r.owed for r in self._owing(day)), ZERO)
        future = sum((r.principal for r in self.rows if r.due_date > day), ZERO)
        return owed + round_vnd(self.accrued_interest(day)) + future

    # --- rebuilding ------------------------------------------------------------------------

    def _rebuild(
        self,
        day: date,
        *,
        extra: Decimal,
        interest_paid: Decimal,
        mode: str,
        template: list[Installment | Dates],
    ) -> None:
        """Redo the rows after `day` for the in-term balance changed by `extra`, on the dates
        of `template` (the schedule in force, or the contract's own).

        The interest accrued before `day` and not paid now is carried into the next row that
        collects interest, so that row's interest is still rounded once over its whole period.
        (When the whole balance is prepaid there is no such row: the interest was paid first,
        and what is left of it is less than half a đồng of rounding.)
        """
        carried = self.accrued_interest(day) - interest_paid
        future_principal = sum((r.principal for r in self.rows if r.due_date > day), ZERO)
        future = rebuild_future(
            self.schedule_terms, rows=template, as_of=day, outstanding=future_principal + extra, mode=mode
        )
        self._lay_out(day, future, carried)

    def _numbered_on(self, day: date, plan: list[Installment]) -> list[Installment]:
        """A new plan's installments numbered on from the rows kept (it numbers its own from 1):
        its first row after `day` follows the last row due by then, so the schedule runs on."""
        last = max((r.number for r in self.rows if r.due_date <= day and r.number is not None), default=0)
        first = next((row.number for row in plan if row.due_date > day), None)
        if first is None:
            return plan
        return [row._replace(number=row.number + last + 1 - first) for row in plan]

    def _lay_out(self, day: date, future, carried: Decimal) -> None:
        """The rows after `day` replaced by the installments `future`; the first that collects
        interest also collects `carried`, the interest accrued and unpaid, unrounded until then."""
        new_rows = [_row(installment) for installment in future]
        collecting = next((row for row in new_rows if row.collects_interest), None)
        if collecting is not None:
            collecting.carry = carried
            collecting.interest = round_vnd(
                carried + self._interest_over(new_rows, collecting.interest_from, collecting.period_end)
            )
        self.rows = [r for r in self.rows if r.due_date <= day] + new_rows

    def _interest_over(self, rows: list[Row], start: date, end: date) -> Decimal:
        balance_count = ZERO
        for row in rows:
            low, high = max(row.period_start, start), min(row.period_end, end)
            if high > low:
                balance_count += row.opening_principal * self.basis.count(low, high)
        return self.basis.interest(balance_count, self.terms.annual_rate)

    def _snapshot(self, day: date, reason: str, cause: str) -> None:
        self.versions.append(Version(day, reason, cause))


_PORTION_OF_SLOT = {
    LATE_INTEREST: "late_interest",
    "penalty": "penalty",
    OVERDUE_INTEREST: "interest",
    DUE_INTEREST: "interest",
    OVERDUE_PRINCIPAL: "principal",
    DUE_PRINCIPAL: "principal",
}


def _record(parts: list[Part], slot: str, row: Row, amount: Decimal) -> None:
    if amount > 0:
        parts.append(Part(slot, row.due_date, row.kind, amount))


def _row(installment: Installment) -> Row:
    return Row(
        SCHEDULED,
        installment.number,
        installment.due_date,
        installment.period_start,
        installment.interest_from,
        installment.principal,
        installment.interest,
        installment.opening_principal,
        period_end=installment.period_end,
    )


__all__ = [
    "Accruing",
    "Allocation",
    "Balance",
    "Change",
    "LoanEventError",
    "LoanTerms",
    "Opening",
    "Part",
    "Payment",
    "Restructure",
    "Result",
    "Row",
    "Tranche",
    "Version",
    "Waiver",
    "accruing_on",
    "brought_forward",
    "replay",
]

"""Repayment schedules (lịch trả nợ) worked out from a loan's terms, with no database.

`build_schedule(terms)` gives a loan's rows; `rebuild_future(...)` redoes the rows still to come
from a given date and outstanding principal, after a prepayment; `combine(...)` sums a
household group's member schedules into the group's. A restructuring builds new terms from its
date. Versioning and storage are the loans app's; everything here is plain `Decimal` (whole
đồng) and `date`.

Due dates. The first due date (by default the start plus one interest period) fixes the day of
the month every later due date keeps, clamped to the month's end (31 Jan, 28/29 Feb, 31 Mar);
without one, the start's day is kept. The last due date is the maturity, the start plus the
term. Interest and principal each fall on their own grid of that many months, laid out from
the first due date, and there is a row for every date on either grid. Frequency 0 means once,
at maturity. No principal falls due on or before the start plus the grace months.

Days off. With a calendar (`loans.domain.calendar`), a date of the grid that falls on a day off
falls due on the next working day. With `interest_to_moved_date` the row's interest period ends
on that day too and the next one starts there; without it the period still ends on the grid
date (the row's `period_end`) and only the payment waits. Two dates that would fall due on the
same working day make one row (the later date's period, collecting what either date collects).

Amounts. Interest is the outstanding principal × annual rate × days / year under the terms'
day-count basis, summed unrounded over every stretch since the last interest date (principal
falls at principal dates), and rounded once, half-up, on the row that collects it. Principal
is rounded per row and the last principal row takes the remainder, so the principal column
always sums exactly to the principal.
"""

import calendar
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from django.utils.translation import gettext as _

from common.money import ZERO, is_whole_dong, round_vnd
from loans.domain.calendar import WorkingCalendar
from loans.domain.daycount import ACTUAL_365, BASES
from loans.domain.terms import terms_errors

EQUAL_PRINCIPAL = "equal_principal"  # gốc chia đều, interest on the declining balance
ANNUITY = "annuity"  # equal installments: a level payment of principal and interest
BULLET = "bullet"  # all principal at maturity
METHODS = (EQUAL_PRINCIPAL, ANNUITY, BULLET)

AT_MATURITY = 0
FREQUENCIES = (AT_MATURITY, 1, 3, 6, 12)  # months between due dates

SHORTEN_TERM = "shorten_term"
LOWER_INSTALLMENTS = "lower_installments"
PREPAYMENT_MODES = (SHORTEN_TERM, LOWER_INSTALLMENTS)


class ScheduleError(ValueError):
    """Terms or arguments no schedule can be built from.

    `errors` maps each offending field to a translated message, ready for
    `ValidationError(exc.errors)`.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True, kw_only=True)
class Plan:
    """How a loan is repaid, whatever its principal and start: what a schedule's terms
    (`ScheduleTerms`) and a contract's (`engine.LoanTerms`) both hold, by keyword.

    method: one of METHODS. principal_frequency, interest_frequency: months, one of FREQUENCIES,
    dividing the term (annuity needs them equal; bullet's principal frequency is 0).
    grace_months: no principal falls due on or before start + grace months. first_due_date: the
    first interest date, by default start + one interest period. basis: a day-count basis of
    `loans.domain.daycount.BASES`. calendar: the fund's working days (None: due dates never
    move); interest_to_moved_date: whether a moved due date's interest runs to it.
    """

    term_months: int
    method: str
    principal_frequency: int
    interest_frequency: int
    grace_months: int = 0
    first_due_date: date | None = None
    basis: str = ACTUAL_365
    calendar: WorkingCalendar | None = None
    interest_to_moved_date: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleTerms(Plan):
    """What a contract fixes about repayment. Refuses impossible terms with `ScheduleError`.

    principal: whole đồng, > 0. annual_rate: per year, 0.0660 = 6.6 %. start_date: disbursement,
    interest runs from it. The rest: `Plan`.
    """

    principal: Decimal
    annual_rate: Decimal
    start_date: date

    def __post_init__(self):
        if not isinstance(self.principal, Decimal) or not isinstance(self.annual_rate, Decimal):
            raise TypeError("the principal and the rate are Decimal")
        errors = _terms_errors(self)
        if errors:
            raise ScheduleError(errors)

    @property
    def maturity_date(self) -> date:
        return _add_months(self.start_date, self.term_months, self.start_date.day)


class Installment(NamedTuple):
    """One row (kỳ trả nợ): what falls due on `due_date`, assuming earlier rows are paid on time.

    Immutable like the terms; a named tuple rather than a frozen dataclass because building a
    frozen dataclass costs about 2 µs more a row, a quarter of the time a schedule takes.

    The row's period runs from `period_start` (the previous row's period end, or where the
    schedule starts) to `period_end`: its due date, or `interest_to` when the due date was moved
    off a day off and interest does not run to it. Its interest accrued from `interest_from` to
    the period end: the previous interest date, which is before `period_start` when interest is
    paid less often than principal; on a row that collects no interest, `interest_from` is
    `due_date`.
    """

    number: int
    due_date: date
    period_start: date
    interest_from: date
    principal: Decimal
    interest: Decimal
    opening_principal: Decimal
    closing_principal: Decimal
    interest_to: date | None = None

    @property
    def period_end(self) -> date:
        return self.interest_to or self.due_date

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def build_schedule(terms: ScheduleTerms) -> list[Installment]:
    """Every row of a loan's schedule, numbered from 1; the last falls on the maturity date.

    Equal principal: the principal is split evenly over the principal dates after the grace.
    Annuity: interest only during the grace, then a level payment L·r / (1 − (1 + r)^−n) with
    r = annual rate × frequency / 12 and n the principal dates after the grace; each row's
    principal is that payment less its actual-day interest, and the last row takes what remains
    (so the last payment may differ a little). Bullet: all principal on the maturity date.
    """
    ends, dues, interest_dates, principal_dates = _due_dates(terms)
    level = None
    if terms.method == ANNUITY:
        level = _level_payment(
            terms.principal,
            terms.annual_rate,
            terms.interest_frequency or terms.term_months,
            len(principal_dates),
        )
        scheduled = dict.fromkeys(principal_dates)
    else:
        scheduled = dict(zip(principal_dates, _spread(terms.principal, len(principal_dates)), strict=True))
    return _amortise(
        terms,
        ends,
        dues,
        numbers=range(1, len(dues) + 1),
        interest_dates=interest_dates,
        scheduled=scheduled,
        start=terms.start_date,
        outstanding=terms.principal,
        level=level,
    )


class Dates(NamedTuple):
    """A row's number and dates without its amounts: what `rebuild_future` lays new rows on
    when it lowers the installments."""

    number: int
    due_date: date
    period_end: date


def schedule_dates(terms: ScheduleTerms) -> list[Dates]:
    """The rows `build_schedule` gives, their numbers and dates only: nothing amortised."""
    ends, dues, _interest, _principal = _due_dates(terms)
    return [Dates(number, due, end) for number, (end, due) in enumerate(zip(ends, dues, strict=True), 1)]


def rebuild_future(
    terms: ScheduleTerms,
    *,
    rows: Sequence[Installment | Dates],
    as_of: date,
    outstanding: Decimal,
    mode: str,
) -> list[Installment]:
    """The rows of `rows` due after `as_of`, redone for `outstanding` principal left on `as_of`.

    `rows` is the schedule in force (built from `terms`, or an earlier rebuild of it; lowering
    the installments, its `schedule_dates` are enough, shortening the term needs them whole). The new
    rows keep their numbers and dates; their interest runs from `as_of` on `outstanding`, so
    interest accrued before `as_of` is not in them (the caller settles it, usually with the
    prepayment). `mode` says what a prepayment changes:

    - SHORTEN_TERM: each future row keeps its principal (annuity: its level payment) and the
      rows left over at the end are dropped; the new last row collects the interest still due.
    - LOWER_INSTALLMENTS: every future date stays; the principal is spread evenly again over the
      principal dates (annuity: a new level payment over them).

    Either way the principal column sums exactly to `outstanding`; none outstanding, no rows.
    Principal outstanding with no row due after `as_of` is refused (ScheduleError on `as_of`).
    """
    future = [row for row in rows if row.due_date > as_of]
    errors = {}
    if mode not in PREPAYMENT_MODES:
        errors["mode"] = _("Choose whether a prepayment shortens the term or lowers the installments.")
    if not isinstance(outstanding, Decimal) or not outstanding.is_finite() or outstanding < 0:
        errors["outstanding"] = _("The outstanding principal must be zero or more.")
    elif not is_whole_dong(outstanding):
        errors["outstanding"] = _("The outstanding principal must be a whole number of đồng.")
    if as_of < terms.start_date:
        errors["as_of"] = _("The date cannot be before the loan starts (%(start)s).") % {
            "start": terms.start_date
        }
    if errors:
        raise ScheduleError(errors)
    if outstanding == 0:
        return []
    if not future:
        # Principal left with no date to fall due on: it is overdue, not to be rescheduled here.
        raise ScheduleError(
            {"as_of": _("No installment of this schedule falls due after %(date)s.") % {"date": as_of}}
        )

    _ends, _dues, interest_dates, principal_dates = _due_dates(terms)
    principal_dates = set(principal_dates)
    last = future[-1].due_date
    pays_principal = [row for row in future if row.due_date in principal_dates or row.due_date == last]
    level = None
    if mode == SHORTEN_TERM:
        if terms.method == ANNUITY:
            level = _current_level(pays_principal, rows[-1])
            scheduled = dict.fromkeys(row.due_date for row in pays_principal)
        else:
            scheduled = {row.due_date: row.principal for row in future}
    elif terms.method == ANNUITY:
        level = _level_payment(
            outstanding, terms.annual_rate, terms.interest_frequency or terms.term_months, len(pays_principal)
        )
        scheduled = dict.fromkeys(row.due_date for row in pays_principal)
    else:
        amounts = _spread(outstanding, len(pays_principal))
        scheduled = {row.due_date: amount for row, amount in zip(pays_principal, amounts, strict=True)}
    return _amortise(
        terms,
        [row.period_end for row in future],
        [row.due_date for row in future],
        numbers=[row.number for row in future],
        interest_dates=interest_dates,
        scheduled=scheduled,
        start=as_of,
        outstanding=outstanding,
        level=level,
        stop_when_repaid=mode == SHORTEN_TERM,
    )


def combine(
    schedules: Sequence[Sequence[Installment]], lent: Sequence[Sequence[tuple[date, Decimal]]] | None = None
) -> list[Installment]:
    """A household group's schedule: its members' schedules summed by due date.

    Every row counts, however many one member has on a date (an installment and a prepayment
    made that day). A row's closing is the sum of the members' balances after its date, each
    what the member was lent by then less the principal of its rows due by then (nothing before
    its loan starts or after it is repaid); its opening is that plus the principal the date
    collects. So the group's totals are the members' totals. `lent`: each member's tranches as
    (date, amount); without it, each member is lent its schedule's principal when its first
    period starts.
    """
    if lent is None:
        lent = [
            [(rows[0].period_start, sum((row.principal for row in rows), ZERO))] if rows else []
            for rows in schedules
        ]
    # Each date's rows, and the tranches by date, are read once: a date costs the rows and
    # tranches it has, not one look at every member.
    rows_on: dict[date, list[tuple[int, Installment]]] = {}
    for member, schedule in enumerate(schedules):
        for row in schedule:
            rows_on.setdefault(row.due_date, []).append((member, row))
    tranches = sorted(
        ((day, member, amount) for member, tranches in enumerate(lent) for day, amount in tranches),
        key=itemgetter(0),
    )
    starts = [schedule[0].period_start for schedule in schedules if schedule]
    lent_by_then = [ZERO] * len(schedules)
    collected = [ZERO] * len(schedules)  # each member's principal due by the dates summed
    closing = ZERO  # the members' balances: each one's lent less collected, if it was lent anything
    waiting = 0  # the first tranche not yet lent
    combined = []
    for number, due in enumerate(sorted(rows_on), 1):
        while waiting < len(tranches) and tranches[waiting][0] <= due:
            _day, member, amount = tranches[waiting]
            if lent_by_then[member]:
                closing -= lent_by_then[member] - collected[member]
            lent_by_then[member] += amount
            if lent_by_then[member]:
                closing += lent_by_then[member] - collected[member]
            waiting += 1
        principal = interest = ZERO
        interest_from = due
        for member, row in rows_on[due]:
            principal += row.principal
            interest += row.interest
            if row.interest_from < interest_from:
                interest_from = row.interest_from
            collected[member] += row.principal
            if lent_by_then[member]:
                closing -= row.principal
        combined.append(
            Installment(
                number=number,
                due_date=due,
                period_start=combined[-1].due_date if combined else min(starts),
                interest_from=interest_from,
                principal=principal,
                interest=interest,
                opening_principal=closing + principal,
                closing_principal=closing,
            )
        )
    return combined


def _amortise(
    terms: ScheduleTerms,
    ends: Sequence[date],
    dues: Sequence[date],
    *,
    numbers: Sequence[int],
    interest_dates: Set[date],
    scheduled: Mapping[date, Decimal | None],
    start: date,
    outstanding: Decimal,
    level: Decimal | None,
    stop_when_repaid: bool = False,
) -> list[Installment]:
    """Rows repaying `outstanding` from `start`, their periods ending on `ends` and falling due
    on `dues` (the same dates unless a due date moved off a day off), numbered by `numbers`.

    Interest is collected on the due dates in `interest_dates`. `scheduled` is each due date's
    principal (never more than is left): an amount, or None for `level` less the row's interest;
    a date it lacks pays none. The last row, and with `stop_when_repaid` the row that clears the
    balance, takes all that is left and collects the interest accrued up to it. A period that
    ended by `start` (a rebuild after a period's end, before its moved due date) has no days.
    """
    basis = BASES[terms.basis]
    count, rate = basis.count, terms.annual_rate
    rows = []
    balance = outstanding
    balance_count = ZERO  # Σ balance × day count since the last interest date
    previous = interest_from = start
    last = len(dues) - 1
    for index, end in enumerate(ends):
        due = dues[index]
        if end > previous:
            balance_count += balance * count(previous, end)
        else:
            end = previous
        collects_interest = due in interest_dates
        interest = round_vnd(basis.interest(balance_count, rate)) if collects_interest else ZERO
        amount = scheduled.get(due, ZERO)
        if index == last:
            principal = balance
        elif amount is None:
            principal = min(max(level - interest, ZERO), balance)
        else:
            principal = min(amount, balance)
        final = index == last or (stop_when_repaid and principal == balance)
        if final and not collects_interest:
            interest = round_vnd(basis.interest(balance_count, rate))
        if collects_interest or final:
            row_interest_from, interest_from, balance_count = interest_from, end, ZERO
        else:
            row_interest_from = due
        rows.append(
            Installment(
                numbers[index],
                due,
                previous,
                row_interest_from,
                principal,
                interest,
                balance,
                balance - principal,
                None if end == due else end,
            )
        )
        if final:
            break
        balance -= principal
        previous = end
    return rows


def _due_dates(
    terms: ScheduleTerms,
) -> tuple[tuple[date, ...], tuple[date, ...], frozenset[date], tuple[date, ...]]:
    """The rows' period ends and their due dates, in order; then the due dates that collect
    interest and those that pay principal."""
    return _calendar(
        terms.start_date,
        terms.term_months,
        terms.interest_frequency,
        terms.principal_frequency,
        terms.grace_months,
        terms.first_due_date,
        terms.calendar,
        terms.interest_to_moved_date,
    )


# Loans disbursed on the same day under the same product share their due dates; a fund
# disburses on a few hundred days a year, so remembering a few thousand calendars pays.
@lru_cache(maxsize=4096)
def _calendar(
    start: date,
    term_months: int,
    interest_frequency: int,
    principal_frequency: int,
    grace_months: int,
    first_due_date: date | None,
    working: WorkingCalendar | None,
    interest_to_moved_date: bool,
) -> tuple[tuple[date, ...], tuple[date, ...], frozenset[date], tuple[date, ...]]:
    maturity = _add_months(start, term_months, start.day)
    interest_step = interest_frequency or term_months
    principal_step = principal_frequency or term_months
    day = first_due_date.day if first_due_date else start.day
    first = first_due_date or _add_months(start, interest_step, day)
    grace_end = _add_months(start, grace_months, start.day)
    # Grid dates as months from the first due date. It sits one interest step into the loan, so
    # principal dates are whole principal steps from that place: moving the first due date
    # moves them too. Frequency 0 has no grid: only the maturity, added below.
    span = (maturity.year - first.year) * 12 + maturity.month - first.month
    interest_months = range(0, span + 1, interest_step) if interest_frequency else range(0)
    principal_months = (
        range(principal_step - interest_step, span + 1, principal_step) if principal_frequency else range(0)
    )
    dates, interest_dates, principal_dates = [], [], []
    for months in sorted({*interest_months, *principal_months}):
        due = _add_months(first, months, day)
        if not start < due < maturity:
            continue
        collects_interest = months in interest_months
        pays_principal = months in principal_months and due > grace_end
        if collects_interest:
            interest_dates.append(due)
        if pays_principal:
            principal_dates.append(due)
        if collects_interest or pays_principal:
            dates.append(due)
    dates, interest, principal = (
        (*dates, maturity),
        frozenset((*interest_dates, maturity)),
        (*principal_dates, maturity),
    )
    if working is None:
        return dates, dates, interest, principal
    return _moved_off_days_off(dates, interest, frozenset(principal), working, interest_to_moved_date)


def _moved_off_days_off(
    dates: tuple[date, ...],
    interest_dates: frozenset[date],
    principal_dates: frozenset[date],
    working: WorkingCalendar,
    interest_to_moved_date: bool,
) -> tuple[tuple[date, ...], tuple[date, ...], frozenset[date], tuple[date, ...]]:
    """`_calendar`'s figures for the grid's `dates` moved to working days (module docstring)."""
    moved = [working.next_working_day(day) for day in dates]
    ends, dues, interest, principal = [], [], set(), []
    collects = pays = False
    for index, (end, due) in enumerate(zip(dates, moved, strict=True)):
        collects = collects or end in interest_dates
        pays = pays or end in principal_dates
        if index + 1 < len(dates) and moved[index + 1] == due:
            continue  # falls due on the same day as the next date: one row, the next's
        ends.append(due if interest_to_moved_date else end)
        dues.append(due)
        if collects:
            interest.add(due)
        if pays:
            principal.append(due)
        collects = pays = False
    return tuple(ends), tuple(dues), frozenset(interest), tuple(principal)


def _add_months(day: date, months: int, day_of_month: int) -> date:
    """`day` moved by `months` onto `day_of_month`, or the month's last day if it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    if day_of_month > 28:
        day_of_month = min(day_of_month, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day_of_month)


def _spread(amount: Decimal, count: int) -> list[Decimal]:
    """`amount` in `count` equal whole-đồng parts; the last takes the remainder."""
    part = round_vnd(amount / count)
    whole = count - 1
    if part * whole > amount:
        # Fewer đồng than rows, and rounding up would overshoot: pay what there is, then nothing.
        whole = int(amount // part)
        return [part] * whole + [amount - part * whole] + [ZERO] * (count - 1 - whole)
    return [part] * whole + [amount - part * whole]


def _level_payment(principal: Decimal, annual_rate: Decimal, step_months: int, count: int) -> Decimal:
    """The annuity payment P = L·r / (1 − (1 + r)^−n), r the nominal rate of one period."""
    rate = annual_rate * step_months / 12
    if rate == 0:
        return round_vnd(principal / count)
    return round_vnd(principal * rate / (1 - (1 + rate) ** -count))


def _current_level(pays_principal: Sequence[Installment], schedule_end: Installment) -> Decimal:
    """The level payment of an annuity schedule in force: any regular principal row's total."""
    for row in pays_principal:
        if row.principal > 0 and row.due_date != schedule_end.due_date:
            return row.total
    return ZERO  # only the final row is left: it takes all anyway


def _terms_errors(terms: ScheduleTerms) -> dict[str, str]:
    """What no schedule can be built from: the lending terms' own check, then the arithmetic."""
    errors = terms_errors(
        amount=terms.principal,
        term_months=terms.term_months,
        annual_rate=terms.annual_rate,
        grace_months=terms.grace_months,
    )
    if "amount" in errors:
        errors["principal"] = errors.pop("amount")
    if terms.method not in METHODS:
        errors["method"] = _("Unknown repayment method %(method)s.") % {"method": terms.method}
    if terms.basis not in BASES:
        errors["basis"] = _("Unknown day-count basis %(basis)s.") % {"basis": terms.basis}
    for field, frequency in (
        ("principal_frequency", terms.principal_frequency),
        ("interest_frequency", terms.interest_frequency),
    ):
        if frequency not in FREQUENCIES:
            errors[field] = _("A frequency is 0 (at maturity), 1, 3, 6 or 12 months.")
        elif frequency and terms.term_months > 0 and terms.term_months % frequency:
            errors[field] = _(
                "A %(term)s-month term is not a whole number of %(frequency)s-month periods."
            ) % {
                "term": terms.term_months,
                "frequency": frequency,
            }
    if "principal_frequency" not in errors:
        if terms.method == ANNUITY and terms.principal_frequency != terms.interest_frequency:
            errors["principal_frequency"] = _(
                "Equal installments need principal and interest on the same frequency."
            )
        elif terms.method == BULLET and terms.principal_frequency != AT_MATURITY:
            errors["principal_frequency"] = _(
                "A bullet loan repays its principal at maturity: its principal frequency is 0."
            )
    if terms.first_due_date is not None and terms.term_months > 0:
        maturity = terms.maturity_date
        if terms.first_due_date <= terms.start_date:
            errors["first_due_date"] = _("The first due date must be after the start date.")
        elif terms.first_due_date > maturity:
            errors["first_due_date"] = _(
                "The first due date cannot be after the maturity date (%(date)s)."
            ) % {"date": maturity}
        elif terms.interest_frequency == AT_MATURITY and terms.first_due_date != maturity:
            errors["first_due_date"] = _(
                "With interest paid at maturity, the first due date is the maturity date (%(date)s)."
            ) % {"date": maturity}
    return errors

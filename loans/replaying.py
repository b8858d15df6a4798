"""The bridge between stored loans and the engine: terms and events in, results out.

A loan is one sub-loan, or one per household share for a household group; the engine replays
each on its own (`parts_of`). Its events are read in one query (`queries.events`), the
same for a page and for the services that post what the replay says.
"""

from datetime import date
from decimal import Decimal
from functools import lru_cache

from fund.selectors import calendar_days
from loans import queries
from loans.domain.calendar import WorkingCalendar
from loans.domain.engine import Change, LoanTerms, Restructure, Result, Waiver, replay
from loans.domain.schedule import Plan
from loans.models import LoanContract, LoanMemberShare
from loans.models.actions import ActionKind, ActionStatus, LoanAction
from loans.queries import REPLAYED


def fund_calendar() -> WorkingCalendar:
    """The fund's working days, as the schedules use them. The same object while the calendar
    holds (`fund.selectors.calendar_days` keeps it), so schedules remember their due dates."""
    days = calendar_days()
    return _working_calendar(days.rest_weekdays, days.holidays)


@lru_cache(maxsize=4)
def _working_calendar(rest_weekdays: frozenset[int], holidays: frozenset) -> WorkingCalendar:
    return WorkingCalendar(rest_weekdays, holidays)


def loan_terms(contract: LoanContract) -> LoanTerms:
    """The engine's terms from a contract (or anything with its fields, such as a locked loan's),
    on the fund's calendar."""
    return LoanTerms.of_product(
        contract,  # a contract keeps its product's repayment and overdue rules as signed, same names
        annual_rate=contract.annual_rate,
        term_months=contract.term_months,
        grace_months=contract.grace_months,
        first_due_date=contract.first_due_date,
        calendar=fund_calendar(),
    )


def parts_of(loan) -> list[LoanMemberShare | None]:
    """The sub-loans: each household share of a group loan, or the loan itself (None).
    `loan`: a Loan, or a locked loan (`queries.ServicedLoan`)."""
    if loan.is_group_loan:
        return list(
            LoanMemberShare.objects.filter(loan_id=loan.pk, contract_amount__isnull=False).select_related(
                "member"
            )
        )
    return [None]


def replay_part(
    loan, share: LoanMemberShare | None, *, as_of: date, changes: list[Change] | None = None
) -> Result:
    """The sub-loan on `as_of`, from its signed terms, every posted tranche and repayment and
    every approved change (`changes`: the loan's, when read already; else `changes_of`)."""
    tranches, payments = queries.events(loan.pk, share.pk if share else None)
    if changes is None:
        changes = changes_of([loan.pk]).get(loan.pk, [])
    return replay(
        loan_terms(loan.contract), tranches=tranches, payments=payments, as_of=as_of, changes=changes
    )


def changes_of(loan_ids) -> dict[int, list[Change]]:
    """Each loan's applied restructurings and waivers as the engine takes them, in the order
    they were applied (`LoanAction.effect` holds what each fixed)."""
    rows = (
        LoanAction.objects.filter(loan_id__in=loan_ids, status=ActionStatus.APPLIED, kind__in=REPLAYED)
        .order_by("pk")
        .values_list("loan_id", "pk", "kind", "applied_on", "effect")
    )
    return _changes(rows)


def changes_among(actions) -> list[Change]:
    """`changes_of` for one loan, from all its actions read already (a page lists them)."""
    rows = sorted(
        (a.loan_id, a.pk, a.kind, a.applied_on, a.effect)
        for a in actions
        if a.status == ActionStatus.APPLIED and a.kind in REPLAYED
    )
    return [change for changes in _changes(rows).values() for change in changes]


def _changes(rows) -> dict[int, list[Change]]:
    answer: dict[int, list[Change]] = {}
    for loan_id, pk, kind, applied_on, effect in rows:
        if not effect:  # being applied: it has not said yet what it does
            continue
        answer.setdefault(loan_id, []).append(change_event(f"a{pk}", kind, applied_on, effect))
    return answer


def change_event(key: str, kind: str, day: date, effect: dict) -> Change:
    """The engine's event for an applied action's `effect` (see the kinds' `apply`)."""
    if kind == ActionKind.WAIVER:
        return Waiver(
            key, day, **{name: Decimal(effect[name]) for name in ("interest", "accrued", "late_interest")}
        )
    plan = dict(effect["plan"])
    if plan.get("first_due_date"):
        plan["first_due_date"] = date.fromisoformat(plan["first_due_date"])
    return Restructure(
        key,
        day,
        plan=Plan(**plan, calendar=fund_calendar()),
        annual_rate=Decimal(effect["annual_rate"]),
        start=date.fromisoformat(effect["start"]),
        reason=kind,
        take_overdue=effect["take_overdue"],
        capitalised=Decimal(effect["capitalised"]),
    )

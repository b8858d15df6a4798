"""Close of day: the fund's business date moves one day at a time, each day closed in order.

Closing business date D, chunk by chunk of borrowers' loans, each chunk in one transaction
(`runs`), for the loans it touches (`candidates`), locked in id order:
1. fall due: each loan brought to the morning of D + 1, from its stored rows, or replayed and its
   rows written when an installment falls due by then (`positions`);
2. overdue transfer: principal unpaid past its due date (and the product's days of grace) moves
   to the overdue loan account;
3. days past due and debt group, by the product's bands; with the fund's rule, a borrower's
   loans all take the worst group among them; each change recorded;
4. non-accrual: from the fund's group on, interest receivable is reversed and carried on the
   memo of suspended interest; below it again, what it owes so far joins the memo (income only
   when paid) and accrual restarts the next day;
5. accrual: interest receivable brought to what is owed, at month end (or daily, as the fund
   posts it), at a switch, and after an event that changed days already closed (a back-dated
   repayment, a reversal);
6. provisions, at month end: specific by group on what collateral does not cover, general on
   groups 1 to 4;
7. the business date becomes D + 1, once every chunk is done (`runs.finish_run`).
Each step posts the difference from what is booked (`postings`), so a day run again posts
nothing, and a back-dated event's effect is booked on the next day closed. On a day that posts
every loan's interest (a month end, or every day when the fund posts accrual daily), the loans
with nothing else that day are decided and booked set-based first (`batched`), the same books
to the đồng; the others go through the steps loan by loan.
"""

import calendar
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.db import Among
from common.money import ZERO
from fund.models import Fund, LoanProduct
from fund.selectors import current_fund
from loans import queries
from loans.domain.classification import (
    borrower_groups,
    days_past_due,
    general_provision,
    group_for,
    held_group,
    specific_provision,
)
from loans.models import (
    CloseOfDay,
    Collateral,
    DebtGroupChange,
    Loan,
    LoanBalance,
    LoanStatus,
    ScheduleVersion,
)
from loans.models.closing import GROUPS
from loans.services.closing import batched, candidates, positions
from loans.services.closing.positions import DayEnd
from loans.services.closing.postings import STEPS, DayPostings, Decision

ONE_DAY = timedelta(days=1)
PERMISSION = "fund.advance_business_date"


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


@dataclass
class Outcome:
    """What closing a set of loans did: how many it looked at, per step how many loan postings
    (and debt groups changed), seconds per phase, and the loans it could not close, with why."""

    loans: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)

    @property
    def postings(self) -> int:
        return sum(count for step, count in self.counts.items() if step != GROUPS)


def close_steps(
    fund: Fund,
    day: date,
    *,
    actor,
    full: bool,
    rebuild: bool = False,
    borrowers: tuple[int, int | None] = (0, None),
    found: list[int] | None = None,
    key: str = "loans:close",
) -> Outcome:
    """Steps 1 to 6 of `day` for the loans of `borrowers` it touches (`candidates`; every loan
    when `full`; `rebuild`: their rows written again, after a change of the calendar; `found`:
    those the run's start found), locked in id order. Idempotent: run again, it posts nothing
    more. `key` starts the entries' keys."""
    ids = candidates.loans_to_close(
        day,
        full=full or rebuild,
        worst_of_borrower=fund.worst_group_per_borrower,
        borrowers=borrowers,
        found=found,
    )
    return close_loans(fund, day, ids, actor=actor, full=full, rebuild=rebuild, key=key)


def close_loans(
    fund: Fund, day: date, ids: list[int], *, actor, full: bool, rebuild: bool, key: str
) -> Outcome:
    """Steps 1 to 6 of `day` for the loans `ids` (with the borrower rule, all the borrowers'
    active loans). A loan whose events cannot be replayed or whose books do not agree is left
    out, with why (`Outcome.failures`); the others close."""
    timer, outcome = _Timer(), Outcome()
    month_end = is_month_end(day)
    plain = None
    if full and not rebuild:  # the loans that only accrue and provision: set-based (`batched`)
        queries.lock_loans(ids)
        plain = batched.plain(fund, day, ids, provisions=month_end)
        ids = [pk for pk in ids if pk not in plain.loan_ids]
        timer.lap("batched")
    serviced = queries.lock_serviced_loans(ids)
    loans = _held(ids)
    products = LoanProduct.objects.in_bulk({loan.product_id for loan in loans.values()})
    timer.lap("read")
    ends: dict[int, DayEnd] = {} if rebuild else positions.projected(ids, day)
    to_replay = [serviced[pk] for pk in ids if serviced[pk].contract is not None and pk not in ends]
    grace = {loan.pk: products[loans[loan.pk].product_id].overdue_grace_days for loan in to_replay}
    if not rebuild:
        ends |= positions.forwarded(to_replay, day, grace_days=grace)
        to_replay = [loan for loan in to_replay if loan.pk not in ends]
    replayed, outcome.failures = positions.replayed(to_replay, day, grace_days=grace, rebuild=rebuild)
    ends |= replayed
    timer.lap("positions")
    own = {}  # each active loan's own group, by days past due and its product's bands
    for pk, end in ends.items():
        if loans[pk].status == LoanStatus.ACTIVE:
            starts = products[loans[pk].product_id].group_starts
            own[pk] = group_for(days_past_due(end.oldest_unpaid_due_date, day), starts)
    by_days = dict(own)
    cured = []  # restructured loans whose cure period is paid on time: the hold ends
    for pk, (hold, paid_on_time) in _holds(loans, ends, day).items():
        if pk in own:
            own[pk], still = held_group(own[pk], hold, paid_on_time=paid_on_time, cure=fund.cure_installments)
            if still is None:
                cured.append(pk)
    groups = borrower_groups(
        own, {pk: loans[pk].borrower_id for pk in own}, worst_of_borrower=fund.worst_group_per_borrower
    )
    booked = queries.booked(list(ends))
    corrected = set() if full else candidates.corrected(list(ends), day)
    collateral = collateral_values(list(ends)) if month_end else {}
    timer.lap("groups")
    postings = DayPostings(day, key=key)
    changes = []
    moved: dict[tuple[int, bool], list[int]] = defaultdict(list)
    for pk, end in ends.items():
        loan, product = loans[pk], products[loans[pk].product_id]
        group = groups.get(pk, 1)
        suspended = group >= fund.non_accrual_from_group
        # Into non-accrual, or out of it (a repayment cured the arrears): interest is posted that
        # day, as non-accrual interest: what the loan owes so far, accrued while it was in
        # non-accrual, goes on the memo (income only when paid); accrual restarts the next day.
        switched = suspended != loan.accrual_suspended
        provisions = (
            loan_provisions(product, group, end.outstanding, collateral.get(pk, ZERO)) if month_end else None
        )
        decision = Decision(
            accruing=not (suspended or loan.accrual_suspended),
            post_interest=full or switched or pk in corrected,
            provisions=provisions,
        )
        try:
            postings.add_loan(serviced[pk], end, booked.get(pk, queries.Booked()), decision)
        except ValidationError as error:
            outcome.failures[pk] = " ".join(error.messages)
            continue
        if group != loan.debt_group:
            changes.append(
                DebtGroupChange(
                    loan_id=pk,
                    changed_on=day,
                    from_group=loan.debt_group,
                    to_group=group,
                    days_past_due=days_past_due(end.oldest_unpaid_due_date, day),
                    reason=DebtGroupChange.Reason.DAYS_PAST_DUE
                    if by_days.get(pk, 1) == group
                    else DebtGroupChange.Reason.RESTRUCTURED
                    if own.get(pk, 1) == group
                    else DebtGroupChange.Reason.BORROWER,
                )
            )
        if (group, suspended) != (loan.debt_group, loan.accrual_suspended):
            moved[group, suspended].append(pk)
    for (group, suspended), pks in moved.items():  # one UPDATE per new state, not per loan
        Loan.objects.filter(pk__in=pks).update(debt_group=group, accrual_suspended=suspended)
    timer.lap("postings")
    Loan.objects.filter(pk__in=cured).update(restructured_group=None)
    DebtGroupChange.objects.bulk_create(changes)
    postings.post(actor=actor, batched=plain)
    timer.lap("books")
    outcome.loans = len(ends) + len(outcome.failures) + (len(plain.loan_ids) if plain else 0)
    outcome.counts = {
        str(kind): len(postings.steps[kind]) + (plain.counts.get(kind, 0) if plain else 0) for kind in STEPS
    } | {GROUPS: len(changes)}
    outcome.seconds = timer.seconds
    return outcome


def _holds(loans: dict, ends: dict, day: date) -> dict[int, tuple[int, int]]:
    """Each restructured loan still held at a group: that group, and how many installments fell
    due after it was restructured, or after it last had something overdue if later, up to the
    end of `day` (all paid on time, or it would have been overdue since); none while something
    is overdue now."""
    held = {pk: loan for pk, loan in loans.items() if loan.restructured_group and pk in ends}
    answer = {}
    for pk, loan in held.items():
        if ends[pk].oldest_unpaid_due_date is not None and ends[pk].oldest_unpaid_due_date <= day:
            answer[pk] = (loan.restructured_group, 0)
            continue
        late = (
            LoanBalance.objects.filter(
                loan_id=pk, valid_from__gt=loan.restructured_on, oldest_unpaid_due_date__lt=F("valid_from")
            )
            .order_by("-valid_from")
            .values_list("valid_from", flat=True)
            .first()
        )
        since = max(loan.restructured_on, late) if late else loan.restructured_on
        version = ScheduleVersion.objects.filter(loan_id=pk, share__isnull=True).order_by("-number").first()
        due = (
            version.rows.filter(kind="scheduled", due_date__gt=since, due_date__lte=day).count()
            if version
            else 0
        )
        answer[pk] = (loan.restructured_group, due)
    return answer


class _Held(NamedTuple):
    """What close of day reads of a loan row besides what a money event does (`ServicedLoan`)."""

    product_id: int
    borrower_id: int
    status: str
    debt_group: int
    accrual_suspended: bool
    restructured_group: int | None
    restructured_on: date | None


def _held(ids: list[int]) -> dict[int, _Held]:
    rows = Loan.objects.filter(Among("pk", ids)).order_by().values_list("pk", *_Held._fields)
    return {pk: _Held(*values) for pk, *values in rows}


class _Timer:
    """Seconds spent in each phase, one lap after another."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = round(now - self._last, 4)
        self._last = now


def last_calendar():
    """The calendar the last day closed was closed with (None before the first close)."""
    return CloseOfDay.objects.order_by("-business_date").values_list("calendar_token", flat=True).first()


def loan_provisions(product: LoanProduct, group: int, outstanding, collateral) -> tuple[Decimal, Decimal]:
    """The specific and general provisions a loan of `product` in `group` must have."""
    return (
        specific_provision(outstanding, collateral, product.provision_rate(group)),
        general_provision(outstanding, group, product.general_provision_rate),
    )


def collateral_values(loan_ids: list[int] | None) -> dict:
    """Each loan's collateral value allowed for provisioning (of `loan_ids`; None: every loan's)."""
    rows = (
        Collateral.objects.all()
        if loan_ids is None
        else Collateral.objects.filter(Among("loan_id", loan_ids))
    )
    sums = rows.order_by().values("loan_id").annotate(value=Sum("provisioning_value"))
    return dict(sums.values_list("loan_id", "value"))


@dataclass(frozen=True)
class Plan:
    """What running close of day up to a date would do: which days, over how many loans."""

    first: date
    until: date  # the business date afterwards
    active_loans: int

    @property
    def days(self) -> int:
        return (self.until - self.first).days

    @property
    def month_ends(self) -> int:
        return sum(1 for offset in range(self.days) if is_month_end(self.first + timedelta(days=offset)))


def plan_until(until: date) -> Plan:
    """The close of every day from the business date to the day before `until`, checked: `until`
    is after the business date and not after today. Raises FundNotSetUp before the fund is set up."""
    fund = current_fund()
    if until <= fund.business_date:
        raise ValidationError(
            {"until": _("The business date is already %(date)s.") % {"date": format_date(fund.business_date)}}
        )
    if until > timezone.localdate():
        raise ValidationError({"until": _("Close of day cannot run beyond today.")})
    return Plan(fund.business_date, until, Loan.objects.filter(status=LoanStatus.ACTIVE).count())

"""Close of day: the fund's business date moves one day at a time, each day closed in order.

Closing business date D, in one transaction (all of it or nothing), for the loans it touches
(`candidates`), locked in id order:
1. fall due: each loan replayed to the morning of D + 1 and its stored rows written (`positions`);
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
7. the business date becomes D + 1.
Each step posts the difference from what is booked (`postings`), so a day run again posts
nothing, and a back-dated event's effect is booked on the next day closed.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import ZERO
from fund.models import Fund, LoanProduct
from fund.models.fund import AccrualPosting
from fund.selectors import current_fund
from fund.services import next_business_date
from fund.services.common import locked_fund, require_permission
from ledger.models import Period, PeriodState
from loans import queries
from loans.domain.classification import (
    borrower_groups,
    days_past_due,
    general_provision,
    group_for,
    specific_provision,
)
from loans.models import CloseOfDay, Collateral, DebtGroupChange, Loan, LoanStatus
from loans.services.closing import candidates
from loans.services.closing.positions import DayEnd, day_end
from loans.services.closing.postings import DayPostings, Decision

ONE_DAY = timedelta(days=1)
PERMISSION = "fund.advance_business_date"


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


@transaction.atomic
def close_business_day(*, actor, before: date | None = None) -> CloseOfDay | None:
    """Close the fund's business date and move it to the next day; with `before`, only if the
    business date is still before it (None when not: another close got there first)."""
    require_permission(actor, PERMISSION)
    fund = locked_fund()  # one close at a time: a second one waits, then sees the date moved
    day = fund.business_date
    if before is not None and day >= before:
        return None
    if Period.objects.filter(year=day.year, month=day.month, state=PeriodState.CLOSED).exists():
        raise ValidationError(
            _("%(month)s is closed in the books: a day in it cannot be closed. Reopen the month first.")
            % {"month": f"{day:%m/%Y}"}
        )
    next_business_date(fund)  # first: it refuses a day not over yet before any work is done
    postings, touched = close_steps(fund, day, actor=actor)
    return CloseOfDay.objects.create(
        business_date=day,
        loans=touched,
        postings=postings,
        closed_by=actor,
        calendar_token=fund.calendar_token,
    )


def close_steps(fund: Fund, day: date, *, actor) -> tuple[int, int]:
    """Steps 1 to 6 for `day`: how many loan postings they made, and how many loans they looked
    at. Idempotent: run again for the same day, they post nothing more."""
    month_end = is_month_end(day)
    full = month_end or fund.accrual_posting == AccrualPosting.DAILY
    # A loan's stored rows hold its next due date as the calendar then moved it: after a change
    # of the calendar (a day off removed moves a due date earlier) every loan's rows are written
    # again, once, so that the days to come find the loans falling due (`candidates`).
    recalendared = _last_calendar() != fund.calendar_token
    ids = candidates.loans_to_close(
        day, full=full or recalendared, worst_of_borrower=fund.worst_group_per_borrower
    )
    queries.lock_loans(ids)
    loans = Loan.objects.in_bulk(ids)
    products = LoanProduct.objects.in_bulk({loan.product_id for loan in loans.values()})
    ends: dict[int, tuple[queries.ServicedLoan, DayEnd]] = {}
    for pk in ids:
        serviced = queries.lock_loan(pk)
        if serviced.contract is None:
            continue
        end = day_end(
            serviced, day, grace_days=products[loans[pk].product_id].overdue_grace_days, rebuild=recalendared
        )
        if end is not None:
            ends[pk] = (serviced, end)
    own = {
        pk: group_for(days_past_due(end.oldest_unpaid_due_date, day), _starts(products[loans[pk].product_id]))
        for pk, (_serviced, end) in ends.items()
        if loans[pk].status == LoanStatus.ACTIVE
    }
    groups = borrower_groups(
        own, {pk: loans[pk].borrower_id for pk in own}, worst_of_borrower=fund.worst_group_per_borrower
    )
    booked = queries.booked(list(ends))
    corrected = set() if full else candidates.corrected(list(ends), day)
    collateral = collateral_values(list(ends)) if month_end else {}
    postings = DayPostings(day)
    changes = []
    for pk, (serviced, end) in ends.items():
        loan, product = loans[pk], products[loans[pk].product_id]
        group = groups.get(pk, 1)
        suspended = group >= fund.non_accrual_from_group
        if group != loan.debt_group:
            changes.append(
                DebtGroupChange(
                    loan_id=pk,
                    changed_on=day,
                    from_group=loan.debt_group,
                    to_group=group,
                    days_past_due=days_past_due(end.oldest_unpaid_due_date, day),
                    reason=DebtGroupChange.Reason.DAYS_PAST_DUE
                    if own.get(pk, 1) == group
                    else DebtGroupChange.Reason.BORROWER,
                )
            )
        if (group, suspended) != (loan.debt_group, loan.accrual_suspended):
            Loan.objects.filter(pk=pk).update(debt_group=group, accrual_suspended=suspended)
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
        postings.add_loan(serviced, end, booked.get(pk, queries.Booked()), decision)
    DebtGroupChange.objects.bulk_create(changes)
    postings.post(actor=actor)
    return postings.count, len(ends)


def _last_calendar():
    """The calendar the last day closed was closed with (None before the first close)."""
    return CloseOfDay.objects.order_by("-business_date").values_list("calendar_token", flat=True).first()


def _starts(product: LoanProduct) -> tuple[int, ...]:
    return (
        product.group2_from_days,
        product.group3_from_days,
        product.group4_from_days,
        product.group5_from_days,
    )


def loan_provisions(product: LoanProduct, group: int, outstanding, collateral) -> tuple[Decimal, Decimal]:
    """The specific and general provisions a loan of `product` in `group` must have."""
    return (
        specific_provision(outstanding, collateral, product.provision_rates[group]),
        general_provision(outstanding, group, product.general_provision_rate),
    )


def collateral_values(loan_ids: list[int]) -> dict:
    """Each loan's collateral value allowed for provisioning."""
    rows = (
        Collateral.objects.filter(loan_id__in=loan_ids)
        .values("loan_id")
        .annotate(value=Sum("provisioning_value"))
    )
    return {row["loan_id"]: row["value"] for row in rows}


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
            {
                "until": _("The business date is already %(date)s.")
                % {"date": f"{fund.business_date:%d/%m/%Y}"}
            }
        )
    if until > timezone.localdate():
        raise ValidationError({"until": _("Close of day cannot run beyond today.")})
    return Plan(fund.business_date, until, Loan.objects.filter(status=LoanStatus.ACTIVE).count())


def close_until(
    *, actor, until: date, progress: Callable[[CloseOfDay], None] | None = None
) -> list[CloseOfDay]:
    """Close each day from the business date until the business date is `until`, in order, each
    in its own transaction: stopped part-way, the days closed stay closed and a rerun goes on."""
    require_permission(actor, PERMISSION)
    plan_until(until)
    closed = []
    # Up to `until` whoever else closes days meanwhile (two accountants at once): the business
    # date is read again, locked, before each day.
    while (day := close_business_day(actor=actor, before=until)) is not None:
        closed.append(day)
        if progress is not None:
            progress(day)
    return closed

"""What the home page counts of the loans, for each role, on the business date (beside
`loans.arrears`, whose buckets it counts).

It runs on every home page load, so each figure is one query on an index, whatever the size of
the portfolio: dues and arrears from the current stored balances rows (`LoanBalance`'s partial
indexes on the next and the oldest unpaid due date), never a replay; the state of close of day
from its last run. The counts link to the lists they count, which filter the same way
(`due_rows` for the loan list's dues, the arrears list's officer).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum

from common.db import Among
from common.money import ZERO
from common.querysets import filter_given
from loans.arrears import GROUPS, Bucket, MonthEnd, month_ends
from loans.models import ClassificationReport, LoanBalance, PortfolioSummary, ReconciliationCheck
from loans.models.actions import PERMISSIONS, ActionStatus
from loans.models.loan import Loan, LoanStatus
from loans.selectors.access import loans_visible_to, status_counts
from loans.selectors.actions import actions_visible_to
from loans.selectors.balances import StoredPosition
from loans.selectors.closing import RunSummary, current_run
from loans.selectors.servicing import pending_disbursements
from loans.selectors.summaries import principal_sum, usable

# The loan list's filter of dues: on the business date, or from it to the end of its week.
TODAY, THIS_WEEK = "today", "week"


def dues_until(day: date, dues: str) -> date:
    """The last day of `dues` (TODAY or THIS_WEEK: up to Sunday) from the business date `day`."""
    return day if dues == TODAY else day + timedelta(days=6 - day.weekday())


def _current(loans: Q | None) -> QuerySet[LoanBalance]:
    rows = LoanBalance.objects.filter(valid_to__isnull=True).order_by()
    return rows if loans is None else rows.filter(loans)


def due_rows(start: date, end: date, *, loans: Q | None = None) -> QuerySet[LoanBalance]:
    """The current balances rows (of `loans`, a filter on their loan) with an installment falling
    due from `start` to `end`: what is still to pay on those days."""
    return _current(loans).filter(next_due_date__gte=start, next_due_date__lte=end)


@dataclass(frozen=True)
class Dues:
    until: date
    loans: int
    amount: Decimal


def dues(day: date, *, loans: Q | None = None) -> dict[str, Dues]:
    """The loans with an installment falling due today and this week, and how much, in one query."""
    week = dues_until(day, THIS_WEEK)
    today = Q(next_due_date=day)
    figures = due_rows(day, week, loans=loans).aggregate(
        today=Count("loan", distinct=True, filter=today),
        today_amount=Sum("next_due_amount", filter=today),
        week=Count("loan", distinct=True),
        week_amount=Sum("next_due_amount"),
    )
    return {
        TODAY: Dues(day, figures["today"], figures["today_amount"] or ZERO),
        THIS_WEEK: Dues(week, figures["week"], figures["week_amount"] or ZERO),
    }


def overdue_by_bucket(day: date, starts: list[int], *, loans: Q | None = None) -> list[Bucket]:
    """The loans past due on `day` in each of the fund's aging buckets (`starts`: each bucket's
    first day), counted as the arrears aging does: a loan's days from its oldest unpaid due date
    over its sub-loans. One query over the rows in arrears only."""
    buckets = [
        Bucket(first, following - 1 if following is not None else None)
        for first, following in zip(starts, [*starts[1:], None], strict=True)
    ]
    per_loan = (
        _current(loans)
        .filter(oldest_unpaid_due_date__lt=day)
        .values("loan_id")
        .annotate(oldest=Min("oldest_unpaid_due_date"))
    )
    counts = per_loan.aggregate(
        **{
            str(index): Count(
                "loan_id",
                filter=Q(oldest__lte=day - timedelta(days=bucket.first))
                & (Q() if bucket.last is None else Q(oldest__gte=day - timedelta(days=bucket.last))),
            )
            for index, bucket in enumerate(buckets)
        }
    )
    for index, bucket in enumerate(buckets):
        bucket.loans = counts[str(index)]
    return buckets


@dataclass(frozen=True)
class OfficerWork:
    officer: int | None  # whose loans (None: every loan), for the lists' filter
    drafts: int
    dues: dict[str, Dues]
    overdue: list[Bucket]


def officer_work(day: date, starts: list[int], *, officer=None) -> OfficerWork:
    """An officer's applications in draft, dues and loans overdue by bucket; `officer`: only the
    loans it took (None: every loan)."""
    mine = None if officer is None else Q(loan__created_by=officer)
    drafts = filter_given(Loan.objects.filter(status=LoanStatus.DRAFT), created_by=officer)
    return OfficerWork(
        officer=getattr(officer, "pk", None),
        drafts=drafts.count(),
        dues=dues(day, loans=mine),
        overdue=overdue_by_bucket(day, starts, loans=mine),
    )


@dataclass(frozen=True)
class AccountantWork:
    tranches: int
    last_close: RunSummary | None
    books: ReconciliationCheck | None  # the last check of the sub-ledger against the GL


def accountant_work(day: date) -> AccountantWork:
    """Tranches waiting for authorization, close of day's last run (or the one going on), and
    the control accounts whose sub-ledger differed from the GL when the books were last checked
    (after a close, or on request): summing every posting on each page load would cost too much."""
    summary, _looking = current_run(day)
    return AccountantWork(
        tranches=pending_disbursements().count(),
        last_close=summary,
        books=ReconciliationCheck.objects.first(),
    )


def requests_waiting(user) -> int:
    """The restructuring and write-off requests waiting for a decision the user may take: of the
    kinds it may approve, not its own (four eyes)."""
    kinds = [kind for kind, (_request, approve) in PERMISSIONS.items() if user.has_perm(approve)]
    waiting = actions_visible_to(user).filter(status=ActionStatus.REQUESTED, kind__in=kinds)
    return waiting.exclude(requested_by=user).count()


@dataclass(frozen=True)
class CoopLoan:
    loan: Loan
    position: StoredPosition

    @property
    def overdue(self) -> Decimal:
        return self.position.overdue_principal + self.position.overdue_interest


@dataclass(frozen=True)
class CoopWork:
    as_of: date
    loans: list[CoopLoan]
    applications: list[tuple[LoanStatus, int]]  # the statuses it has applications in

    @property
    def next_due(self) -> CoopLoan | None:
        """The loan with the nearest installment to pay."""
        due = [line for line in self.loans if line.position.next_due_date is not None]
        return min(due, key=lambda line: line.position.next_due_date, default=None)

    @property
    def overdue(self) -> Decimal:
        return sum((line.overdue for line in self.loans), ZERO)

    @property
    def days_past_due(self) -> int:
        return max((line.position.days_past_due for line in self.loans), default=0)


def coop_work(user, day: date) -> CoopWork:
    """A co-op user's own loans on `day` from their current stored rows (the loans it may see,
    `loans_visible_to`: its borrower's only), and its applications by status."""
    visible = loans_visible_to(user)
    rows: dict[int, list[LoanBalance]] = defaultdict(list)
    for row in _current(Q(loan__in=visible.values("pk"))).select_related("loan").order_by("loan", "share"):
        rows[row.loan_id].append(row)
    loans = [CoopLoan(own[0].loan, StoredPosition(day, own)) for own in rows.values()]
    loans = [line for line in loans if line.position.principal_outstanding or line.overdue]
    counts = status_counts(visible)
    return CoopWork(day, loans, [(LoanStatus(status), count) for status, count in counts.items() if count])


def portfolio_overview(
    day: date, *, par_days: list[int], months: int = 12, summarised: bool | None = None
) -> list[MonthEnd]:
    """The managers' view of the portfolio: each month end of the `months` before `day` as its
    close froze it (the classification as reported: one query), then `day` itself: from its
    summary when close of day closed it (`loans.selectors.summaries`), else the business date from
    the current rows (`day_point`). The month-end trend restated as the rows now say, PAR at each
    month end included, is the trend report's: it reads every loan's rows at each month end, too
    much for each home page load."""
    ends = month_ends(day, months)[:-1]
    frozen = ClassificationReport.objects.filter(month_end__in=ends).order_by("month_end", "group")
    points: dict[date, MonthEnd] = {}
    for row in frozen:
        point = points.setdefault(row.month_end, _point(row.month_end))
        point.outstanding[row.group], point.loans[row.group] = row.outstanding, row.loans
    if summarised is None:  # not known yet
        summarised = usable(day)
    last = _summarised(day, par_days) if summarised else day_point(day, par_days=par_days)
    return [*points.values(), last]


def _point(day: date) -> MonthEnd:
    return MonthEnd(day, dict.fromkeys(GROUPS, ZERO), dict.fromkeys(GROUPS, 0), [])


def _with_par(point: MonthEnd, par_days: list[int], late: list[tuple[date, Decimal]]) -> MonthEnd:
    """PAR: the outstanding of the loans whose oldest unpaid due date (`late`: each loan's or
    each summary row's, with its principal) is more than n days before the point's day."""
    for days in par_days:
        since = point.day - timedelta(days=days)
        at_risk = sum((amount for oldest, amount in late if oldest < since), ZERO)
        point.par.append((days, at_risk, at_risk / point.gross if point.gross else ZERO))
    return point


def day_point(day: date, *, par_days: list[int], rows: QuerySet[LoanBalance] | None = None) -> MonthEnd:
    """The active loans' principal by the debt group close of day last set, and PAR, on `day`
    from `rows` (default: the current balances rows, the business date's)."""
    rows = _current(None) if rows is None else rows.order_by()
    point = _point(day)
    current = rows.filter(loan__status=LoanStatus.ACTIVE)
    for row in current.values("loan__debt_group").annotate(
        principal=principal_sum(), count=Count("loan", distinct=True)
    ):
        point.outstanding[row["loan__debt_group"]] = row["principal"]
        point.loans[row["loan__debt_group"]] = row["count"]
    # Past due more than n days: a sub-loan's oldest unpaid due date before day - n. The loans
    # in arrears from the rows' arrears index, then the active ones' rows by their ids (a group's
    # households not late count in its outstanding): two queries on indexes for every threshold.
    late = dict(
        rows.filter(oldest_unpaid_due_date__lt=day)
        .values("loan_id")
        .annotate(oldest=Min("oldest_unpaid_due_date"))
        .values_list("loan_id", "oldest")
    )
    owed = current.filter(Among("loan_id", list(late))).values("loan_id").annotate(principal=principal_sum())
    return _with_par(
        point, par_days, [(late[pk], amount) for pk, amount in owed.values_list("loan_id", "principal")]
    )


def _summarised(day: date, par_days: list[int]) -> MonthEnd:
    """`day_point` of a closed day, from its summary: one query, a row per debt group and oldest
    unpaid due date."""
    rows = (
        PortfolioSummary.objects.filter(day=day, active=True)
        .order_by()
        .values("debt_group", "oldest_unpaid_due_date")
        .annotate(amount=principal_sum(), count=Sum("loans"))
        .values_list("debt_group", "oldest_unpaid_due_date", "amount", "count")
    )
    point, late = _point(day), []
    for group, oldest, amount, count in rows:
        point.outstanding[group] += amount
        point.loans[group] += count
        if oldest is not None:
            late.append((oldest, amount))
    return _with_par(point, par_days, late)

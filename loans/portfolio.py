"""The portfolio report's figures (`loans.report_sheets` lays them out).

On any date D, by value date, as we now know it: the principal outstanding and the loans owing
it by product, borrower type, sector (what the borrower lends for), district and term class, from
the stored balances rows in force on D (`balances.balances_as_of`, one query); what was disbursed
and collected in a period, from the loans' sub-ledger (a repayment counts on its own value date
with its allocation in force now, a reversed one not at all), or from the sums close of day kept
of the period's days; and what falls due in the N days after D by the schedule in force on D
(principal and interest as scheduled).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from common.dates import format_span
from common.money import ZERO
from fund.models import Borrower, LoanProduct
from fund.models.borrowers import Sector
from fund.models.products import TermClass, term_class_of
from loans.models import LoanTransaction, PortfolioDue, PortfolioFlow, ScheduleRow, ScheduleVersion
from loans.selectors.balances import balances_as_of
from loans.selectors.summaries import principal_sum, summary_rows, usable, usable_from

WEEK = 7
EXPECTED_DAYS_MAX = 366


@dataclass
class Line:
    """The loans of one product (borrower type, sector...) owing principal on D."""

    label: str
    loans: int = 0
    outstanding: Decimal = ZERO


_LOAN = (  # a loan's dimensions after its id
    "loan_id",
    "loan__product__name",
    "loan__borrower__type",
    "loan__borrower__sector",
    "loan__borrower__district",
    "loan__borrower__province",
    "loan__contract__term_months",
)


# The same dimensions on a summary row.
_SUMMARY = ("product__name", "borrower_type", "sector", "district", "province", "term_months")


def _term_label(months: int | None):
    return TermClass(term_class_of(months)).label if months else "—"


# Each breakdown: its name, its title, and the label of a loan's line from its `_LOAN` values.
DIMENSIONS: list[tuple[str, object, Callable[..., object]]] = [
    ("product", _("Product"), lambda product, *rest: product),
    ("borrower_type", _("Borrower type"), lambda _p, kind, *rest: Borrower.Type(kind).label),
    ("sector", _("Sector (purpose)"), lambda _p, _k, sector, *rest: Sector(sector).label),
    ("district", _("District"), lambda _p, _k, _s, district, province, _m: f"{district}, {province}"),
    ("term", _("Term"), lambda *values: _term_label(values[-1])),
]


@dataclass
class Holdings:
    as_of: date
    loans: int
    outstanding: Decimal
    by: dict[str, list[Line]]  # DIMENSIONS' names to their lines, the largest outstanding first
    where: Q | None = field(default=None, repr=False, compare=False)  # the filter on the loans

    @property
    def loan_ids(self) -> list[int]:
        """Which loans these are, in order (one query: the report itself needs only its sums)."""
        return sorted(owing(self.as_of, self.where).values_list("loan_id", flat=True))


def _filtered(rows, loans: Q | None):
    return rows if loans is None else rows.filter(loans)


def owing(day: date, loans: Q | None = None):
    """The ids of the loans owing principal on `day` (of `loans`), summed over their sub-loans:
    a subquery. A row's principal is never negative (what is paid of an installment is at most
    what it owes), so a loan's sum is positive when one of its rows' is: no grouping by loan,
    whose count the planner cannot estimate (it then loops over 100 000 loans one by one)."""
    rows = _filtered(balances_as_of(day), loans).order_by()
    return (
        rows.alias(principal=F("principal_in_term") + F("principal_overdue"))
        .filter(principal__gt=0)
        .values("loan_id")
    )


def holdings(day: date, *, loans: Q | None = None, summarised: bool | None = None) -> Holdings:
    """The loans owing principal on `day` (of `loans`, a filter on the rows' loan), summed over
    their sub-loans, and their principal by each of `DIMENSIONS`: summed in the database by the
    dimensions' values together (a loan has one of each), a few hundred rows, then by each. On a
    day close of day summarised, from its summary (`loans.selectors.summaries`; `summarised`:
    whether `usable` says so, when the caller asked it already)."""
    summary = summary_rows(day, loans) if _summarised(day, summarised) else None
    if summary is not None:
        together = (
            summary.filter(owing=True)
            .values(*_SUMMARY)
            .annotate(count=Sum("loans"), principal=principal_sum())
            .values_list(*_SUMMARY, "count", "principal")
        )
    else:
        together = (
            _filtered(balances_as_of(day), loans)
            .filter(loan_id__in=owing(day, loans))
            .order_by()
            .values(*_LOAN[1:])
            .annotate(count=Count("loan_id", distinct=True), principal=principal_sum())
            .values_list(*_LOAN[1:], "count", "principal")
        )
    lines: dict[str, dict[object, Line]] = {name: {} for name, _title, _label in DIMENSIONS}
    count, total = 0, ZERO
    for *details, loans_of, principal in together:
        count += loans_of
        total += principal
        for name, _title, label_of in DIMENSIONS:
            label = label_of(*details)
            line = lines[name].setdefault(str(label), Line(label))
            line.loans += loans_of
            line.outstanding += principal
    by = {
        name: sorted(found.values(), key=lambda line: (-line.outstanding, str(line.label)))
        for name, found in lines.items()
    }
    return Holdings(day, count, total, by, loans)


# --- disbursed and collected in a period --------------------------------------------------


@dataclass
class Flow:
    """A product's money in and out over the period."""

    label: str
    disbursed: Decimal = ZERO
    principal: Decimal = ZERO  # collected
    interest: Decimal = ZERO
    late_interest: Decimal = ZERO  # late interest and interest on unpaid interest

    FIGURES = ("disbursed", "principal", "interest", "late_interest")

    @property
    def collected(self) -> Decimal:
        return self.principal + self.interest + self.late_interest

    @classmethod
    def total(cls, flows: list["Flow"]) -> "Flow":
        return cls("", *(sum((getattr(flow, name) for flow in flows), ZERO) for name in cls.FIGURES))


def moved(start: date, end: date, by: tuple[str, ...], loans: Q | None = None) -> list[QuerySet]:
    """Disbursed, then collected, from `start` to `end` by value date (of `loans`), each summed
    by `by` (lookups on a loan transaction): rows of `by`'s values and `Flow.FIGURES`. Postings
    undone since (a reversed repayment; a repayment posted again after a back-dated event) are
    left out: what stands is the current posting, on the repayment's own value date."""
    # Not reversed, as an anti-join the planner sizes (a join to the reversal it cannot).
    reversal = LoanTransaction.objects.filter(reverses=OuterRef("pk"))
    live = _filtered(LoanTransaction.objects.exclude(Exists(reversal)), loans).order_by()
    none = Value(ZERO, output_field=DecimalField())
    disbursed = live.filter(kind=LoanTransaction.Kind.DISBURSEMENT, value_date__range=(start, end))
    collected = live.filter(kind=LoanTransaction.Kind.REPAYMENT, repayment__value_date__range=(start, end))
    return [
        disbursed.values_list(*by).annotate(
            disbursed_sum=Sum("principal"), principal_sum=none, interest_sum=none, late_sum=none
        ),
        collected.values_list(*by).annotate(
            disbursed_sum=none,
            # A repayment's principal is signed as what it does to the outstanding.
            principal_sum=-Sum("principal"),
            interest_sum=Sum("interest"),
            late_sum=Sum("late_interest") + Sum("penalty"),
        ),
    ]


def flows(start: date, end: date, *, loans: Q | None = None) -> list[Flow]:
    """Disbursed and collected from `start` to `end` by value date, by product (`moved`): over a
    period whose every day close of day summarised, its days' sums (`PortfolioFlow`), else the
    period's loan transactions summed by product id (a month's postings are most of a young
    portfolio's loans)."""
    summary = summary_rows(start, loans, PortfolioFlow, until=end)
    if summary is not None and usable_from(start, end):
        rows = [summary.values_list("product_id").annotate(*(Sum(name) for name in Flow.FIGURES))]
    else:
        rows = moved(start, end, ("loan__product_id",), loans)
    names = dict(LoanProduct.objects.values_list("pk", "name"))
    by_product: dict[str, Flow] = {}
    for product, *figures in (row for part in rows for row in part):
        flow = by_product.setdefault(names[product], Flow(names[product]))
        for name, amount in zip(Flow.FIGURES, figures, strict=True):
            setattr(flow, name, getattr(flow, name) + amount)
    return sorted(by_product.values(), key=lambda flow: flow.label)


# --- expected collections -----------------------------------------------------------------


@dataclass
class Due:
    """What falls due from `first` to `last`, by the schedules in force on D."""

    first: date
    last: date
    loans: int = 0
    principal: Decimal = ZERO
    interest: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest

    @property
    def label(self) -> str:
        return format_span(self.first, self.last)


def _versions_in_force(day: date, loans: Q | None):
    """Each sub-loan's schedule version in force on `day`, of the loans owing on it (of
    `loans`): its latest one in force by then (a subquery)."""
    sub_loan = Coalesce("share_id", Value(0))  # a loan's own schedule has no share
    later = ScheduleVersion.objects.annotate(sub_loan=sub_loan).filter(
        loan_id=OuterRef("loan_id"),
        sub_loan=OuterRef("sub_loan"),
        effective_date__lte=day,
        number__gt=OuterRef("number"),
    )
    return (
        ScheduleVersion.objects.annotate(sub_loan=sub_loan)
        .filter(loan_id__in=owing(day, loans), effective_date__lte=day)
        .exclude(Exists(later))
        .values("pk")
    )


def _summarised(day: date, known: bool | None) -> bool:
    return usable(day) if known is None else known


def falling_due(day: date, days: int, loans: Q | None = None):
    """The installments of the loans owing principal on `day` (of `loans`) falling due in the
    `days` days after it, by the schedules in force on `day`."""
    return ScheduleRow.objects.filter(
        version_id__in=_versions_in_force(day, loans),
        kind=ScheduleRow.Kind.SCHEDULED,
        due_date__gt=day,
        due_date__lte=day + timedelta(days=days),
    )


def expected(
    day: date, days: int, loans: Q | None = None, *, weekly: bool = False, summarised: bool | None = None
) -> list[Due]:
    """Principal and interest of the installments of the loans owing principal on `day` (of
    `loans`) falling due in the `days` days after it, by due date (`weekly`: by seven days from
    the day after `day`), summed in the database; by due date over the first days after a closed
    day, from what its close summed (`PortfolioDue`)."""
    last_day = day + timedelta(days=days)
    summary = summary_rows(day, loans, PortfolioDue) if not weekly and days <= PortfolioDue.DAYS else None
    if summary is not None and _summarised(day, summarised):  # a closed day's first days
        summed = (
            summary.filter(due_date__lte=last_day)
            .values("due_date")
            .annotate(Sum("loans"), Sum("principal"), Sum("interest"))
            .order_by("due_date")
            .values_list("due_date", "loans__sum", "principal__sum", "interest__sum")
        )
        return [Due(first, first, *figures) for first, *figures in summed]
    period = F("due_date")
    if weekly:  # each due date's week: the first of the weeks it is not after the end of
        starts = [day + timedelta(days=1 + n * WEEK) for n in range((days + WEEK - 1) // WEEK)]
        weeks = (When(due_date__lte=start + timedelta(days=WEEK - 1), then=Value(start)) for start in starts)
        period = Case(*weeks, output_field=DateField())
    rows = (
        falling_due(day, days, loans)
        .annotate(period=period)
        .order_by("period")
        .values("period")
        .annotate(Count("version__loan_id", distinct=True), Sum("principal"), Sum("interest"))
        .values_list("period", "version__loan_id__count", "principal__sum", "interest__sum")
    )
    return [
        Due(first, min(first + timedelta(days=WEEK - 1), last_day) if weekly else first, *figures)
        for first, *figures in rows
    ]

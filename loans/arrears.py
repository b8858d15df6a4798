"""The arrears and debt classification reports' figures (`loans.report_sheets` lays them out).

Arrears and debt classification on any date D, by value date (what was late on D, as we now
know it), from the stored balances rows in force on D (`balances.balances_as_of`): set-based
aggregates per loan, no replay.

The rows are written at change points, so what accrues between them is derived: late interest
and interest on unpaid interest owed on D are the engine's own accrual run from the row's
accruing rows to D (`engine.accruing_on`, to the đồng of a replay), for the loans in arrears
only. Days past due and the debt group are D's, from the oldest unpaid due date and the
product's bands (with the fund's rule, a borrower's loans all take the worst group among them);
provisions are close of day's own functions (`closing.days.loan_provisions`).
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Max, Min, OrderBy, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils.translation import gettext as _

from common.dates import format_date
from common.db import Among
from common.money import MONEY_DIGITS, ZERO
from fund.models import Borrower, Fund, LoanProduct
from loans.domain.classification import borrower_groups, days_past_due, group_for
from loans.domain.engine import Accruing, accruing_on
from loans.models import ClassificationReport, Loan, LoanContract, LoanTransaction, Repayment
from loans.replaying import loan_terms
from loans.selectors.balances import balances_as_of
from loans.services.closing.days import collateral_values, loan_provisions

GROUPS = range(1, 6)


def as_of_problem(fund: Fund, day: date) -> str | None:
    """Why the reports cannot be drawn as of `day` (None: they can): the stored rows are exact
    from the fund's opening up to its business date."""
    if day > fund.business_date:
        return _("Reports go up to the business date, %(date)s.") % {"date": format_date(fund.business_date)}
    if day < fund.opened_on:
        return _("The fund opened on %(date)s: no report before it.") % {"date": format_date(fund.opened_on)}
    return None


@dataclass
class LoanOnDay:
    """A loan's figures on D, summed over its sub-loans (the loan, or a group's households)."""

    loan_id: int
    product_id: int
    borrower_id: int
    outstanding: Decimal
    oldest_unpaid_due_date: date | None
    next_due_date: date | None
    days: int = 0  # past due on D
    group: int = 1
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    late_interest: Decimal = ZERO  # late interest and interest on unpaid interest, owed on D

    @property
    def overdue(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.late_interest


def loans_on(
    day: date, *, arrears_only: bool, loans: Q | None = None, overdue: bool = True
) -> dict[int, LoanOnDay]:
    """Each loan owing principal on `day` (`arrears_only`: past due on it), of `loans` (a filter
    on the balances' loan, e.g. `Q(loan__product=...)`), with its days past due and debt group
    (the borrower rule looks at all the loans); with `overdue`, the loans in arrears with their
    overdue figures."""
    per_loan = _per_loan(day).filter(Q(oldest__lt=day) if arrears_only else Q(principal__gt=0))
    shown = None if loans is None else _shown(day, loans)
    return _on_day(per_loan, day, shown=shown, overdue=overdue)


# `_per_loan`'s columns: LoanOnDay's first fields. Rows as tuples, read at once: a province's
# loans as dicts, or through a server-side cursor, cost more than the query.
_PER_LOAN = ("loan_id", "loan__product_id", "loan__borrower_id", "principal", "oldest", "next_due")
PRINCIPAL, OLDEST = 3, 4


def _per_loan(day: date):
    """Each loan's principal, oldest unpaid and next due dates on `day`, over its sub-loans."""
    return (
        balances_as_of(day)
        .order_by()
        .values("loan_id", "loan__product_id", "loan__borrower_id")
        .annotate(
            principal=Sum("principal_in_term") + Sum("principal_overdue"),
            oldest=Min("oldest_unpaid_due_date"),
            next_due=Min("next_due_date"),
        )
        .values_list(*_PER_LOAN)
    )


def _on_day(
    rows: Iterable[tuple], day: date, *, shown: set[int] | None, overdue: bool
) -> dict[int, LoanOnDay]:
    """`loans_on` of the rows of `_per_loan` it keeps, of the loans `shown` (None: all)."""
    answer = {row[0]: LoanOnDay(*row, days=days_past_due(row[OLDEST], day)) for row in rows}
    _group(answer)
    if shown is not None:
        answer = {pk: loan for pk, loan in answer.items() if pk in shown}
    if overdue:
        _overdue(answer, day)
    return answer


def _shown(day: date, loans: Q) -> set[int]:
    return set(balances_as_of(day).filter(loans).values_list("loan_id", flat=True))


def _group(loans: dict[int, LoanOnDay]) -> None:
    products = LoanProduct.objects.in_bulk({loan.product_id for loan in loans.values()})
    starts = {pk: product.group_starts for pk, product in products.items()}  # once, not per loan
    own = {pk: group_for(loan.days, starts[loan.product_id]) for pk, loan in loans.items()}
    worst = Fund.objects.values_list("worst_group_per_borrower", flat=True).get()
    groups = borrower_groups(
        own, {pk: loan.borrower_id for pk, loan in loans.items()}, worst_of_borrower=worst
    )
    for pk, group in groups.items():
        loans[pk].group = group


_ARREARS = (
    "loan_id",
    "valid_from",
    "principal_overdue",
    "interest_due",
    "interest_overdue",
    "late_interest",
    "penalty",
    "accruing",
)


def _overdue(loans: dict[int, LoanOnDay], day: date) -> None:
    """The overdue figures of the loans in arrears on `day`, from their sub-loans' rows in arrears."""
    ids = [pk for pk, loan in loans.items() if loan.days]
    if not ids:
        return
    rows = (
        balances_as_of(day)
        .filter(Among("loan_id", ids), oldest_unpaid_due_date__lt=day)
        .order_by()
        .values_list(*_ARREARS)
    )
    terms: dict[int, object] = {}
    for loan_id, valid_from, principal, due, overdue, late, penalty, text in rows:
        loan = loans[loan_id]
        loan.overdue_principal += principal
        # Interest due on the row's first day is overdue on the days after it.
        loan.overdue_interest += overdue + (due if day > valid_from else ZERO)
        owed = late + penalty
        if day > valid_from and text:
            accruing = Accruing.decode(text)
            if day < accruing.until:
                if not terms:
                    terms.update(_terms(ids))
                _accrued, late_on_day, penalty_on_day = accruing_on(terms[loan_id], accruing, day)
                owed = late_on_day + penalty_on_day
        loan.late_interest += owed


def _terms(loan_ids: list[int]) -> dict[int, object]:
    contracts = LoanContract.objects.filter(Among("loan_id", loan_ids))
    return {contract.loan_id: loan_terms(contract) for contract in contracts}


def last_payments(loan_ids: Iterable[int], day: date) -> dict[int, date]:
    """Each loan's last repayment by value date up to `day` (reversed ones left out)."""
    rows = (
        Repayment.objects.filter(
            Among("loan_id", list(loan_ids)), value_date__lte=day, status=Repayment.Status.POSTED
        )
        .order_by()
        .values("loan_id")
        .annotate(last=Max("value_date"))
    )
    return {row["loan_id"]: row["last"] for row in rows}


# --- the arrears aging --------------------------------------------------------------------


@dataclass
class Bucket:
    """Loans past due from `first` to `last` days (None: no end) on D."""

    first: int
    last: int | None
    loans: int = 0
    outstanding: Decimal = ZERO
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    late_interest: Decimal = ZERO

    @property
    def label(self) -> str:
        return f"> {self.first - 1}" if self.last is None else f"{self.first}–{self.last}"

    @property
    def overdue(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.late_interest

    def add(self, loan: LoanOnDay) -> None:
        self.loans += 1
        self.outstanding += loan.outstanding
        self.overdue_principal += loan.overdue_principal
        self.overdue_interest += loan.overdue_interest
        self.late_interest += loan.late_interest


@dataclass
class Aging:
    as_of: date
    buckets: list[Bucket]
    gross_outstanding: Decimal
    loans: int  # owing principal on D
    par: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)  # (days, outstanding, ratio)

    @property
    def total(self) -> Bucket:
        total = Bucket(self.buckets[0].first, None)
        for bucket in self.buckets:
            for name in ("loans", "outstanding", "overdue_principal", "overdue_interest", "late_interest"):
                setattr(total, name, getattr(total, name) + getattr(bucket, name))
        return total


def aging(day: date, *, loans: Q | None = None) -> Aging:
    """The arrears aging on `day` by the fund's buckets, and its portfolio-at-risk ratios: the
    outstanding of the loans more than n days past due over the gross outstanding."""
    fund = Fund.objects.get()
    # One pass over the loans: the gross outstanding, the loans owing, and those in arrears.
    rows = list(_per_loan(day))
    shown = None if loans is None else _shown(day, loans)
    counted = [row[PRINCIPAL] for row in rows if shown is None or row[0] in shown]
    gross, owing = sum(counted, ZERO), sum(1 for principal in counted if principal > 0)
    starts = fund.aging_buckets
    buckets = [
        Bucket(first, nxt - 1 if nxt is not None else None)
        for first, nxt in zip(starts, [*starts[1:], None], strict=True)
    ]
    late = (row for row in rows if row[OLDEST] is not None and row[OLDEST] < day)
    arrears = _on_day(late, day, shown=shown, overdue=True)
    for loan in arrears.values():
        for bucket in reversed(buckets):
            if loan.days >= bucket.first:
                bucket.add(loan)
                break
    return Aging(day, buckets, gross, owing, _par(arrears.values(), gross, fund.par_days))


def _par(
    loans: Iterable[LoanOnDay], gross: Decimal, thresholds: list[int]
) -> list[tuple[int, Decimal, Decimal]]:
    """For each threshold n: the outstanding of `loans` more than n days past due, and its share
    of `gross`."""
    loans = list(loans)
    par = []
    for days in thresholds:
        at_risk = sum((loan.outstanding for loan in loans if loan.days > days), ZERO)
        par.append((days, at_risk, at_risk / gross if gross else ZERO))
    return par


# --- debt classification and provisioning -------------------------------------------------


@dataclass
class GroupLine:
    """A debt group's line of the classification and provisioning report."""

    group: int
    loans: int = 0
    outstanding: Decimal = ZERO
    collateral: Decimal = ZERO
    specific_required: Decimal = ZERO
    specific_booked: Decimal = ZERO
    general_required: Decimal = ZERO
    general_booked: Decimal = ZERO

    FIGURES = (
        "loans",
        "outstanding",
        "collateral",
        "specific_required",
        "specific_booked",
        "general_required",
        "general_booked",
    )

    @property
    def specific_difference(self) -> Decimal:
        return self.specific_required - self.specific_booked

    @property
    def general_difference(self) -> Decimal:
        return self.general_required - self.general_booked

    def figures(self) -> tuple:
        return tuple(getattr(self, name) for name in self.FIGURES)

    @classmethod
    def total(cls, lines: list["GroupLine"]) -> "GroupLine":
        """Every group's figures summed (its `group` 0)."""
        return cls(0, *(sum(values) for values in zip(*(line.figures() for line in lines), strict=True)))


def classification(day: date, *, loans: Q | None = None) -> list[GroupLine]:
    """Groups 1 to 5 on `day` (restated: as the stored rows now say), with the provisions each
    loan requires by its group and collateral, and what its sub-ledger has booked by value date
    up to `day`. `loans` filters the loans shown; the borrower rule looks at all of them."""
    shown = loans_on(day, arrears_only=False, loans=loans, overdue=False)
    ids = list(shown)
    products = LoanProduct.objects.in_bulk({loan.product_id for loan in shown.values()})
    collateral = collateral_values(None if loans is None else ids)
    booked = provisions_booked(day, None if loans is None else ids)
    lines = {group: GroupLine(group) for group in GROUPS}
    for pk, loan in shown.items():
        line, value = lines[loan.group], collateral.get(pk, ZERO)
        specific, general = loan_provisions(products[loan.product_id], loan.group, loan.outstanding, value)
        line.loans += 1
        line.outstanding += loan.outstanding
        line.collateral += value
        line.specific_required += specific
        line.general_required += general
        held_specific, held_general = booked.get(pk, (ZERO, ZERO))
        line.specific_booked += held_specific
        line.general_booked += held_general
    return list(lines.values())


@dataclass
class Classification:
    """The classification report on `as_of`: restated, and as reported at that month end's close
    (None: not a closed month end, or some loans only: as reported is the whole portfolio's)."""

    as_of: date
    restated: list[GroupLine]
    reported: list[GroupLine] | None

    @property
    def restated_total(self) -> GroupLine:
        return GroupLine.total(self.restated)

    @property
    def reported_total(self) -> GroupLine | None:
        return GroupLine.total(self.reported) if self.reported else None

    @property
    def differs(self) -> bool:
        """Events dated in the month and entered after its close have changed the figures."""
        return self.reported is not None and [line.figures() for line in self.reported] != [
            line.figures() for line in self.restated
        ]


def debt_classification(day: date, *, loans: Q | None = None) -> Classification:
    """The report of the pages, the API and the .xlsx: `classification` beside `reported`."""
    return Classification(day, classification(day, loans=loans), reported(day) if loans is None else None)


def provisions_booked(day: date, loan_ids: list[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """Each loan's specific and general provisions in its sub-ledger by value date up to `day`
    (of `loan_ids`; None: every loan's). Only the lines that move a provision are read: the
    report needs none of the other control accounts (`queries.booked` sums them all)."""
    rows = LoanTransaction.objects.filter(value_date__lte=day).exclude(
        specific_provision=0, general_provision=0
    )
    if loan_ids is not None:
        rows = rows.filter(Among("loan_id", loan_ids))
    sums = (
        rows.order_by()
        .values("loan_id")
        .annotate(specific=Sum("specific_provision"), general=Sum("general_provision"))
    )
    return {
        pk: (specific, general)
        for pk, specific, general in sums.values_list("loan_id", "specific", "general")
    }


# --- the arrears list ---------------------------------------------------------------------


@dataclass
class ArrearsLine:
    """A loan in arrears on D, with whom to call about it."""

    figures: LoanOnDay
    reference: str
    borrower: str
    borrower_type: str  # a Borrower.Type value
    commune: str
    district: str
    phone: str
    officer: str
    product: str
    last_payment: date | None
    restructured: int = 0  # times restructured (loans.services.actions)

    @property
    def borrower_type_label(self) -> str:
        return str(Borrower.Type(self.borrower_type).label)


DEFAULT_SORT = "-days"

_DETAILS = (
    "pk",
    "created_at",
    "borrower__name",
    "borrower__type",
    "borrower__commune",
    "borrower__district",
    "borrower__phone",
    "created_by__last_name",
    "created_by__first_name",
    "created_by__username",
    "product__name",
    "restructure_count",
)


def _overdue_interest(day: date) -> Sum:
    """The sum over a loan's rows in arrears of their overdue interest on `day`: interest due
    on a row's first day is overdue on the days after it."""
    money = DecimalField(max_digits=MONEY_DIGITS, decimal_places=0)
    due = When(valid_from__lt=day, then=F("interest_overdue") + F("interest_due"))
    return Sum(Case(due, default=F("interest_overdue"), output_field=money), output_field=money)


def _orders(day: date) -> dict[str, list]:
    """The orders the list sorts in the database, each the expressions of a loan's stored rows
    on `day` it sorts by, ascending (`-` before the name: descending); ties go by loan number."""
    # Over the loan's rows in arrears on `day` only (`in_arrears`), as `_overdue` reads them.
    last_payment = (
        Repayment.objects.filter(
            loan_id=OuterRef("loan_id"), value_date__lte=day, status=Repayment.Status.POSTED
        )
        .order_by("-value_date")
        .values("value_date")[:1]
    )
    # Over all the loan's rows: a group's households not in arrears have installments too.
    next_due = (
        balances_as_of(day)
        .filter(loan_id=OuterRef("loan_id"))
        .order_by()
        .values("loan_id")
        .annotate(first=Min("next_due_date"))
        .values("first")
    )
    officer = "loan__created_by__"
    full_name = Concat(f"{officer}last_name", Value(" "), f"{officer}first_name")
    return {
        "days": [F("oldest").desc()],  # the oldest unpaid due date: the fewest days first
        "principal": [Sum("principal_overdue")],
        "interest": [_overdue_interest(day)],
        "loan": [F("loan_id")],
        "borrower": [Lower("loan__borrower__name")],
        "area": [Lower("loan__borrower__district"), Lower("loan__borrower__commune")],
        "officer": [Lower(Coalesce(NullIf(Trim(full_name), Value("")), f"{officer}username"))],
        "last_payment": [Coalesce(Subquery(last_payment), Value(date.min))],
        "next_due": [Coalesce(Subquery(next_due), Value(date.max))],
    }


# The orders only the loans' computed figures give: late interest owed on D is the engine's
# accrual since the row (`_overdue`), so sorting by it computes the whole list first.
_BY_FIGURES = {
    "late": lambda line: line.figures.late_interest,
    "overdue": lambda line: line.figures.overdue,
}
SORTS = (
    "days",
    "overdue",
    "principal",
    "interest",
    "late",
    "loan",
    "borrower",
    "area",
    "officer",
    "last_payment",
    "next_due",
)


def in_arrears(day: date, loans: Q | None = None, days: tuple[int, int | None] | None = None):
    """The loans in arrears on `day` (of `loans`; `days`: past due from the first to the last,
    None: no end), one row each over their rows in arrears, with their oldest unpaid due date
    (`oldest`). Only the rows in arrears are read: the indexes of the balances rows in arrears
    serve them, however many loans are not."""
    rows = balances_as_of(day).filter(oldest_unpaid_due_date__lt=day)
    rows = rows if loans is None else rows.filter(loans)
    per_loan = rows.order_by().values("loan_id").annotate(oldest=Min("oldest_unpaid_due_date"))
    if days is not None:
        first, last = days
        per_loan = per_loan.filter(oldest__lte=day - timedelta(days=first))
        if last is not None:
            per_loan = per_loan.filter(oldest__gte=day - timedelta(days=last))
    return per_loan


class ArrearsList(Sequence):
    """The loans in arrears on D in order, read a slice at a time (a page, the API's page, or
    all of them for the .xlsx): how many there are and which loans a slice holds are SQL over
    the stored rows in force on D; only the loans of the slice are computed."""

    def __init__(self, day: date, loans: Q | None, sort: str, days: tuple[int, int | None] | None):
        self.day, self.descending, self.name = day, sort.startswith("-"), sort.lstrip("-")
        self.rows = in_arrears(day, loans, days)
        self._count: int | None = None
        self._all: list[ArrearsLine] | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = len(self._all) if self._all is not None else self.rows.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            shown = self[index : index + 1 or None]
            if not shown:
                raise IndexError(index)
            return shown[0]
        if self.name in _BY_FIGURES or self._all is not None or (index.start or 0) < 0:
            return self._everything()[index]
        return _lines(self.day, list(self._ordered()[index]))

    def __iter__(self):
        return iter(self._everything())

    def _everything(self) -> list["ArrearsLine"]:
        if self._all is None:
            self._all = _lines(self.day, list(self._ordered()))
            if self.name in _BY_FIGURES:
                self._all.sort(key=_BY_FIGURES[self.name], reverse=self.descending)
        return self._all

    def _ordered(self):
        """The loans' ids in the list's order (by loan number where it sorts by figures)."""
        keys = [] if self.name in _BY_FIGURES else _orders(self.day)[self.name]
        named = {f"sort_{n}": key for n, key in enumerate(keys)}
        order = []
        for name, key in named.items():
            ascending = not self.descending
            if isinstance(key, OrderBy):  # an order of its own: `days`, by date the other way
                named[name], ascending = key.expression, self.descending
            order.append(F(name).asc() if ascending else F(name).desc())
        return self.rows.annotate(**named).order_by(*order, "loan_id").values_list("loan_id", flat=True)


def arrears_list(
    day: date, *, loans: Q | None = None, sort: str = DEFAULT_SORT, days: tuple[int, int | None] | None = None
) -> ArrearsList:
    """The loans in arrears on `day` (of `loans`, a filter on the balances' loan; `days`: past
    due from the first to the last, None: no end), sorted by `sort` (one of `SORTS`, "-" first
    for descending), the loan's number breaking ties."""
    return ArrearsList(day, loans, sort, days)


def _lines(day: date, ids: list[int]) -> list[ArrearsLine]:
    """The lines of the loans `ids` in arrears on `day`, in that order. Their debt groups look at
    every loan of their borrowers (the fund's rule may give a borrower's loans the worst group)."""
    borrowers = Loan.objects.filter(Among("pk", ids)).values("borrower_id")
    per_loan = _per_loan(day).filter(oldest__lt=day, loan__borrower_id__in=borrowers)
    arrears = _on_day(per_loan, day, shown=set(ids), overdue=True)
    payments = last_payments(ids, day)
    lines = {}
    details = Loan.objects.filter(Among("pk", ids)).order_by().values_list(*_DETAILS)
    for pk, created, name, kind, commune, district, phone, last, first, username, product, times in details:
        lines[pk] = ArrearsLine(
            arrears[pk],
            Loan(pk=pk, created_at=created).reference,
            name,
            kind,
            commune,
            district,
            phone,
            " ".join(part for part in (last, first) if part) or username,
            product,
            payments.get(pk),
            times,
        )
    return [lines[pk] for pk in ids]


# --- the month-end trend ------------------------------------------------------------------


@dataclass
class MonthEnd:
    """The portfolio at a month's end (or on D, the last point): outstanding principal and loans
    by debt group, and the portfolio-at-risk ratios by the fund's thresholds."""

    day: date
    outstanding: dict[int, Decimal]
    loans: dict[int, int]
    par: list[tuple[int, Decimal, Decimal]]  # (days, outstanding, ratio), as `Aging.par`

    @property
    def gross(self) -> Decimal:
        return sum(self.outstanding.values(), ZERO)


def month_ends(day: date, months: int) -> list[date]:
    """The last day of each of the `months` months up to `day`'s, `day` itself for its own month."""
    ends, month_start = [], day.replace(day=1)
    for _month in range(months):
        ends.append(
            min(day, month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1]))
        )
        month_start = (month_start - timedelta(days=1)).replace(day=1)
    return ends[::-1]


def trend(day: date, *, months: int = 12, loans: Q | None = None) -> list[MonthEnd]:
    """Each month end of the `months` months up to `day` (the last point: `day`) since the fund
    opened, restated as the stored rows now say: a few queries per point (`loans_on`)."""
    fund = Fund.objects.get()
    points = []
    for end in month_ends(day, months):
        if end < fund.opened_on:
            continue
        shown = loans_on(end, arrears_only=False, loans=loans, overdue=False)
        outstanding, count = dict.fromkeys(GROUPS, ZERO), dict.fromkeys(GROUPS, 0)
        for loan in shown.values():
            outstanding[loan.group] += loan.outstanding
            count[loan.group] += 1
        par = _par(shown.values(), sum(outstanding.values(), ZERO), fund.par_days)
        points.append(MonthEnd(end, outstanding, count, par))
    return points


def reported(day: date) -> list[GroupLine] | None:
    """The classification as reported at the close of month end `day` (None: none frozen)."""
    rows = ClassificationReport.objects.filter(month_end=day).order_by("group")
    lines = [GroupLine(row.group, *(getattr(row, name) for name in GroupLine.FIGURES)) for row in rows]
    return lines or None

"""Reads of loans that pages, reports and services share."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from common.money import ZERO, format_vnd
from fund.selectors import current_fund, is_coop_user
from loans.engine import PREPAYMENT, Result, Row
from loans.models import Disbursement, LoanDocument, LoanMemberShare, LoanTransaction, Repayment
from loans.models.loan import COMMITTED, Loan, LoanStatus
from loans.replaying import parts_of, replay_part
from loans.schedule import Installment, combine


def loans_visible_to(user) -> QuerySet[Loan]:
    """Fund staff who may view loans see them all; a co-op user only its own borrower's."""
    loans = Loan.objects.select_related("borrower", "product")
    if not user.is_authenticated or not user.is_active or not user.has_perm("loans.view_loan"):
        return loans.none()
    if is_coop_user(user):
        return loans.filter(borrower_id=user.borrower_id) if user.borrower_id else loans.none()
    return loans


def documents_visible_to(user) -> QuerySet[LoanDocument]:
    """Dossier documents of the loans the user may see, when the user may see dossiers at all."""
    if not user.has_perm("loans.view_loandocument"):
        return LoanDocument.objects.none()
    return LoanDocument.objects.filter(loan__in=loans_visible_to(user))


def get_loan_for(user, pk: int, *, for_update: bool = False) -> Loan:
    """The loan if this user may see it; 404 otherwise (never reveal another co-op's loan)."""
    loans = loans_visible_to(user)
    if for_update:
        loans = loans.select_for_update(of=("self",))
    try:
        return loans.get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404 from None


def status_counts(loans: QuerySet[Loan]) -> dict[str, int]:
    counts = dict(loans.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in LoanStatus.values}


def borrower_exposure(borrower_id: int, *, exclude_loan_id: int | None = None) -> Decimal:
    """What the borrower owes or has been promised: approved and active loans at their approved amount.

    Open applications do not count: they are not commitments yet.
    """
    loans = Loan.objects.filter(borrower_id=borrower_id, status__in=COMMITTED)
    if exclude_loan_id is not None:
        loans = loans.exclude(pk=exclude_loan_id)
    total = loans.aggregate(total=Coalesce(Sum(Coalesce("approved_amount", "amount")), Decimal(0)))["total"]
    return Decimal(total)


def exposure_problem(loan: Loan, amount: Decimal) -> str | None:
    """Why lending `amount` on this loan would take its borrower above the fund's limit per borrower."""
    already = borrower_exposure(loan.borrower_id, exclude_loan_id=loan.pk)
    limit = current_fund().exposure_limit
    if already + amount <= limit:
        return None
    return _(
        "With this loan %(borrower)s would owe or be promised %(total)s, above the fund's limit of "
        "%(limit)s per borrower (%(already)s already approved or lent)."
    ) % {
        "borrower": loan.borrower,
        "total": format_vnd(already + amount),
        "limit": format_vnd(limit),
        "already": format_vnd(already),
    }


@dataclass(frozen=True)
class DossierLine:
    """One required document of the product, with the files that answer it (dossier or borrower's)."""

    document_type: object
    documents: list

    @property
    def received(self) -> bool:
        return bool(self.documents)


def dossier_checklist(loan: Loan) -> list[DossierLine]:
    """The product's required documents, each with the files found; then any other dossier files."""
    files: dict[int, list] = {}
    dossier = list(loan.documents.select_related("document_type"))
    for document in dossier:
        files.setdefault(document.document_type_id, []).append(document)
    for document in loan.borrower.documents.select_related("document_type"):
        files.setdefault(document.document_type_id, []).append(document)
    required = list(loan.product.required_documents.all())
    lines = [DossierLine(doc_type, files.pop(doc_type.pk, [])) for doc_type in required]
    extra = [d for d in dossier if d.document_type_id in files]
    return lines + [DossierLine(d.document_type, [d]) for d in extra]


def missing_documents(loan: Loan) -> list:
    """The document types the product requires that neither the dossier nor the borrower's file has."""
    return [line.document_type for line in dossier_checklist(loan) if not line.received]


# --- a loan's money: what it owes on a date, its schedule, its sub-ledger ---------------


@dataclass(frozen=True)
class SubLoan:
    """One sub-loan replayed on a date: the loan itself, or a household's share of a group loan."""

    share: LoanMemberShare | None
    result: Result

    @property
    def household(self):
        return self.share.member if self.share is not None else None


def _summed(name: str) -> property:
    """A figure of the loan: the engine's `name`, summed over the sub-loans."""
    return property(lambda position: sum((getattr(part.result, name) for part in position.parts), ZERO))


@dataclass(frozen=True)
class LoanPosition:
    """What a loan owes on `as_of`, summed over its sub-loans (one, or one per household)."""

    as_of: date
    parts: list[SubLoan]

    disbursed = _summed("disbursed")
    principal_outstanding = _summed("principal_outstanding")
    due_today = _summed("due_today")
    overdue_principal = _summed("overdue_principal")
    overdue_interest = _summed("overdue_interest")
    late_interest = _summed("late_interest_owed")
    penalty = _summed("penalty_owed")
    accrued_interest = _summed("accrued_interest")
    payoff = _summed("payoff")

    @property
    def late_charges(self) -> Decimal:
        return self.late_interest + self.penalty

    @property
    def overdue(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.late_charges

    @property
    def interest_due(self) -> Decimal:
        """Interest fallen due by `as_of` and not paid (overdue, or due that day)."""
        return sum(
            (
                row.interest_unpaid
                for part in self.parts
                for row in part.result.rows
                if row.due_date <= self.as_of
            ),
            ZERO,
        )

    @property
    def to_pay_now(self) -> Decimal:
        """What brings the loan up to date today: everything overdue and everything due today."""
        return self.overdue + self.due_today

    @property
    def days_past_due(self) -> int:
        return max((part.result.days_past_due for part in self.parts), default=0)

    @property
    def next_due_date(self) -> date | None:
        dates = [part.result.next_due.due_date for part in self.parts if part.result.next_due]
        return min(dates, default=None)

    @property
    def next_due_amount(self) -> Decimal:
        """What falls due on the next due date (every household's part of it, for a group)."""
        day = self.next_due_date
        rows = (row for part in self.parts for row in part.result.rows if row.due_date == day)
        return sum((row.principal_unpaid + row.interest_unpaid for row in rows), ZERO)

    @property
    def started(self) -> bool:
        return self.disbursed > 0

    @property
    def households(self) -> list[tuple[object, "LoanPosition"]]:
        """Each sub-loan's own position, with its household (None for a loan that is not a group's)."""
        return [(part.household, LoanPosition(self.as_of, [part])) for part in self.parts]


def loan_position(loan: Loan, *, as_of: date) -> LoanPosition:
    """The loan on `as_of`: each sub-loan replayed from its contract, tranches and repayments.

    A few queries per sub-loan, however long the loan's history (no query per repayment).
    """
    if getattr(loan, "contract", None) is None:
        return LoanPosition(as_of, [])
    return LoanPosition(
        as_of, [SubLoan(share, replay_part(loan, share, as_of=as_of)) for share in parts_of(loan)]
    )


PAID, PARTLY_PAID, OVERDUE, DUE_TODAY, UPCOMING = "paid", "partly_paid", "overdue", "due_today", "upcoming"


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
    """A due date of a household group's schedule: the households' rows summed, and what is left."""

    row: Installment
    left: Decimal


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


def _state(row: Row, as_of: date) -> str:
    if row.owed == 0:
        return PAID
    if row.due_date < as_of:
        return OVERDUE
    if row.due_date == as_of:
        return DUE_TODAY
    return PARTLY_PAID if row.principal_paid or row.interest_paid else UPCOMING


def schedule_of(result: Result) -> Schedule:
    """A sub-loan's schedule in force on the replay's date, each row with what is paid and left."""
    return Schedule([ScheduleLine(row, _state(row, result.as_of)) for row in result.rows])


def group_schedule(position: LoanPosition) -> Schedule:
    """A household group's schedule in force: its households' schedules summed by due date
    (`combine`), each date with what the households still owe on it."""
    left: dict[date, Decimal] = {}
    for part in position.parts:
        for row in part.result.rows:
            left[row.due_date] = left.get(row.due_date, ZERO) + row.owed
    combined = combine([[row.as_installment() for row in part.result.rows] for part in position.parts])
    return Schedule([GroupLine(row, left[row.due_date]) for row in combined])


@dataclass(frozen=True)
class StatementLine:
    """One line of the sub-ledger with the principal outstanding after it (sao kê)."""

    transaction: LoanTransaction
    balance: Decimal

    @property
    def disbursed(self) -> Decimal:
        tx = self.transaction
        return tx.principal.amount if tx.kind == LoanTransaction.Kind.DISBURSEMENT else ZERO

    @property
    def principal_repaid(self) -> Decimal:
        tx = self.transaction
        return ZERO if tx.kind == LoanTransaction.Kind.DISBURSEMENT else -tx.principal.amount


def statement(loan: Loan) -> list[StatementLine]:
    """The loan's sub-ledger in value-date order, each line with the balance it leaves (one query)."""
    transactions = (
        LoanTransaction.objects.filter(loan=loan)
        .select_related("journal_entry", "share__member", "repayment", "disbursement")
        .order_by("value_date", "pk")
    )
    lines, balance = [], ZERO
    for tx in transactions:
        balance += tx.principal.amount
        lines.append(StatementLine(tx, balance))
    return lines


def loan_disbursements(loan: Loan) -> QuerySet[Disbursement]:
    return loan.disbursements.select_related("account", "recorded_by", "decided_by").order_by(
        "value_date", "pk"
    )


def loan_repayments(loan: Loan) -> QuerySet[Repayment]:
    return loan.repayments.select_related("share__member", "account", "recorded_by", "reversed_by").order_by(
        "value_date", "pk"
    )


def left_to_disburse(loan: Loan, tranches: list[Disbursement] | None = None) -> Decimal:
    """The contract's amount less every tranche entered and not cancelled (`tranches`: the loan's,
    when the caller has them already)."""
    contract = getattr(loan, "contract", None)
    if contract is None:
        return ZERO
    if tranches is None:
        drawn = loan.disbursements.exclude(status=Disbursement.Status.CANCELLED).aggregate(
            total=Coalesce(Sum("amount"), Decimal(0))
        )["total"]
    else:
        drawn = sum((t.amount.amount for t in tranches if t.status != Disbursement.Status.CANCELLED), ZERO)
    return contract.amount.amount - Decimal(drawn)


def pending_disbursements() -> QuerySet[Disbursement]:
    """Tranches waiting for an accountant's authorization, oldest first."""
    return (
        Disbursement.objects.filter(status=Disbursement.Status.PENDING)
        .select_related("loan__borrower", "loan__contract", "account", "recorded_by")
        .order_by("value_date", "pk")
    )


def contracted_shares(loan: Loan) -> QuerySet[LoanMemberShare]:
    """The households of a group loan that have an amount in its contract."""
    return loan.member_shares.filter(contract_amount__isnull=False).select_related("member")

"""Reads for the bank reconciliation: the fund's bank accounts, their statement lines, and the
repayments, tranches, capital receipts and journal entries a line could be."""

import functools
import operator
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from common.money import ZERO
from fund.models import CapitalReceipt
from fund.selectors import current_fund
from ledger.models import SOURCE_MANUAL, Account, JournalEntry
from ledger.selectors import account_balance
from loans.domain.bank_matching import Candidate
from loans.models import (
    Disbursement,
    LoanContract,
    LoanStatus,
    ReconciledPeriod,
    Repayment,
    StatementLine,
    StatementMapping,
)
from loans.models.bank import TARGETS

BANK_PREFIX = "112"  # cash at bank (tiền gửi ngân hàng) in the chart of Circular 200
# The entries a line may be besides a repayment, tranche or capital receipt (each a candidate of
# its own): those posted by hand (a bank's fee or interest, a transfer between the fund's
# accounts), a recovery, and money returned for a reversed tranche. Not reversed.
ENTRY_SOURCES = (SOURCE_MANUAL, "recovery", "tranche_reversal")
_WORD = re.compile(r"[\w./-]{4,64}")  # a contract number as a description quotes it


@dataclass(frozen=True)
class AccountSummary:
    account: Account
    mapping: StatementMapping | None
    counts: dict  # status -> lines
    last_date: date | None


def account_summaries() -> list[AccountSummary]:
    accounts = list(current_fund().lending_accounts.filter(code__startswith=BANK_PREFIX).order_by("code"))
    mappings = {m.account_id: m for m in StatementMapping.objects.filter(account__in=accounts)}
    counts: dict = {}
    for row in (
        StatementLine.objects.filter(account__in=accounts)
        .values("account_id", "status")
        .annotate(n=Count("id"))
    ):
        counts.setdefault(row["account_id"], {})[row["status"]] = row["n"]
    last = dict(
        StatementLine.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(last=Max("booking_date"))
        .values_list("account_id", "last")
    )
    return [AccountSummary(a, mappings.get(a.pk), counts.get(a.pk, {}), last.get(a.pk)) for a in accounts]


def get_bank_account(code: str) -> Account:
    """One of the fund's bank accounts by its code (404 for any other)."""
    return get_object_or_404(current_fund().lending_accounts.filter(code__startswith=BANK_PREFIX), code=code)


def statement_lines(
    *, account: Account, status: str = "", first: date | None = None, last: date | None = None
):
    lines = StatementLine.objects.filter(account=account).select_related(
        "repayment__loan__contract",
        "disbursement__loan__contract",
        "capital_receipt__source",
        "journal_entry",
        "matched_by",
    )
    if status:
        lines = lines.filter(status=status)
    if first:
        lines = lines.filter(booking_date__gte=first)
    if last:
        lines = lines.filter(booking_date__lte=last)
    return lines.order_by("booking_date", "pk")


def reconciled_periods(account: Account) -> QuerySet[ReconciledPeriod]:
    return ReconciledPeriod.objects.filter(account=account).select_related("reconciled_by", "reopened_by")


def closing_period(account: Account, day: date) -> ReconciledPeriod | None:
    """The reconciled (not reopened) period of the account that holds `day`, if any."""
    return ReconciledPeriod.objects.filter(
        account=account, reopened_at__isnull=True, first_date__lte=day, last_date__gte=day
    ).first()


def unmatched_open_lines(account: Account) -> list[StatementLine]:
    """The account's unmatched lines outside its reconciled periods (the periods read once)."""
    periods = ReconciledPeriod.objects.filter(account=account, reopened_at__isnull=True)
    spans = list(periods.values_list("first_date", "last_date"))
    lines = StatementLine.objects.filter(account=account, status=StatementLine.Status.UNMATCHED)
    return [line for line in lines if not any(first <= line.booking_date <= last for first, last in spans)]


@dataclass(frozen=True)
class BalanceCheck:
    """A bank account on a day as the bank and the books see it: the balance of the statement's
    last line booked by then and the GL balance at the end of the day; then what explains their
    difference, from the first statement line on: what the books hold that no line booked by
    then is matched to (in transit, or never seen by the bank) and the lines matched to nothing
    the books hold by then. What is left is unexplained. Amounts are money in less money out."""

    day: date
    statement: Decimal | None  # None: no line by then, or its line has no balance
    books: Decimal
    books_only: Decimal
    books_only_count: int
    statement_only: Decimal
    statement_only_count: int

    @property
    def difference(self) -> Decimal | None:
        return None if self.statement is None else self.books - self.statement

    @property
    def unexplained(self) -> Decimal | None:
        if self.statement is None:
            return None
        return self.difference - self.books_only + self.statement_only


def balance_check(account: Account, day: date | None = None) -> BalanceCheck | None:
    """The account on `day` (None: the day of its last statement line); None before any line."""
    if day is None:
        day = StatementLine.objects.filter(account=account).aggregate(last=Max("booking_date"))["last"]
        if day is None:
            return None
    lines = StatementLine.objects.filter(account=account, booking_date__lte=day)
    last = lines.order_by("-booking_date", "-statement_id", "-row").values_list("balance", flat=True).first()
    first = lines.order_by("booking_date").values_list("booking_date", flat=True).first()
    books_only, books_count = ZERO, 0
    if first is not None:
        # On no line yet by `day`: none, or one the bank booked later (a suggested line points
        # at its transaction already).
        not_yet = Q(statement_line__isnull=True) | Q(statement_line__booking_date__gt=day)
        span = {"account": account, "value_date__range": (first, day)}
        for rows, sign in (
            (Repayment.objects.filter(not_yet, status=Repayment.Status.POSTED, **span), 1),
            (Disbursement.objects.filter(not_yet, status=Disbursement.Status.AUTHORIZED, **span), -1),
            (CapitalReceipt.objects.filter(not_yet, **span), 1),
        ):
            found = rows.aggregate(total=Sum("amount", default=ZERO), n=Count("pk"))
            books_only += sign * found["total"]
            books_count += found["n"]
        on_no_line = ~Exists(
            StatementLine.objects.filter(journal_entry=OuterRef("pk"), booking_date__lte=day)
        )
        moved = list(
            bank_entries(account)
            .filter(on_no_line, value_date__range=(first, day))
            .values_list("moved", flat=True)
        )
        books_only += sum(moved, ZERO)
        books_count += len(moved)
    # Matched to nothing, or to a transaction the books date after `day`.
    later = functools.reduce(operator.or_, (Q(**{f"{target}__value_date__gt": day}) for target in TARGETS))
    open_lines = lines.filter(Q(status=StatementLine.Status.UNMATCHED) | later).aggregate(
        credits=Sum("amount", default=ZERO, filter=Q(direction=StatementLine.Direction.CREDIT)),
        debits=Sum("amount", default=ZERO, filter=Q(direction=StatementLine.Direction.DEBIT)),
        n=Count("pk"),
    )
    return BalanceCheck(
        day=day,
        statement=last,
        books=account_balance(code=account.code, as_of=day),
        books_only=books_only,
        books_only_count=books_count,
        statement_only=open_lines["credits"] - open_lines["debits"],
        statement_only_count=open_lines["n"],
    )


def candidates(*, account: Account, first: date, last: date, window: int) -> list[Candidate]:
    """The account's transactions with a value date from `first` to `last` (widened by the
    window) that no statement line points at yet."""
    # Widened as far as the calendar goes: a line may be dated on its first or last day.
    earliest = first - timedelta(days=min(window, (first - date.min).days))
    latest = last + timedelta(days=min(window, (date.max - last).days))
    span = {"value_date__range": (earliest, latest)}
    found = []
    for repayment in Repayment.objects.filter(
        account=account, status=Repayment.Status.POSTED, statement_line__isnull=True, **span
    ).select_related("loan__contract"):
        found.append(_candidate("repayment", repayment, True, repayment.reference))
    for tranche in Disbursement.objects.filter(
        account=account, status=Disbursement.Status.AUTHORIZED, statement_line__isnull=True, **span
    ).select_related("loan__contract"):
        found.append(_candidate("disbursement", tranche, False))
    taken = StatementLine.objects.filter(journal_entry=OuterRef("pk"))
    for entry in bank_entries(account).filter(~Exists(taken), **span):
        found.append(
            Candidate.of(
                kind="journal_entry",
                pk=entry.pk,
                credit=entry.moved > 0,
                value_date=entry.value_date,
                amount=abs(entry.moved),
                references=[entry.number, entry.source_ref],
            )
        )
    for receipt in CapitalReceipt.objects.filter(account=account, statement_line__isnull=True, **span):
        found.append(
            Candidate.of(
                kind="capital_receipt",
                pk=receipt.pk,
                credit=True,
                value_date=receipt.value_date,
                amount=receipt.amount.amount,
                references=[receipt.memo],
            )
        )
    return found


def possible_matches(line: StatementLine, window: int) -> list[Candidate]:
    """What an unmatched line may be matched to by hand: the account's transactions of its
    amount and direction within `window` days that no line points at yet, nearest first."""
    credit = line.direction == StatementLine.Direction.CREDIT
    found = [
        candidate
        for candidate in candidates(
            account=line.account, first=line.value_date, last=line.value_date, window=window
        )
        if candidate.credit == credit and candidate.amount == line.amount.amount
    ]
    return sorted(found, key=lambda c: (abs((c.value_date - line.value_date).days), c.kind, c.pk))


def line_candidates(line: StatementLine, window: int) -> list[tuple[Candidate, object]]:
    """`possible_matches`, each with its row (repayment, tranche, capital receipt or journal
    entry) for the page."""
    found = possible_matches(line, window)
    rows = {
        kind: model.objects.in_bulk([c.pk for c in found if c.kind == kind])
        for kind, model in _TARGET_MODELS.items()
    }
    return [(candidate, rows[candidate.kind][candidate.pk]) for candidate in found]


_TARGET_MODELS = {
    "repayment": Repayment,
    "disbursement": Disbursement,
    "capital_receipt": CapitalReceipt,
    "journal_entry": JournalEntry,
}


def bank_entries(account: Account) -> QuerySet[JournalEntry]:
    """The entries of `ENTRY_SOURCES` not reversed that move money on the account, each with
    what it moves (`moved`: money in less money out)."""
    return (
        JournalEntry.objects.filter(
            source_kind__in=ENTRY_SOURCES, reversed_by__isnull=True, lines__account=account
        )
        .annotate(moved=Sum(F("lines__debit") - F("lines__credit")))
        .exclude(moved=0)
        .order_by()
    )


def _candidate(kind: str, event, credit: bool, *references: str) -> Candidate:
    loan = event.loan
    contract = getattr(loan, "contract", None)
    return Candidate.of(
        kind=kind,
        pk=event.pk,
        credit=credit,
        value_date=event.value_date,
        amount=event.amount.amount,
        references=[loan.reference, contract.number if contract else "", *references],
    )


def cited_contract(line: StatementLine) -> LoanContract | None:
    """The contract of an active loan whose number the line's description or reference quotes
    (as written, or with the đ a bank's text drops), if one does."""
    words = set(_WORD.findall(f"{line.description} {line.reference}"))
    words |= {word.replace("HD", "HĐ", 1) for word in words if word.upper().startswith("HD")}
    return (
        LoanContract.objects.filter(number__in=words, loan__status=LoanStatus.ACTIVE)
        .select_related("loan")
        .order_by("pk")
        .first()
    )

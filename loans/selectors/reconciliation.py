"""The loans' sub-ledger against the GL, per control account, as of a date.

Every posting a loan makes is a journal entry and a sub-ledger row saying what it did to each
of the loan's control accounts (`LoanTransaction`, `fund.accounting.controls`); both carry the
posting's date, the value date of the journal entry (a back-dated event's own date, close of
day's the day it closed). Summed per account over the loans whose product posts to it, the
sub-ledger must give the account's GL balance on every date: a difference is a posting made
to a control account outside the loans (a manual entry) or a defect.
"""

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from common.dates import format_date
from common.db import Among
from common.money import ZERO, format_vnd
from fund.accounting import CONTROLS, account, gl_map
from fund.models import LoanProduct
from fund.selectors import fund_or_none
from ledger.models import Account, JournalEntry, JournalLine
from ledger.selectors import account_balances
from loans.models import Loan, LoanContract, LoanTransaction
from loans.models.money import CONTROL_COLUMNS
from loans.selectors.balances import balances_as_of


@dataclass(frozen=True)
class ControlAccount:
    code: str
    name: str
    loans: Decimal  # the sub-ledger's figure, as the account's balance (debit less credit)
    gl: Decimal

    @property
    def difference(self) -> Decimal:
        return self.loans - self.gl


def reconciliation(*, as_of: date) -> list[ControlAccount]:
    """Each control account the loan products post to, with the loans' figure and the GL's on
    `as_of`, by account code."""
    sums = (
        LoanTransaction.objects.filter(value_date__lte=as_of)
        .values("loan__product_id")
        .annotate(total_principal=Sum("principal"), **{name: Sum(name) for name in CONTROL_COLUMNS})
    )
    figures: dict[str, Decimal] = defaultdict(Decimal)
    maps = {
        product.pk: gl_map(product)
        for product in LoanProduct.objects.filter(loans__transactions__isnull=False).distinct()
    }
    for gl in maps.values():
        for role in CONTROLS:
            figures[account(gl, role)] += ZERO
    for row in sums:
        gl = maps[row["loan__product_id"]]
        held = {name: row[name] for name in CONTROL_COLUMNS} | {
            "principal": row["total_principal"] - row["overdue_principal"]
        }
        for role, sign in CONTROLS.items():
            figures[account(gl, role)] += held[role] * sign
    balances = account_balances(codes=figures, as_of=as_of)
    names = {account.code: account.name for account in Account.objects.filter(code__in=figures)}
    return [ControlAccount(code, names[code], figures[code], balances[code]) for code in sorted(figures)]


# --- the drill-down: which loans carry a control account's difference -------------------------


@dataclass(frozen=True)
class EntryDifference:
    """A journal entry whose lines on the account differ from the sub-ledger rows pointing at it
    (`loans` of them or, with no loan named, a posting outside the loans)."""

    entry_id: int
    number: str
    value_date: date
    memo: str
    reference: str  # the lines' reference: a contract number, a payer's, or none
    loans: tuple[int, ...]  # the loans it is the difference of (all the entry's, when not told apart)
    sub_ledger: Decimal
    gl: Decimal

    @property
    def difference(self) -> Decimal:
        return self.sub_ledger - self.gl


@dataclass(frozen=True)
class LoanDifference:
    loan_id: int
    reference: str  # the application's number
    contract: str
    borrower: str
    sub_ledger: Decimal  # the loan's figure on the account as of the date
    difference: Decimal  # of the entries that name it alone
    shared: bool  # also among the loans of an entry that differs as a whole
    # Its sub-ledger's principal is not what its events leave it owing (its stored balances):
    # of the loans of an entry that differs as a whole, the likely carriers of the difference.
    principal_differs: bool = False


@dataclass(frozen=True)
class AccountDrillDown:
    code: str
    name: str
    as_of: date
    entries: list[EntryDifference]
    loans: list[LoanDifference]


def _roles_by_product(code: str) -> dict[int, list[str]]:
    """Each loan product that posts to `code`, with the control roles it posts there."""
    roles: dict[int, list[str]] = {}
    for product in LoanProduct.objects.all():
        gl = gl_map(product)
        mine = [role for role in CONTROLS if account(gl, role) == code]
        if mine:
            roles[product.pk] = mine
    return roles


def _figure(row: dict, roles: list[str]) -> Decimal:
    """A sub-ledger sum's figure on the account the roles post to, as its balance."""
    held = {name: row[name] for name in CONTROL_COLUMNS} | {
        "principal": row["total_principal"] - row["overdue_principal"]
    }
    return sum((held[role] * CONTROLS[role] for role in roles), ZERO)


def account_drill_down(*, code: str, as_of: date) -> AccountDrillDown:
    """The entries on control account `code` up to `as_of` whose lines differ from the loans'
    sub-ledger rows pointing at them, and the loans they are the difference of.

    The GL keeps per-loan detail only as a line's reference (the contract number, on every
    line a loan's own event posts); close of day posts each step's loans in one entry, its
    lines summed. So each entry is compared loan by loan where its lines name the loans, and
    as a whole where they do not (then every loan of the entry is named). The entries' and
    the loans' differences add up to the account's (`reconciliation`).
    """
    account_row = Account.objects.filter(code=code).first()
    roles = _roles_by_product(code)
    if account_row is None or not roles:
        raise Account.DoesNotExist(code)
    rows = (
        LoanTransaction.objects.filter(value_date__lte=as_of, loan__product_id__in=roles)
        .values("journal_entry_id", "loan_id", "loan__product_id")
        .annotate(total_principal=Sum("principal"), **{name: Sum(name) for name in CONTROL_COLUMNS})
        .order_by()
    )
    ledger_side: dict[int, dict[int, Decimal]] = defaultdict(dict)  # entry -> loan -> figure
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        figure = _figure(row, roles[row["loan__product_id"]])
        ledger_side[row["journal_entry_id"]][row["loan_id"]] = figure
        totals[row["loan_id"]] += figure
    gl_side: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    lines = (
        JournalLine.objects.filter(account=account_row, value_date__lte=as_of)
        .values_list("entry_id", "reference", "debit", "credit")
        .order_by()
    )
    for entry_id, reference, debit, credit in lines:
        gl_side[entry_id][reference] += debit - credit
    contracts = dict(LoanContract.objects.filter(Among("loan_id", totals)).values_list("number", "loan_id"))
    # A manual line may name the contract of a loan with nothing on the account.
    others = {ref for refs in gl_side.values() for ref in refs if ref and ref not in contracts}
    if others:
        contracts |= dict(LoanContract.objects.filter(number__in=others).values_list("number", "loan_id"))
    found: list[tuple[int, str, tuple[int, ...], Decimal, Decimal]] = []
    for entry_id in ledger_side.keys() | gl_side.keys():
        found += _entry_differences(
            entry_id, ledger_side.get(entry_id, {}), gl_side.get(entry_id, {}), contracts
        )
    return _drill_down(account_row, as_of, found, totals)


def _entry_differences(entry_id, loans: dict[int, Decimal], refs: dict[str, Decimal], contracts: dict):
    """One entry's differences: loan by loan for the lines that name a loan, the rest together."""
    differences = []
    loans, refs = dict(loans), dict(refs)
    for reference in [ref for ref in refs if ref in contracts]:
        loan_id = contracts[reference]
        mine, theirs = loans.pop(loan_id, ZERO), refs.pop(reference)
        if mine != theirs:
            differences.append((entry_id, reference, (loan_id,), mine, theirs))
    mine, theirs = sum(loans.values(), ZERO), sum(refs.values(), ZERO)
    if mine != theirs:
        reference = ", ".join(sorted(ref for ref in refs if ref))
        differences.append((entry_id, reference, tuple(sorted(loans)), mine, theirs))
    return differences


def _drill_down(account_row, as_of, found, totals) -> AccountDrillDown:
    entries = JournalEntry.objects.in_bulk([item[0] for item in found])
    differences = sorted(
        (
            EntryDifference(
                entry_id,
                entries[entry_id].number,
                entries[entry_id].value_date,
                entries[entry_id].memo,
                reference,
                loans,
                mine,
                theirs,
            )
            for entry_id, reference, loans, mine, theirs in found
        ),
        key=lambda item: (item.value_date, item.number, item.reference),
    )
    by_loan: dict[int, Decimal] = defaultdict(Decimal)
    shared: set[int] = set()
    for item in differences:
        if len(item.loans) == 1:
            by_loan[item.loans[0]] += item.difference
        else:
            shared.update(item.loans)
            for loan_id in item.loans:
                by_loan[loan_id] += ZERO
    named = Loan.objects.filter(Among("pk", by_loan)).select_related("borrower", "contract").order_by("pk")
    astray = _principal_astray(shared, as_of)
    loans = [
        LoanDifference(
            loan.pk,
            loan.reference,
            loan.contract.number,
            str(loan.borrower),
            totals.get(loan.pk, ZERO),
            by_loan[loan.pk],
            loan.pk in shared,
            loan.pk in astray,
        )
        for loan in named
    ]
    loans.sort(key=lambda loan: not loan.principal_differs)  # those first
    return AccountDrillDown(account_row.code, account_row.name, as_of, differences, loans)


def _principal_astray(loan_ids: set[int], as_of: date) -> set[int]:
    """Of the loans, those whose sub-ledger principal up to `as_of` is not the principal their
    stored balances say they owe on that day (in term and overdue, over their sub-loans)."""
    if not loan_ids:
        return set()
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for loan_id, in_term, overdue in (
        balances_as_of(as_of)
        .filter(Among("loan_id", loan_ids))
        .values_list("loan_id", "principal_in_term", "principal_overdue")
    ):
        owed[loan_id] += in_term + overdue
    booked = (
        LoanTransaction.objects.filter(Among("loan_id", loan_ids), value_date__lte=as_of)
        .values("loan_id")
        .annotate(total=Sum("principal"))
        .order_by()
    )
    return {row["loan_id"] for row in booked if row["total"] != owed.get(row["loan_id"], ZERO)}


def loan_transactions(*, loan: Loan, code: str, as_of: date) -> list[tuple[LoanTransaction, Decimal]]:
    """A loan's sub-ledger rows up to `as_of`, each with what it put on account `code`."""
    roles = _roles_by_product(code).get(loan.product_id, [])
    rows = (
        LoanTransaction.objects.filter(loan=loan, value_date__lte=as_of)
        .select_related("journal_entry")
        .order_by("value_date", "pk")
    )
    return [
        (
            row,
            _figure(
                {"total_principal": row.principal.amount, **{n: getattr(row, n) for n in CONTROL_COLUMNS}},
                roles,
            ),
        )
        for row in rows
    ]


def month_close_refusals(year: int, month: int) -> list[str]:
    """Why the loans' books of a month are not finished, for the ledger to refuse closing it
    (registered in `loans.apps`): close of day has not run through its last day, or as of that
    day a control account's sub-ledger differs from the GL (each account, by how much)."""
    fund = fund_or_none()
    if fund is None:
        return []  # no fund, no loans
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    if fund.business_date <= last:
        return [
            _("Close of day has not run through %(last)s: %(day)s is not closed yet.")
            % {"last": format_date(last), "day": format_date(fund.business_date)}
        ]
    return [
        _("As of %(last)s the loans' sub-ledger differs from the GL on account %(code)s by %(amount)s.")
        % {"last": format_date(last), "code": row.code, "amount": format_vnd(row.difference)}
        for row in reconciliation(as_of=last)
        if row.difference
    ]

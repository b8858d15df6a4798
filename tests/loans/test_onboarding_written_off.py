"""Bringing a fund in with a loan it wrote off and still pursues: HĐ-09, 50 000 000 lent to HTX
Tân Lập on 01/03/2023, written off on 30/06/2025 with 40 000 000 principal and 6 000 000 interest
still tracked off-balance (0041 / 0042, against 009), until 30/06/2030. The rest of the file is
the hand-worked portfolio of `test_onboarding`; its GL sheet adds the memo balances.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from common.money import format_vnd
from fund import accounting, roles
from ledger.models import JournalEntry
from loans.models import Loan, LoanTransaction, PortfolioImport, Repayment, WriteOff
from loans.selectors.reconciliation import reconciliation
from loans.services.onboarding import undoing
from loans.services.risk import RecoveryInput, record_recovery
from tests.loans.test_onboarding import (  # noqa: F401 (fixtures)
    ACCOUNTS_ROWS,
    CUT_OVER,
    OPENING,
    RATE,
    accountants,
    bring_in,
    fund,
    gl,
    messages,
    product,
    today,
    workbook,
)

PRINCIPAL, INTEREST = D(40_000_000), D(6_000_000)
WRITTEN_OFF_ON, TRACKED_UNTIL = dt.date(2025, 6, 30), dt.date(2030, 6, 30)
ROW = ["HĐ-09", "1000000002", "VLD", dt.date(2023, 3, 1), 50_000_000, RATE, 24, WRITTEN_OFF_ON]


def accounts(principal=PRINCIPAL, interest=INTEREST):
    """The hand-worked GL sheet with the memo balances of what is written off and pursued."""
    rows = [row for row in ACCOUNTS_ROWS if row[0] != "009"]
    contra = next(row[2] for row in ACCOUNTS_ROWS if row[0] == "009") + PRINCIPAL + INTEREST
    return [*rows, ["0041", principal, None], ["0042", interest, None], ["009", None, contra]]


def written_off_file(**given):
    return workbook(accounts=accounts(**given), written_off=[[*ROW, PRINCIPAL, INTEREST, TRACKED_UNTIL]])


def test_a_written_off_loan_comes_in_written_off_on_the_memo_accounts(bring_in, accountants, product):
    batch = bring_in(accountants, written_off_file())
    assert batch.state == PortfolioImport.State.COMMITTED, messages(batch)
    loan = Loan.objects.get(contract__number="HĐ-09")
    assert loan.status == "written_off"
    record = WriteOff.objects.get(loan=loan)
    assert (record.written_off_on, record.principal.amount, record.interest.amount, record.tracked_until) == (
        WRITTEN_OFF_ON,
        PRINCIPAL,
        INTEREST,
        TRACKED_UNTIL,
    )
    memo_before = D(1_908_493)  # the suspended interest of HĐ-02 (test_onboarding)
    assert gl("0041", "0042", "009") == [PRINCIPAL, INTEREST, -(memo_before + PRINCIPAL + INTEREST)]
    controls = {code: (sheet, loans, gl_) for code, sheet, loans, gl_ in batch.report["controls"]}
    assert controls["0041"] == (str(PRINCIPAL), str(PRINCIPAL), str(PRINCIPAL))
    assert controls["0042"] == (str(INTEREST), str(INTEREST), str(INTEREST))
    assert batch.report["written_off"] == 1 and batch.report["loans"] == 3
    rows = LoanTransaction.objects.filter(loan=loan)
    assert [(r.kind, r.written_off_principal, r.written_off_interest, r.principal.amount) for r in rows] == [
        ("opening", PRINCIPAL, INTEREST, D(0))
    ]
    assert {row.code: row.difference for row in reconciliation(as_of=CUT_OVER) if row.difference} == {}
    assert {row.code: row.loans for row in reconciliation(as_of=CUT_OVER)}["0041"] == PRINCIPAL


def test_a_recovery_on_it_posts_as_on_a_loan_written_off_here(bring_in, accountants, product, user_with_role):
    bring_in(accountants, written_off_file())
    loan = Loan.objects.get(contract__number="HĐ-09")
    booked = accounting.Booked(written_off_principal=PRINCIPAL, written_off_interest=INTEREST)
    amount = PRINCIPAL + D(1_000_000)  # all the principal and some interest
    entry = RecoveryInput(value_date=OPENING, amount=amount, channel=Repayment.Channel.BANK_TRANSFER)
    before = gl("0041", "0042", "009", on=OPENING)
    recovery = record_recovery(actor=user_with_role(roles.FUND_OFFICER), loan=loan, entry=entry)
    rule = accounting.Recovery(
        amount=amount, received_into=recovery.account.code, contract="HĐ-09", receipt="", booked=booked
    )
    expected = accounting.lines(rule, accounting.gl_map(loan.product))
    posted = recovery.journal_entry.lines.all()
    assert sorted((line.account.code, line.debit.amount, line.credit.amount) for line in posted) == sorted(
        (line.account, line.debit, line.credit) for line in expected
    )
    assert (recovery.principal.amount, recovery.interest.amount) == (PRINCIPAL, D(1_000_000))
    after = gl("0041", "0042", "009", on=OPENING)
    assert [a - b for a, b in zip(after, before, strict=True)] == [-PRINCIPAL, -D(1_000_000), amount]
    assert {row.code: row.difference for row in reconciliation(as_of=OPENING) if row.difference} == {}


def test_memo_balances_that_disagree_with_the_written_off_loans_are_refused_by_how_much(
    bring_in, accountants, product
):
    batch = bring_in(accountants, written_off_file(principal=PRINCIPAL - 500_000))
    assert batch.state == PortfolioImport.State.REFUSED
    found = [e for e in messages(batch) if "0041" in e]
    assert found and format_vnd(D(500_000)) in found[0], messages(batch)
    assert not JournalEntry.objects.exists() and not Loan.objects.exists()


def test_undoing_the_import_voids_the_written_off_loan_too(bring_in, accountants, product):
    batch = bring_in(accountants, written_off_file())
    undoing.undo_portfolio(actor=accountants[0], batch=batch, reason="Sai số liệu")
    assert set(Loan.objects.values_list("status", flat=True)) == {"voided"}
    assert not WriteOff.objects.exists()
    assert gl("0041", "0042", "009", on=OPENING) == [D(0), D(0), D(0)]

"""Bringing a fund in: a hand-worked 3-loan portfolio at the cut-over date 28/02/2026 (the fund
opens on 01/03/2026), then a repayment and close of day on it as on native loans.

The product: 6,6 %/year, monthly, equal principal, short term (128311 in term, 128312 overdue),
groups from 10 / 91 / 181 / 361 days past due, general provision 0,75 %.

- HĐ-01, a co-operative, current: 120 000 000 lent on 15/09/2025 for 12 months, five
  installments of 10 000 000 paid, 70 000 000 in term over the seven due dates left (15/03 to
  15/09); interest from 15/02: 70 000 000 × 6,6 % × 13 / 365 = 164 547,9 → 164 548 accrued.
  General provision 0,75 % × 70 000 000 = 525 000.
- HĐ-02, another co-operative, overdue since 10/11/2025 (110 days: group 3): 100 000 000 lent on
  10/06/2025, 33 333 332 overdue, 33 333 336 in term over the four due dates left (8 333 334
  each), 1 500 000 overdue interest, 300 000 late interest, 108 493 accrued; group 3 is past the
  fund's non-accrual group 2, so all its interest (1 908 493) is on the memo 0043 / 009; specific
  provision 13 333 334 as booked; general 0,75 % × 66 666 668 = 500 000.
- HĐ-03, a household group of two households, 30 000 000 each lent on 01/12/2025, two of twelve
  2 500 000 paid: 25 000 000 each in term, 25 000 000 × 6,6 % × 27 / 365 = 122 055 accrued each;
  general 0,75 % × 50 000 000 = 375 000.

GL: 128311 153 333 336, 128312 33 333 332, 13881 408 658, 0043 1 908 493 / 009 1 908 493,
22931 13 333 334, 22932 1 400 000 (credit), bank 1 000 000 000, capital 1 172 341 992 (credit).
"""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from common.money import format_vnd
from fund import accounting, roles
from fund.models import Borrower, Fund
from ledger.models import JournalEntry
from ledger.selectors import account_balances, trial_balance
from loans.arrears import classification
from loans.domain.engine import LoanEventError, LoanTerms, Opening, Payment, Tranche, replay
from loans.domain.schedule import ANNUITY, EQUAL_PRINCIPAL, ScheduleError
from loans.models import (
    Collateral,
    Loan,
    LoanBalance,
    LoanContract,
    LoanTransaction,
    PortfolioImport,
    Repayment,
    ScheduleVersion,
    WriteOff,
)
from loans.selectors.merger import merger_report
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.provisions import provisions_to_post
from loans.services.closing.runs import close_until
from loans.services.onboarding import importing, undoing
from loans.services.onboarding.planning import Replayed, plan
from loans.services.onboarding.workbook import (
    ACCOUNTS,
    BORROWERS,
    HOUSEHOLDS,
    LOANS,
    WRITTEN_OFF,
    example_bytes,
)
from loans.services.risk import RecoveryInput, record_recovery
from loans.services.servicing.balances import first_rows
from loans.services.servicing.settling import schedule_fingerprint, schedule_row_values
from tests.fund.factories import BorrowerFactory, FundFactory, LoanProductFactory
from tests.ledger.factories import post
from tests.loans.conftest import repay

CUT_OVER, OPENING = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
RATE = "6,6"


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 12, 31))


@pytest.fixture
def fund(db, today):
    return FundFactory(opened_on=OPENING, business_date=OPENING)


@pytest.fixture
def product(fund):
    return LoanProductFactory(code="VLD", term_max_months=12)


@pytest.fixture
def accountants(user_with_role, fund):
    return user_with_role(roles.ACCOUNTANT), user_with_role(roles.ACCOUNTANT)


def loan(contract, borrower, lent, disbursed, in_term, *, household="", overdue=0, accrued=0, **given):
    row = {
        "overdue_interest": 0,
        "late": 0,
        "oldest": None,
        "group": 1,
        "specific": 0,
        "suspended": 0,
    } | given
    return [
        contract,
        borrower,
        household,
        "VLD",
        disbursed,
        disbursed,
        lent,
        RATE,
        "Dư nợ giảm dần",
        12,
        in_term,
        overdue,
        accrued,
        row["overdue_interest"],
        row["late"],
        0,
        row["oldest"],
        row["group"],
        row["specific"],
        row["suspended"],
        0,
        "",
        0,
    ]


def borrower_row(kind, name, number, tax=""):
    place = ["Thái Bình", "Vũ Thư", "Xã Song An", ""]
    return [
        kind,
        name,
        number,
        tax,
        *place,
        "Nguyễn Văn A",
        "",
        "0912345678",
        "Trồng trọt",
        7,
        dt.date(2015, 1, 1),
        "",
    ]


LOANS_ROWS = [
    loan("HĐ-01", "1000000001", 120_000_000, dt.date(2025, 9, 15), 70_000_000, accrued=164_548),
    loan(
        "HĐ-02",
        "1000000002",
        100_000_000,
        dt.date(2025, 6, 10),
        33_333_336,
        overdue=33_333_332,
        accrued=108_493,
        overdue_interest=1_500_000,
        late=300_000,
        oldest=dt.date(2025, 11, 10),
        group=3,
        specific=13_333_334,
        suspended=1_608_493,
    ),
    *(
        loan("HĐ-03", "12/QĐ-HND", 30_000_000, dt.date(2025, 12, 1), 25_000_000, household=h, accrued=122_055)
        for h in ("034000000001", "034000000002")
    ),
]  # fmt: skip
ACCOUNTS_ROWS = [
    ["11211", 1_000_000_000, None],
    ["128311", 153_333_336, None],
    ["128312", 33_333_332, None],
    ["13881", 408_658, None],
    ["0043", 1_908_493, None],
    ["009", None, 1_908_493],
    ["22931", None, 13_333_334],
    ["22932", None, 1_400_000],
    ["41111", None, 1_172_341_992],
]


def workbook(loans=None, accounts=None, written_off=()):
    rows = {
        BORROWERS: [
            borrower_row("Hợp tác xã", "HTX Song An", "1000000001", "1000000001"),
            borrower_row("Hợp tác xã", "HTX Tân Lập", "1000000002", "1000000002"),
            borrower_row("Tổ vay vốn", "Tổ vay vốn thôn Đông", "12/QĐ-HND"),
        ],
        HOUSEHOLDS: [
            ["12/QĐ-HND", "", "Trần Văn B", "034000000001", "Thôn Đông", "", "x", None],
            ["12/QĐ-HND", "", "Lê Thị C", "034000000002", "Thôn Đông", "", "x", None],
        ],
        LOANS: LOANS_ROWS if loans is None else loans,
        WRITTEN_OFF: list(written_off),
        ACCOUNTS: ACCOUNTS_ROWS if accounts is None else accounts,
    }
    return example_bytes(rows, [("VLD", "Vốn lưu động")])


@pytest.fixture
def bring_in(django_capture_on_commit_callbacks):
    """Check a workbook as one accountant and commit it as the other; the import as it ends."""

    def run(accountants, file=None, **given):
        checker, committer = accountants
        file = file or workbook()
        batch = importing.check_portfolio(actor=checker, file=file, file_name="so-du.xlsx", **given)
        if batch.state == PortfolioImport.State.CHECKED:
            with django_capture_on_commit_callbacks(execute=True):
                importing.commit_portfolio(actor=committer, batch=batch)
        return PortfolioImport.objects.get(pk=batch.pk)

    return run


def messages(batch):
    return [str(error) for error in importing.refusals(batch)]


def gl(*codes, on=CUT_OVER):
    balances = account_balances(codes=codes, as_of=on)
    return [balances[code] for code in codes]


def test_the_dry_run_reports_each_control_account_and_posts_nothing(accountants, product):
    batch = importing.check_portfolio(actor=accountants[0], file=workbook(), file_name="so-du.xlsx")
    assert importing.refusals(batch) == [] and batch.state == PortfolioImport.State.CHECKED
    controls = {code: (sheet, loans, gl) for code, sheet, loans, gl in batch.report["controls"]}
    assert controls["128311"] == ("153333336", "153333336", "153333336")
    assert controls["13881"] == ("408658", "408658", "408658")
    # The sheet says 1 608 493 suspended; the loan is in non-accrual, so its late interest too.
    assert controls["0043"] == ("1608493", "1908493", "1908493")
    assert controls["22932"] == (None, "-1400000", "-1400000")
    assert (batch.report["loans"], batch.report["sub_loans"], batch.report["borrowers_new"]) == (3, 4, 3)
    assert not Loan.objects.exists() and not JournalEntry.objects.exists() and not Borrower.objects.exists()


def test_a_hand_worked_portfolio_comes_in_to_its_balances_gl_and_groups(bring_in, accountants, product):
    batch = bring_in(accountants)
    assert batch.state == PortfolioImport.State.COMMITTED, messages(batch)
    assert gl("128311", "128312", "13881", "13882", "0043", "009", "22931", "22932", "11211", "41111") == [
        D(153_333_336), D(33_333_332), D(408_658), D(0), D(1_908_493), D(-1_908_493),
        D(-13_333_334), D(-1_400_000), D(1_000_000_000), D(-1_172_341_992),
    ]  # fmt: skip
    assert batch.journal_entry.value_date == CUT_OVER
    assert {row.code: row.difference for row in reconciliation(as_of=CUT_OVER) if row.difference} == {}
    loans = {c.number: c.loan for c in LoanContract.objects.select_related("loan")}
    assert {n: (loan.status, loan.debt_group, loan.accrual_suspended) for n, loan in loans.items()} == {
        "HĐ-01": ("active", 1, False),
        "HĐ-02": ("active", 3, True),
        "HĐ-03": ("active", 1, False),
    }
    current = LoanBalance.objects.filter(loan=loans["HĐ-02"], valid_to__isnull=True).get()
    assert (
        current.principal_in_term.amount,
        current.principal_overdue.amount,
        current.interest_overdue.amount,
        current.oldest_unpaid_due_date,
        current.next_due_date,
        current.next_due_amount.amount,
    ) == (
        D(33_333_336),
        D(33_333_332),
        D(1_500_000),
        dt.date(2025, 11, 10),
        dt.date(2026, 3, 10),
        # 8 333 334 and its interest: the 108 493 accrued and 10 days at 6,6 % on 33 333 336.
        D(8_333_334) + D(108_493) + D(60_274),
    )
    first = LoanBalance.objects.filter(loan=loans["HĐ-01"], valid_from=CUT_OVER).get()
    assert (first.principal_in_term.amount, first.interest_accrued.amount) == (D(70_000_000), D(164_548))
    assert LoanBalance.objects.filter(loan=loans["HĐ-03"], valid_to__isnull=True).count() == 2
    assert ScheduleVersion.objects.filter(reason="migration").count() == 4
    assert set(Borrower.objects.values_list("name", flat=True)) == {
        "HTX Song An",
        "HTX Tân Lập",
        "Tổ vay vốn thôn Đông",
    }


def test_the_imported_loans_take_a_repayment_and_a_close_of_day_as_native_ones(
    bring_in, accountants, product, user_with_role
):
    bring_in(accountants)
    checker, accountant = accountants
    current = Loan.objects.get(contract__number="HĐ-01")
    # Its 7 rows left (70 000 000 of 120 000 000 in 12) keep the contract's numbers, 6 to 12.
    rows = ScheduleVersion.objects.filter(loan=current).latest("number").rows.order_by("position")
    assert list(rows.values_list("number", flat=True)) == list(range(6, 13))
    close_until(actor=accountant, until=dt.date(2026, 3, 15))
    # 10 000 000 principal and the interest of its row: 164 548 accrued before the cut-over and
    # 15 days since (70 000 000 × 6,6 % × 15 / 365 = 189 863,0), rounded once: 354 411.
    repayment = repay(
        current, {"officer": user_with_role(roles.FUND_OFFICER)}, dt.date(2026, 3, 15), D(10_354_411)
    )
    lines = LoanTransaction.objects.get(repayment=repayment)
    assert (lines.principal.amount, lines.interest.amount) == (D(-10_000_000), D(354_411))  # owed less
    row = LoanBalance.objects.get(loan=current, valid_to__isnull=True)
    assert (row.principal_in_term.amount, row.principal_overdue.amount, row.next_due_date) == (
        D(60_000_000),
        D(0),
        dt.date(2026, 4, 15),
    )
    close_until(actor=accountant, until=dt.date(2026, 4, 1))  # through the month end of March
    overdue = Loan.objects.get(contract__number="HĐ-02")
    row = LoanBalance.objects.get(loan=overdue, valid_to__isnull=True)
    # Its installment of 10/03 unpaid too: 41 666 666 overdue, 25 000 002 in term.
    assert (row.principal_in_term.amount, row.principal_overdue.amount) == (D(25_000_002), D(41_666_666))
    assert Loan.objects.get(pk=overdue.pk).debt_group == 3
    assert {r.code: r.difference for r in reconciliation(as_of=dt.date(2026, 3, 31)) if r.difference} == {}


def test_one_bad_row_brings_nothing_in_and_says_where(bring_in, accountants, product):
    rows = [*LOANS_ROWS[:3], loan("HĐ-04", "9999999999", 10_000_000, dt.date(2025, 12, 1), 20_000_000)]
    batch = bring_in(accountants, workbook(loans=rows))
    assert batch.state == PortfolioImport.State.REFUSED
    assert any("Khoản vay" in error and "Row 5" in error for error in messages(batch)), messages(batch)
    assert not Loan.objects.exists() and not JournalEntry.objects.exists()
    with pytest.raises(Exception):  # noqa: B017 - a refused check cannot be committed
        importing.commit_portfolio(actor=accountants[1], batch=batch)


@pytest.mark.parametrize(
    ("column", "value", "refusal"),
    [
        (6, 10**19, "Số tiền đã giải ngân: An amount is at most 999,999,999,999,999,999 đồng."),
        (12, 10**19, "Lãi dự thu: An amount is at most 999,999,999,999,999,999 đồng."),
        (9, 10**6, "Thời hạn (tháng): A term is 1 to 600 months."),
    ],
)
def test_an_amount_or_a_term_beyond_any_bound_is_refused_by_its_cell(
    accountants, product, column, value, refusal
):
    first = list(LOANS_ROWS[0])
    first[column] = value
    batch = importing.check_portfolio(
        actor=accountants[0], file=workbook(loans=[first, *LOANS_ROWS[1:]]), file_name="so-du.xlsx"
    )
    assert batch.state == PortfolioImport.State.REFUSED
    assert any(refusal in error and "Row 2" in error for error in messages(batch)), messages(batch)


def test_a_gl_balance_beyond_any_amount_is_refused_by_its_cell(accountants, product):
    accounts = [["11211", 10**19, None], *ACCOUNTS_ROWS[1:]]
    batch = importing.check_portfolio(
        actor=accountants[0], file=workbook(accounts=accounts), file_name="so-du.xlsx"
    )
    assert batch.state == PortfolioImport.State.REFUSED
    assert any("Dư Nợ: An amount is at most" in error and "Row 2" in error for error in messages(batch))


def test_the_same_file_twice_adds_nothing(bring_in, accountants, product):
    assert bring_in(accountants).state == PortfolioImport.State.COMMITTED
    loans, entries = Loan.objects.count(), JournalEntry.objects.count()
    again = bring_in(accountants)
    assert again.state == PortfolioImport.State.REFUSED
    assert "already" in messages(again)[0]
    assert (Loan.objects.count(), JournalEntry.objects.count()) == (loans, entries)


def test_totals_that_disagree_with_the_opening_balances_are_refused_with_the_difference(
    bring_in, accountants, product
):
    accounts = [["128311", 153_000_000, None] if row[0] == "128311" else row for row in ACCOUNTS_ROWS]
    batch = bring_in(accountants, workbook(accounts=accounts))
    assert batch.state == PortfolioImport.State.REFUSED
    assert any("128311" in e and format_vnd(D(333_336)) in e for e in messages(batch)), messages(batch)
    assert any("do not balance" in e and format_vnd(D(-333_336)) in e for e in messages(batch))
    assert not JournalEntry.objects.exists()


def test_the_user_who_checked_does_not_commit(accountants, product):
    batch = importing.check_portfolio(actor=accountants[0], file=workbook(), file_name="so-du.xlsx")
    with pytest.raises(PermissionDenied):
        importing.commit_portfolio(actor=accountants[0], batch=batch)
    assert not Loan.objects.exists()


def test_merging_a_fund_prefixes_colliding_contracts_and_balances_against_capital(
    bring_in, accountants, product
):
    BorrowerFactory(registration_number="1000000001", tax_code="1000000001", name="HTX Song An")
    accounts = [row for row in ACCOUNTS_ROWS if row[0] != "41111"]
    first = bring_in(accountants, workbook(accounts=accounts), source_fund="BP", capital_account="41111")
    assert first.state == PortfolioImport.State.COMMITTED, messages(first)
    assert first.cut_over == Fund.objects.get().business_date
    assert first.report["borrowers_matched"] == 1
    assert gl("41111", on=first.cut_over) == [D(-1_172_341_992)]
    assert Borrower.objects.filter(source_fund="BP").count() == 2
    # The same contract number again, from a second file: prefixed.
    rows = LOANS_ROWS[:1]
    accounts = [["128311", 70_000_000, None], ["13881", 164_548, None], ["22932", None, 525_000]]
    second = bring_in(
        accountants, workbook(loans=rows, accounts=accounts), source_fund="BP2", capital_account="41111"
    )
    assert second.state == PortfolioImport.State.COMMITTED, messages(second)
    assert second.report["renamed"] == ["HĐ-01 → BP2-HĐ-01"]
    assert {r.code: r.difference for r in reconciliation(as_of=second.cut_over) if r.difference} == {}


def test_the_command_checks_then_commits_as_a_second_user(accountants, product, tmp_path, capsys):
    path = tmp_path / "so-du.xlsx"
    path.write_bytes(workbook().getvalue())
    call_command("import_portfolio", str(path), user=accountants[0].username)
    assert "128311" in capsys.readouterr().out and not Loan.objects.exists()
    call_command(
        "import_portfolio", str(path), user=accountants[0].username, commit_as=accountants[1].username
    )
    assert "agrees with the GL" in capsys.readouterr().out
    assert Loan.objects.count() == 3


@pytest.mark.parametrize(
    "change",
    [
        None,
        lambda: post(debit="11211", credit="41111", value_date=OPENING),  # something posted since
        lambda: BorrowerFactory(),  # a borrower registered since
    ],
)
def test_the_commit_writes_the_dry_runs_plan_unless_the_books_changed_since(
    accountants, product, monkeypatch, change
):
    planned = []
    monkeypatch.setattr(importing, "plan", lambda *args, **kw: planned.append(1) or plan(*args, **kw))
    checker, committer = accountants
    batch = importing.check_portfolio(actor=checker, file=workbook(), file_name="so-du.xlsx", keep_plan=True)
    if change is not None:
        change()
    importing.commit_portfolio(actor=committer, batch=batch)
    importing.run_commit(batch.pk)  # as the command does
    batch = PortfolioImport.objects.get(pk=batch.pk)
    assert batch.state == PortfolioImport.State.COMMITTED, messages(batch)
    assert len(planned) == (1 if change is None else 2)  # planned again when the books changed
    assert {r.code: r.difference for r in reconciliation(as_of=CUT_OVER) if r.difference} == {}
    assert LoanBalance.objects.filter(valid_to__isnull=True).count() == 4


def test_collateral_values_come_in_as_the_loans_collateral_that_provisions_deduct(
    bring_in, accountants, product
):
    rows = [*LOANS_ROWS]
    rows[1] = [*rows[1][:20], 20_000_000, *rows[1][21:]]  # HĐ-02's collateral value
    batch = bring_in(accountants, workbook(loans=rows))
    assert batch.state == PortfolioImport.State.COMMITTED, messages(batch)
    [item] = Collateral.objects.all()
    assert item.loan == Loan.objects.get(contract__number="HĐ-02")
    assert (item.valuation.amount, item.provisioning_value.amount, item.valued_on) == (
        D(20_000_000),
        D(20_000_000),
        CUT_OVER,
    )
    # Group 3: 20 % of what the collateral does not cover, (66 666 668 − 20 000 000) × 20 %
    # = 9 333 333,6 → 9 333 334, where the old books held 13 333 334 on all of it.
    [group] = [line for line in classification(OPENING) if line.group == 3]
    assert (group.collateral, group.specific_required) == (D(20_000_000), D(9_333_334))
    count, lines = provisions_to_post(actor=accountants[1])
    assert count == 1
    assert [(line.account, line.debit) for line in lines if line.account == "22931"] == [
        ("22931", D(4_000_000))
    ]


# --- undoing an import ---------------------------------------------------------------------


def balances_on(day):
    """Every account's balance at the end of `day` that is not zero, from the trial balance."""
    return {
        row.code: (row.debit_balance, row.credit_balance)
        for row in trial_balance(as_of=day).rows
        if row.postable and (row.debit_balance or row.credit_balance)
    }


def test_undoing_an_import_restores_the_books_and_the_file_comes_in_again(bring_in, accountants, product):
    before = balances_on(OPENING)
    batch = bring_in(accountants)
    assert balances_on(OPENING) != before
    checker, committer = accountants
    undone = undoing.undo_portfolio(actor=checker, batch=batch, reason="Sai tỷ lệ dự phòng")
    assert undone.state == PortfolioImport.State.UNDONE
    assert undone.undo_entry.reverses_id == batch.journal_entry_id
    assert balances_on(CUT_OVER) == balances_on(OPENING) == before
    assert {r.code: r.difference for r in reconciliation(as_of=OPENING) if r.difference} == {}
    assert all(r.loans == 0 for r in reconciliation(as_of=OPENING))
    assert set(Loan.objects.values_list("status", flat=True)) == {"voided"}
    assert not LoanBalance.objects.exists()
    assert JournalEntry.objects.count() == 2  # the opening entry stays, reversed
    again = bring_in(accountants)
    assert again.state == PortfolioImport.State.COMMITTED, messages(again)
    assert again.report["borrowers_matched"] == 3  # registered by the import undone
    assert sorted(LoanContract.objects.filter(loan__status="active").values_list("number", flat=True)) == [
        "HĐ-01",
        "HĐ-02",
        "HĐ-03",
    ]
    assert {r.code: r.difference for r in reconciliation(as_of=OPENING) if r.difference} == {}
    assert gl("128311", on=OPENING) == [D(153_333_336)]


def test_an_import_is_undone_once_by_another_user_than_who_committed_it(bring_in, accountants, product):
    batch = bring_in(accountants)
    checker, committer = accountants
    with pytest.raises(PermissionDenied):
        undoing.undo_portfolio(actor=committer, batch=batch, reason="Sai")
    with pytest.raises(ValidationError, match="why"):
        undoing.undo_portfolio(actor=checker, batch=batch, reason=" ")
    undoing.undo_portfolio(actor=checker, batch=batch, reason="Sai")
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError, match="only a committed one"):
        undoing.undo_portfolio(actor=checker, batch=batch, reason="Sai")
    assert JournalEntry.objects.count() == entries


def test_an_import_whose_loan_took_a_repayment_is_not_undone(bring_in, accountants, product, user_with_role):
    batch = bring_in(accountants)
    current = Loan.objects.get(contract__number="HĐ-01")
    repay(current, {"officer": user_with_role(roles.FUND_OFFICER)}, OPENING, D(1_000_000))
    entries, after = JournalEntry.objects.count(), balances_on(OPENING)
    with pytest.raises(ValidationError, match="HĐ-01"):
        undoing.undo_portfolio(actor=accountants[0], batch=batch, reason="Sai")
    assert (JournalEntry.objects.count(), balances_on(OPENING)) == (entries, after)
    assert PortfolioImport.objects.get(pk=batch.pk).state == PortfolioImport.State.COMMITTED
    assert set(Loan.objects.values_list("status", flat=True)) == {"active"}


def test_an_import_is_not_undone_after_a_close_of_day(bring_in, accountants, product):
    batch = bring_in(accountants)
    close_until(actor=accountants[1], until=dt.date(2026, 3, 2))
    with pytest.raises(ValidationError, match="Close of day"):
        undoing.undo_portfolio(actor=accountants[0], batch=batch, reason="Sai")
    assert set(Loan.objects.values_list("status", flat=True)) == {"active"}


# --- a loan written off in the old books and still pursued ------------------------------------
# HĐ-09, 50 000 000 lent to HTX Tân Lập on 01/03/2023, written off on 30/06/2025 with 40 000 000
# principal and 6 000 000 interest still tracked off-balance (0041 / 0042, against 009) until
# 30/06/2030; the GL sheet adds the memo balances to the hand-worked portfolio's.

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


# --- the merger report for the board --------------------------------------------------------


def test_the_merger_report_sums_the_imports_loans_by_product_group_and_district(
    bring_in, accountants, product, client
):
    batch = bring_in(accountants, written_off_file())
    brought = Loan.objects.filter(contract__number__in=["HĐ-01", "HĐ-02", "HĐ-03", "HĐ-09"])
    owed = {
        loan.pk: sum(
            (
                b.principal_in_term.amount + b.principal_overdue.amount
                for b in LoanBalance.objects.filter(loan=loan, valid_from=CUT_OVER)
            ),
            D(0),
        )
        for loan in brought
    }
    merger = merger_report(batch)
    assert (merger.total.loans, len(merger.total.borrowers), merger.total.outstanding) == (
        brought.count(),
        len({loan.borrower_id for loan in brought}),
        sum(owed.values()),
    )
    expected_groups = {}
    for loan in brought:
        label = str(loan.get_status_display()) if loan.status == "written_off" else str(loan.debt_group)
        loans_, total = expected_groups.get(label, (0, D(0)))
        expected_groups[label] = (loans_ + 1, total + owed[loan.pk])
    assert {line.label: (line.loans, line.outstanding) for line in merger.by["group"]} == expected_groups
    assert sum(line.loans for line in merger.by["district"]) == brought.count()
    assert [line.code for line in merger.controls] == [c[0] for c in batch.report["controls"]]
    client.force_login(accountants[0])
    page = client.get(reverse("loans:portfolio_import", args=[batch.pk])).content.decode()
    assert reverse("loans:portfolio_merger_report", args=[batch.pk]) in page
    assert client.get(reverse("loans:portfolio_merger_report", args=[batch.pk])).status_code == 200
    response = client.get(reverse("loans:portfolio_merger_report_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(response.content))["Theo nhóm nợ"]
    groups = {key: value for key, value in expected_groups.items() if key.isdigit()}  # the rest in Vietnamese
    cells = [row for row in sheet.iter_rows(values_only=True) if row and row[0] in groups]
    assert {row[0]: (row[2], D(row[3])) for row in cells} == groups


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from([EQUAL_PRINCIPAL, ANNUITY]),
    term=st.sampled_from([12, 24, 60]),
    age=st.integers(1, 700),
    paid=st.integers(0, 99),
    overdue_part=st.integers(0, 100),
    accrued=st.integers(0, 3_000_000),
    overdue_days=st.integers(1, 400),
    prepaid=st.integers(0, 90_000_000),
)
def test_a_sub_loans_replay_packed_for_the_commit_unpacks_to_the_rows_the_replay_stores(
    method, term, age, paid, overdue_part, accrued, overdue_days, prepaid
):
    """The dry run packs each replay's schedule and balances rows (`Replayed`) and the commit
    writes what they unpack to: to the đồng, what the replay itself gives the settling service
    (`schedule_row_values`, `first_rows`), prepayment rows and balances rows after it too."""
    lent = D(120_000_000)
    outstanding = lent * (100 - paid) / 100
    overdue = (outstanding * overdue_part / 100).quantize(D(1))
    opening = Opening(
        start=CUT_OVER - dt.timedelta(days=age),
        lent=lent,
        accrued=D(accrued),
        oldest_unpaid=CUT_OVER - dt.timedelta(days=overdue_days) if overdue else None,
        overdue_principal=overdue,
        overdue_interest=D(overdue_days * 100) if overdue else D(0),
    )
    terms = LoanTerms(
        annual_rate=D("0.066"), term_months=term, method=method, principal_frequency=1, interest_frequency=1
    )
    payments = [Payment("p", OPENING + dt.timedelta(days=20), D(prepaid))] if prepaid else []
    try:
        result = replay(
            terms,
            tranches=[Tranche("o", CUT_OVER, outstanding, opening)],
            payments=payments,
            as_of=OPENING + dt.timedelta(days=45),
            balances_from=CUT_OVER,
        )
    except (ScheduleError, LoanEventError):
        assume(False)
    packed = Replayed.of(result, CUT_OVER)
    rows, balances = packed.unpack()
    assert rows == [schedule_row_values(row) for row in result.rows]
    assert balances == first_rows(result, CUT_OVER)
    assert packed.fingerprint == schedule_fingerprint(result.rows)

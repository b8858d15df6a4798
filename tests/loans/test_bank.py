"""Bank statements: importing them (all lines or none, never a line twice), matching each line to
the repayments, tranches and capital receipts of its account, and reconciling a period."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from common.dates import format_date
from common.money import format_vnd
from fund.models import CapitalReceipt, CapitalSource
from fund.services.capital import record_capital_receipt
from ledger.drafts import EntryDraft, Line
from ledger.models import Account, JournalLine
from ledger.selectors import accounts_total
from ledger.services import post_entry, reverse_entry
from loans.domain.bank_matching import EXACT, Candidate, LineFacts, assign
from loans.models import BankStatement, ReconciledPeriod, Repayment, StatementLine
from loans.selectors.reconciliation import reconciliation
from loans.services.bank.importing import import_statement
from loans.services.bank.mapping import save_mapping
from loans.services.bank.matching import (
    confirm_match,
    match_again,
    match_line,
    record_line_repayment,
    reject_match,
)
from loans.services.bank.reconciling import reconcile_period, reopen_period
from tests.common.test_xlsx import upload
from tests.loans.conftest import START, move_to, repay

HEADER = ["Ngày GD", "Ngày hiệu lực", "Nội dung", "Số tham chiếu", "Ghi có", "Ghi nợ", "Số dư"]
LAYOUT = {
    "header_row": 2,
    "date_format": "%d/%m/%Y",
    "booking_date_column": "Ngày GD",
    "value_date_column": "Ngày hiệu lực",
    "description_column": "Nội dung",
    "reference_column": "Số tham chiếu",
    "credit_column": "Ghi có",
    "debit_column": "Ghi nợ",
    "amount_column": "",
    "balance_column": "Số dư",
    "match_days": 3,
}
PAID = START + dt.timedelta(days=10)  # 25/01/2026


def day(offset: int) -> str:
    return f"{START + dt.timedelta(days=offset):%d/%m/%Y}"


def statement(*rows, header=HEADER) -> io.BytesIO:
    """A bank's .xlsx: a title line, the header on row 2, then `rows`."""
    return upload([["SAO KÊ TÀI KHOẢN 0123456789"], header, *rows])


def credit(offset, amount, text, reference="FT001"):
    return [day(offset), day(offset), text, reference, amount, None, None]


def debit(offset, amount, text, reference="FT002"):
    return [day(offset), day(offset), text, reference, None, amount, None]


@pytest.fixture
def layout(staff, bank):
    return save_mapping(actor=staff["accountant"], account=bank, fields=LAYOUT)


@pytest.fixture
def paid(loan, staff):
    """A repayment of 5 000 000 into the bank on PAID; the business date a month after START."""
    repayment = repay(loan, staff, PAID, D(5_000_000))
    move_to(START + dt.timedelta(days=30))
    return repayment


def load(staff, bank, *rows, name="saoke.xlsx"):
    return import_statement(actor=staff["accountant"], account=bank, file=statement(*rows), file_name=name)


def test_exact_match_by_amount_date_and_contract_number(loan, paid, staff, bank, layout):
    tranche = loan.disbursements.get()
    report = load(
        staff,
        bank,
        debit(0, int(tranche.amount.amount), f"GIAI NGAN HD-01/2026 {loan.borrower.name}"),
        # The bank dropped the đ and the punctuation; its value date is a day after the repayment's.
        credit(11, "5.000.000,00", "HTX TRA NO HD 01 2026", "FT26011"),
    )
    assert report.ok, report.errors
    assert report.added == 2 and report.counts == {"matched": 2}
    lines = {line.direction: line for line in StatementLine.objects.all()}
    assert lines["credit"].repayment == paid and lines["credit"].status == StatementLine.Status.MATCHED
    assert lines["credit"].matched_at is not None and lines["credit"].matched_by is None  # automatic
    assert lines["debit"].disbursement == tranche
    assert lines["credit"].value_date == PAID + dt.timedelta(days=1)


def test_capital_receipt_matched_by_its_memo(fund, staff, bank, layout):
    source = CapitalSource.objects.create(
        fund=fund, kind="state_budget", name="Ngân sách tỉnh", account=Account.objects.get(code="41111")
    )
    receipt = record_capital_receipt(
        actor=staff["accountant"],
        source=source,
        amount=D(200_000_000),
        account=bank,
        value_date=START,
        memo="QĐ 123/UBND",
    )
    report = load(staff, bank, credit(1, 200_000_000, "KBNN CHUYEN VON QD 123 UBND"))
    assert report.counts == {"matched": 1}
    assert CapitalReceipt.objects.get().statement_line.status == StatementLine.Status.MATCHED
    assert StatementLine.objects.get().capital_receipt == receipt


def test_same_amount_without_reference_is_suggested_then_confirmed(paid, staff, bank, layout):
    report = load(staff, bank, credit(12, 5_000_000, "NOP TIEN"))
    assert report.counts == {"suggested": 1}
    line = StatementLine.objects.get()
    assert line.repayment == paid
    confirmed = confirm_match(actor=staff["accountant"], line=line)
    assert confirmed.status == StatementLine.Status.MATCHED
    assert confirmed.matched_by == staff["accountant"]
    with pytest.raises(ValidationError, match="matched now"):
        confirm_match(actor=staff["accountant"], line=line)


def test_reference_with_another_amount_is_suggested_and_can_be_rejected(paid, staff, bank, layout):
    load(staff, bank, credit(10, 4_900_000, "TRA NO HD-01/2026"))
    line = StatementLine.objects.get()
    assert (line.status, line.repayment) == (StatementLine.Status.SUGGESTED, paid)
    reject_match(actor=staff["accountant"], line=line)
    line.refresh_from_db()
    assert line.status == StatementLine.Status.UNMATCHED and line.repayment is None
    assert not StatementLine.objects.filter(repayment=paid).exists()  # the repayment is free again


def test_outside_the_window_or_another_amount_stays_unmatched(paid, staff, bank, layout):
    report = load(
        staff,
        bank,
        credit(14, 5_000_000, "TRA NO HD-01/2026"),  # 4 days after the repayment: the window is 3
        credit(10, 7_000_000, "NOP TIEN"),
        debit(10, 5_000_000, "HD-01/2026"),  # money out is never a repayment
    )
    assert report.counts == {"unmatched": 3}
    assert not StatementLine.objects.exclude(repayment=None).exists()


def test_the_window_is_the_accounts_setting(paid, staff, bank, layout):
    save_mapping(actor=staff["accountant"], account=bank, fields={**LAYOUT, "match_days": 5})
    report = load(staff, bank, credit(14, 5_000_000, "TRA NO HD-01/2026"))
    assert report.counts == {"matched": 1}


def test_the_same_statement_imported_twice_adds_nothing(paid, staff, bank, layout):
    rows = [credit(11, 5_000_000, "HD-01/2026"), credit(12, 100_000, "PHI"), credit(12, 100_000, "PHI")]
    first = load(staff, bank, *rows)
    assert first.added == 3  # two identical lines are two lines
    again = load(staff, bank, *rows)
    assert again.ok and again.added == 0 and again.skipped == 3 and again.statement is None
    assert StatementLine.objects.count() == 3 and BankStatement.objects.count() == 1
    # A longer statement of the same month repeats them and adds only what is new.
    longer = load(staff, bank, *rows, credit(12, 100_000, "PHI"), credit(13, 250_000, "LAI"))
    assert (longer.added, longer.skipped) == (2, 3)
    assert StatementLine.objects.count() == 5


def test_a_signed_amount_csv_with_semicolons(paid, staff, bank):
    fields = {**LAYOUT, "header_row": 1, "credit_column": "", "debit_column": "", "amount_column": "Số tiền"}
    save_mapping(actor=staff["accountant"], account=bank, fields={**fields, "date_format": "%Y-%m-%d"})
    text = "Ngày GD;Ngày hiệu lực;Nội dung;Số tham chiếu;Số tiền;Số dư\n"
    text += "2026-01-26;2026-01-25;TRA NO HD-01/2026;FT1;5.000.000;9.000.000\n"
    text += "2026-01-27;;PHI QUAN LY;FT2;-11.000;8.989.000\n"
    report = import_statement(
        actor=staff["accountant"], account=bank, file=io.BytesIO(text.encode()), file_name="sk.CSV"
    )
    assert report.ok, report.errors
    utf16 = import_statement(
        actor=staff["accountant"], account=bank, file=io.BytesIO(text.encode("utf-16")), file_name="sk.csv"
    )
    assert [e.message for e in utf16.errors] == ["Save the CSV file as UTF-8 text."]
    lines = list(StatementLine.objects.order_by("booking_date"))
    assert [(line.direction, line.amount.amount) for line in lines] == [
        ("credit", 5_000_000),
        ("debit", 11_000),
    ]
    assert lines[0].repayment == paid and lines[1].value_date == dt.date(2026, 1, 27)
    assert lines[0].balance == 9_000_000


@pytest.mark.parametrize(
    ("rows", "header", "expected"),
    [
        ([credit(11, 5_000_000, "X")], ["Ngày", *HEADER[1:]], [(2, "Ngày GD", "missing")]),
        (
            [credit(11, 5_000_000, "X"), ["31/02/2026", day(1), "Y", "", 1, None, None]],
            HEADER,
            [(4, "Ngày GD", "dd/mm/yyyy")],
        ),
        (
            [[day(1), day(1), "Z", "", 1_000, 2_000, None], [day(1), day(1), "Z", "", "1.000,5", None, None]],
            HEADER,
            [(3, "Ghi có", "money in or money out"), (4, "Ghi có", "whole đồng")],
        ),
    ],
)
def test_a_bad_file_says_row_by_row_and_keeps_nothing(paid, staff, bank, layout, rows, header, expected):
    report = import_statement(
        actor=staff["accountant"], account=bank, file=statement(*rows, header=header), file_name="x.xlsx"
    )
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(row, column) for row, column, _m in expected]
    for error, (_row, _column, words) in zip(report.errors, expected, strict=True):
        assert words in error.message
    assert not StatementLine.objects.exists() and not BankStatement.objects.exists()


def test_too_many_rows_is_refused_before_reading(staff, bank, layout, settings):
    settings.IMPORT_MAX_ROWS = 2
    report = load(staff, bank, *[credit(1, 1_000 + i, "X") for i in range(3)])
    assert [e.column for e in report.errors] == ["rows"] and "at most 2" in report.errors[0].message
    assert not StatementLine.objects.exists()


def test_a_repayment_recorded_from_an_unmatched_credit(loan, staff, bank, layout, client):
    move_to(START + dt.timedelta(days=30))
    load(staff, bank, credit(20, "3.000.000", "HTX TRA NO HĐ-01/2026", "FT777"))
    line = StatementLine.objects.get()
    assert line.status == StatementLine.Status.UNMATCHED
    before = accounts_total(codes=["11211"], as_of=START + dt.timedelta(days=30))
    client.force_login(staff["accountant"])
    url = reverse("loans:bank_line_repayment", args=[line.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["contract"] == loan.contract.number
    response = client.post(url, {"contract": loan.contract.number, "prepayment_mode": "lower_installments"})
    assert response.status_code == 302, response.context["form"].errors
    repayment = Repayment.objects.get()
    assert (repayment.loan, repayment.amount.amount, repayment.value_date) == (
        loan,
        3_000_000,
        line.value_date,
    )
    assert (repayment.account.code, repayment.channel, repayment.reference) == (
        "11211",
        "bank_transfer",
        "FT777",
    )
    line.refresh_from_db()
    assert line.repayment == repayment and line.status == StatementLine.Status.MATCHED
    assert line.matched_by == staff["accountant"]
    # Posted like any repayment: the bank holds the money and the books still agree.
    assert accounts_total(codes=["11211"], as_of=START + dt.timedelta(days=30)) == before + 3_000_000
    entry_lines = JournalLine.objects.filter(entry=repayment.transactions.get().journal_entry)
    debits, credits = (sum(getattr(x, side).amount for x in entry_lines) for side in ("debit", "credit"))
    assert debits == credits == 3_000_000
    assert not any(row.difference for row in reconciliation(as_of=START + dt.timedelta(days=30)))
    # The line is matched now: it cannot be recorded again.
    with pytest.raises(ValidationError):
        record_line_repayment(actor=staff["accountant"], line=line, loan=loan)
    assert Repayment.objects.count() == 1


def test_a_debit_or_a_line_dated_after_the_business_date_is_not_recorded(loan, staff, bank, layout):
    move_to(START + dt.timedelta(days=5))
    load(staff, bank, credit(9, 3_000_000, "HD-01/2026"), debit(8, 3_000_000, "HD-01/2026"))
    later, out = StatementLine.objects.order_by("-booking_date")
    with pytest.raises(ValidationError) as refused:
        record_line_repayment(actor=staff["accountant"], line=later, loan=loan)
    assert "value_date" in refused.value.message_dict
    with pytest.raises(ValidationError, match="Only money in"):
        record_line_repayment(actor=staff["accountant"], line=out, loan=loan)
    assert not Repayment.objects.exists()
    assert StatementLine.objects.filter(status="unmatched").count() == 2


def test_match_again_finds_a_repayment_entered_after_the_import(loan, staff, bank, layout):
    move_to(START + dt.timedelta(days=30))
    load(staff, bank, credit(11, 5_000_000, "HD-01/2026"))
    repayment = repay(loan, staff, PAID, D(5_000_000))
    assert match_again(actor=staff["accountant"], account=bank) == 1
    assert StatementLine.objects.get().repayment == repayment


def test_a_period_is_reconciled_only_when_every_line_is_matched(paid, staff, bank, layout):
    load(staff, bank, credit(11, 5_000_000, "NOP TIEN"), credit(12, 10_000, "LAI"))
    first, last = START, START + dt.timedelta(days=20)
    accountant = staff["accountant"]
    with pytest.raises(ValidationError) as refused:
        reconcile_period(actor=accountant, account=bank, first_date=first, last_date=last)
    message = " ".join(refused.value.messages)
    assert "1 line is unmatched" in message and "1 suggestion is not confirmed" in message
    assert (
        f"{format_date(dt.date(2026, 1, 27))} 10.000" in message.replace("\xa0", " ")
        or f"{format_date(dt.date(2026, 1, 27))} 10,000" in message
    )
    suggested, unmatched = StatementLine.objects.order_by("booking_date")
    confirm_match(actor=accountant, line=suggested)
    unmatched_repayment = repay(paid.loan, staff, START + dt.timedelta(days=12), D(10_000))
    assert match_again(actor=accountant, account=bank) == 1
    confirm_match(actor=accountant, line=StatementLine.objects.get(pk=unmatched.pk))
    assert StatementLine.objects.get(pk=unmatched.pk).repayment == unmatched_repayment
    period = reconcile_period(actor=accountant, account=bank, first_date=first, last_date=last)
    assert (period.reconciled_by, period.reopened_at) == (accountant, None)
    # Its lines are frozen, and a new line in it is refused, until an accountant reopens it.
    with pytest.raises(ValidationError, match="reconciled"):
        reject_match(actor=accountant, line=suggested)
    report = load(staff, bank, credit(11, 5_000_000, "NOP TIEN"), credit(15, 1, "X"))
    assert [e.row for e in report.errors] == [4] and StatementLine.objects.count() == 2
    with pytest.raises(ValidationError, match="overlaps"):
        reconcile_period(
            actor=accountant, account=bank, first_date=PAID, last_date=PAID + dt.timedelta(days=60)
        )
    with pytest.raises(ValidationError):
        reopen_period(actor=accountant, period=period, reason=" ")
    reopen_period(actor=accountant, period=period, reason="Sai sao kê")
    period.refresh_from_db()
    assert period.reopened_by == accountant and period.reopen_reason == "Sai sao kê"
    reject_match(actor=accountant, line=suggested)


def _by_hand(bank, offset: int, amount: int, other: str, *, money_in: bool, key: str):
    """An entry posted by hand on the bank account (a fee, bank interest) on START + `offset`."""
    side = "debit" if money_in else "credit"
    against = "credit" if money_in else "debit"
    return post_entry(
        EntryDraft(
            value_date=START + dt.timedelta(days=offset),
            memo=f"Phí, lãi ngân hàng {key}",
            idempotency_key=key,
            lines=[Line(bank.code, **{side: D(amount)}), Line(other, **{against: D(amount)})],
        ),
        created_by=None,
    )


def test_a_fee_and_bank_interest_are_matched_to_the_entries_posted_by_hand(paid, staff, bank, layout, client):
    accountant = staff["accountant"]
    load(
        staff,
        bank,
        credit(11, 5_000_000, "NOP TIEN"),
        debit(12, 11_000, "PHI QLTK"),
        credit(13, 2_345, "TRA LAI"),
    )
    fee_line, interest_line = StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).order_by(
        "row"
    )
    assert fee_line.direction == "debit" and interest_line.direction == "credit"
    fee = _by_hand(bank, 12, 11_000, "6428", money_in=False, key="fee")
    interest = _by_hand(bank, 14, 2_345, "5158", money_in=True, key="interest")
    wrong = _by_hand(bank, 13, 2_345, "5158", money_in=True, key="wrong")
    reverse_entry(entry=wrong, reason="Nhập trùng", created_by=None)  # reversed: no longer a candidate
    assert match_again(actor=accountant, account=bank) == 2
    fee_line.refresh_from_db()
    interest_line.refresh_from_db()
    assert (fee_line.status, fee_line.journal_entry) == (StatementLine.Status.SUGGESTED, fee)
    assert (interest_line.status, interest_line.journal_entry) == (StatementLine.Status.SUGGESTED, interest)
    assert paid.statement_line.journal_entry is None  # the repayment is itself, not its entry
    for line in StatementLine.objects.filter(status=StatementLine.Status.SUGGESTED):
        confirm_match(actor=accountant, line=line)
    client.force_login(accountant)
    page = client.get(reverse("loans:bank_lines", args=[bank.code])).content.decode()
    assert reverse("ledger:entry_detail", args=[fee.pk]) in page and fee.number in page
    period = reconcile_period(
        actor=accountant, account=bank, first_date=START, last_date=START + dt.timedelta(days=20)
    )
    assert period.reconciled_by == accountant


def test_an_accountant_matches_a_line_by_hand_to_one_of_the_alike_entries(paid, staff, bank, layout, client):
    load(staff, bank, debit(12, 11_000, "PHI QLTK"))
    line = StatementLine.objects.get()
    near = _by_hand(bank, 12, 11_000, "6428", money_in=False, key="fee-12")
    other = _by_hand(bank, 14, 11_000, "6428", money_in=False, key="fee-14")
    _by_hand(bank, 12, 12_000, "6428", money_in=False, key="fee-other-amount")
    url = reverse("loans:bank_line_match", args=[line.pk])
    client.cookies["django_language"] = "en"
    client.force_login(staff["officer"])
    assert client.get(url).status_code == 403
    client.force_login(staff["accountant"])
    page = client.get(url)
    assert [row for _candidate, row in page.context["candidates"]] == [near, other]  # nearest first
    refused = client.post(url, {"kind": "repayment", "target": str(paid.pk)}, follow=True)  # another amount
    assert "cannot be that transaction" in refused.content.decode()
    assert client.post(url, {"kind": "nothing", "target": "x"}).status_code == 302
    assert client.post(url, {"kind": "journal_entry", "target": "9" * 30}).status_code == 302
    assert StatementLine.objects.get().status == StatementLine.Status.UNMATCHED
    done = client.post(url, {"kind": "journal_entry", "target": str(other.pk)})
    assert done.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.journal_entry, line.matched_by) == ("matched", other, staff["accountant"])
    assert client.get(url).status_code == 404  # matched: no longer offered
    with pytest.raises(ValidationError):  # matched already
        match_line(actor=staff["accountant"], line=line, kind="journal_entry", pk=near.pk)
    assert StatementLine.objects.get().journal_entry == other


def test_an_entry_by_hand_no_line_has_yet_is_in_the_books_only(paid, staff, bank, layout, client):
    load(staff, bank, credit(11, 5_000_000, "HTX TRA NO HD 01 2026", "FT26011"))
    before = client_check(client, staff, bank)
    _by_hand(bank, 11, 50_000, "6428", money_in=False, key="fee")
    after = client_check(client, staff, bank)
    assert (after.books_only - before.books_only, after.books_only_count - before.books_only_count) == (
        -50_000,
        1,
    )
    assert after.books - before.books == -50_000
    assert after.unexplained == before.unexplained  # the bank has not stated it yet: in transit


def client_check(client, staff, bank):
    client.force_login(staff["accountant"])
    return client.get(reverse("loans:bank_lines", args=[bank.code])).context["check"]


def test_a_transaction_is_matched_to_one_line_at_most(paid, staff, bank, layout):
    load(staff, bank, credit(11, 5_000_000, "HD-01/2026"), credit(11, 5_000_000, "HD-01/2026 lan 2"))
    assert StatementLine.objects.filter(repayment=paid).count() == 1
    other = StatementLine.objects.get(repayment=None)
    other.status, other.repayment = StatementLine.Status.SUGGESTED, paid
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_officers_cannot_see_or_use_the_bank_pages(staff, bank, layout, client):
    client.force_login(staff["officer"])
    for url in (
        reverse("loans:bank_accounts"),
        reverse("loans:bank_lines", args=["11211"]),
        reverse("loans:bank_import", args=["11211"]),
        reverse("loans:bank_mapping", args=["11211"]),
    ):
        assert client.get(url).status_code == 403
    with pytest.raises(PermissionDenied):
        load(staff | {"accountant": staff["officer"]}, bank, credit(1, 1, "X"))
    assert "loans:bank_accounts" not in client.get(reverse("loans:applications")).content.decode()


def test_the_layout_page_says_a_column_is_named_by_its_header(staff, bank, client):
    client.force_login(staff["accountant"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("loans:bank_mapping", args=["11211"])).content.decode()
    assert "as its header reads in the bank&#x27;s file" in page and "not by its letter" in page


def test_the_accountants_pages(paid, staff, bank, client):
    client.force_login(staff["accountant"])
    assert client.get(reverse("loans:bank_import", args=["11211"])).status_code == 302  # no layout yet
    response = client.post(reverse("loans:bank_mapping", args=["11211"]), {**LAYOUT, "debit_column": ""})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["credit_column"]
    assert client.post(reverse("loans:bank_mapping", args=["11211"]), LAYOUT).status_code == 302
    file = statement(credit(11, 5_000_000, "NOP TIEN"))
    file.name = "saoke.xlsx"
    response = client.post(reverse("loans:bank_import", args=["11211"]), {"file": file})
    assert response.status_code == 200 and response.context["report"].counts == {"suggested": 1}
    page = client.get(reverse("loans:bank_lines", args=["11211"]), {"status": "suggested"})
    assert page.status_code == 200 and list(page.context["lines"]) == list(StatementLine.objects.all())
    line = StatementLine.objects.get()
    assert client.post(reverse("loans:bank_line_confirm", args=[line.pk])).status_code == 302
    response = client.post(
        reverse("loans:bank_lines", args=["11211"]), {"first_date": "2026-01-01", "last_date": "2026-01-31"}
    )
    assert response.status_code == 302
    assert ReconciledPeriod.objects.get().reconciled_by == staff["accountant"]
    accounts = client.get(reverse("loans:bank_accounts"))
    assert accounts.status_code == 200 and accounts.context["summaries"][0].counts == {"matched": 1}


def _books(bank, day) -> D:
    """The bank account's GL balance at the end of `day`, summed from its journal lines."""
    lines = JournalLine.objects.filter(account=bank, value_date__lte=day)
    return sum((line.debit.amount - line.credit.amount for line in lines), D(0))


def test_the_statement_balance_is_compared_with_the_books_and_the_difference_explained(
    loan, paid, staff, bank, layout, client
):
    tranche = int(loan.disbursements.get().amount.amount)
    last = START + dt.timedelta(days=12)
    stated = _books(bank, last) - 7_000  # the bank says 7 000 less than the books
    load(
        staff,
        bank,
        [day(0), day(0), "GIAI NGAN HD-01/2026", "FT1", None, tranche, stated - 5_010_000],
        [day(11), day(11), "HTX TRA NO HD 01 2026", "FT26011", 5_000_000, None, stated - 10_000],
        [day(12), day(12), "LAI", "FT3", 10_000, None, stated],  # on the statement, not in the books
    )
    assert StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).count() == 1
    client.force_login(staff["accountant"])
    check = client.get(reverse("loans:bank_lines", args=[bank.code])).context["check"]
    assert (check.day, check.statement, check.books) == (last, stated, _books(bank, last))
    assert (check.difference, check.books_only_count, check.statement_only) == (7_000, 0, 10_000)
    assert check.unexplained == 17_000
    # A repayment the bank has not stated yet moves the difference, not what is unexplained.
    repay(loan, staff, last, D(20_000))
    page = client.get(reverse("loans:bank_lines", args=[bank.code]))
    check = page.context["check"]
    assert (check.difference, check.books_only, check.books_only_count) == (27_000, 20_000, 1)
    assert check.unexplained == 17_000
    assert format_vnd(D(17_000), with_unit=False) in page.content.decode()
    # The day of the repayment, which the bank booked the next day: in transit, not unexplained.
    check = client.get(reverse("loans:bank_lines", args=[bank.code]), {"last": PAID}).context["check"]
    assert (check.statement, check.books) == (stated - 5_010_000, _books(bank, PAID))
    assert (check.books_only, check.books_only_count, check.statement_only) == (5_000_000, 1, 0)
    assert check.unexplained == 17_000
    # As of the day before the last line: that line's balance, and the books of that day.
    earlier = client.get(
        reverse("loans:bank_lines", args=[bank.code]), {"last": START + dt.timedelta(days=11)}
    )
    check = earlier.context["check"]
    assert (check.statement, check.books) == (stated - 10_000, _books(bank, START + dt.timedelta(days=11)))
    # Reconciling keeps both balances of the period's last day.
    period = reconcile_period(
        actor=staff["accountant"], account=bank, first_date=START, last_date=START + dt.timedelta(days=11)
    )
    assert (period.statement_balance, period.books_balance) == (check.statement, check.books)


def test_without_a_balance_on_the_statement_nothing_is_compared(paid, staff, bank, layout, client):
    load(staff, bank, credit(11, 5_000_000, "HTX TRA NO HD 01 2026", "FT26011"))
    client.force_login(staff["accountant"])
    page = client.get(reverse("loans:bank_lines", args=[bank.code]))
    check, last = page.context["check"], PAID + dt.timedelta(days=1)
    assert check.statement is None and check.difference is None and check.unexplained is None
    assert check.books == _books(bank, last)
    period = reconcile_period(actor=staff["accountant"], account=bank, first_date=START, last_date=last)
    assert period.statement_balance is None and period.books_balance == _books(bank, last)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 10), st.sampled_from([100, 200, 300]), st.booleans()),
        max_size=8,
    ),
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(0, 10),
            st.sampled_from([100, 200, 300]),
            st.sampled_from(["AB12", "CD34"]),
        ),
        max_size=8,
    ),
    st.integers(0, 3),
)
def test_each_transaction_goes_to_one_line_and_exact_means_exact(lines, events, window):
    candidates = [
        Candidate.of(
            kind="repayment",
            pk=i,
            credit=c,
            value_date=START + dt.timedelta(days=d),
            amount=D(a),
            references=[r],
        )
        for i, (c, d, a, r) in enumerate(events)
    ]
    facts = [
        LineFacts(
            key=i,
            credit=c,
            value_date=START + dt.timedelta(days=d),
            amount=D(a),
            text="AB-12" if cites else "",
        )
        for i, (c, d, a, cites) in enumerate(lines)
    ]
    found = assign(facts, candidates, window=window)
    taken = [(c.kind, c.pk) for _status, c in found.values()]
    assert len(taken) == len(set(taken))
    for key, (status, candidate) in found.items():
        line = facts[key]
        assert line.credit == candidate.credit
        assert abs((line.value_date - candidate.value_date).days) <= window
        if status == EXACT:
            assert line.amount == candidate.amount and line.cites(candidate)
        else:
            assert line.amount == candidate.amount or line.cites(candidate)
    # A line left unmatched had no free candidate of its direction in the window with its amount.
    free = {(c.kind, c.pk) for c in candidates} - set(taken)
    for line in facts:
        if line.key not in found:
            assert not any(
                (c.kind, c.pk) in free
                and c.credit == line.credit
                and abs((line.value_date - c.value_date).days) <= window
                and (c.amount == line.amount or line.cites(c))
                for c in candidates
            )

"""Write-off and recovery, worked by hand on the bullet loan of `test_close_of_day`: 120 000 000
at 12 %/year, all due 25/04/2026, never paid, 40 000 000 of collateral towards provisions.

Left unpaid it is in group 3 from 25/07/2026 and in non-accrual from 05/05/2026; the close of
31/07/2026 leaves the books on the morning of 01/08/2026 (the business date) as:
- principal 120 000 000 overdue (128312);
- provisions: specific 20 % × (120 000 000 − 40 000 000) = 16 000 000 (22931), general
  0.75 % × 120 000 000 = 900 000 (22932), held since 31/01;
- suspended interest (0043): the row's interest 3 550 685 and late interest from 25/04 to
  01/08, 98 days: 120 000 000 × 18 % × 98 / 365 = 5 799 452.05 → 5 799 452, and on the unpaid
  interest 3 550 685 × 10 % × 98 / 365 = 95 333.47 → 95 333: 9 445 470 in all.
"""

import datetime as dt
import io
import re
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from common.dates import format_date
from common.names import person_name
from fund.models import Fund, User
from ledger.models import Account
from ledger.selectors import account_balances
from loans.models import (
    Loan,
    LoanBalance,
    LoanStatus,
    LoanTransaction,
    Recovery,
    Repayment,
    WriteOff,
)
from loans.selectors.reconciliation import reconciliation
from loans.selectors.recoveries import recovery_lines
from loans.services.closing.runs import close_until
from loans.services.risk import (
    RecoveryInput,
    apply_write_off,
    end_tracking,
    record_recovery,
    recovery_reversal_entry,
    reverse_recovery,
    tracking_end_entry,
)
from tests.loans.conftest import ROW2, capitalised_fund, move_to, repay, staff_of_each_role
from tests.loans.test_close_of_day import bullet_loan, pledge_land

WRITTEN_OFF_ON = dt.date(2026, 8, 1)
INTEREST = D(3_550_685) + D(5_799_452) + D(95_333)  # 9 445 470


@pytest.fixture
def later_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))


@pytest.fixture(scope="module")
def written_off_fund(shared_db):
    """The fund, its staff and the loan left unpaid into group 3 (`group3_loan`), built once for
    this module's tests (`shared_db`): closing its 190 days is most of each one's time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))
        capitalised_fund()
        staff = staff_of_each_role()
        loan = bullet_loan(staff, Account.objects.get(code="11211"), on=dt.date(2026, 1, 25))
        pledge_land(loan, staff["officer"], valued_on=loan.contract.signed_on)
        close_until(actor=staff["accountant"], until=WRITTEN_OFF_ON)
    return staff, loan.pk


@pytest.fixture
def staff(written_off_fund, db):
    return {role: User.objects.get(pk=user.pk) for role, user in written_off_fund[0].items()}


@pytest.fixture
def group3_loan(written_off_fund, db, later_today):
    loan = Loan.objects.get(pk=written_off_fund[1])
    assert (loan.debt_group, loan.accrual_suspended) == (3, True)
    return loan


def gl(*codes: str, day=WRITTEN_OFF_ON) -> dict[str, D]:
    return account_balances(codes=codes, as_of=day)


def assert_books_agree(day: dt.date) -> None:
    assert {row.code: row.difference for row in reconciliation(as_of=day) if row.difference} == {}


def off_balance(loan) -> D:
    rows = LoanTransaction.objects.filter(loan=loan)
    return sum(rows.values_list("written_off_principal", flat=True)) + sum(
        rows.values_list("written_off_interest", flat=True)
    )


def recover(loan, staff, amount: D, *, day=WRITTEN_OFF_ON, who="officer") -> Recovery:
    entry = RecoveryInput(value_date=day, amount=amount, channel=Repayment.Channel.BANK_TRANSFER)
    return record_recovery(actor=staff[who], loan=loan, entry=entry)


def test_a_write_off_the_provisions_do_not_cover(group3_loan, staff):
    before = gl("128312", "22931", "22932", "6426", "0043", "0041", "0042", "009")
    assert before == {
        "128312": D(120_000_000),
        "22931": D(-16_000_000),
        "22932": D(-900_000),
        "6426": D(16_900_000),
        "0043": INTEREST,
        "0041": D(0),
        "0042": D(0),
        "009": -INTEREST,
    }
    record = apply_write_off(actor=staff["approver"], loan=group3_loan)

    # Dr 22931 16 000 000, Dr 22932 900 000, Dr 6426 103 100 000 / Cr 128312 120 000 000;
    # memo Dr 0041 120 000 000 / Cr 009; suspended interest moved, Dr 0042 / Cr 0043 9 445 470.
    lines = set(record.journal_entry.lines.values_list("account__code", "debit", "credit"))
    assert lines == {
        ("22931", D(16_000_000), D(0)),
        ("22932", D(900_000), D(0)),
        ("6426", D(103_100_000), D(0)),
        ("128312", D(0), D(120_000_000)),
        ("0041", D(120_000_000), D(0)),
        ("009", D(0), D(120_000_000)),
        ("0042", INTEREST, D(0)),
        ("0043", D(0), INTEREST),
    }
    assert gl("128312", "22931", "22932", "6426", "0043", "0041", "0042", "009") == {
        "128312": D(0),
        "22931": D(0),
        "22932": D(0),
        "6426": D(120_000_000),  # the provisions made over the months and the shortfall now
        "0043": D(0),
        "0041": D(120_000_000),
        "0042": INTEREST,
        "009": -(D(120_000_000) + INTEREST),
    }
    assert (record.principal.amount, record.interest.amount) == (D(120_000_000), INTEREST)
    assert (record.from_specific.amount, record.from_general.amount, record.to_expense.amount) == (
        D(16_000_000),
        D(900_000),
        D(103_100_000),
    )
    assert record.tracked_until == dt.date(2031, 8, 1)  # the fund's 5 years
    loan = Loan.objects.get(pk=group3_loan.pk)
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert loan.events.last().transition == "write_off"
    # The stored balances owe nothing from that day; the day before still shows the debt.
    current = LoanBalance.objects.get(loan=loan, valid_to__isnull=True)
    assert (current.valid_from, current.principal_outstanding, current.next_due_date) == (
        WRITTEN_OFF_ON,
        D(0),
        None,
    )
    before = LoanBalance.objects.get(loan=loan, valid_to=WRITTEN_OFF_ON)
    assert before.principal_outstanding == D(120_000_000)
    assert off_balance(loan) == D(120_000_000) + INTEREST
    assert_books_agree(WRITTEN_OFF_ON)


def test_close_of_day_leaves_a_written_off_loan_alone(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    rows = LoanTransaction.objects.filter(loan=group3_loan).count()
    close_until(actor=staff["accountant"], until=dt.date(2026, 9, 2))  # a month end on the way
    assert LoanTransaction.objects.filter(loan=group3_loan).count() == rows
    assert gl("0043", "0042", day=dt.date(2026, 9, 1)) == {"0043": D(0), "0042": INTEREST}
    assert_books_agree(dt.date(2026, 9, 1))


def test_write_off_then_recovery_leaves_the_off_balance_figure_and_income_exact(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    total = D(120_000_000) + INTEREST  # 129 445 470
    with pytest.raises(ValidationError) as refused:
        recover(group3_loan, staff, total + 1)
    assert "129,445,470" in refused.value.message_dict["amount"][0]

    first = recover(group3_loan, staff, D(125_000_000))
    # Principal first: 120 000 000 off 0041, the other 5 000 000 off 0042.
    assert (first.principal.amount, first.interest.amount) == (D(120_000_000), D(5_000_000))
    assert off_balance(group3_loan) == D(4_445_470)
    assert gl("7111", "11211", "0041", "0042", "009")["7111"] == D(-125_000_000)
    move_to(dt.date(2026, 8, 1))
    second = recover(group3_loan, staff, D(4_445_470), who="accountant")
    assert (second.principal.amount, second.interest.amount) == (D(0), D(4_445_470))
    assert gl("7111", "0041", "0042", "009") == {
        "7111": -total,
        "0041": D(0),
        "0042": D(0),
        "009": D(0),
    }
    assert off_balance(group3_loan) == D(0)
    with pytest.raises(ValidationError):
        recover(group3_loan, staff, D(1))
    assert_books_agree(WRITTEN_OFF_ON)


def test_a_recovery_entered_in_error_is_reversed_later_and_the_debt_pursued_again(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    codes = ("7111", "11211", "0041", "0042", "009")
    written_off = gl(*codes)
    recovery = recover(group3_loan, staff, D(25_000_000))
    recovered = gl(*codes)
    later = WRITTEN_OFF_ON + dt.timedelta(days=3)
    move_to(later)
    with pytest.raises(PermissionDenied):
        reverse_recovery(actor=staff["officer"], recovery=recovery, reason="Nhập nhầm")
    with pytest.raises(ValidationError) as no_reason:
        reverse_recovery(actor=staff["accountant"], recovery=recovery, reason=" ")
    assert "reason" in no_reason.value.message_dict
    shown = recovery_reversal_entry(actor=staff["accountant"], recovery=recovery, reason="Nhập nhầm số tiền")
    done = reverse_recovery(actor=staff["accountant"], recovery=recovery, reason="Nhập nhầm số tiền")
    assert (done.status, done.reversed_on, done.reversed_by, done.reversal_reason) == (
        "reversed",
        later,
        staff["accountant"],
        "Nhập nhầm số tiền",
    )
    entry = done.reversal_entry
    assert entry.reverses_id == recovery.journal_entry_id and entry.value_date == later
    posted = set(entry.lines.values_list("account__code", "debit", "credit"))
    assert posted == {(line.account, line.debit, line.credit) for line in shown.lines}
    assert gl(*codes, day=later) == written_off  # income, bank and the memo as before the recovery
    assert gl(*codes) == recovered  # the day of the recovery keeps it: the reversal is booked later
    assert off_balance(group3_loan) == D(120_000_000) + INTEREST
    assert_books_agree(WRITTEN_OFF_ON)
    assert_books_agree(later)
    assert Loan.objects.get(pk=group3_loan.pk).status == LoanStatus.WRITTEN_OFF
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_recovery(actor=staff["accountant"], recovery=recovery, reason="Lần nữa")
    # The report: recovered as of its day; not by the reversal's, the reversal's period nets it.
    (line,) = recovery_lines(start=WRITTEN_OFF_ON, end=WRITTEN_OFF_ON)
    assert (line.recovered_in_period, line.recovered) == (D(25_000_000), D(25_000_000))
    (line,) = recovery_lines(start=WRITTEN_OFF_ON, end=later)
    assert (line.recovered_in_period, line.recovered, line.off_balance) == (0, 0, D(120_000_000) + INTEREST)
    (line,) = recovery_lines(start=later, end=later)
    assert (line.recovered_in_period, line.recovered) == (D(-25_000_000), 0)


def test_the_recoveries_report_through_the_api_is_the_pages(client, group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    recover(group3_loan, staff, D(25_000_000))
    client.force_login(staff["officer"])
    query = {"as_of": "2026-08-01", "from": "2026-08-01"}
    body = client.get("/api/v1/reports/recoveries/", query).json()
    (line,) = body["lines"]
    assert (line["loan"], line["reference"], line["written_off_on"]) == (
        group3_loan.pk,
        group3_loan.reference,
        "2026-08-01",
    )
    assert [
        line[name] for name in ("principal", "interest", "recovered_in_period", "recovered", "off_balance")
    ] == [
        "120000000",
        str(int(INTEREST)),
        "25000000",
        "25000000",
        str(int(D(95_000_000) + INTEREST)),
    ]
    assert body["totals"]["recovered"] == "25000000" and body["start"] == "2026-08-01"
    refused = client.get("/api/v1/reports/recoveries/", {"as_of": "2031-01-01"})
    assert refused.status_code == 400 and "as_of" in refused.json()["fields"]


def test_a_recovery_entered_twice_is_one(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    assert recover(group3_loan, staff, D(1_000_000)) == recover(group3_loan, staff, D(1_000_000))
    assert Recovery.objects.count() == 1


def test_a_recovery_is_not_dated_before_the_write_off(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    with pytest.raises(ValidationError) as refused:
        recover(group3_loan, staff, D(1_000_000), day=WRITTEN_OFF_ON - dt.timedelta(days=1))
    assert "value_date" in refused.value.message_dict


def test_only_officers_and_accountants_record_recoveries(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    with pytest.raises(PermissionDenied):
        recover(group3_loan, staff, D(1_000_000), who="approver")
    assert not Recovery.objects.exists()


def test_a_repayment_is_refused_once_the_loan_is_written_off(group3_loan, staff):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    with pytest.raises(ValidationError) as refused:
        repay(Loan.objects.get(pk=group3_loan.pk), staff, WRITTEN_OFF_ON, ROW2)
    assert "written off" in refused.value.messages[0]
    assert Fund.objects.get().business_date == WRITTEN_OFF_ON


def test_an_accountant_reverses_a_recovery_from_the_loan_page_after_seeing_its_entry(
    client, group3_loan, staff
):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    recovery = recover(group3_loan, staff, D(25_000_000))
    page, url = (
        reverse("loans:loan_detail", args=[group3_loan.pk]),
        reverse("loans:recovery_reverse", args=[recovery.pk]),
    )
    client.cookies["django_language"] = "en"
    client.force_login(staff["officer"])
    assert url not in client.get(page).content.decode()
    assert client.get(url).status_code == 403 and client.post(url, {"reason": "Sai"}).status_code == 403
    client.force_login(staff["accountant"])
    assert url in client.get(page).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400  # a reason first
    shown = client.post(url, {"reason": "Nhập nhầm"})
    assert shown.status_code == 200 and "Reverse the recovery and post" in shown.content.decode()
    original = set(recovery.journal_entry.lines.values_list("account__code", "debit", "credit"))
    lines = {(line.account, line.debit, line.credit) for line in shown.context["entry"].lines}
    assert lines == {(code, credit, debit) for code, debit, credit in original}
    assert Recovery.objects.get().status == "posted"  # nothing reversed until confirmed
    done = client.post(url, {"reason": "Nhập nhầm", "confirm": "1"})
    assert done.status_code == 302 and Recovery.objects.get().status == "reversed"
    assert "reversed on" in client.get(page).content.decode()
    again = client.post(url, {"reason": "Nhập nhầm", "confirm": "1"})
    assert again.status_code == 400 and "already reversed" in again.content.decode()


def test_a_written_off_loans_schedule_shows_what_it_owed_as_written_off(client, group3_loan, staff):
    url = reverse("loans:loan_detail", args=[group3_loan.pk])
    client.force_login(staff["officer"])
    client.cookies["django_language"] = "en"
    before = client.get(url)
    assert [line.state for _h, schedule, _p in before.context["schedules"] for line in schedule.lines] == [
        "overdue"
    ]
    assert "Accrued, not posted yet" in before.content.decode()
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    after = client.get(url)
    (line,) = [line for _h, schedule, _p in after.context["schedules"] for line in schedule.lines]
    assert line.state == "written_off" and line.left > 0
    html = after.content.decode()
    assert '<span class="badge bad">written off</span>' in html and "Accrued, not posted yet" not in html
    api = client.get(f"/api/v1/loans/{group3_loan.pk}/schedule/", {"on": "2026-08-01"}).json()
    assert [line["state"] for line in api["sub_loans"][0]["lines"]] == ["written_off"]
    earlier = client.get(f"/api/v1/loans/{group3_loan.pk}/schedule/", {"on": "2026-07-31"}).json()
    assert [line["state"] for line in earlier["sub_loans"][0]["lines"]] == ["overdue"]  # not yet written off


def test_the_loan_page_the_recovery_form_and_the_recoveries_report(client, group3_loan, staff, tmp_path):
    apply_write_off(actor=staff["approver"], loan=group3_loan)
    client.force_login(staff["officer"])
    page = client.get(reverse("loans:loan_detail", args=[group3_loan.pk])).content.decode()
    assert 'id="write-off"' in page and reverse("loans:recovery_new", args=[group3_loan.pk]) in page
    url = reverse("loans:recovery_new", args=[group3_loan.pk])
    form = {"value_date": "2026-08-01", "channel": "bank_transfer", "account": "", "reference": "UNC 7"}
    refused = client.post(url, {**form, "amount": "999.999.999"})
    assert refused.status_code == 400 and not Recovery.objects.exists()
    sent = client.post(url, {**form, "amount": "25.000.000"})
    assert sent.status_code == 302 and Recovery.objects.get().amount.amount == D(25_000_000)
    page = client.get(reverse("loans:loan_detail", args=[group3_loan.pk])).content.decode()
    recoveries = page.split('id="write-off"')[1].split("</article>")[0]
    assert f"<td>{escape(person_name(staff['officer']))}</td>" in recoveries  # named as everywhere
    report = client.get(reverse("loans:recoveries_report"), {"as_of": "2026-08-01"})
    assert report.status_code == 200 and group3_loan.reference in report.content.decode()
    sheet = client.get(reverse("loans:recoveries_xlsx"), {"as_of": "2026-08-01"})
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    line = next(row for row in rows if row and row[0] == group3_loan.reference)
    # Written off, recovered in the period and in all, still off-balance.
    assert line[5:] == (120_000_000, int(INTEREST), 25_000_000, 25_000_000, int(D(95_000_000) + INTEREST))
    out = tmp_path / "thu-hoi.xlsx"
    call_command("report", "recoveries", "--as-of", "2026-08-01", "--from", "2026-08-01", "--out", str(out))
    assert group3_loan.reference in [row[0] for row in openpyxl.load_workbook(out).active.values if row]


# --- the end of the off-balance tracking ------------------------------------------------------
# Tracked for the fund's 5 years, until 01/08/2031; 25 000 000 recovered on the day of the
# write-off (all principal) leaves 95 000 000 on 0041 and 9 445 470 on 0042 to take off.

TRACKED_UNTIL = dt.date(2031, 8, 1)
LEFT_PRINCIPAL = D(95_000_000)  # 120 000 000 written off, 25 000 000 recovered
CODES = ("0041", "0042", "009", "7111")


@pytest.fixture
def recovered(group3_loan, staff):
    """The loan written off, 25 000 000 recovered on it, and the business date at the end of its
    tracking period."""
    write_off = apply_write_off(actor=staff["approver"], loan=group3_loan)
    recovery = recover(group3_loan, staff, D(25_000_000))
    assert write_off.tracked_until == TRACKED_UNTIL
    move_to(TRACKED_UNTIL)
    return write_off, recovery


def test_ending_the_tracking_takes_what_is_still_pursued_off_the_memo(group3_loan, staff, recovered):
    write_off, _recovery = recovered
    before = gl(*CODES, day=TRACKED_UNTIL)
    assert before == {
        "0041": LEFT_PRINCIPAL,
        "0042": INTEREST,
        "009": -(LEFT_PRINCIPAL + INTEREST),
        "7111": D(-25_000_000),
    }
    shown = tracking_end_entry(actor=staff["accountant"], write_off=write_off, reason="Hết thời hạn theo dõi")
    ended = end_tracking(actor=staff["accountant"], write_off=write_off, reason="  Hết thời hạn theo dõi ")

    assert (ended.status, ended.ended_on, ended.ended_by, ended.end_reason) == (
        "ended",
        TRACKED_UNTIL,
        staff["accountant"],
        "Hết thời hạn theo dõi",
    )
    entry = ended.end_entry
    assert (entry.value_date, entry.source_kind) == (TRACKED_UNTIL, "tracking_end")
    # Dr 009 104 445 470 / Cr 0041 95 000 000, Cr 0042 9 445 470: as a recovery takes them off.
    posted = set(entry.lines.values_list("account__code", "debit", "credit"))
    assert posted == {
        ("009", LEFT_PRINCIPAL + INTEREST, D(0)),
        ("0041", D(0), LEFT_PRINCIPAL),
        ("0042", D(0), INTEREST),
    }
    assert posted == {(line.account, line.debit, line.credit) for line in shown.lines}
    assert entry.memo == shown.memo
    after = gl(*CODES, day=TRACKED_UNTIL)
    assert after == {"0041": D(0), "0042": D(0), "009": D(0), "7111": D(-25_000_000)}
    assert gl(*CODES, day=TRACKED_UNTIL - dt.timedelta(days=1)) == before  # the day before keeps it
    row = LoanTransaction.objects.get(journal_entry=entry)
    assert (row.kind, row.value_date, row.amount.amount) == (
        LoanTransaction.Kind.TRACKING_END,
        TRACKED_UNTIL,
        LEFT_PRINCIPAL + INTEREST,
    )
    assert off_balance(group3_loan) == 0
    assert_books_agree(TRACKED_UNTIL)
    assert_books_agree(WRITTEN_OFF_ON)
    assert Loan.objects.get(pk=group3_loan.pk).status == LoanStatus.WRITTEN_OFF


def test_ending_the_tracking_is_refused_before_its_day_without_a_reason_for_an_officer_and_twice(
    group3_loan, staff, recovered
):
    write_off, _recovery = recovered
    move_to(TRACKED_UNTIL - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as early:
        end_tracking(actor=staff["accountant"], write_off=write_off, reason="Sớm")
    assert format_date(TRACKED_UNTIL) in early.value.messages[0]
    with pytest.raises(ValidationError):
        tracking_end_entry(actor=staff["accountant"], write_off=write_off, reason="Sớm")
    move_to(TRACKED_UNTIL)
    with pytest.raises(ValidationError) as no_reason:
        end_tracking(actor=staff["accountant"], write_off=write_off, reason="  ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(PermissionDenied):
        end_tracking(actor=staff["officer"], write_off=write_off, reason="Hết hạn")
    assert WriteOff.objects.get().status == "tracking" and off_balance(group3_loan) > 0

    end_tracking(actor=staff["accountant"], write_off=write_off, reason="Hết hạn")
    rows = LoanTransaction.objects.filter(loan=group3_loan).count()
    with pytest.raises(ValidationError) as twice:
        end_tracking(actor=staff["accountant"], write_off=write_off, reason="Lần nữa")
    assert format_date(TRACKED_UNTIL) in twice.value.messages[0]
    assert LoanTransaction.objects.filter(loan=group3_loan).count() == rows
    assert gl("009", day=TRACKED_UNTIL) == {"009": D(0)}


def test_nothing_is_recovered_or_reversed_after_the_tracking_ended(
    group3_loan, staff, recovered, monkeypatch
):
    write_off, recovery = recovered
    end_tracking(actor=staff["accountant"], write_off=write_off, reason="Hết hạn")
    with pytest.raises(ValidationError) as refused:
        recover(group3_loan, staff, D(1_000_000), day=TRACKED_UNTIL)
    assert format_date(TRACKED_UNTIL) in refused.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError) as not_reversed:
        reverse_recovery(actor=staff["accountant"], recovery=recovery, reason="Nhập nhầm")
    assert format_date(TRACKED_UNTIL) in not_reversed.value.messages[0]
    assert Recovery.objects.get().status == "posted"
    monkeypatch.setattr(timezone, "localdate", lambda: TRACKED_UNTIL + dt.timedelta(days=1))
    close_until(actor=staff["accountant"], until=TRACKED_UNTIL + dt.timedelta(days=1))  # its day closes
    assert gl(*CODES, day=TRACKED_UNTIL)["0041"] == 0
    assert_books_agree(TRACKED_UNTIL)


def test_the_recoveries_report_shows_nothing_left_off_balance_from_the_end(group3_loan, staff, recovered):
    write_off, _recovery = recovered
    end_tracking(actor=staff["accountant"], write_off=write_off, reason="Hết hạn")
    day_before = TRACKED_UNTIL - dt.timedelta(days=1)
    (line,) = recovery_lines(start=WRITTEN_OFF_ON, end=day_before)
    assert (line.recovered, line.off_balance) == (D(25_000_000), LEFT_PRINCIPAL + INTEREST)
    (line,) = recovery_lines(start=WRITTEN_OFF_ON, end=TRACKED_UNTIL)
    assert (line.recovered_in_period, line.recovered, line.off_balance) == (D(25_000_000), D(25_000_000), 0)
    (line,) = recovery_lines(start=TRACKED_UNTIL, end=TRACKED_UNTIL)
    assert (line.recovered_in_period, line.off_balance) == (0, 0)


def test_an_accountant_ends_the_tracking_from_the_loan_page_after_seeing_its_entry(
    client, group3_loan, staff, recovered
):
    page, url = (
        reverse("loans:loan_detail", args=[group3_loan.pk]),
        reverse("loans:tracking_end", args=[group3_loan.pk]),
    )
    client.cookies["django_language"] = "en"
    client.force_login(staff["officer"])
    assert url not in client.get(page).content.decode()
    assert client.get(url).status_code == 403 and client.post(url, {"reason": "Hết hạn"}).status_code == 403

    client.force_login(staff["accountant"])
    move_to(TRACKED_UNTIL - dt.timedelta(days=1))
    assert url not in client.get(page).content.decode()  # offered from its day
    early = client.post(url, {"reason": "Hết hạn"})
    assert early.status_code == 400 and "once the business date reaches" in early.content.decode()
    move_to(TRACKED_UNTIL)
    assert url in client.get(page).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400  # a reason first
    shown = client.post(url, {"reason": "Hết hạn"})
    assert shown.status_code == 200 and "End the tracking and post" in shown.content.decode()
    lines = {(line.account, line.debit, line.credit) for line in shown.context["entry"].lines}
    assert WriteOff.objects.get().status == "tracking"  # nothing posted until confirmed
    done = client.post(url, {"reason": "Hết hạn", "confirm": "1"})
    assert done.status_code == 302
    ended = WriteOff.objects.get()
    assert ended.status == "ended"
    assert set(ended.end_entry.lines.values_list("account__code", "debit", "credit")) == lines
    html = client.get(page).content.decode()
    assert "Tracking ended on" in html and url not in html
    assert reverse("loans:recovery_new", args=[group3_loan.pk]) not in html
    again = client.post(url, {"reason": "Hết hạn", "confirm": "1"})
    assert again.status_code == 400 and "cannot be ended again" in again.content.decode()


@pytest.mark.postgres  # SQLite has no row locks
def test_the_entry_ending_the_tracking_is_shown_without_locking_a_row(group3_loan, staff, recovered):
    # Seeing it changes nothing: it need not queue behind a money event on the loan. (The module's
    # loan is never committed, so no other transaction can hold it to show that directly.)
    write_off, _recovery = recovered
    statements = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        entry = tracking_end_entry(actor=staff["accountant"], write_off=write_off, reason="Hết hạn")
    assert entry.lines and statements
    locking = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
    assert [sql for sql in statements if locking.search(sql)] == []


def test_there_is_nothing_to_end_once_everything_was_recovered(group3_loan, staff):
    write_off = apply_write_off(actor=staff["approver"], loan=group3_loan)
    recover(group3_loan, staff, D(120_000_000) + INTEREST)
    move_to(TRACKED_UNTIL)
    with pytest.raises(ValidationError, match="recovered"):
        tracking_end_entry(actor=staff["accountant"], write_off=write_off, reason="Hết hạn")
    assert WriteOff.objects.get().status == "tracking"

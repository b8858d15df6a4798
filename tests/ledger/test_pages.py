"""The accountant's pages: who may see them, what they show, and refusals shown on the form."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from ledger import reports
from ledger.models import Account, JournalEntry, Period, PeriodEvent, PeriodState
from ledger.services import EntryDraft, Line, close_period, post_entry, reverse_on_request
from tests.ledger.factories import as_if_committed, post
from tests.ledger.test_accounts import exported, workbook
from tests.sheets import rows_of, table_under

pytestmark = pytest.mark.django_db

PAGES = [
    ("ledger:journal", {}),
    ("ledger:chart", {}),
    ("ledger:trial_balance", {}),
    ("ledger:ledger_detail", {}),
    ("ledger:periods", {}),
    ("ledger:entry_create", {}),
    ("ledger:account_create", {}),
    ("ledger:chart_import", {}),
]
EXPORTS = [
    "ledger:journal_export",
    "ledger:chart_export",
    "ledger:trial_balance_export",
    "ledger:periods_export",
]


@pytest.fixture
def client(client, settings):
    """Pages in English, so that they can be compared with the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def as_accountant(client, accountant):
    client.force_login(accountant)
    return client


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_the_accountant_sees_every_page(as_accountant, name, kwargs):
    post()
    assert as_accountant.get(reverse(name, kwargs=kwargs)).status_code == 200


@pytest.mark.parametrize("name", [name for name, _ in PAGES] + EXPORTS)
def test_a_coop_user_gets_nothing_from_the_ledger(client, coop_user, name):
    client.force_login(coop_user)
    assert client.get(reverse(name)).status_code == 403


def test_an_officer_reads_the_journal_but_does_not_write_it(client, officer):
    entry = post()
    client.force_login(officer)
    assert client.get(reverse("ledger:journal")).status_code == 200
    assert client.get(reverse("ledger:entry_detail", args=[entry.pk])).status_code == 200
    assert client.get(reverse("ledger:entry_create")).status_code == 403
    assert client.get(reverse("ledger:entry_reverse", args=[entry.pk])).status_code == 403
    assert client.get(reverse("ledger:journal_export")).status_code == 403


def test_the_journal_lists_and_filters_entries(as_accountant):
    post(memo="Góp vốn", value_date=date(2025, 3, 1))
    post(memo="Giải ngân", debit="128311", credit="1111", value_date=date(2025, 4, 1))
    page = as_accountant.get(reverse("ledger:journal"), {"account": "1283"}).content.decode()
    assert "Giải ngân" in page and "Góp vốn" not in page
    page = as_accountant.get(reverse("ledger:journal"), {"date_from": "2025-03-31", "date_to": "2025-03-01"})
    assert "The end comes before the start." in page.content.decode()


def lines_data(*lines, memo="Chi phí văn phòng", key="abc", value_date="2025-03-10"):
    data = {
        "value_date": value_date,
        "memo": memo,
        "key": key,
        "lines-TOTAL_FORMS": "6",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for number, (account, debit, credit) in enumerate(lines):
        data |= {f"lines-{number}-account": account}
        data |= {f"lines-{number}-debit": debit, f"lines-{number}-credit": credit}
    return data


def test_a_manual_entry_is_posted_once_even_if_submitted_twice(as_accountant, accountant):
    data = lines_data(("6428", "1.500.000", ""), ("1111", "", "1.500.000"))
    response = as_accountant.post(reverse("ledger:entry_create"), data)
    entry = JournalEntry.objects.get()
    assert response.status_code == 302 and response.url == reverse("ledger:entry_detail", args=[entry.pk])
    assert entry.created_by == accountant and entry.source_kind == "manual"
    assert as_accountant.post(reverse("ledger:entry_create"), data).status_code == 302
    assert JournalEntry.objects.count() == 1


def test_an_unbalanced_manual_entry_is_shown_back_with_the_problem(as_accountant):
    data = lines_data(("", "", ""), ("6428", "1.500.000", ""), ("1111", "", "1.000.000"))
    response = as_accountant.post(reverse("ledger:entry_create"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The entry does not balance: debits 1,500,000" in page
    assert not JournalEntry.objects.exists()


def test_a_manual_entry_to_a_parent_account_names_the_line(as_accountant):
    data = lines_data(("6428", "100", ""), ("1111", "", "100"))
    data["lines-1-account"] = "112"  # not offered in the list, but posted anyway
    response = as_accountant.post(reverse("ledger:entry_create"), data)
    assert response.status_code == 400
    assert not JournalEntry.objects.exists()


def test_a_typed_amount_that_is_not_whole_dong_is_refused_on_its_field(as_accountant):
    data = lines_data(("6428", "12,5", ""), ("1111", "", "1"))
    response = as_accountant.post(reverse("ledger:entry_create"), data)
    assert response.status_code == 400
    assert "Enter a whole number of đồng" in response.content.decode()


def test_an_amount_beyond_what_a_money_column_holds_is_refused_on_its_field(as_accountant):
    data = lines_data(("6428", "1" + "0" * 30, ""), ("1111", "", "1" + "0" * 30))
    response = as_accountant.post(reverse("ledger:entry_create"), data)
    assert response.status_code == 400
    assert "An amount is at most 999,999,999,999,999,999 đồng." in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_an_entry_is_reversed_with_a_reason(as_accountant):
    entry = post()
    response = as_accountant.post(reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": "Nhập sai"})
    reversal = JournalEntry.objects.get(reverses=entry)
    assert response.status_code == 302 and reversal.memo == "Nhập sai"
    again = as_accountant.post(reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": "again"})
    assert again.status_code == 400
    assert f"already reversed by {reversal.number}" in again.content.decode()
    detail = as_accountant.get(reverse("ledger:entry_detail", args=[entry.pk])).content.decode()
    assert reversal.number in detail and reverse("ledger:entry_reverse", args=[entry.pk]) not in detail


def test_an_entry_posted_by_a_loan_is_not_reversed_on_the_ledger_pages(as_accountant, accountant):
    entry = post(source_kind="repayment")
    with pytest.raises(ValidationError, match="reversed on its loan's page"):
        reverse_on_request(actor=accountant, entry=entry, reason="Nhập sai")
    response = as_accountant.post(reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": "Nhập sai"})
    assert response.status_code == 400
    assert "correct it where it was posted" in response.content.decode()
    assert not JournalEntry.objects.filter(reverses=entry).exists()
    detail = as_accountant.get(reverse("ledger:entry_detail", args=[entry.pk])).content.decode()
    assert reverse("ledger:entry_reverse", args=[entry.pk]) not in detail


def test_a_reversal_into_a_closed_month_is_refused_on_the_page(as_accountant, accountant):
    entry = post(value_date=date(2025, 1, 15))
    as_if_committed()
    close_period(actor=accountant, year=2025, month=1)
    response = as_accountant.post(reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": "x"})
    assert response.status_code == 400
    assert "01/2025 is closed" in response.content.decode()


def test_the_trial_balance_page_shows_both_sections_balanced(as_accountant):
    post(debit="11212", credit="41111", amount=5_000_000)
    post(debit="0041", credit="009", amount=700_000)
    page = as_accountant.get(reverse("ledger:trial_balance"), {"as_of": "2025-12-31"}).content.decode()
    assert page.count("balanced") >= 2 and "does not balance" not in page
    assert "5,000,000" in page and "700,000" in page
    # The table's column heads are in the table, not in the page's <head>.
    head = page.split("</head>")[0]
    assert "<th" not in head and page.count("<thead>") == 2


def test_the_general_ledger_page(as_accountant):
    post(debit="11212", credit="41111", amount=5_000_000, memo="Vốn cấp")
    query = {"account": "112", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    page = as_accountant.get(reverse("ledger:ledger_detail"), query).content.decode()
    assert "Vốn cấp" in page and "5,000,000" in page
    bad = as_accountant.get(reverse("ledger:ledger_detail"), {"account": "nope"})
    assert bad.status_code == 400


def test_an_account_is_added_and_a_bad_one_shown_back(as_accountant):
    data = {"code": "11214", "name_vi": "VCB", "name_en": "VCB", "type": "asset", "parent": "1121"}
    assert as_accountant.post(reverse("ledger:account_create"), data | {"active": "on"}).status_code == 302
    assert Account.objects.get(code="11214").parent.code == "1121"
    response = as_accountant.post(reverse("ledger:account_create"), data | {"code": "2222"})
    assert response.status_code == 400
    assert "extends its parent" in response.content.decode()


def test_an_account_is_edited(as_accountant):
    data = {"name_vi": "Tiền mặt VND", "name_en": "Cash VND", "active": "on"}
    assert as_accountant.post(reverse("ledger:account_edit", args=["1111"]), data).status_code == 302
    assert Account.objects.get(code="1111").name_vi == "Tiền mặt VND"


def test_a_month_is_closed_and_reopened_from_the_periods_page(as_accountant):
    as_accountant.post(reverse("ledger:period_close", args=[2025, 5]), {"confirm": "1"})
    assert Period.objects.get(year=2025, month=5).state == PeriodState.CLOSED
    refused = as_accountant.post(reverse("ledger:period_reopen", args=[2025, 5]), {"reason": ""}, follow=True)
    assert "Say why the month is reopened." in refused.content.decode()
    as_accountant.post(reverse("ledger:period_reopen", args=[2025, 5]), {"reason": "Sửa sai"})
    assert Period.objects.get(year=2025, month=5).state == PeriodState.OPEN


def test_closing_the_current_month_is_refused_with_a_message(as_accountant):
    today = timezone.localdate()
    url = reverse("ledger:period_close", args=[today.year, today.month])
    response = as_accountant.post(url, {"confirm": "1"}, follow=True)
    assert "has not ended yet" in response.content.decode()
    confirming = as_accountant.get(url).content.decode()
    assert "has not ended yet" in confirming and 'name="confirm"' not in confirming


def test_closing_a_month_says_what_it_checks_and_closes_only_when_confirmed(as_accountant):
    post(value_date=date(2025, 5, 10))
    post(value_date=date(2025, 6, 1))
    as_if_committed()
    url = reverse("ledger:period_close", args=[2025, 5])
    for response in (
        as_accountant.get(url),
        as_accountant.post(url),
    ):  # the button, or a form without confirm
        assert response.status_code == 200
        page = response.content.decode()
        assert "it holds 1 entry" in page
        checks = response.context["preview"].checks
        assert any("December closes only once the year is closed" in check for check in checks)
        assert all(escape(check) in page for check in checks)
        assert 'name="confirm"' in page
    assert not Period.objects.filter(year=2025, month=5).exists()
    as_accountant.post(url, {"confirm": "1"})
    assert Period.objects.get(year=2025, month=5).state == PeriodState.CLOSED


def test_the_chart_import_page_refuses_a_bad_file_without_a_500(as_accountant):
    upload = io.BytesIO(b"not a workbook")
    upload.name = "chart.xlsx"
    response = as_accountant.post(reverse("ledger:chart_import"), {"file": upload})
    assert response.status_code == 400
    assert "not an .xlsx workbook" in response.content.decode()


def content_of(response) -> bytes:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return b"".join(response.streaming_content) if response.streaming else response.content


def workbook_of(response, *, formulas: bool = False):
    content = response if isinstance(response, bytes) else content_of(response)
    return load_workbook(io.BytesIO(content), data_only=not formulas)


def test_the_journal_export_is_form_s03a_numbered_summed_and_signed(as_accountant):
    post(amount=1_234_567, memo="Vốn")
    post(amount=1, memo="Khác", debit="6428", source_kind="repayment")
    query = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    response = content_of(as_accountant.get(reverse("ledger:journal_export"), query))
    sheet = workbook_of(response).active
    top = rows_of(sheet)[:4]
    assert reports.FORM_S03A in top[0] and top[1][0] == "Sổ nhật ký chung"
    assert top[2][0].startswith("Từ ngày 01/03/2025 đến ngày 31/03/2025")
    rows = table_under(sheet, "Ngày ghi sổ")
    assert [row[1] for row in rows[:-1]] == ["2025-000001"] * 2 + ["2025-000002"] * 2
    assert [row[5] for row in rows[:-1]] == [1, 2, 3, 4]  # numbered down the book
    assert rows[0][3] == "Bút toán thủ công" and rows[2][3] == "Trả nợ"  # the sources, named
    assert rows[0][7] == 1_234_567 and rows[-1][0] == "Tổng cộng" and rows[-1][7] == rows[-1][8] == 1_234_568
    assert sheet.freeze_panes == "A6"  # under the fund, the title, the period and the header
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$5:$5"
    signers = [value for row in rows_of(sheet)[-8:] for value in row if value]
    assert {"Người lập biểu", "Kế toán trưởng", "Giám đốc"} <= set(signers)
    total = workbook_of(response, formulas=True).active.cell(row=len(rows) + 5, column=8).value
    assert total == "=SUM(H6:H9)"


def test_the_journal_shows_references_people_read_not_keys(as_accountant):
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    post_entry(
        EntryDraft(
            value_date=date(2025, 3, 10),
            memo="Nhận vốn",
            lines=[Line(account="1111", debit=D(5)), Line(account="41111", credit=D(5))],
            idempotency_key="test:capital",
            source_kind="capital",
            source_ref=key,
        ),
        created_by=None,
    )
    loan = post(memo="Giải ngân", source_kind="disbursement", source_ref="HS-2025-000007")
    rows = table_under(workbook_of(as_accountant.get(reverse("ledger:journal_export"))).active, "Ngày ghi sổ")
    assert [(row[3], row[4]) for row in rows[:-1:2]] == [("Nhận vốn", None), ("Giải ngân", "HS-2025-000007")]
    page = as_accountant.get(reverse("ledger:journal")).content.decode()
    assert key not in page and "HS-2025-000007" in page and "Capital received" in page
    assert loan.reference_shown == "HS-2025-000007"


def test_the_general_ledger_export_is_form_s03b_with_contra_accounts(as_accountant):
    post(debit="11212", credit="41111", amount=5_000_000, value_date=date(2025, 1, 5))
    post(debit="11212", credit="41111", amount=2_000_000, value_date=date(2025, 2, 5))
    # One debit against two credits: the ledger splits it by them.
    lines = [
        Line(account="11212", debit=D(3_000_000)),
        Line("41111", credit=D(2_000_000)),
        Line("6428", credit=D(1_000_000)),
    ]
    post(lines=lines, value_date=date(2025, 2, 6), memo="Hai nguồn")
    query = {"account": "112", "date_from": "2025-02-01", "date_to": "2025-02-28"}
    response = content_of(as_accountant.get(reverse("ledger:ledger_detail_export"), query))
    sheet = workbook_of(response).active
    top = rows_of(sheet)[:5]
    assert reports.FORM_S03B in top[0] and top[1][0] == "Sổ cái" and top[3][0].startswith("Tài khoản: 112")
    rows = table_under(sheet, "Ngày ghi sổ")
    assert rows[0][2] == "Số dư đầu kỳ" and rows[0][8] == 5_000_000
    movements = [(row[4], row[5], row[6], row[8]) for row in rows[1:4]]
    assert movements == [
        ("11212", "41111", 2_000_000, 7_000_000),
        ("11212", "41111", 2_000_000, 9_000_000),
        ("11212", "6428", 1_000_000, 10_000_000),
    ]
    assert rows[4][0] == "Cộng số phát sinh trong kỳ" and rows[4][6] == 5_000_000
    assert rows[5][0] == "Số dư cuối kỳ" and rows[5][8] == 10_000_000
    assert workbook_of(response, formulas=True).active.cell(row=7 + 4, column=7).value == "=SUM(G7:G10)"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    signers = [value for row in rows_of(sheet)[-8:] for value in row if value]
    assert {"Người lập biểu", "Kế toán trưởng", "Giám đốc"} <= set(signers)


def test_the_chart_export_has_its_title_and_date(as_accountant):
    post(value_date=date(2025, 3, 10))
    sheet = workbook_of(as_accountant.get(reverse("ledger:chart_export"))).active
    rows = rows_of(sheet)
    assert rows[1][0] == "Chart of accounts" and "As of" in rows[2][0]


def test_the_periods_export_lists_the_history(as_accountant, accountant):
    close_period(actor=accountant, year=2025, month=5, reason="Khóa sổ")
    sheet = workbook_of(as_accountant.get(reverse("ledger:periods_export"))).active
    assert table_under(sheet, "Month")[0][0:3] == ["05/2025", "Closed", "Closed"]


@pytest.mark.parametrize("dates", [{"date_from": "0001-01-01"}, {"date_to": "0001-01-01"}])
@pytest.mark.parametrize("name", ["ledger:ledger_detail", "ledger:ledger_detail_export"])
def test_the_general_ledger_from_the_first_date_there_is_is_no_500(as_accountant, name, dates):
    post()
    response = as_accountant.get(reverse(name), {"account": "1111", **dates})
    assert response.status_code == 200


def test_the_chart_import_runs_as_a_job_whose_page_gives_the_figures(as_accountant, accountant, upload):
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["11214", "Tiền gửi tại Vietcombank", "Vietcombank", "asset", "1121", "yes"],
        ]
    )
    file.name = "chart.xlsx"
    page = upload(as_accountant, reverse("ledger:chart_import"), {"file": file})
    job = page.context["job"]
    assert (job.state, job.kind, job.requested_by, job.rows_total) == ("done", "chart", accountant, 1)
    assert "Chart imported: 1 accounts added, 0 updated, 0 unchanged." in page.content.decode()
    assert Account.objects.get(code="11214").name_en == "Vietcombank"
    assert not job.file  # read, then deleted: what it did is on the job


def test_a_chart_with_a_bad_row_changes_nothing_and_its_job_lists_the_rows(as_accountant, upload):
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["11214", "Vietcombank", "Vietcombank", "asset", "1121", "yes"],
            ["7119", "Khác", "Other", "spending", "711", "maybe"],
        ]
    )
    file.name = "chart.xlsx"
    before = list(Account.objects.values_list("code", "name_vi", "active"))
    page = upload(as_accountant, reverse("ledger:chart_import"), {"file": file})
    assert page.context["job"].state == "failed"
    assert "Nothing was imported" in page.content.decode()
    assert any(e["message"].startswith("Row 3, Type:") for e in page.context["job"].errors)
    assert list(Account.objects.values_list("code", "name_vi", "active")) == before


def test_another_users_chart_import_is_a_404(as_accountant, client, user_with_role, upload):
    file = exported()
    file.name = "chart.xlsx"
    job = upload(as_accountant, reverse("ledger:chart_import"), {"file": file}).context["job"]
    client.force_login(user_with_role("accountant"))
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("common:import_progress", args=[job.pk])).status_code == 404


def test_the_periods_page_offers_no_month_before_the_fund_opened(as_accountant):
    from tests.fund.factories import FundFactory

    today = timezone.localdate()
    opened = (today.replace(day=1) - timedelta(days=70)).replace(day=15)  # two or three months ago
    before = opened.replace(day=1) - timedelta(days=1)
    FundFactory(opened_on=opened)
    page = as_accountant.get(reverse("ledger:periods")).content.decode()
    assert f"<td>{opened:%m/%Y}</td>" in page
    assert f"<td>{today:%m/%Y}</td>" in page
    assert f"<td>{before:%m/%Y}</td>" not in page


# Anything written like a date: 10/03/2025, 10-03-2025, 2025-03-10, 03.10.2025, "Mar. 10, 2025".
ANY_DATE = re.compile(
    r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b"
)


@pytest.mark.parametrize(
    ("language", "written", "pattern"),
    [("vi", "10/03/2025", r"\d{2}/\d{2}/\d{4}"), ("en", "10 Mar 2025", None)],
)
def test_the_journal_writes_every_date_one_way_per_language(as_accountant, language, written, pattern):
    """One date format per language (issue 20): 10/03/2025 in Vietnamese, 10 Mar 2025 in English,
    never 10-03-2025 nor month first."""
    entry = post()  # dated 10/03/2025
    as_accountant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (reverse("ledger:journal"), reverse("ledger:entry_detail", args=[entry.pk])):
        page = as_accountant.get(url).content.decode()
        assert written in page
        page = re.sub(r"<[^>]*>", " ", page)  # what it reads: a date field's value is ISO for the browser
        others = [found for found in ANY_DATE.findall(page) if not (pattern and re.fullmatch(pattern, found))]
        assert others == []


@pytest.mark.parametrize(("language", "written"), [("vi", "%d/%m/%Y %H:%M"), ("en", "%d %b %Y %H:%M")])
def test_the_periods_workbook_writes_when_a_month_closed_as_the_language_does(
    as_accountant, accountant, language, written
):
    close_period(actor=accountant, year=2025, month=5)
    at = timezone.localtime(PeriodEvent.objects.get().at)
    as_accountant.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    rows = rows_of(workbook_of(as_accountant.get(reverse("ledger:periods_export"))).active)
    assert any(at.strftime(written) in row for row in rows)

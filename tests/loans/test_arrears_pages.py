"""The report pages: filters, bad input, .xlsx downloads agreeing with the page, and the command."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from openpyxl import load_workbook

from common.dates import format_date
from fund import roles
from fund.models import Borrower, Fund
from loans import arrears
from loans.arrears import SORTS, aging, arrears_list, classification, reported, trend
from loans.dashboard import portfolio_overview
from loans.models import Loan
from loans.selectors.position import loan_position
from loans.services.closing.runs import close_until
from loans.views import reports
from tests.factories import user_holding
from tests.loans.conftest import ROW1, ROW2, START, repay, shared_fund_staff_and_bank, staffed_active_loan
from tests.sheets import table_under

pytestmark = pytest.mark.django_db
MAR_END = dt.date(2026, 3, 31)
fund, staff, bank = shared_fund_staff_and_bank()  # the portfolio is built once for the module


@pytest.fixture(scope="module")
def portfolio(staff, bank):
    return build_portfolio(staff, bank)


def build_portfolio(staff, bank):
    """A pays nothing; B pays rows 1 and 2 on their due dates; C (another officer's) pays row 1
    only. Each loan has a product of its own (`factories.product`)."""
    a = staffed_active_loan(staff, on=START, account=bank, number="HĐ-A")
    b = staffed_active_loan(staff, on=START, account=bank, number="HĐ-B")
    other = dict(staff, officer=user_holding(roles.FUND_OFFICER, last_name="Lê", first_name="Văn Bình"))
    c = staffed_active_loan(other, on=START, account=bank, number="HĐ-C")
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 16))
    repay(b, staff, dt.date(2026, 2, 15), ROW1)
    repay(c, staff, dt.date(2026, 2, 15), ROW1)
    close_until(actor=staff["accountant"], until=dt.date(2026, 3, 16))
    repay(b, staff, dt.date(2026, 3, 15), ROW2)
    close_until(actor=staff["accountant"], until=dt.date(2026, 4, 1))
    return a, b, c


@pytest.fixture
def reader(client, staff):
    client.force_login(staff["accountant"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content), data_only=True)


def table(sheet, first_header: str) -> list[list]:
    """The rows under the header row that starts with `first_header`, down to the table's end."""
    return table_under(sheet, first_header)


def test_the_aging_page_and_its_xlsx_agree(reader, portfolio):
    response = reader.get(reverse("loans:aging_report"), {"as_of": "2026-03-31"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report == aging(MAR_END)
    page = response.content.decode()
    assert "<svg" in page and 'class="bar-principal"' in page
    assert "PAR30: more than 30 days past due" in page
    book = workbook(reader.get(reverse("loans:aging_xlsx"), {"as_of": "2026-03-31"}))
    sheet = book["Tuổi nợ quá hạn"]
    rows = table(sheet, "Số ngày quá hạn")
    assert [row[:6] for row in rows[:-1]] == [
        [
            f"{bucket.label} ngày",
            bucket.loans,
            bucket.overdue_principal,
            bucket.overdue_interest,
            bucket.late_interest,
            bucket.overdue,
        ]
        for bucket in report.buckets
    ]
    # A's rows 1 and 2, C's row 2.
    assert rows[-1][0] == "Tổng cộng" and rows[-1][2] == report.total.overdue_principal == D(30_000_000)
    assert sheet.cell(row=7, column=3).number_format == "#,##0"
    assert len(sheet._charts) == 1  # the native bar chart beside the table
    par = table(book["PAR"], "Chỉ tiêu")
    assert [row[1] for row in par] == [
        *(outstanding for _d, outstanding, _r in report.par),
        report.gross_outstanding,
    ]


def test_the_arrears_list_filters_sorts_and_downloads(reader, portfolio, staff):
    a, _b, c = portfolio
    url = reverse("loans:arrears_report")
    response = reader.get(url, {"as_of": "2026-03-31"})
    lines = list(response.context["page"])
    # A from 15/02 (44 days), C from 15/03 (16 days); B paid.
    assert [(line.figures.loan_id, line.figures.days) for line in lines] == [(a.pk, 44), (c.pk, 16)]
    assert lines[0].officer and lines[0].phone and lines[0].commune
    by_officer = reader.get(url, {"as_of": "2026-03-31", "officer": c.created_by_id})
    assert [line.figures.loan_id for line in by_officer.context["page"]] == [c.pk]
    by_product = reader.get(url, {"as_of": "2026-03-31", "product": a.product_id})
    assert [line.figures.loan_id for line in by_product.context["page"]] == [a.pk]
    district = Borrower.objects.get(pk=a.borrower_id).district
    by_area = reader.get(url, {"as_of": "2026-03-31", "area": district[:4]})
    assert a.pk in [line.figures.loan_id for line in by_area.context["page"]]
    other_type = next(
        t for t, _l in Borrower.Type.choices if t != Borrower.objects.get(pk=a.borrower_id).type
    )
    assert a.pk not in [
        line.figures.loan_id
        for line in reader.get(url, {"as_of": "2026-03-31", "borrower_type": other_type}).context["page"]
    ]
    # By days past due (the officer's home page links its buckets so): from, to, both ends in.
    by_days = {
        (16, None): [a.pk, c.pk],
        (17, None): [a.pk],
        (1, 16): [c.pk],
        (17, 43): [],
        (44, 44): [a.pk],
    }
    for (first, last), expected in by_days.items():
        query = {"as_of": "2026-03-31", "days_from": first, **({"days_to": last} if last else {})}
        assert [line.figures.loan_id for line in reader.get(url, query).context["page"]] == expected
    assert [
        line.figures.loan_id
        for line in reader.get(url, {"as_of": "2026-03-31", "days_to": 20}).context["page"]
    ] == [c.pk]
    ascending = reader.get(url, {"as_of": "2026-03-31", "sort": "days"})
    assert [line.figures.loan_id for line in ascending.context["page"]] == [c.pk, a.pk]
    assert lines[1].officer == "Lê Văn Bình"
    rows = table(
        workbook(reader.get(reverse("loans:arrears_xlsx"), {"as_of": "2026-03-31"})).active, "Số hồ sơ"
    )
    assert [(row[0], row[8], row[9], row[10], row[12]) for row in rows[:-1]] == [
        (
            line.reference,
            line.figures.overdue_principal,
            line.figures.overdue_interest,
            line.figures.late_interest,
            line.figures.days,
        )
        for line in lines
    ]
    assert rows[-1][11] == sum(line.figures.overdue for line in lines)
    with translation.override("vi"):  # a Vietnamese sheet, whatever the page's language (en here)
        assert {row[2] for row in rows[:-1]} == {str(Borrower.Type(a.borrower.type).label)}


def test_the_classification_page_shows_as_reported_beside_restated(reader, portfolio, staff):
    a, _b, _c = portfolio
    url = reverse("loans:classification_report")
    feb = {"as_of": "2026-02-28"}
    response = reader.get(url, feb)
    assert response.context["reported"] is not None and not response.context["differs"]
    # A back-dated repayment into February, closed already.
    day = dt.date(2026, 2, 27)
    repay(Loan.objects.get(pk=a.pk), staff, day, loan_position(a, as_of=day).to_pay_now)
    response = reader.get(url, feb)
    assert response.context["differs"]
    page = response.content.decode()
    assert "As reported at the month" in page and "Restated: as the books now say" in page
    book = workbook(reader.get(reverse("loans:classification_xlsx"), feb))
    assert book.sheetnames == ["Phân loại nợ", "Đã báo cáo"]
    restated = table(book["Phân loại nợ"], "Nhóm nợ")
    assert [row[1:6] for row in restated[:-1]] == [
        [line.loans, line.outstanding, line.collateral, line.specific_required, line.specific_booked]
        for line in response.context["restated"]
    ]
    reported = table(book["Đã báo cáo"], "Nhóm nợ")
    assert [row[2] for row in reported[:-1]] == [line.outstanding for line in response.context["reported"]]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"as_of": "31/02/2026x"}, "as_of"),
        ({"as_of": "2099-01-01"}, "as_of"),
        ({"as_of": "2000-01-01"}, "as_of"),
        ({"product": "999999"}, "product"),
        ({"borrower_type": "nobody"}, "borrower_type"),
        ({"sort": "drop table"}, "sort"),
        ({"area": "x" * 101}, "area"),
        ({"days_from": "0"}, "days_from"),
        ({"days_from": "ten"}, "days_from"),
        ({"days_to": "99999999"}, "days_to"),
        ({"days_from": "30", "days_to": "10"}, "days_to"),
    ],
)
def test_bad_filters_say_what_is_wrong(reader, fund, query, field):
    for name in ("arrears_report", "arrears_xlsx"):
        response = reader.get(reverse(f"loans:{name}"), query)
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert "page" not in response.context


def test_the_trend_page_and_its_xlsx_have_their_charts(reader, portfolio):
    a, _b, _c = portfolio
    url = reverse("loans:trend_report")
    response = reader.get(url, {"as_of": "2026-03-31"})
    assert response.status_code == 200
    points = response.context["points"]
    assert points == trend(MAR_END)
    page = response.content.decode()
    assert page.count("<svg") == 2 and "<polyline" in page and 'class="bar-g2"' in page
    only_a = reader.get(url, {"as_of": "2026-03-31", "product": a.product_id}).context["points"]
    assert only_a[-1].outstanding[2] == only_a[-1].gross == D(120_000_000)
    book = workbook(reader.get(reverse("loans:trend_xlsx"), {"as_of": "2026-03-31"}))
    assert book.sheetnames == ["Dư nợ theo nhóm nợ", "PAR theo tháng"]
    groups, par = book.worksheets
    (columns,), (line,) = groups._charts, par._charts
    assert (type(columns).__name__, columns.grouping) == ("BarChart", "stacked")
    assert type(line).__name__ == "LineChart"
    rows = table(groups, "Cuối tháng")
    with translation.override("vi"):  # a Vietnamese sheet, whatever the page's language (en here)
        month_end = format_date(dt.date(2026, 3, 31))
    assert len(rows) == 12 and rows[-1] == [month_end, *points[-1].outstanding.values(), points[-1].gross]
    ratios = table(par, "Cuối tháng")[-1][-3:]
    assert ratios == pytest.approx([float(ratio) for _days, _outstanding, ratio in points[-1].par])
    assert par.cell(row=6, column=len(ratios) + 3).number_format == "0.00%"


@pytest.mark.parametrize("name", ["trend_report", "trend_xlsx", "portfolio_report"])
def test_bad_dates_on_the_new_reports_say_what_is_wrong(reader, fund, name):
    response = reader.get(reverse(f"loans:{name}"), {"as_of": "2026-13-40", "officer": "nobody"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"as_of", "officer"}


def test_the_home_page_shows_the_portfolio_to_who_may_see_reports(client, portfolio, staff):
    client.force_login(staff["accountant"])
    page = client.get(reverse("home")).content.decode()
    assert 'id="portfolio-overview"' in page and page.count("<svg") == 1
    client.force_login(staff["appraiser"])
    assert 'id="portfolio-overview"' not in client.get(reverse("home")).content.decode()


def test_reports_need_their_permission(client, staff, fund):
    client.force_login(staff["appraiser"])
    for name in (
        "aging_report",
        "arrears_report",
        "classification_report",
        "aging_xlsx",
        "portfolio_report",
        "trend_xlsx",
    ):
        assert client.get(reverse(f"loans:{name}")).status_code == 403
    client.force_login(staff["officer"])
    assert client.get(reverse("loans:aging_report")).status_code == 200


def test_the_report_command_writes_each_report(portfolio, tmp_path):
    out = tmp_path / "aging.xlsx"
    call_command("report", "aging", "--as-of", "2026-03-31", "--out", str(out))
    rows = table(load_workbook(out, data_only=True)["Tuổi nợ quá hạn"], "Số ngày quá hạn")
    assert rows[-1][2] == aging(MAR_END).total.overdue_principal
    for name in ("arrears", "classification", "portfolio", "trend", "trial_balance"):
        call_command("report", name, "--as-of", "2026-02-28", "--out", str(tmp_path / f"{name}.xlsx"))
        assert load_workbook(tmp_path / f"{name}.xlsx").sheetnames
    call_command(
        "report", "trial_balance", "--as-of", "2026-03-31", "--from", "2026-01-01", "--out", str(out)
    )
    rows = table(load_workbook(out, data_only=True)["Bảng cân đối số phát sinh"], "Số hiệu tài khoản")
    name, _blank, *totals = rows[-1]
    # Nothing before the capital came in on 02/01; the period's debits equal its credits.
    assert name == "Tổng cộng" and totals[:2] == [0, 0]
    assert totals[2] == totals[3] > 0 and totals[4] == totals[5] > 0
    with pytest.raises(CommandError):
        call_command("report", "aging", "--as-of", "2099-01-01", "--out", str(out))


def test_the_home_overview_reads_the_frozen_month_ends_and_the_business_date(
    portfolio, django_assert_max_num_queries
):
    fund = Fund.objects.get()
    with django_assert_max_num_queries(2 + len(fund.par_days)):
        *months, today = portfolio_overview(fund.business_date, par_days=fund.par_days)
    # The month ends closed since the loans were paid out, as their close froze them.
    assert [point.day for point in months] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
    ]
    for point in months:
        lines = reported(point.day)
        assert point.outstanding == {line.group: line.outstanding for line in lines}
        assert point.loans == {line.group: line.loans for line in lines}
    # The business date: the aging's gross outstanding and PAR, the classification's groups.
    aged = aging(fund.business_date)
    assert (today.day, today.gross, today.par) == (fund.business_date, aged.gross_outstanding, aged.par)
    assert any(ratio for _days, _outstanding, ratio in today.par)
    restated = classification(fund.business_date)
    assert today.outstanding == {line.group: line.outstanding for line in restated}
    assert today.loans == {line.group: line.loans for line in restated}


def test_the_arrears_page_is_counted_and_paged_in_the_database_and_computes_only_its_loans(
    reader, portfolio, monkeypatch
):
    """Issue 20: a province's arrears list is not computed whole to show 50 of its loans."""
    a, _b, c = portfolio
    computed, overdue = [], arrears._overdue
    monkeypatch.setattr(
        arrears, "_overdue", lambda loans, day: (computed.append(set(loans)), overdue(loans, day))
    )
    monkeypatch.setattr(reports, "LINES_PER_PAGE", 1)
    response = reader.get(reverse("loans:arrears_report"), {"as_of": "2026-03-31", "page": 2})
    assert response.context["count"] == 2 and computed == [{c.pk}]
    [line] = response.context["page"]
    whole = {line.figures.loan_id: line for line in arrears_list(MAR_END)}
    assert list(whole) == [a.pk, c.pk] and line == whole[c.pk]


def test_every_sort_of_the_arrears_list_orders_by_its_column(portfolio):
    """The database sorts as the figures shown do, the loan's number breaking ties."""
    lines = sorted(arrears_list(MAR_END), key=lambda line: line.figures.loan_id)
    columns = {
        "days": lambda line: line.figures.days,
        "overdue": lambda line: line.figures.overdue,
        "principal": lambda line: line.figures.overdue_principal,
        "interest": lambda line: line.figures.overdue_interest,
        "late": lambda line: line.figures.late_interest,
        "loan": lambda line: line.figures.loan_id,
        "borrower": lambda line: line.borrower.casefold(),
        "area": lambda line: (line.district.casefold(), line.commune.casefold()),
        "officer": lambda line: line.officer.casefold(),
        "last_payment": lambda line: line.last_payment or dt.date.min,
        "next_due": lambda line: line.figures.next_due_date or dt.date.max,
    }
    assert set(columns) == set(SORTS)
    assert len({line.last_payment for line in lines}) == len({line.officer for line in lines}) == 2
    for name, key in columns.items():
        for way in ("", "-"):
            expected = [line.figures.loan_id for line in sorted(lines, key=key, reverse=bool(way))]
            assert [line.figures.loan_id for line in arrears_list(MAR_END, sort=way + name)] == expected, (
                way + name
            )


@examples(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.integers(0, (dt.date(2026, 4, 1) - START).days),
    sort=st.sampled_from(SORTS),
    way=st.sampled_from(["", "-"]),
)
def test_the_arrears_list_holds_the_loans_their_rows_put_in_arrears(portfolio, days, sort, way):
    """Counted and sorted over the rows in arrears only, the list has the loans, and their
    figures, that all their rows on the day put in arrears (`loans_on`)."""
    day = START + dt.timedelta(days=days)
    detailed = arrears.loans_on(day, arrears_only=True)
    listed = arrears_list(day, sort=way + sort)
    assert len(listed) == len(detailed)
    assert {line.figures.loan_id: line.figures for line in listed} == detailed

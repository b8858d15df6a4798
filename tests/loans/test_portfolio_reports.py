"""The portfolio report, hand-worked on three loans paid out on 15/01/2026:
A — a co-operative's 120 000 000 over 12 months (product "Vốn lưu động"), never pays;
B — a cooperative group's (livestock, another district) 120 000 000 over 12 months (product
"Chăn nuôi"), pays rows 1 and 2 on their due dates (10 000 000 of principal each);
C — a co-operative's 60 000 000 over 24 months (product "Trung hạn", medium term), pays what it
owes on 20/02, five days late (row 1: 2 500 000 of principal and 611 507 of interest, with late
interest)."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from openpyxl import load_workbook

from fund import roles
from fund.models import Borrower
from loans.models import Loan, LoanTransaction, Repayment
from loans.portfolio import expected, flows, holdings
from loans.selectors.balances import balances_as_of
from loans.selectors.position import loan_position
from loans.services.servicing.repayments import reverse_repayment
from tests.fund.factories import BorrowerFactory
from tests.loans.conftest import (
    ROW1,
    ROW2,
    START,
    household_group_loan,
    move_to,
    repay,
    staffed_active_loan,
)
from tests.loans.factories import product
from tests.sheets import table_under, until_blank

pytestmark = pytest.mark.django_db
MAR_END = dt.date(2026, 3, 31)
MILLION = D(1_000_000)
C_ROW1_INTEREST = D(611_507)  # 60 000 000 × 12 % × 31 / 365
ROW3_INTEREST = D(1_019_178)  # 100 000 000 × 12 % × 31 / 365, on A's and B's schedules
C_ROW3_INTEREST = D(560_548)  # 55 000 000 × 12 % × 31 / 365


def paid_out(staff, bank) -> tuple[Loan, Loan, Loan]:
    """A, B and C paid out on START, before any repayment."""
    a = staffed_active_loan(
        staff, on=START, account=bank, number="HĐ-A", loan_product=product(name="Vốn lưu động")
    )
    group = BorrowerFactory(
        type=Borrower.Type.COOPERATIVE_GROUP, sector=Borrower.Sector.LIVESTOCK, district="Kiến Xương"
    )
    b = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        number="HĐ-B",
        borrower=group,
        loan_product=product(name="Chăn nuôi", borrower_types=["htx", "tht"]),
    )
    c = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        number="HĐ-C",
        amount=D(60_000_000),
        term_months=24,
        loan_product=product(name="Trung hạn", term_min_months=13, term_max_months=24),
    )
    return a, b, c


@pytest.fixture
def portfolio(staff, bank):
    a, b, c = paid_out(staff, bank)
    repay(b, staff, dt.date(2026, 2, 15), ROW1)
    late = dt.date(2026, 2, 20)
    position = loan_position(c, as_of=late)
    repay(c, staff, late, position.to_pay_now)
    repay(b, staff, dt.date(2026, 3, 15), ROW2)
    move_to(MAR_END)
    return a, b, c, position.late_charges


def by(held, name) -> dict[str, tuple[int, D]]:
    return {str(line.label): (line.loans, line.outstanding) for line in held.by[name]}


def test_outstanding_by_each_breakdown(portfolio):
    held = holdings(MAR_END)
    assert (held.loans, held.outstanding) == (3, D(277_500_000))  # 120 + 100 + 57.5 million
    assert by(held, "product") == {
        "Vốn lưu động": (1, 120 * MILLION),
        "Chăn nuôi": (1, 100 * MILLION),
        "Trung hạn": (1, D(57_500_000)),
    }
    cooperative, group = (str(Borrower.Type(kind).label) for kind in ("htx", "tht"))
    assert by(held, "borrower_type") == {cooperative: (2, D(177_500_000)), group: (1, 100 * MILLION)}
    crops, livestock = (str(Borrower.Sector(kind).label) for kind in ("crops", "livestock"))
    assert by(held, "sector") == {crops: (2, D(177_500_000)), livestock: (1, 100 * MILLION)}
    assert by(held, "district") == {
        "Vũ Thư, Thái Bình": (2, D(177_500_000)),
        "Kiến Xương, Thái Bình": (1, 100 * MILLION),
    }
    short, medium = (line.label for line in held.by["term"])
    assert by(held, "term") == {str(short): (2, 220 * MILLION), str(medium): (1, D(57_500_000))}
    assert "12" in str(short) and "60" in str(medium)  # up to 12 months; 13 to 60
    # A filter on the loans: the product's only.
    a, _b, _c, _late = portfolio
    only_a = holdings(MAR_END, loans=Q(loan__product=a.product_id))
    assert (only_a.loans, only_a.outstanding, only_a.loan_ids) == (1, 120 * MILLION, [a.pk])


def test_disbursed_and_collected_in_a_period(portfolio, staff):
    _a, b, _c, late = portfolio
    whole = {flow.label: flow for flow in flows(START, MAR_END)}
    assert {label: flow.disbursed for label, flow in whole.items()} == {
        "Chăn nuôi": 120 * MILLION,
        "Trung hạn": 60 * MILLION,
        "Vốn lưu động": 120 * MILLION,
    }
    livestock, medium = whole["Chăn nuôi"], whole["Trung hạn"]
    assert (livestock.principal, livestock.interest, livestock.late_interest) == (
        20 * MILLION,
        ROW1 + ROW2 - 20 * MILLION,
        0,
    )
    assert (medium.principal, medium.interest) == (D(2_500_000), C_ROW1_INTEREST)
    assert medium.late_interest == late > 0
    assert whole["Vốn lưu động"].collected == 0
    march = {flow.label: flow for flow in flows(dt.date(2026, 3, 1), MAR_END)}
    assert list(march) == ["Chăn nuôi"]
    assert (march["Chăn nuôi"].disbursed, march["Chăn nuôi"].collected) == (0, ROW2)
    # A reversed repayment is no longer collected.
    march_repayment = Repayment.objects.get(loan=b, value_date=dt.date(2026, 3, 15))
    reverse_repayment(actor=staff["accountant"], repayment=march_repayment, reason="Nhầm tài khoản")
    assert flows(dt.date(2026, 3, 1), MAR_END) == []
    assert LoanTransaction.objects.filter(kind=LoanTransaction.Kind.REVERSAL).count() == 1


@examples(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.integers(0, 80), days=st.integers(0, 80))
def test_the_flows_are_the_periods_postings_not_reversed_summed(portfolio, staff, first, days):
    """Summed in the database, disbursed and collected are each posting of the period that
    stands (a reversed repayment left out), summed here one by one."""
    if not LoanTransaction.objects.filter(kind=LoanTransaction.Kind.REVERSAL).exists():
        repayment = Repayment.objects.filter(loan=portfolio[1]).latest("value_date")
        reverse_repayment(actor=staff["accountant"], repayment=repayment, reason="Nhầm tài khoản")
    start = START + dt.timedelta(days=first)
    end = start + dt.timedelta(days=days)
    expected: dict[str, list] = {}
    postings = LoanTransaction.objects.filter(reversed_by__isnull=True).select_related(
        "loan__product", "repayment"
    )
    for posting in postings:
        product, kind = posting.loan.product.name, posting.kind
        if kind == LoanTransaction.Kind.DISBURSEMENT and start <= posting.value_date <= end:
            expected.setdefault(product, [D(0)] * 4)[0] += posting.principal.amount
        elif kind == LoanTransaction.Kind.REPAYMENT and start <= posting.repayment.value_date <= end:
            figures = expected.setdefault(product, [D(0)] * 4)
            figures[1] -= posting.principal.amount
            figures[2] += posting.interest.amount
            figures[3] += posting.late_interest.amount + posting.penalty.amount
    assert {
        flow.label: [flow.disbursed, flow.principal, flow.interest, flow.late_interest]
        for flow in flows(start, end)
    } == expected


def test_what_falls_due_after_the_date(portfolio):
    (april,) = expected(MAR_END, 30)
    assert (april.first, april.loans) == (dt.date(2026, 4, 15), 3)
    assert april.principal == 10 * MILLION + 10 * MILLION + D(2_500_000)
    assert april.interest == 2 * ROW3_INTEREST + C_ROW3_INTEREST
    weeks = expected(MAR_END, 45, weekly=True)
    # Seven days at a time from 01/04: 15/04 in the week from 15/04, 15/05 in the last, cut at 15/05.
    assert [(week.first, week.last) for week in weeks] == [
        (dt.date(2026, 4, 15), dt.date(2026, 4, 21)),
        (dt.date(2026, 5, 13), dt.date(2026, 5, 15)),
    ]
    assert weeks[0].total == april.total
    assert weeks[1].principal == april.principal


def test_a_later_event_does_not_change_the_report_as_of_an_earlier_date(portfolio, staff):
    a, _b, _c, _late = portfolio
    before = (holdings(MAR_END), flows(START, MAR_END), expected(MAR_END, 30))
    repay(Loan.objects.get(pk=a.pk), staff, dt.date(2026, 4, 3), 15 * MILLION)
    after = (holdings(MAR_END), flows(START, MAR_END), expected(MAR_END, 30))
    assert after == before
    assert holdings(dt.date(2026, 4, 3)).outstanding < before[0].outstanding


@pytest.fixture
def reader(client, staff):
    client.force_login(staff["accountant"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_filters_and_its_xlsx_has_the_charts(reader, portfolio):
    a, b, _c, _late = portfolio
    url = reverse("loans:portfolio_report")
    response = reader.get(url, {"as_of": "2026-03-31", "start": "2026-03-01", "days": "45", "weekly": "on"})
    assert response.status_code == 200
    assert response.context["holdings"] == holdings(MAR_END)
    assert response.context["flows_total"].collected == ROW2
    assert [due.first for due in response.context["due"]] == [dt.date(2026, 4, 15), dt.date(2026, 5, 13)]
    page = response.content.decode()
    assert page.count("<svg") == 6  # a chart per breakdown, and what falls due
    assert 'class="bar-outstanding"' in page and 'class="bar-interest"' in page
    group = reader.get(url, {"as_of": "2026-03-31", "borrower_type": "tht"})
    assert group.context["holdings"].loan_ids == [b.pk]
    area = reader.get(url, {"as_of": "2026-03-31", "area": "Kiến"})
    assert area.context["holdings"].loan_ids == [b.pk]
    assert [flow.label for flow in area.context["flows"]] == ["Chăn nuôi"]
    response = reader.get(reverse("loans:portfolio_xlsx"), {"as_of": "2026-03-31"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), data_only=True)
    assert book.sheetnames == [
        "Theo sản phẩm",
        "Theo loại bên vay",
        "Theo ngành nghề",
        "Theo địa bàn",
        "Theo thời hạn",
        "Giải ngân và thu nợ",
        "Dự kiến thu nợ",
    ]
    assert all(len(sheet._charts) == 1 for sheet in book.worksheets)
    rows = [list(row) for row in book["Theo loại bên vay"].iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "Loại bên vay")
    with translation.override("vi"):  # the sheet's labels, whatever the page's language
        cooperative, group = (str(Borrower.Type(kind).label) for kind in ("htx", "tht"))
    assert cooperative != str(Borrower.Type("htx").label)
    assert [row[:3] for row in until_blank(rows[header + 1 :])] == [
        [cooperative, 2, D(177_500_000)],
        [group, 1, 100 * MILLION],
        ["Tổng cộng", 3, D(277_500_000)],
    ]
    assert rows[header + 1][3] == pytest.approx(177.5 / 277.5)
    flows_sheet = table_under(book["Giải ngân và thu nợ"], "Sản phẩm")
    assert flows_sheet[-1][0] == "Tổng cộng" and flows_sheet[-1][5] == ROW2  # from 01/03: B's row 2
    assert book["Theo sản phẩm"].cell(row=6, column=3).number_format == "#,##0"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "2026-01-16"}, "start"),  # after the date: the business date, 15/01
        ({"start": "2000-01-01"}, "start"),  # before the fund opened
        ({"start": "not a date"}, "start"),
        ({"days": "0"}, "days"),
        ({"days": "1000"}, "days"),
        ({"days": "many"}, "days"),
        ({"area": "x" * 101}, "area"),
        ({"as_of": "2099-01-01"}, "as_of"),
    ],
)
def test_bad_filters_say_what_is_wrong(reader, fund, query, field):
    for name in ("portfolio_report", "portfolio_xlsx"):
        response = reader.get(reverse(f"loans:{name}"), query)
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert "holdings" not in response.context


def test_the_report_command_writes_the_portfolio_from_a_date(portfolio, tmp_path):
    out = tmp_path / "du-no.xlsx"
    call_command("report", "portfolio", "--as-of", "2026-03-31", "--from", "2026-03-01", "--out", str(out))
    rows = flow_rows(out)
    assert rows[-1][0] == "Tổng cộng" and rows[-1][5] == ROW2
    call_command("report", "portfolio", "--as-of", "2026-03-31", "--out", str(out))  # from 01/03 too
    assert flow_rows(out) == rows
    refused = [("aging", "2026-03-01", "2026-03-31"), ("portfolio", "2026-03-31", "2026-03-01")]
    for name, start, end in refused:
        with pytest.raises(CommandError):
            call_command("report", name, "--as-of", end, "--from", start, "--out", str(out))


def flow_rows(path) -> list[list]:
    return table_under(load_workbook(path, data_only=True)["Giải ngân và thu nợ"], "Sản phẩm")


def test_what_falls_due_of_some_loans_is_summed_in_the_database_by_their_filter(portfolio):
    a, _b, _c, _late = portfolio
    (april,) = expected(MAR_END, 30, Q(loan__product=a.product_id))
    (everyone,) = expected(MAR_END, 30)
    assert (april.first, april.loans, april.principal) == (dt.date(2026, 4, 15), 1, 10 * MILLION)
    assert april.interest == ROW3_INTEREST < everyone.interest


def test_the_loans_owing_are_those_whose_sub_loans_principal_summed_is_positive(staff, bank):
    """Issue 20: the loans owing on a date are found from the rows without summing each loan's
    (a row's principal is never negative): a household group's loan one of whose households
    repaid everything still owes, once, the other household's principal and installments; a
    loan repaid whole owes nothing and falls due for nothing."""
    group, (first, second) = household_group_loan(staff, bank, D(30_000_000), D(20_000_000))
    repaid = staffed_active_loan(staff, on=START, account=bank, number="HĐ-R")
    day = dt.date(2026, 2, 10)
    shares = {share.member_id: share for share in group.member_shares.all()}
    households = dict(loan_position(group, as_of=day).households)
    repay(group, staff, day, households[first].payoff, share=shares[first.pk])
    repay(repaid, staff, day, loan_position(repaid, as_of=day).payoff)
    summed: dict[int, D] = {}
    for row in balances_as_of(day):
        summed[row.loan_id] = summed.get(row.loan_id, D(0)) + row.principal_outstanding
    held = holdings(day)
    assert held.loan_ids == [pk for pk, principal in sorted(summed.items()) if principal > 0] == [group.pk]
    assert (held.loans, held.outstanding) == (1, D(20_000_000))
    assert by(held, "product") == {group.product.name: (1, D(20_000_000))}
    (february,) = expected(day, 30)
    assert (february.first, february.loans) == (dt.date(2026, 2, 15), 1)
    assert february.total == dict(loan_position(group, as_of=february.first).households)[second].due_today


def test_the_officer_filter_offers_who_can_be_a_loans_officer(reader, staff, fund, user_with_role):
    """Fund officers, and a user given the right to take applications; not the other staff, a
    co-op user (who may file its own application), an administrator, nor an officer who left."""
    given = user_with_role()
    given.user_permissions.add(Permission.objects.get(codename="add_loan", content_type__app_label="loans"))
    user_with_role(roles.FUND_OFFICER, is_active=False)
    user_with_role(roles.COOP_USER)
    user_with_role(is_staff=True, is_superuser=True)
    response = reader.get(reverse("loans:arrears_report"))
    assert set(response.context["form"].fields["officer"].queryset) == {staff["officer"], given}

"""The appraisal pages per role: who sees what, forms that say what is wrong, never a 500."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import Appraisal
from fund import roles
from fund.models import AuthorityLevel
from loans.models import Loan, LoanStatus
from tests.appraisal import factories
from tests.fund.factories import BorrowerFactory
from tests.printing.test_pdf import SOFFICE, pdf_pages
from tests.sheets import table_under

D = Decimal
pytestmark = pytest.mark.django_db


def fresh(loan: Loan) -> Loan:
    return Loan.objects.get(pk=loan.pk)


def page(client, user, name, *args, **data):
    client.force_login(user)
    url = reverse(f"appraisal:{name}", args=args)
    return client.post(url, data) if data else client.get(url)


# --- the queue and taking an application ------------------------------------------------


def test_the_queue_lists_what_waits_and_what_the_appraiser_has(client, submitted, appraising, appraiser):
    response = page(client, appraiser, "queue")
    assert response.status_code == 200
    content = response.content.decode()
    assert submitted.reference in content and appraising.reference in content
    assert reverse("appraisal:start", args=[submitted.pk]) in content
    assert [loan.pk for loan in response.context["waiting"]] == [submitted.pk]
    assert [loan.pk for loan in response.context["mine"]] == [appraising.pk]


@pytest.mark.parametrize("role", [roles.FUND_OFFICER, roles.APPROVER, roles.COOP_USER])
def test_the_queue_is_for_appraisers(client, user_with_role, role):
    assert page(client, user_with_role(role), "queue").status_code == 403


def test_taking_an_application_from_the_queue(client, submitted, appraiser):
    response = page(client, appraiser, "start", submitted.pk, expected_status="submitted")
    assert response.status_code == 302
    assert response.url == reverse("appraisal:appraisal", args=[submitted.pk])
    assert Appraisal.objects.get(loan=submitted).appraiser == appraiser


def test_taking_an_application_already_taken_says_so_on_the_queue(client, appraising, user_with_role):
    other = user_with_role(roles.APPRAISER)
    response = page(client, other, "start", appraising.pk, expected_status="submitted")
    assert response.status_code == 302
    messages = [str(m) for m in client.get(response.url).context["messages"]]
    assert any("changed by someone else" in m for m in messages)


def test_an_officer_cannot_take_an_application(client, submitted, officer):
    response = page(client, officer, "start", submitted.pk, expected_status="submitted")
    assert response.status_code == 302
    assert fresh(submitted).status == LoanStatus.SUBMITTED


# --- who sees an appraisal ----------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.APPRAISER, roles.FUND_OFFICER, roles.APPROVER])
def test_staff_view_the_appraisal_and_its_report(client, appraised, user_with_role, role):
    user = user_with_role(role)
    for name in ("appraisal", "report"):
        response = page(client, user, name, appraised.pk)
        assert response.status_code == 200
        assert "Cơ sở sản xuất hoạt động ổn định." in response.content.decode()  # the site visit
        assert not response.context.get("editable")


def test_an_accountant_does_not_see_appraisals(client, appraised, user_with_role):
    assert page(client, user_with_role(roles.ACCOUNTANT), "appraisal", appraised.pk).status_code == 403


def test_a_coop_user_gets_404_on_another_coops_appraisal_and_403_on_its_own(
    client, appraised, user_with_role
):
    stranger = user_with_role(roles.COOP_USER, borrower=BorrowerFactory())
    own = user_with_role(roles.COOP_USER, borrower=appraised.borrower)
    for name in ("appraisal", "report", "report_xlsx", "decide"):
        assert page(client, stranger, name, appraised.pk).status_code == 404
    for name in ("appraisal", "report", "report_xlsx"):
        assert page(client, own, name, appraised.pk).status_code == 403
    assert page(client, stranger, "approve", appraised.pk, amount="1").status_code == 404
    assert fresh(appraised).status == LoanStatus.APPRAISED


def test_the_coops_own_loan_page_shows_no_appraisal_internals(client, appraised, director, user_with_role):
    from appraisal import services

    services.reject_loan(actor=director, loan=appraised, reason="Phương án chưa khả thi.")
    coop = user_with_role(roles.COOP_USER, borrower=appraised.borrower)
    client.force_login(coop)
    content = client.get(reverse("loans:loan_detail", args=[appraised.pk])).content.decode()
    assert "Phương án chưa khả thi." in content  # the reason, which is for the co-op
    assert "Cơ sở sản xuất hoạt động ổn định." not in content  # the site visit notes are not
    assert "Phương án không khả thi." not in content  # nor the appraiser's reasons
    assert reverse("appraisal:appraisal", args=[appraised.pk]) not in content


def test_the_loan_page_shows_staff_the_appraisal_summary(client, appraised, officer):
    client.force_login(officer)
    content = client.get(reverse("loans:loan_detail", args=[appraised.pk])).content.decode()
    assert reverse("appraisal:appraisal", args=[appraised.pk]) in content
    assert "100.00" in content  # the score: every criterion at the top of the scale


# --- the appraiser's forms ------------------------------------------------------------------


def test_the_appraiser_gets_a_form_per_section(client, appraising, appraiser):
    response = page(client, appraiser, "appraisal", appraising.pk)
    assert response.context["editable"]
    content = response.content.decode()
    for name in (
        "dossier",
        "statements",
        "cash_flow",
        "collateral_add",
        "site_visit",
        "score",
        "recommendation",
        "complete",
    ):
        assert reverse(f"appraisal:{name}", args=[appraising.pk]) in content


def test_every_field_of_the_appraisal_page_has_an_id_of_its_own(client, appraising, appraiser):
    content = page(client, appraiser, "appraisal", appraising.pk).content.decode()
    ids = re.findall(r'\bid="([^"]+)"', content)
    assert "site_visit-notes" in ids
    assert [name for name in set(ids) if ids.count(name) > 1] == []
    for target in re.findall(r'<label for="([^"]+)"', content):
        assert target in ids


def test_a_mistyped_figure_is_shown_on_its_cell_and_nothing_is_saved(client, appraising, appraiser):
    response = page(client, appraiser, "statements", appraising.pk, year_0="2025", revenue_0="một tỷ")
    assert response.status_code == 200
    form = response.context["forms"]["statements"]
    assert form.errors["revenue_0"] == ["Enter a whole number of đồng, e.g. 1.500.000."]
    assert not appraising.appraisal.statements.exists()


def test_a_service_refusal_lands_on_the_cell_it_is_about(client, appraising, appraiser):
    figures = {
        "year_1": "2025",
        "revenue_1": "2.000.000.000",
        "costs_1": "1.800.000.000",
        "profit_1": "150.000.000",
        "total_assets_1": "1.000.000.000",
        "current_assets_1": "400.000.000",
        "total_liabilities_1": "600.000.000",
        "current_liabilities_1": "250.000.000",
        "equity_1": "300.000.000",
    }
    response = page(client, appraiser, "statements", appraising.pk, **figures)
    assert response.status_code == 200
    errors = response.context["forms"]["statements"].errors
    assert errors == {
        "total_assets_1": ["Total assets must equal total liabilities plus equity; check the figures."]
    }
    figures["equity_1"] = "400.000.000"
    response = page(client, appraiser, "statements", appraising.pk, **figures)
    assert response.status_code == 302
    assert appraising.appraisal.statements.get().equity.amount == D(400_000_000)


def test_the_cash_flow_form_shows_the_coverage_of_each_year(client, appraising, appraiser):
    from appraisal import services

    services.save_recommendation(
        actor=appraiser,
        loan=appraising,
        recommendation=services.RecommendationInput(
            decision="approve", amount=D(240_000_000), term_months=24, annual_rate=D("0.066")
        ),
    )
    page(client, appraiser, "cash_flow", appraising.pk, inflow_1="300.000.000", outflow_1="100.000.000")
    response = page(client, appraiser, "appraisal", appraising.pk)
    rows = response.context["cash_flow_rows"]
    assert [year for year, *_ in rows] == [1, 2]
    assert rows[0][3].net == D(200_000_000) and rows[0][3].debt_service.principal == D(120_000_000)
    assert rows[1][3].net is None  # year 2 still without a plan


def test_a_score_out_of_range_is_shown_on_its_criterion(client, appraising, appraiser):
    from appraisal.models import ScoringCriterion

    criterion = ScoringCriterion.objects.first()
    response = page(client, appraiser, "score", appraising.pk, **{f"rating_{criterion.pk}": "9"})
    assert response.status_code == 200
    assert f"rating_{criterion.pk}" in response.context["forms"]["score"].errors


def test_the_recommendation_form_names_the_fields_the_product_refuses(client, appraising, appraiser):
    response = page(
        client,
        appraiser,
        "recommendation",
        appraising.pk,
        decision="approve",
        amount="300.000.000",
        term_months="60",
        annual_rate="6,6",
        grace_months="0",
    )
    assert response.status_code == 200
    assert list(response.context["forms"]["recommendation"].errors) == ["term_months"]


def test_another_appraiser_posting_to_the_form_gets_a_message_not_a_500(client, appraising, user_with_role):
    response = page(client, user_with_role(roles.APPRAISER), "dossier", appraising.pk, notes="x")
    assert response.status_code == 200
    assert "is appraising this application" in response.content.decode()
    assert fresh(appraising).appraisal.dossier_notes == ""


def test_collateral_is_added_edited_and_removed_from_the_page(client, appraising, appraiser):
    item = {
        "type": "land",
        "description": "Thửa đất số 12",
        "owner": "HTX",
        "valuation": "500.000.000",
        "valued_on": "2026-02-01",
        "loan_to_value": "70",
        "provisioning_value": "350.000.000",
    }
    assert page(client, appraiser, "collateral_add", appraising.pk, **item).status_code == 302
    collateral = appraising.collateral.get()
    assert collateral.loan_to_value == D("0.7")
    response = page(
        client,
        appraiser,
        "collateral_edit",
        appraising.pk,
        collateral.pk,
        **{**item, "provisioning_value": "600.000.000"},
    )
    assert response.status_code == 200
    assert "cannot exceed the valuation" in response.content.decode()
    page(
        client,
        appraiser,
        "collateral_edit",
        appraising.pk,
        collateral.pk,
        **{**item, "valuation": "550.000.000"},
    )
    assert appraising.collateral.get().valuation.amount == D(550_000_000)
    page(client, appraiser, "collateral_remove", appraising.pk, collateral.pk, confirm="1")
    assert not appraising.collateral.exists()


def test_completing_an_unfinished_appraisal_lists_what_is_missing(client, appraising, appraiser):
    response = page(client, appraiser, "complete", appraising.pk, expected_status="appraising")
    assert response.status_code == 200
    errors = response.context["forms"]["complete"].non_field_errors()
    assert any(error.startswith("Site visit:") for error in errors)
    assert fresh(appraising).status == LoanStatus.APPRAISING


def test_completing_from_the_page(client, appraising, appraiser):
    factories.fill_appraisal(appraiser=appraiser, loan=appraising)
    response = page(client, appraiser, "complete", appraising.pk, expected_status="appraising", note="")
    assert response.status_code == 302
    assert fresh(appraising).status == LoanStatus.APPRAISED


# --- decisions ------------------------------------------------------------------------------


@pytest.fixture
def large(fund, levels, officer, appraiser):
    return factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))


def test_the_decisions_page_marks_what_the_approvers_authority_covers(client, appraised, large, director):
    response = page(client, director, "decisions")
    marks = {d.loan.pk: (d.covered, d.level.name) for d in response.context["waiting"]}
    assert marks == {appraised.pk: (True, "Giám đốc"), large.pk: (False, "Hội đồng quản lý")}
    assert "needs Hội đồng quản lý" in response.content.decode()


def test_the_board_covers_any_amount_and_an_amount_no_level_covers_is_marked(
    client, appraised, large, board_member
):
    def marks():
        response = page(client, board_member, "decisions")
        return {d.loan.pk: (d.covered, d.level and d.level.name) for d in response.context["waiting"]}

    assert marks() == {appraised.pk: (True, "Giám đốc"), large.pk: (True, "Hội đồng quản lý")}
    AuthorityLevel.objects.filter(max_amount__isnull=True).delete()
    assert marks() == {appraised.pk: (False, "Giám đốc"), large.pk: (False, None)}


def test_the_decisions_page_reads_the_authority_levels_once_not_per_application(
    client, appraised, director, officer, appraiser
):
    client.force_login(director)
    with CaptureQueriesContext(connection) as for_one:
        client.get(reverse("appraisal:decisions"))
    for _ in range(3):
        factories.appraised_loan(appraiser=appraiser, officer=officer)
    with CaptureQueriesContext(connection) as for_four:
        response = client.get(reverse("appraisal:decisions"))
    assert len(response.context["waiting"]) == 4
    assert len(for_four) == len(for_one)


@pytest.mark.parametrize("role", [roles.APPRAISER, roles.FUND_OFFICER, roles.COOP_USER])
def test_only_approvers_see_decisions(client, appraised, user_with_role, role):
    user = user_with_role(role)
    assert page(client, user, "decisions").status_code == 403
    assert page(client, user, "decide", appraised.pk).status_code in (403, 404)


def test_the_decision_page_offers_forms_only_within_authority(client, appraised, large, director):
    assert "forms" in page(client, director, "decide", appraised.pk).context
    content = page(client, director, "decide", appraised.pk).content.decode()
    assert reverse("appraisal:approve", args=[appraised.pk]) in content
    content = page(client, director, "decide", large.pk).content.decode()
    assert reverse("appraisal:approve", args=[large.pk]) not in content
    assert "needs the authority of Hội đồng quản lý" in content


def test_approving_from_the_page(client, appraised, director):
    response = page(
        client,
        director,
        "approve",
        appraised.pk,
        expected_status="appraised",
        amount="300.000.000",
        term_months="24",
        annual_rate="6,6",
        conditions="",
    )
    assert response.status_code == 302
    loan = fresh(appraised)
    assert loan.status == LoanStatus.APPROVED and loan.approved_rate == D("0.066")


def test_approving_over_the_limit_from_the_page_is_a_message(client, large, director):
    response = page(
        client,
        director,
        "approve",
        large.pk,
        expected_status="appraised",
        amount="600.000.000",
        term_months="24",
        annual_rate="6,6",
    )
    assert response.status_code == 200
    assert "needs the authority of Hội đồng quản lý; yours does not cover it." in response.content.decode()
    assert fresh(large).status == LoanStatus.APPRAISED


def test_rejecting_without_a_reason_from_the_page_is_a_field_error(client, appraised, director):
    response = page(client, director, "reject", appraised.pk, expected_status="appraised", reason="")
    assert response.status_code == 200
    assert response.context["forms"]["reject"].errors["reason"]
    response = page(
        client, director, "reject", appraised.pk, expected_status="appraised", reason="Thiếu vốn đối ứng"
    )
    assert response.status_code == 302
    assert fresh(appraised).rejection_reason == "Thiếu vốn đối ứng"


def test_a_decision_on_a_stale_page_says_someone_else_changed_it(client, appraised, director, board_member):
    page(client, board_member, "reject", appraised.pk, expected_status="appraised", reason="Không khả thi")
    response = page(
        client,
        director,
        "approve",
        appraised.pk,
        expected_status="appraised",
        amount="300.000.000",
        term_months="24",
        annual_rate="6,6",
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert fresh(appraised).status == LoanStatus.REJECTED


def test_undoing_an_approval_from_the_page(client, appraised, director):
    page(
        client,
        director,
        "approve",
        appraised.pk,
        expected_status="appraised",
        amount="300.000.000",
        term_months="24",
        annual_rate="6,6",
    )
    response = page(
        client, director, "undo_approval", appraised.pk, expected_status="approved", reason="Sai kỳ hạn"
    )
    assert response.status_code == 302
    assert fresh(appraised).status == LoanStatus.APPRAISED


# --- the report as .xlsx --------------------------------------------------------------------


def test_the_xlsx_report_keeps_numbers_as_numbers(client, appraised, officer):
    response = page(client, officer, "report_xlsx", appraised.pk)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True, data_only=True)
    assert workbook.sheetnames == [
        "Summary",
        "Dossier",
        "Financial statements",
        "Cash flow",
        "Proposed schedule",
        "Collateral",
        "Score",
    ]
    statements = table_under(workbook["Financial statements"], "Year")
    assert statements[0][:2] == [2025, 2_000_000_000]
    assert statements[0][9] == pytest.approx(1.5)  # debt / equity: 600 / 400 million
    schedule = list(workbook["Proposed schedule"].iter_rows(values_only=True))
    assert schedule[-1][0] == "Total" and schedule[-1][2] == 300_000_000  # the principal, to the đồng


def test_the_printable_report_and_the_xlsx_end_with_the_same_signatures(client, appraised, officer):
    printed = page(client, officer, "report", appraised.pk).content.decode()
    block = printed[printed.index('class="signatures') :]
    assert "Thái Bình, day 02 month 03 year 2026" in block  # the fund's province and business date
    assert block.index("Appraiser") < block.index("Approved by")
    workbook = load_workbook(io.BytesIO(page(client, officer, "report_xlsx", appraised.pk).content))
    summary = [value for row in workbook["Summary"].iter_rows(values_only=True) for value in row if value]
    assert summary[-5:] == [
        "Thái Bình, day 02 month 03 year 2026",
        "Appraiser",
        "Approved by",
        "(Signature, full name)",
        "(Signature, full name)",
    ]
    # Figures are typed: the amount a number, the score and rates percentages.
    cells = {row[0].value: row[1] for row in workbook["Summary"].iter_rows() if row[0].value}
    assert cells["Amount requested"].value == appraised.amount.amount
    assert cells["Amount requested"].number_format == "#,##0"
    assert cells["Score"].value == "—" or cells["Score"].number_format == "0.00%"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_the_appraisal_report_prints_a_page_a_sheet(client, appraised, officer, tmp_path):
    content = page(client, officer, "report_xlsx", appraised.pk).content
    sheets = len(load_workbook(io.BytesIO(content), read_only=True).sheetnames)
    assert pdf_pages(content, tmp_path) == sheets  # each of its short tables on one page

"""A loan's whole life through the pages, as its people click through them: the officer's
application, the appraiser's appraisal, the approver's decision, the contract and tranche, the
accountant's authorization, a repayment, and the co-op reading it and downloading its statement."""

import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from fund import roles
from fund.models import DocumentType, Fund
from loans.models import Loan, LoanStatus
from tests.appraisal import factories as appraisal_factories
from tests.fund.factories import BorrowerFactory
from tests.loans.conftest import START


@pytest.fixture
def product():
    """6.6 % a year, 6 to 36 months, its dossier one document."""
    product = appraisal_factories.product(name="Vốn lưu động HTX")
    product.required_documents.set(DocumentType.objects.filter(active=True).order_by("pk")[:1])
    return product


@pytest.fixture
def people(user_with_role, fund, staff):
    """The staff, the approver a director (up to 500 million), and a co-op's user."""
    appraisal_factories.authority_levels(fund, directors=[staff["approver"]])
    borrower = BorrowerFactory(name="HTX Nông nghiệp Tân Lập")
    return {**staff, "coop": user_with_role(roles.COOP_USER, borrower=borrower)}


def menu(page, label):
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=label, exact=True).click()


def test_a_loan_from_application_to_repayment(open_page, product, people):
    borrower = people["coop"].borrower

    # The officer applies for the co-op and files a document of the dossier.
    officer = open_page(people["officer"], language="en")
    menu(officer, "Loans")
    officer.get_by_role("button", name="New application").click()
    officer.get_by_label("Borrower").select_option(label=borrower.name)
    officer.get_by_role("button", name="Continue").click()
    officer.get_by_label("Loan product").select_option(value=str(product.pk))
    officer.get_by_label("Amount requested (đồng)").fill("300.000.000")
    officer.get_by_label("Term (months)").fill("24")
    officer.get_by_label("Purpose").fill("Mua máy gặt đập liên hợp phục vụ thành viên")
    officer.get_by_role("button", name="Save draft").click()
    expect(officer.locator("h1")).to_contain_text("Draft")
    loan = Loan.objects.get(borrower=borrower)
    officer.get_by_text("Add a document").click()
    officer.get_by_label("Document type").select_option(index=1)  # the one the product requires
    officer.get_by_label("Document date").fill("2026-01-10")
    pdf = {"name": "bien-ban-dai-hoi.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    officer.locator("input[type=file]").set_input_files(files=[pdf])
    officer.get_by_role("button", name="Upload").click()
    expect(officer.get_by_text("Document added to the dossier.")).to_be_visible()
    officer.get_by_role("button", name="Submit for appraisal").click()
    expect(officer.locator("h1")).to_contain_text("Submitted")

    # The appraiser takes it from the queue and fills in every section.
    appraiser = open_page(people["appraiser"], language="en")
    menu(appraiser, "Appraisal queue")
    appraiser.get_by_role("button", name="Take it").click()
    expect(appraiser.locator("h1")).to_contain_text("Being appraised")
    cash_flow = appraiser.locator("#cash_flow")
    for year in (1, 2):
        cash_flow.locator(f"input[name=inflow_{year}]").fill("900.000.000")
        cash_flow.locator(f"input[name=outflow_{year}]").fill("400.000.000")
    cash_flow.get_by_role("button", name="Save the cash flow").click()
    collateral = appraiser.locator("#collateral")
    collateral.get_by_text("Add a collateral item").click()
    collateral.get_by_label("Description").fill("Quyền sử dụng đất thửa số 125, tờ bản đồ số 7")
    collateral.get_by_label("Owner").fill("Hợp tác xã")
    collateral.get_by_label("Valuation (đồng)").fill("600.000.000")
    collateral.get_by_label("Valuation date").fill("2026-01-10")
    collateral.get_by_label("Loan-to-value limit (%)").fill("70")
    collateral.get_by_label("Value allowed for provisioning (đồng)").fill("420.000.000")
    collateral.get_by_role("button", name="Add").click()
    visit = appraiser.locator("#site_visit")
    visit.get_by_label("Date of the visit").fill("2026-01-12")
    visit.get_by_label("What the visit found").fill("Cơ sở sản xuất hoạt động ổn định.")
    visit.get_by_role("button", name="Save").click()
    score = appraiser.locator("#score")
    for select in score.locator("select").all():
        select.select_option(index=select.locator("option").count() - 1)
    score.get_by_role("button", name="Save the ratings").click()
    recommendation = appraiser.locator("#recommendation")
    recommendation.locator("input[name=decision][value=approve]").check()
    recommendation.get_by_label("Amount (đồng)").fill("300.000.000")
    recommendation.get_by_label("Term (months)").fill("24")
    recommendation.get_by_label("Interest rate (% a year)").fill("6.6")
    recommendation.get_by_role("button", name="Save the recommendation").click()
    appraiser.locator("#complete").get_by_role("button", name="Complete the appraisal").click()
    completed = "Appraisal completed; the application waits for a decision."
    expect(appraiser.get_by_text(completed)).to_be_visible()

    # The approver decides within the authority of a director.
    approver = open_page(people["approver"], language="en")
    menu(approver, "Decisions")
    approver.get_by_role("link", name=loan.reference).click()
    approver.get_by_role("button", name="Approve").click()
    expect(approver.locator("h1")).to_contain_text("Approved")

    # The officer records the signed contract and enters the tranche.
    officer.reload()
    officer.get_by_role("button", name="Sign the contract").click()
    officer.get_by_label("Contract number").fill("12/2026/HĐTD")
    officer.get_by_role("button", name="Record the contract").click()
    officer.get_by_role("button", name="Enter a tranche").click()
    paid_from = officer.get_by_label("Paid from")
    paid_from.select_option(paid_from.locator("option", has_text="11211").get_attribute("value"))
    officer.get_by_role("button", name="Enter the tranche").click()

    # An accountant authorizes it: the money leaves the bank.
    accountant = open_page(people["accountant"], language="en")
    menu(accountant, "Tranches to authorize")
    accountant.get_by_role("button", name="Authorize").click()
    expect(accountant.get_by_text("11211").first).to_be_visible()  # the entry it will post
    accountant.get_by_role("button", name="Post the tranche").click()
    expect(accountant.get_by_text("No tranche is waiting for authorization.")).to_be_visible()

    # The officer records a repayment of 20 million.
    officer.reload()
    expect(officer.locator("h1")).to_contain_text("Active")
    officer.get_by_role("button", name="Enter a repayment").click()
    officer.get_by_label("Amount (đồng)").fill("20.000.000")
    officer.get_by_role("button", name="Record the repayment").click()
    expect(officer.get_by_text("20,000,000").first).to_be_visible()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert loan.repayments.get().amount.amount == D(20_000_000)

    # The co-op sees its loan, and its statement has the tranche and the repayment.
    coop = open_page(people["coop"], language="en")
    coop.get_by_role("link", name=loan.reference).first.click()
    expect(coop.locator("h1")).to_contain_text("Active")
    with coop.expect_download() as download:
        coop.get_by_role("button", name="Statement (.xlsx)").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    cells = [cell for row in book.active.iter_rows(values_only=True) for cell in row if cell is not None]
    assert 300_000_000 in cells
    assert 20_000_000 in cells
    assert Fund.objects.get().business_date == START

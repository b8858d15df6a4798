"""Pages in a real browser: the language switch, what a co-op may open, its pages on a phone,
and the accountant's close of day followed by the arrears it leaves."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import translation
from playwright.sync_api import expect

from common.dates import format_date
from fund import roles
from fund.models import DocumentType, Fund
from ledger.models import Account
from loans.models import ReconciliationCheck
from loans.services.origination.applications import ApplicationTerms, add_document, create_application
from tests.browser.conftest import PHONE
from tests.fund.factories import BorrowerFactory
from tests.loans.conftest import START, staffed_active_loan


@pytest.fixture
def coop_loan(staff, fund):
    """A co-op's active loan: 120 million over 12 months from START, monthly."""
    return staffed_active_loan(staff, on=START, account=Account.objects.get(code="11211"))


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
    .filter((e) => !e.closest("table") && e.getBoundingClientRect().right > window.innerWidth + 1)
    .map((e) => `${e.tagName}.${e.className}: ${e.textContent.slice(0, 40)}`)"""


def test_switching_the_language_keeps_the_page_and_changes_its_words(open_page, staff):
    page = open_page(staff["officer"])
    page.get_by_role("link", name="Khoản vay", exact=True).first.click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_label("Ngôn ngữ").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/loans/")
    expect(page.locator("h1")).to_have_text("Loans and applications")
    page.get_by_label("Language").select_option("vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_a_coop_cannot_open_another_coops_loan_or_documents(open_page, staff, coop_loan, user_with_role):
    draft = create_application(
        actor=staff["officer"],
        terms=ApplicationTerms(
            borrower=coop_loan.borrower,
            product=coop_loan.product,
            amount=coop_loan.amount.amount,
            term_months=12,
            purpose="Mở rộng kho lạnh",
        ),
    )
    document = add_document(
        actor=staff["officer"],
        loan=draft,
        document_type=DocumentType.objects.filter(active=True).first(),
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="phuong-an.pdf"),
        issued_on=START,
    )
    other = user_with_role(roles.COOP_USER, borrower=BorrowerFactory())
    page = open_page(other, language="en")
    for url in (
        f"/loans/{coop_loan.pk}/",
        f"/loans/{coop_loan.pk}/statement.xlsx",
        f"/loans/{draft.pk}/",
        document.get_absolute_url(),
    ):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.locator("h1")).to_have_text("Page not found")
    # Its own co-op's user opens the same loan.
    owner = open_page(user_with_role(roles.COOP_USER, borrower=coop_loan.borrower), language="en")
    owner.get_by_role("link", name=coop_loan.reference).first.click()
    expect(owner.locator("h1")).to_contain_text(coop_loan.reference)


def test_the_coops_pages_fit_a_phone(open_page, coop_loan, user_with_role):
    page = open_page(user_with_role(roles.COOP_USER, borrower=coop_loan.borrower), viewport=PHONE)

    def too_wide() -> list[str]:
        """The elements reaching past the screen's right edge, outside a scrolling table."""
        return page.evaluate(WIDER_THAN_THE_SCREEN)

    assert too_wide() == [], "the home page is wider than the phone"
    page.get_by_role("link", name=coop_loan.reference).first.click()
    expect(page.locator("h1")).to_contain_text(coop_loan.reference)
    assert too_wide() == [], "the loan page is wider than the phone"


def test_the_accountants_home_page_fits_a_phone(open_page, staff, fund):
    # The last check of the books, whose line ("as of the business date …, checked at …") once
    # widened the card's figures column past the screen and crushed its labels to a letter a line.
    ReconciliationCheck.objects.create(as_of=START, accounts=9, differences=[])
    page = open_page(staff["accountant"], viewport=PHONE)
    card = page.locator("#accountant-work")
    expect(card.get_by_role("button", name="Đối chiếu lại")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
    labels = card.locator("dt")
    for index in range(labels.count()):
        assert labels.nth(index).bounding_box()["width"] > PHONE["width"] / 4, labels.nth(index).inner_text()


def test_close_of_day_leaves_the_unpaid_installment_in_the_arrears_list(open_page, staff, coop_loan):
    # The first installment falls due on 15/02/2026 and nothing is paid.
    Fund.objects.update(business_date=dt.date(2026, 2, 14))
    page = open_page(staff["accountant"], language="en")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Close of day").click()
    page.get_by_label("Run close of day until the business date is").fill("2026-02-18")
    page.get_by_role("button", name="See what it will do").click()
    with translation.override("en"):  # the page's language
        first, last = format_date(dt.date(2026, 2, 14)), format_date(dt.date(2026, 2, 18))
    plan = f"Close 4 days, from {first}: the business date becomes {last}."
    expect(page.get_by_text(plan)).to_be_visible()
    page.get_by_role("button", name="Run close of day").click()
    expect(page.get_by_text(f"Business date: {last}")).to_be_visible()
    assert Fund.objects.get().business_date == dt.date(2026, 2, 18)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Arrears list").click()
    row = page.locator("tr", has_text=coop_loan.borrower.name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("3")  # days past due on 18/02/2026
    # The list is wider than the screen and scrolls: the borrower's column is still wide enough
    # to read its name (it was squeezed to its longest word, a word a line).
    assert row.locator("td").nth(1).bounding_box()["width"] >= 200

"""A co-op applies for a loan from a phone: Chromium (Debian's, through Playwright) at a phone's
viewport against the live site: the terms, the dossier's document, submit; the application is
then in the officers' queue. The pages fit the narrow screen (checked on the screenshot: nothing
wider than the phone) and their buttons are large enough to tap."""

import struct

from django.test import Client

from fund import roles
from fund.models import DocumentType
from loans.models import LoanStatus
from tests.fund.factories import BorrowerFactory
from tests.loans import factories

PHONE = {"width": 390, "height": 844}


def png_width(path) -> int:
    with open(path, "rb") as image:
        header = image.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", header[16:20])[0]


def fits_the_phone(page, tmp_path, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert png_width(shot) == PHONE["width"], name


def test_a_coop_applies_from_a_phone(fund, live_server, browser, user_with_role, tmp_path):
    product = factories.product(name="Vay vốn sản xuất")
    product.required_documents.set([DocumentType.objects.get(code="business_plan")])
    coop = user_with_role(roles.COOP_USER, borrower=BorrowerFactory())
    officer = user_with_role(roles.FUND_OFFICER)
    session = Client()
    session.force_login(coop)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()

    page.goto(f"{live_server.url}/portal/")
    fits_the_phone(page, tmp_path, "home")
    apply = page.locator("nav.portal-nav a[href$='/portal/apply/']")
    assert apply.bounding_box()["height"] >= 44  # a thumb's tap target
    apply.tap()

    page.select_option("select[name=product]", str(product.pk))
    page.fill("input[name=amount]", "50.000.000")
    page.fill("input[name=term_months]", "6")
    page.fill("textarea[name=purpose]", "Mua giống lúa vụ xuân")
    fits_the_phone(page, tmp_path, "apply")
    with page.expect_navigation():
        page.locator("form.portal-form button[type=submit]").tap()
    assert "/portal/applications/" in page.url
    loan = coop.borrower.loans.get()

    plan = tmp_path / "phuong-an.pdf"
    plan.write_bytes(b"%PDF-1.4 phuong an san xuat")
    upload = page.locator("form[action$='/documents/']")
    upload.locator("select[name=document_type]").select_option(
        str(DocumentType.objects.get(code="business_plan").pk)
    )
    upload.locator("input[name=issued_on]").fill("2026-01-10")
    upload.locator("input[name=file]").set_input_files(str(plan))
    with page.expect_navigation():
        upload.locator("button[type=submit]").tap()
    assert loan.documents.count() == 1, page.locator(".messages").all_inner_texts()
    fits_the_phone(page, tmp_path, "dossier")
    with page.expect_navigation():
        page.locator("form[action$='/submit/'] button").tap()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    assert page.locator(".badge.status-submitted").count() >= 1
    context.close()

    # The officer finds it in the queue of submitted applications.
    staff = Client()
    staff.force_login(officer)
    queue = staff.get("/loans/", {"status": "submitted"}).content.decode()
    assert loan.reference in queue

"""The co-op portal: a co-op's own loans and applications only (404 for anyone else's), online
applications with the dossier into the officers' queue, and answering a request for documents."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.dates import format_date
from fund import roles
from fund.models import DocumentType
from loans.models import DocumentRequest, LoanEvent, LoanStatus, Notice, NoticeKind
from loans.services.origination.applications import ApplicationTerms, create_application
from loans.services.origination.document_requests import request_documents
from tests.fund.factories import BorrowerFactory
from tests.loans import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def coop_a(user_with_role, loan):
    """The co-op of the active `loan`."""
    return user_with_role(roles.COOP_USER, borrower=loan.borrower, email="a@htx.vn")


@pytest.fixture
def coop_b(user_with_role, fund):
    return user_with_role(roles.COOP_USER, borrower=BorrowerFactory())


@pytest.fixture
def product(fund):
    product = factories.product()
    product.required_documents.set([DocumentType.objects.get(code="business_plan")])
    return product


def application_of(user, product):
    terms = ApplicationTerms(
        borrower=user.borrower, product=product, amount=D(50_000_000), term_months=6, purpose="Mua giống"
    )
    return create_application(actor=user, terms=terms)


def pdf(name="phuong-an.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def document_post(**extra):
    plan = DocumentType.objects.get(code="business_plan")
    return {"document_type": plan.pk, "issued_on": "2026-01-10", "file": pdf(), **extra}


def test_a_coop_sees_its_own_loan_schedule_statement_and_payoff_quote(client, coop_a, loan):
    client.force_login(coop_a)
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert reverse("portal:loan", args=[loan.pk]) in home.content.decode()
    page = client.get(reverse("portal:loan", args=[loan.pk]), {"on": "2026-03-01"})
    assert page.status_code == 200
    text = page.content.decode()
    for part in (
        'id="schedule"',
        'id="transactions"',
        "Next installment",
        f"To repay the whole loan on {format_date(dt.date(2026, 3, 1))}",
    ):
        assert part in text, part
    assert "11,223,014" in text  # the first installment, next due
    # A co-op's page has none of the fund's books.
    assert 'id="books"' not in text and 'id="repayments"' not in text


def test_a_coop_gets_404_for_anyone_elses_objects_on_every_portal_page(
    client, coop_a, coop_b, loan, product, staff
):
    theirs = application_of(coop_b, product)
    asked = DocumentRequest.objects.create(loan=theirs, message="Thiếu phương án", asked_by=staff["officer"])
    client.force_login(coop_a)
    for name, pk in (("loan", theirs.pk), ("application", theirs.pk)):
        assert client.get(reverse(f"portal:{name}", args=[pk])).status_code == 404, name
    for name in ("document_add", "submit", "withdraw"):
        response = client.post(
            reverse(f"portal:{name}", args=[theirs.pk]), {"expected_status": "draft", "note": "x"}
        )
        assert response.status_code == 404, name
    assert client.post(reverse("portal:answer", args=[asked.pk]), document_post()).status_code == 404
    # Nothing of theirs changed, and coop B does not see A's loan either.
    theirs.refresh_from_db()
    assert (theirs.status, theirs.documents.count()) == (LoanStatus.DRAFT, 0)
    client.force_login(coop_b)
    assert client.get(reverse("portal:loan", args=[loan.pk])).status_code == 404
    assert reverse("portal:loan", args=[loan.pk]) not in client.get(reverse("portal:home")).content.decode()


def test_a_draft_offers_its_withdrawal_on_the_portal_and_on_the_loan_page(client, coop_b, product, staff):
    draft = application_of(coop_b, product)
    shown = {}
    for user, page, action in (
        (coop_b, "portal:application", "portal:withdraw"),
        (staff["officer"], "loans:loan_detail", "loans:withdraw"),
    ):
        client.force_login(user)
        text = client.get(reverse(page, args=[draft.pk])).content.decode()
        shown[page] = f'<form method="post" action="{reverse(action, args=[draft.pk])}">' in text
    assert shown == {"portal:application": True, "loans:loan_detail": True}


def test_the_portal_is_for_coop_users_only(client, staff):
    client.force_login(staff["officer"])
    assert client.get(reverse("portal:home")).status_code == 403


def test_an_application_online_lands_in_the_officers_queue(client, coop_b, product, staff):
    client.force_login(coop_b)
    response = client.post(
        reverse("portal:apply"),
        {"product": product.pk, "amount": "50.000.000", "term_months": "6", "purpose": "Mua giống lúa"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    loan = coop_b.borrower.loans.get()
    assert response.url == reverse("portal:application", args=[loan.pk])
    # Submitting without the dossier's business plan is refused, saying what is missing.
    client.post(reverse("portal:submit", args=[loan.pk]), {"expected_status": "draft"})
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DRAFT
    page = client.get(reverse("portal:application", args=[loan.pk])).content.decode()
    assert "The dossier lacks" in page
    # A file of a kind the dossier does not take is refused; a PDF is filed.
    client.post(
        reverse("portal:document_add", args=[loan.pk]), document_post(file=SimpleUploadedFile("x.exe", b"MZ"))
    )
    assert loan.documents.count() == 0
    client.post(reverse("portal:document_add", args=[loan.pk]), document_post())
    assert loan.documents.get().uploaded_by == coop_b
    client.post(reverse("portal:submit", args=[loan.pk]), {"expected_status": "draft"})
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    client.force_login(staff["officer"])
    queue = client.get(reverse("loans:applications"), {"status": "submitted"}).content.decode()
    assert loan.reference in re.findall(r"HS-\d{4}-\d{6}", queue)


def test_an_officer_asks_for_a_document_and_the_coop_answers_both_in_the_history(
    client, coop_b, product, staff
):
    loan = application_of(coop_b, product)
    client.force_login(coop_b)
    client.post(reverse("portal:document_add", args=[loan.pk]), document_post())
    client.post(reverse("portal:submit", args=[loan.pk]), {"expected_status": "draft"})
    client.force_login(staff["officer"])
    client.post(
        reverse("loans:request_documents", args=[loan.pk]), {"message": "Xin bổ sung báo cáo tài chính"}
    )
    asked = DocumentRequest.objects.get(loan=loan)
    assert asked.is_open and asked.asked_by == staff["officer"]
    client.force_login(coop_b)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Xin bổ sung báo cáo tài chính" in home
    response = client.post(reverse("portal:answer", args=[asked.pk]), document_post(answer="Gửi bổ sung"))
    assert response.status_code == 302
    asked.refresh_from_db()
    assert not asked.is_open and asked.answered_by == coop_b and asked.answer == "Gửi bổ sung"
    assert asked.documents.count() == 1 and loan.documents.count() == 2
    history = list(LoanEvent.objects.filter(loan=loan).values_list("transition", "note"))
    assert ("request_documents", "Xin bổ sung báo cáo tài chính") in history
    assert any(name == "answer_documents" and note.startswith("Gửi bổ sung") for name, note in history)
    # Answered once only.
    client.post(reverse("portal:answer", args=[asked.pk]), document_post())
    assert loan.documents.count() == 2
    # The officer's page shows the answer, and the co-op reads both notes in the history.
    client.force_login(staff["officer"])
    assert "Gửi bổ sung" in client.get(reverse("loans:loan_detail", args=[loan.pk])).content.decode()


def test_only_staff_who_may_ask_do_so_and_only_while_it_is_being_looked_at(coop_b, product, staff):
    from django.core.exceptions import PermissionDenied, ValidationError

    draft = application_of(coop_b, product)
    with pytest.raises(ValidationError):
        request_documents(actor=staff["officer"], loan=draft, message="Thiếu hồ sơ")
    with pytest.raises(PermissionDenied):
        request_documents(actor=coop_b, loan=draft, message="Thiếu hồ sơ")
    with pytest.raises(PermissionDenied):
        request_documents(actor=staff["accountant"], loan=draft, message="Thiếu hồ sơ")
    assert not DocumentRequest.objects.exists()


def test_the_notices_page_lists_what_was_sent_a_coop_its_own(client, coop_a, coop_b, loan, staff):
    Notice.objects.create(
        loan=loan,
        kind=NoticeKind.DUE,
        due_date=dt.date(2026, 2, 15),
        amount=11_223_014,
        on=dt.date(2026, 2, 10),
    )
    client.force_login(staff["officer"])
    page = client.get(reverse("loans:notices")).content.decode()
    assert loan.reference in page and "Due-date reminder" in page
    client.force_login(coop_b)
    assert loan.reference not in client.get(reverse("loans:notices")).content.decode()
    client.force_login(coop_a)
    assert "Due-date reminder" in client.get(reverse("portal:loan", args=[loan.pk])).content.decode()
    client.force_login(staff["appraiser"])
    assert client.get(reverse("loans:notices")).status_code == 403


def test_before_the_fund_is_set_up_the_portal_opens_without_figures(client, user_with_role):
    # No fund yet (no `fund` fixture): nothing is lent, and the page says so rather than failing.
    coop = user_with_role(roles.COOP_USER, borrower=BorrowerFactory())
    client.force_login(coop)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert coop.borrower.name in response.content.decode()
    assert response.context["work"] is None

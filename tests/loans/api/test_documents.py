"""An application's dossier through the API: attached by a person (multipart) with the pages'
bounds and validators, read by whoever may see the loan; another co-op's ids are 404."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from loans.services.origination.applications import ApplicationTerms, create_application
from tests.fund.factories import BorrowerFactory
from tests.loans import factories
from tests.loans.api.conftest import session, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(staff):
    terms = ApplicationTerms(
        borrower=BorrowerFactory(),
        product=factories.product(),
        amount=D(50_000_000),
        term_months=6,
        purpose="Giống",
    )
    return create_application(actor=staff["officer"], terms=terms)


def upload(client, loan, **given):
    body = {
        "document_type": "business_plan",
        "issued_on": "2026-01-10",
        "file": SimpleUploadedFile("phuong-an.pdf", b"%PDF-1.4"),
        **given,
    }
    return client.post(f"/api/v1/applications/{loan.pk}/documents/", body, format="multipart")


def test_an_officer_attaches_a_document_and_reads_the_dossier(staff, draft):
    officer = session(staff["officer"])
    response = upload(officer, draft, title="Phương án 2026")
    assert response.status_code == 201, response.json()
    document = draft.documents.get()
    assert response.json() == {
        "id": document.pk,
        "document_type": "business_plan",
        "title": "Phương án 2026",
        "original_name": "phuong-an.pdf",
        "issued_on": "2026-01-10",
        "uploaded_at": response.json()["uploaded_at"],
        "url": f"/loans/documents/{document.pk}/",
    }
    listed = token_client(staff["appraiser"]).get(f"/api/v1/applications/{draft.pk}/documents/").json()
    assert [row["id"] for row in listed] == [document.pk]


def test_bad_files_and_types_are_refused_field_by_field(staff, draft):
    officer = session(staff["officer"])
    wrong_kind = upload(officer, draft, file=SimpleUploadedFile("virus.exe", b"MZ"))
    assert wrong_kind.status_code == 400 and "file" in wrong_kind.json()["fields"]
    unknown = upload(officer, draft, document_type="no_such_type")
    assert unknown.status_code == 400 and "document_type" in unknown.json()["fields"]
    assert draft.documents.count() == 0


def test_a_token_may_not_attach_and_another_coop_gets_404(staff, draft, coop_of, loan):
    assert upload(token_client(staff["officer"]), draft).status_code == 403
    stranger = session(coop_of(loan.borrower))
    assert upload(stranger, draft).status_code == 404
    assert stranger.get(f"/api/v1/applications/{draft.pk}/documents/").status_code == 404
    own = session(coop_of(draft.borrower))
    assert upload(own, draft).status_code == 201
    # An active loan's dossier is closed: the service's message, as a 400.
    closed = upload(session(staff["officer"]), loan)
    assert closed.status_code == 400 and "closed" in str(closed.json())

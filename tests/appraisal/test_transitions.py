"""Every appraisal action from every status: the one legal source moves on, every other
status is a clear refusal that changes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appraisal import services
from loans.models import Loan, LoanEvent, LoanStatus
from tests.appraisal import factories
from tests.fund.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

LEGAL_SOURCE = {
    "start_appraisal": LoanStatus.SUBMITTED,
    "complete_appraisal": LoanStatus.APPRAISING,
    "approve": LoanStatus.APPRAISED,
    "reject": LoanStatus.APPRAISED,
    "undo_approval": LoanStatus.APPROVED,
}
ILLEGAL = [
    (action, status)
    for action in LEGAL_SOURCE
    for status in LoanStatus.values
    if status != LEGAL_SOURCE[action]
]


def _act(action, loan, *, appraiser, director):
    terms = services.ApprovalTerms(amount=Decimal(300_000_000), term_months=24, annual_rate=Decimal("0.066"))
    return {
        "start_appraisal": lambda: services.start_appraisal(actor=appraiser, loan=loan),
        "complete_appraisal": lambda: services.complete_appraisal(actor=appraiser, loan=loan),
        "approve": lambda: services.approve_loan(actor=director, loan=loan, terms=terms),
        "reject": lambda: services.reject_loan(actor=director, loan=loan, reason="x"),
        "undo_approval": lambda: services.undo_approval(actor=director, loan=loan, reason="x"),
    }[action]()


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_action_its_status_does_not_allow_is_refused(
    fund, levels, officer, appraiser, director, action, status
):
    # Written in the status directly: most of these states are reached by other apps' services.
    loan = Loan.objects.create(
        borrower=BorrowerFactory(),
        product=factories.product(),
        amount=Decimal(300_000_000),
        term_months=24,
        purpose="Mua máy gặt",
        created_by=officer,
        status=status,
    )
    with pytest.raises(ValidationError) as caught:
        _act(action, loan, appraiser=appraiser, director=director)
    assert caught.value.code == "invalid_transition"
    assert caught.value.messages[0].startswith("An application that is ")
    assert Loan.objects.get(pk=loan.pk).status == status
    assert not LoanEvent.objects.filter(loan=loan).exists()


def test_each_legal_action_moves_the_application_on(fund, levels, officer, appraiser, director):
    loan = factories.submitted_loan(officer=officer)
    path = [
        ("start_appraisal", LoanStatus.APPRAISING),
        ("complete_appraisal", LoanStatus.APPRAISED),
        ("approve", LoanStatus.APPROVED),
        ("undo_approval", LoanStatus.APPRAISED),
        ("reject", LoanStatus.REJECTED),
    ]
    for action, target in path:
        loan = Loan.objects.get(pk=loan.pk)
        if action == "complete_appraisal":
            factories.fill_appraisal(appraiser=appraiser, loan=loan)
            loan = Loan.objects.get(pk=loan.pk)
        _act(action, loan, appraiser=appraiser, director=director)
        assert Loan.objects.get(pk=loan.pk).status == target
    events = LoanEvent.objects.filter(loan=loan).order_by("pk")
    assert [(e.transition, e.source, e.target) for e in events][1:] == [
        ("start_appraisal", "submitted", "appraising"),
        ("complete_appraisal", "appraising", "appraised"),
        ("approve", "appraised", "approved"),
        ("undo_approval", "approved", "appraised"),
        ("reject", "appraised", "rejected"),
    ]
    assert [e.actor for e in events][1:] == [appraiser, appraiser, director, director, director]

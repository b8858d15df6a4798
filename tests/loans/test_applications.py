"""Applications up to the appraisal: the rules checked on submit, the transitions, who may act."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from common.text import LONG_TEXT_MAX
from fund import roles
from fund.models import Borrower, DocumentType, LoanProduct
from loans.models import Loan, LoanEvent, LoanStatus
from loans.selectors.access import get_loan_for, loans_visible_to
from loans.selectors.origination import borrower_exposure
from loans.services.origination.applications import (
    ApplicationTerms,
    add_document,
    create_application,
    submit_application,
    update_application,
    withdraw_application,
)
from loans.services.transitions import apply_transition
from tests.fund.factories import BorrowerFactory, HouseholdMemberFactory
from tests.loans import factories

# Every test runs with the fund (its business date stamps submissions).
pytestmark = pytest.mark.usefixtures("fund")


def terms(**fields) -> ApplicationTerms:
    values = {
        "borrower": fields.pop("borrower", None) or BorrowerFactory(),
        "product": fields.pop("product", None) or factories.product(),
        "amount": D(120_000_000),
        "term_months": 12,
        "purpose": "Mua phân bón",
    }
    return ApplicationTerms(**{**values, **fields})


def draft(officer, **fields) -> Loan:
    return create_application(actor=officer, terms=terms(**fields))


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


# --- the rules on submit ----------------------------------------------------------------------


def test_a_valid_draft_submits_and_freezes_its_product_version(officer):
    loan = submit_application(actor=officer, loan=draft(officer))
    assert loan.status == LoanStatus.SUBMITTED
    assert loan.submitted_on == dt.date(2026, 1, 15)
    assert LoanProduct.objects.get(pk=loan.product_id).is_frozen


def test_the_product_must_lend_to_the_borrowers_type(officer):
    group = BorrowerFactory(type=Borrower.Type.COOPERATIVE_GROUP, tax_code="")
    product = factories.product(borrower_types=[Borrower.Type.COOPERATIVE])
    assert "product" in refusal(lambda: draft(officer, borrower=group, product=product))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", D(5_000_000)),
        ("amount", D(1_000_000_001)),
        ("amount", D("1000000.5")),
        ("term_months", 2),
        ("term_months", 13),
        ("purpose", "  "),
    ],
)
def test_amount_term_and_purpose_must_fit_the_product(officer, field, value):
    # The product lends 10.000.000 to 1.000.000.000 đ for 3 to 12 months.
    assert field in refusal(lambda: draft(officer, **{field: value}))


def test_the_rules_are_checked_again_on_submit(officer):
    # A draft made while the product allowed it cannot be submitted once the borrower is suspended.
    loan = draft(officer)
    Borrower.objects.filter(pk=loan.borrower_id).update(status=Borrower.Status.SUSPENDED)
    loan = Loan.objects.get(pk=loan.pk)
    assert "borrower" in refusal(lambda: submit_application(actor=officer, loan=loan))
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.DRAFT


def test_exposure_counts_approved_and_active_loans_but_not_open_applications(officer, appraiser, approver):
    # The fund's limit per borrower: the lower of 5.000.000.000 and 15 % × 50.000.000.000 = 5 billion.
    borrower = BorrowerFactory()
    product = factories.product(amount_max=D(5_000_000_000))
    factories.approved_loan(
        officer=officer,
        appraiser=appraiser,
        approver=approver,
        borrower=borrower,
        loan_product=product,
        amount=D(3_000_000_000),
    )
    factories.submitted_loan(
        officer=officer, borrower=borrower, loan_product=product, amount=D(1_500_000_000)
    )
    assert borrower_exposure(borrower.pk) == D(3_000_000_000)
    # 3 billion approved + 2 billion = 5 billion: exactly the limit, allowed.
    factories.submitted_loan(
        officer=officer, borrower=borrower, loan_product=product, amount=D(2_000_000_000)
    )
    # One đồng more is over.
    over = draft(officer, borrower=borrower, product=product, amount=D(2_000_000_001))
    assert "amount" in refusal(lambda: submit_application(actor=officer, loan=over))


def test_required_documents_must_be_in_the_dossier_or_the_borrowers_file(officer):
    plan, application = (
        DocumentType.objects.get(code="business_plan"),
        DocumentType.objects.get(code="loan_application"),
    )
    product = factories.product()
    product.required_documents.set([plan, application])
    loan = draft(officer, product=product)
    message = refusal(lambda: submit_application(actor=officer, loan=loan))["documents"][0]
    assert plan.name in message and application.name in message
    add_document(
        actor=officer,
        loan=loan,
        document_type=plan,
        issued_on=dt.date(2026, 1, 10),
        file=SimpleUploadedFile("phuong-an.pdf", b"%PDF-1.4"),
    )
    loan.borrower.documents.create(
        document_type=application,
        issued_on=dt.date(2026, 1, 5),
        uploaded_by=officer,
        file=SimpleUploadedFile("don.pdf", b"%PDF-1.4"),
    )
    assert submit_application(actor=officer, loan=loan).status == LoanStatus.SUBMITTED


def test_a_household_groups_shares_must_add_up_to_the_amount(officer):
    group = BorrowerFactory(type=Borrower.Type.HOUSEHOLD_GROUP, tax_code="")
    first, second = HouseholdMemberFactory(borrower=group), HouseholdMemberFactory(borrower=group)
    product = factories.product(borrower_types=[Borrower.Type.HOUSEHOLD_GROUP])
    wrong = [(first, D(50_000_000)), (second, D(60_000_000))]
    assert "shares" in refusal(lambda: draft(officer, borrower=group, product=product, shares=wrong))
    assert "shares" in refusal(lambda: draft(officer, borrower=group, product=product))
    loan = draft(
        officer, borrower=group, product=product, shares=[(first, D(50_000_000)), (second, D(70_000_000))]
    )
    assert loan.member_shares.count() == 2


def test_a_share_too_large_to_store_is_refused_by_household(officer):
    group = BorrowerFactory(type=Borrower.Type.HOUSEHOLD_GROUP, tax_code="")
    first, second = HouseholdMemberFactory(borrower=group), HouseholdMemberFactory(borrower=group)
    product = factories.product(borrower_types=[Borrower.Type.HOUSEHOLD_GROUP])
    shares = [(first, D(10) ** 40), (second, D(70_000_000))]
    refused = refusal(lambda: draft(officer, borrower=group, product=product, shares=shares))
    assert refused["shares"] == [f"{first}: the share is a whole number of đồng above 0."]
    assert not Loan.objects.exists()


def test_only_a_draft_can_be_changed(officer):
    loan = submit_application(actor=officer, loan=draft(officer))
    with pytest.raises(ValidationError):
        update_application(
            actor=officer, loan=loan, terms=terms(borrower=loan.borrower, product=loan.product)
        )


# --- transitions -------------------------------------------------------------------------------

LEGAL = [
    ("draft", "submit"),
    ("submitted", "start_appraisal"),
    ("appraising", "complete_appraisal"),
    ("appraised", "approve"),
    ("appraised", "reject"),
    ("approved", "undo_approval"),
    ("draft", "withdraw"),
    ("submitted", "withdraw"),
    ("appraising", "withdraw"),
    ("appraised", "withdraw"),
]
# Activating, closing and reopening belong to the money services (test_servicing.py).
ACTIONS = [
    "submit",
    "start_appraisal",
    "complete_appraisal",
    "approve",
    "reject",
    "withdraw",
    "undo_approval",
]
STATES = ["draft", "submitted", "appraising", "appraised", "approved", "rejected", "withdrawn"]


def loan_in(status: str, officer, appraiser, approver) -> Loan:
    path = {
        "draft": [],
        "submitted": ["submit"],
        "appraising": ["submit", "start_appraisal"],
        "appraised": ["submit", "start_appraisal", "complete_appraisal"],
        "approved": ["submit", "start_appraisal", "complete_appraisal", "approve"],
        "rejected": ["submit", "start_appraisal", "complete_appraisal", "reject"],
        "withdrawn": ["withdraw"],
    }[status]
    loan = draft(officer)
    for name in path:
        loan = apply_transition(loan, name, actor=_who(name, officer, appraiser, approver))
    return loan


def _who(name, officer, appraiser, approver):
    if name in ("start_appraisal", "complete_appraisal"):
        return appraiser
    if name in ("approve", "reject", "undo_approval"):
        return approver
    return officer


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in STATES for a in ACTIONS])
def test_every_transition_from_every_state(officer, appraiser, approver, status, action):
    loan = loan_in(status, officer, appraiser, approver)
    actor = _who(action, officer, appraiser, approver)
    if (status, action) in LEGAL:
        moved = apply_transition(loan, action, actor=actor, note="ok")
        event = LoanEvent.objects.filter(loan=loan).last()
        assert (event.transition, event.source, event.target, event.actor) == (
            action,
            status,
            moved.status,
            actor,
        )
    else:
        with pytest.raises(ValidationError, match="cannot be"):
            apply_transition(loan, action, actor=actor)
        assert Loan.objects.get(pk=loan.pk).status == status


def test_a_transition_needs_its_permission(officer, appraiser, approver):
    loan = loan_in("appraised", officer, appraiser, approver)
    with pytest.raises(PermissionDenied):
        apply_transition(loan, "approve", actor=officer)
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.APPRAISED


def test_acting_on_what_someone_else_just_changed_is_a_conflict(officer):
    loan = submit_application(actor=officer, loan=draft(officer))
    stale = Loan.objects.get(pk=loan.pk)
    withdraw_application(actor=officer, loan=loan, reason="Không vay nữa")
    with pytest.raises(ValidationError, match="changed by someone else") as refused:
        withdraw_application(actor=officer, loan=stale, reason="Không vay nữa", expected_status="submitted")
    assert refused.value.code == "conflict"


def test_withdrawing_needs_a_reason_of_a_bounded_length(officer):
    loan = draft(officer)
    assert "reason" in refusal(lambda: withdraw_application(actor=officer, loan=loan, reason=""))
    assert "reason" in refusal(
        lambda: withdraw_application(actor=officer, loan=loan, reason="x" * (LONG_TEXT_MAX + 1))
    )
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.DRAFT


# --- co-ops ----------------------------------------------------------------------------------


@pytest.fixture
def coop(user_with_role, fund):
    borrower = BorrowerFactory()
    return user_with_role(roles.COOP_USER, borrower=borrower)


def test_a_coop_applies_for_itself_only(coop):
    own = create_application(actor=coop, terms=terms(borrower=coop.borrower))
    assert submit_application(actor=coop, loan=own).status == LoanStatus.SUBMITTED
    with pytest.raises(PermissionDenied):
        create_application(actor=coop, terms=terms())


def test_a_coop_sees_only_its_own_loans(coop, officer):
    own = create_application(actor=coop, terms=terms(borrower=coop.borrower))
    other = draft(officer)
    assert list(loans_visible_to(coop)) == [own]
    with pytest.raises(Http404):
        get_loan_for(coop, other.pk)
    with pytest.raises(PermissionDenied):
        withdraw_application(actor=coop, loan=other, reason="x")
    assert set(loans_visible_to(officer)) == {own, other}


def test_a_purpose_beyond_its_limit_is_refused_and_nothing_is_saved(officer):
    errors = refusal(lambda: draft(officer, purpose="x" * 100_000))
    assert errors == {"purpose": ["At most 4000 characters (this has 100000)."]}
    assert not Loan.objects.exists()

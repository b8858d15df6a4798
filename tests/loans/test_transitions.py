"""One transition helper: every state machine refuses a move its state does not allow the same way."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from common.transitions import allowed, run
from fund import services
from tests.fund.factories import BorrowerFactory
from tests.fund.helpers import refused
from tests.fund.test_products import create as create_product
from tests.loans import factories


def test_a_product_and_a_borrower_refuse_in_the_same_words_as_a_loan(fund, officer, accountant):
    product = services.retire_product(actor=accountant, product=create_product(accountant))
    assert refused(lambda: services.retire_product(actor=accountant, product=product)) == {
        "__all__": ["A product that is withdrawn cannot be withdrawn."]
    }
    borrower = services.change_borrower_status(actor=officer, borrower=BorrowerFactory(), action="dissolve")
    assert refused(
        lambda: services.change_borrower_status(actor=officer, borrower=borrower, action="suspend")
    ) == {"__all__": ["A borrower that is dissolved cannot be suspended."]}


def test_a_refused_transition_changes_nothing_and_says_why(fund, officer):
    borrower = BorrowerFactory()
    with pytest.raises(ValidationError) as caught:
        run(borrower, "reactivate", actor=officer, subject="A borrower", action="reactivated")
    assert caught.value.code == "invalid_transition"
    assert borrower.status == borrower.Status.ACTIVE
    run(borrower, "suspend", actor=officer, subject="A borrower", action="suspended")
    assert borrower.status == borrower.Status.SUSPENDED
    assert allowed(borrower, "reactivate", officer) and not allowed(borrower, "suspend", officer)


def test_a_transition_guarded_by_a_permission_refuses_whoever_lacks_it(fund, officer, appraiser):
    loan = factories.submitted_loan(officer=officer)
    with pytest.raises(PermissionDenied):
        run(loan, "start_appraisal", actor=officer, subject="An application", action="taken into appraisal")
    assert not allowed(loan, "start_appraisal", officer) and allowed(loan, "start_appraisal", appraiser)

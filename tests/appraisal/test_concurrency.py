"""Two users acting on the same application at the same moment: one wins, the other is told.

Each thread has its own database connection; both looked at the loan before either acts.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from appraisal import services
from appraisal.models import Appraisal
from fund import roles
from loans.models import Loan, LoanEvent, LoanStatus
from tests.concurrency import at_once

# serialized_rollback: the flush after each test would otherwise take the migrations' data
# (chart of accounts, roles, criteria) away from the tests that follow.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _one_won_one_was_told(results) -> tuple:
    conflicts = [r for r in results if isinstance(r, ValidationError)]
    wins = [r for r in results if isinstance(r, Loan | Appraisal)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert conflicts[0].code == "conflict"
    assert "changed by someone else" in conflicts[0].messages[0]
    return wins[0], conflicts[0]


@pytest.mark.parametrize("attempt", range(3))
def test_approving_and_rejecting_at_once_exactly_one_decides(appraised, director, board_member, attempt):
    seen_by_director = Loan.objects.get(pk=appraised.pk)
    seen_by_board = Loan.objects.get(pk=appraised.pk)
    terms = services.ApprovalTerms(amount=Decimal(300_000_000), term_months=24, annual_rate=Decimal("0.066"))
    results = at_once(
        lambda: services.approve_loan(actor=director, loan=seen_by_director, terms=terms),
        lambda: services.reject_loan(actor=board_member, loan=seen_by_board, reason="Không khả thi"),
    )
    winner, _conflict = _one_won_one_was_told(results)
    loan = Loan.objects.get(pk=appraised.pk)
    assert loan.status == winner.status in (LoanStatus.APPROVED, LoanStatus.REJECTED)
    assert LoanEvent.objects.filter(loan=loan, transition__in=["approve", "reject"]).count() == 1
    # The loser changed nothing: a rejection leaves no approved terms, an approval no reason.
    if loan.status == LoanStatus.APPROVED:
        assert loan.rejection_reason == ""
    else:
        assert loan.approved_amount is None


def test_two_approvers_approving_at_once_approve_once(appraised, director, board_member):
    terms = services.ApprovalTerms(amount=Decimal(300_000_000), term_months=24, annual_rate=Decimal("0.066"))
    seen = [Loan.objects.get(pk=appraised.pk), Loan.objects.get(pk=appraised.pk)]
    results = at_once(
        lambda: services.approve_loan(actor=director, loan=seen[0], terms=terms),
        lambda: services.approve_loan(actor=board_member, loan=seen[1], terms=terms),
    )
    _one_won_one_was_told(results)
    assert LoanEvent.objects.filter(loan=appraised, transition="approve").count() == 1


def test_two_appraisers_taking_the_same_application_at_once(submitted, user_with_role):
    first, second = user_with_role(roles.APPRAISER), user_with_role(roles.APPRAISER)
    seen = [Loan.objects.get(pk=submitted.pk), Loan.objects.get(pk=submitted.pk)]
    results = at_once(
        lambda: services.start_appraisal(actor=first, loan=seen[0]),
        lambda: services.start_appraisal(actor=second, loan=seen[1]),
    )
    winner, _conflict = _one_won_one_was_told(results)
    assert Appraisal.objects.get(loan=submitted).appraiser == winner.appraiser
    assert Loan.objects.get(pk=submitted.pk).status == LoanStatus.APPRAISING

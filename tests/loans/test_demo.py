"""The demo with more of its applications approved: every plan of the loans' demo applies."""

import dataclasses

import pytest
from django.db.models import Sum

from appraisal import demo as appraisal_demo
from fund.models import Fund
from loans.models import Disbursement, Loan, LoanStatus, LoanTransaction, Repayment
from loans.selectors.reconciliation import reconciliation
from loans.selectors.recoveries import off_balance
from tests.test_demo import run_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo files its dossiers' placeholder scans


@pytest.fixture
def more_approved(monkeypatch):
    """The appraisal demo approving the applications it leaves appraised: every plan applies."""
    approved = [
        dataclasses.replace(a, until="approved") if a.until == "appraised" else a
        for a in appraisal_demo.APPLICATIONS
    ]
    monkeypatch.setattr(appraisal_demo, "APPLICATIONS", approved)


def snapshot():
    return (
        sorted(Loan.objects.values_list("pk", "status")),
        Repayment.objects.count(),
        LoanTransaction.objects.count(),
        Disbursement.objects.count(),
        Fund.objects.get().business_date,
    )


def test_with_more_loans_approved_every_state_is_there_and_a_second_run_changes_nothing(more_approved):
    run_demo()
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses >= {LoanStatus.APPROVED, LoanStatus.ACTIVE, LoanStatus.CLOSED}
    closed = Loan.objects.get(status=LoanStatus.CLOSED)
    assert closed.transactions.aggregate(left=Sum("principal"))["left"] == 0
    # The loan never repaid is written off, with a recovery: income, and less pursued off-balance.
    lost = Loan.objects.get(borrower__registration_number="02/HĐHT-UBND", status=LoanStatus.WRITTEN_OFF)
    recovery = lost.recoveries.get()
    assert recovery.amount.amount > 0
    assert off_balance(
        lost.pk
    ) == lost.write_off_record.principal.amount + lost.write_off_record.interest.amount - (
        recovery.amount.amount
    )
    assert {
        row.code: row.difference
        for row in reconciliation(as_of=Fund.objects.get().business_date)
        if row.difference
    } == {}
    coops = Loan.objects.filter(borrower__registration_number="1000123456", status=LoanStatus.ACTIVE)
    assert coops.get().repayments.count() == 4  # the demo co-op user sees an active loan of its own
    restructured = Loan.objects.get(restructure_count=1)
    extension = restructured.actions.get()
    assert (extension.kind, extension.status) == ("extension", "applied")
    assert restructured.balances.get(valid_to__isnull=True).restructured
    assert restructured.schedule_versions.filter(reason="extension").exists()
    before = snapshot()
    run_demo()
    assert snapshot() == before

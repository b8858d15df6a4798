"""The demo takes applications through every step of the appraisal with the real services."""

import io

import pytest
from django.core.management import call_command

from appraisal.models import Appraisal
from loans.models import Loan, LoanStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo files its dossiers' placeholder scans


def test_the_demo_has_applications_in_each_appraisal_state():
    out = io.StringIO()
    call_command("demo", force=True, stdout=out)
    statuses = set(Loan.objects.filter(appraisal__isnull=False).values_list("status", flat=True))
    assert statuses >= {LoanStatus.APPRAISING, LoanStatus.APPRAISED, LoanStatus.APPROVED, LoanStatus.REJECTED}
    approved = Loan.objects.filter(status=LoanStatus.APPROVED)
    assert all(loan.approved_amount and loan.decided_on for loan in approved)
    assert Loan.objects.filter(status=LoanStatus.REJECTED).exclude(rejection_reason="").exists()
    # Four eyes hold in the demo too: no application was decided by its appraiser.
    for loan in Loan.objects.filter(status__in=[LoanStatus.APPROVED, LoanStatus.REJECTED]):
        decided_by = loan.events.get(transition__in=["approve", "reject"]).actor
        assert decided_by != loan.appraisal.appraiser
    assert "Demo appraisals:" in out.getvalue()


def test_the_demo_runs_twice_without_new_appraisals():
    call_command("demo", force=True, stdout=io.StringIO())
    counts = (Loan.objects.count(), Appraisal.objects.count())
    call_command("demo", force=True, stdout=io.StringIO())
    assert (Loan.objects.count(), Appraisal.objects.count()) == counts

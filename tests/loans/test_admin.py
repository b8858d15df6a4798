"""The loans in the admin: every page opens for a superuser, and nothing can be written there."""

import pytest
from django.urls import reverse

from loans.models import Disbursement, LoanTransaction, Repayment
from tests.factories import UserFactory
from tests.loans.conftest import ROW1, repay


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["loan", "disbursement", "repayment", "loantransaction", "repaymentimport"])
def test_every_list_opens_and_offers_no_add(admin_client, loan, staff, model):
    repay(loan, staff, loan.contract.signed_on.replace(month=2), ROW1)
    assert admin_client.get(reverse(f"admin:loans_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:loans_{model}_add")).status_code == 403


def test_rows_show_but_cannot_be_changed_or_deleted(admin_client, loan, staff):
    repayment = repay(loan, staff, loan.contract.signed_on.replace(month=2), ROW1)
    for model, pk in [
        ("loan", loan.pk),
        ("repayment", repayment.pk),
        ("disbursement", Disbursement.objects.get().pk),
        ("loantransaction", LoanTransaction.objects.filter(repayment=repayment).get().pk),
    ]:
        assert admin_client.get(reverse(f"admin:loans_{model}_change", args=[pk])).status_code == 200
        admin_client.post(reverse(f"admin:loans_{model}_delete", args=[pk]), {"post": "yes"})
    assert Repayment.objects.filter(pk=repayment.pk).exists()
    assert LoanTransaction.objects.count() == 2

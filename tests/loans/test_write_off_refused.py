"""A write-off or a recovery asked of a loan that is not written off is refused with a message;
the loan written off and its recoveries are in `test_write_off`."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from loans.models import Loan, LoanStatus, Recovery, WriteOff
from loans.selectors.position import loan_position
from loans.services.risk import apply_write_off
from tests.loans.conftest import ROW1, START, repay
from tests.loans.test_write_off import recover


def test_only_an_active_loan_is_written_off(fund, staff, loan):
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    with pytest.raises(ValidationError):
        repay(loan, staff, dt.date(2026, 2, 15), D(10**12))
    # Repaid in full: closed, and a closed loan is refused with a message.
    payoff = loan_position(loan=Loan.objects.get(pk=loan.pk), as_of=dt.date(2026, 2, 15)).payoff
    repay(loan, staff, dt.date(2026, 2, 15), payoff)
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.CLOSED
    with pytest.raises(ValidationError) as refused:
        apply_write_off(actor=staff["approver"], loan=loan)
    assert "closed" in refused.value.messages[0]
    assert not WriteOff.objects.exists()


def test_a_recovery_on_a_loan_not_written_off_is_refused_with_a_message(fund, staff, loan):
    with pytest.raises(ValidationError) as refused:
        recover(loan, staff, D(1_000_000), day=START)
    assert "record a repayment" in refused.value.message_dict["__all__"][0]
    assert not Recovery.objects.exists()


def test_a_recovery_on_a_loan_not_written_off_is_a_message_on_the_page_not_a_500(client, fund, staff, loan):
    client.force_login(staff["officer"])
    form = {"value_date": "2026-01-15", "amount": "1.000.000", "channel": "cash", "reference": ""}
    refused = client.post(reverse("loans:recovery_new", args=[loan.pk]), form)
    # The page is in Vietnamese: the service's message, translated, on the form.
    assert refused.status_code == 400 and "hãy ghi nhận trả nợ" in refused.content.decode()
    assert not Recovery.objects.exists()

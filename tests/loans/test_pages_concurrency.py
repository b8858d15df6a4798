"""A double click on PostgreSQL: the same repayment form sent twice at the same moment posts once."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from fund.models import Fund
from ledger.models import JournalEntry
from loans.models import LoanTransaction, Repayment
from tests.concurrency import at_once
from tests.loans.conftest import ROW1

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_same_repayment_form_sent_twice_at_once_posts_once(loan, staff):
    Fund.objects.update(business_date=dt.date(2026, 2, 15))
    url = reverse("loans:repayment_new", args=[loan.pk])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(staff["officer"])
    key = clients[0].get(url).context["form"]["key"].value()
    data = {
        "value_date": "2026-02-15",
        "amount": str(ROW1),
        "channel": Repayment.Channel.BANK_TRANSFER,
        "reference": "UNC 0042",
        "account": "",
        "prepayment_mode": Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
        "key": key,
    }
    entries = JournalEntry.objects.count()
    responses = at_once(*[lambda client=client: client.post(url, data) for client in clients])
    assert [getattr(response, "status_code", response) for response in responses] == [302, 302]
    assert Repayment.objects.count() == 1
    assert LoanTransaction.objects.filter(kind="repayment").count() == 1
    assert JournalEntry.objects.count() == entries + 1

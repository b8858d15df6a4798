"""Provisions on demand between month ends: posted on the business date, once."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ledger.selectors import account_balance
from loans.models import Collateral, Loan, LoanTransaction
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.provisions import provision_now
from loans.services.closing.runs import close_until

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 26)  # the example loan's row 1 (15/02) unpaid: group 2 since 25/02


def provisions(as_of):
    return -account_balance(code="22931", as_of=as_of), -account_balance(code="22932", as_of=as_of)


def test_provisions_on_demand_follow_the_group_between_month_ends_and_post_once(loan, staff):
    close_until(actor=staff["accountant"], until=DAY)
    assert Loan.objects.get(pk=loan.pk).debt_group == 2
    # 31/01 provisioned the loan in group 1: no specific provision, the general 0,75 % of 120 000 000.
    assert provisions(DAY) == (D(0), D(900_000))
    collateral = sum((c.provisioning_value.amount for c in Collateral.objects.filter(loan=loan)), D(0))
    assert provision_now(actor=staff["accountant"]) == 1
    # Group 2: 5 % of the principal the collateral does not cover, dated on the business date.
    specific = (D(120_000_000) - collateral) * D("0.05")
    assert provisions(DAY) == (specific, D(900_000))
    assert provisions(DAY - dt.timedelta(days=1)) == (D(0), D(900_000))
    assert (
        LoanTransaction.objects.get(loan=loan, kind="provision", value_date=DAY).specific_provision
        == specific
    )
    assert provision_now(actor=staff["accountant"]) == 0  # nothing changed since
    close_until(actor=staff["accountant"], until=dt.date(2026, 3, 1))  # the month end: nothing more
    assert provisions(dt.date(2026, 2, 28)) == (specific, D(900_000))
    assert [row.code for row in reconciliation(as_of=dt.date(2026, 2, 28)) if row.difference] == []


def test_only_who_runs_close_of_day_provisions_on_demand(client, loan, staff):
    with pytest.raises(PermissionDenied):
        provision_now(actor=staff["officer"])
    client.force_login(staff["officer"])
    assert client.post(reverse("loans:provisions")).status_code == 403
    client.force_login(staff["accountant"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # First what it would post (nothing yet), then, confirmed, the posting.
    shown = client.get(reverse("loans:provisions"))
    assert shown.status_code == 200 and shown.context["count"] == 1
    assert [(line.account, line.debit, line.credit) for line, _name in shown.context["lines"]] == [
        ("6426", D(900_000), D(0)),
        ("22932", D(0), D(900_000)),  # the general 0,75 % of 120 000 000, group 1
    ]
    assert not LoanTransaction.objects.filter(kind="provision").exists()
    response = client.post(reverse("loans:provisions"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("loans:close_of_day")
    assert "Provisions brought up to date: 1 loan changed." in response.content.decode()

import io

import pytest
from django.core.management import call_command

from fund.models import Borrower, CapitalReceipt, Fund, HouseholdMember, LoanProduct, User
from fund.selectors import approval_level_for, current_fund, offered_products
from ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (Fund, LoanProduct, Borrower, HouseholdMember, CapitalReceipt, JournalEntry, User)
    ]


def test_the_demo_fund_has_products_borrowers_of_every_type_and_posted_capital():
    call_command("demo", force=True, stdout=io.StringIO())
    fund = current_fund()
    assert set(fund.lending_accounts.values_list("code", flat=True)) >= {"11211"}
    assert len(offered_products()) == 3
    assert {b.type for b in Borrower.objects.all()} == set(Borrower.Type.values)
    assert Borrower.objects.count() >= 12
    assert Borrower.objects.values("province").distinct().count() >= 4
    assert all(group.members.exists() for group in Borrower.objects.filter(type="household_group"))
    assert offered_products(borrower_type="household_group").get().code == "HTND-TO"
    for receipt in CapitalReceipt.objects.select_related("journal_entry"):
        assert receipt.journal_entry.lines.count() == 2
    coop = User.objects.get(username="coop")
    assert coop.borrower.type == Borrower.Type.COOPERATIVE
    assert approval_level_for(fund.exposure_limit).holders.filter(username="approver").exists()


def test_the_demo_runs_twice_to_the_same_data():
    call_command("demo", force=True, stdout=io.StringIO())
    first = counts()
    call_command("demo", force=True, stdout=io.StringIO())
    assert counts() == first

"""The default chart (migrations 0002, 0010 and 0011) is the one the issues list."""

import pytest

from ledger.models import Account, AccountType
from ledger.selectors import chart

POSTABLE = {
    "1111", "11211", "11212", "11213",
    "128311", "128312", "128321", "128322", "128331", "128332",
    "13881", "13882", "13888", "22931", "22932", "33881", "33888",
    "41111", "41112", "4118", "4211", "4212", "5151", "5152", "5158", "6426", "6428",
    "7111", "7118", "911", "0041", "0042", "0043", "009",
}  # fmt: skip

pytestmark = pytest.mark.django_db


def test_the_postable_accounts_are_exactly_the_listed_leaves():
    assert {row.code for row in chart() if row.postable} == POSTABLE


def test_each_sub_account_extends_its_parents_code_and_shares_its_type():
    for account in Account.objects.exclude(parent=None).select_related("parent"):
        assert account.code.startswith(account.parent.code) and account.code != account.parent.code
        assert account.type == account.parent.type, account


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("1111", AccountType.ASSET),
        ("22931", AccountType.ASSET),  # a contra-asset: credit balance, asset type
        ("33881", AccountType.LIABILITY),
        ("41111", AccountType.EQUITY),
        ("421", AccountType.EQUITY),
        ("4212", AccountType.EQUITY),  # this year's result, from 911 when the year closes
        ("911", AccountType.EQUITY),
        ("5151", AccountType.INCOME),
        ("7111", AccountType.INCOME),
        ("6426", AccountType.EXPENSE),
        ("0041", AccountType.OFF_BALANCE),
        ("009", AccountType.OFF_BALANCE),
    ],
)
def test_account_types(code, kind):
    assert Account.objects.get(code=code).type == kind


def test_every_account_has_both_names_and_is_active():
    assert not Account.objects.filter(name_vi="").exists()
    assert not Account.objects.filter(name_en="").exists()
    assert not Account.objects.filter(active=False).exists()


def test_the_name_follows_the_language():
    from django.utils import translation

    account = Account.objects.get(code="1111")
    with translation.override("en"):
        assert account.name == "Cash in VND"
    with translation.override("vi"):
        assert account.name == "Tiền Việt Nam"

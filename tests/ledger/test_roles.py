import pytest

from fund import navigation

pytestmark = pytest.mark.django_db

LEDGER_MENU = ["Journal", "Trial balance", "Trial balance for a period", "Chart of accounts", "Periods"]


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        ("accountant", LEDGER_MENU),
        ("approver", LEDGER_MENU),
        # Officers open the entries their loans link to; the accountants' menu is not theirs.
        ("fund_officer", []),
        ("appraiser", []),
        ("coop_user", []),
    ],
)
def test_each_role_sees_the_ledger_pages_it_may_use(user_with_role, role, menu):
    user = user_with_role(role)
    shown = [str(item["label"]) for item in navigation.items_for(user) if item["url"].startswith("/ledger/")]
    assert shown == menu


def test_an_officer_still_opens_an_entry_a_loan_links_to(user_with_role):
    officer = user_with_role("fund_officer")
    assert officer.has_perm("ledger.view_journalentry") and officer.has_perm("ledger.view_account")


def test_only_the_accountant_writes_the_books(user_with_role):
    writes = [
        "ledger.add_journalentry",
        "ledger.reverse_journalentry",
        "ledger.close_period",
        "ledger.reopen_period",
        "ledger.add_account",
        "ledger.change_account",
    ]
    for role in ("approver", "fund_officer", "appraiser", "coop_user"):
        user = user_with_role(role)
        assert not any(user.has_perm(p) for p in writes), role
    assert all(user_with_role("accountant").has_perm(p) for p in writes)

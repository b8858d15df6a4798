import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.utils import translation

from common.navigation import NavItem
from fund import navigation


@pytest.fixture
def fake_items(monkeypatch):
    items = (
        NavItem("Groups", "admin:auth_group_changelist", "auth.view_group"),
        NavItem("Users", "admin:fund_user_changelist", "fund.view_user"),
    )
    monkeypatch.setattr(navigation, "all_items", lambda: items)
    return items


@pytest.mark.django_db
def test_a_user_sees_only_the_items_its_permissions_allow(fake_items, user_with_role):
    user = user_with_role()
    user.user_permissions.add(Permission.objects.get(codename="view_group"))
    labels = [item["label"] for item in navigation.items_for(user, "/admin/auth/group/")]
    assert labels == ["Groups"]
    assert navigation.items_for(user, "/admin/auth/group/")[0]["current"] is True


@pytest.mark.django_db
def test_anonymous_users_see_no_items(fake_items):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert navigation.context(request) == {"nav_items": []}


def test_every_declared_item_resolves_to_a_page():
    for item in navigation.all_items():
        assert navigation.reverse(item.url_name).startswith("/"), item


@pytest.mark.django_db
def test_only_the_most_specific_item_is_current(monkeypatch, user_with_role):
    items = (
        NavItem("Journal", "ledger:journal", "ledger.view_journalentry"),
        NavItem("Trial balance", "ledger:trial_balance", "ledger.view_journalentry"),
    )
    monkeypatch.setattr(navigation, "all_items", lambda: items)
    shown = navigation.items_for(user_with_role("accountant"), "/ledger/trial-balance/")
    assert [(item["label"], item["current"]) for item in shown] == [
        ("Journal", False),
        ("Trial balance", True),
    ]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_two_menu_items_have_the_same_words(language):
    """Two entries with one label (the trial balance as of a date and for a period were both
    "Bảng cân đối số phát sinh") leave a person guessing which page each opens."""
    with translation.override(language):
        labels = [str(item.label) for item in navigation.all_items()]
    assert sorted(label for label in set(labels) if labels.count(label) > 1) == []

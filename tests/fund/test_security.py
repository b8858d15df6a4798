"""What every response carries for the browser, and who reaches the API's description."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fund import roles
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+=|\sstyle=", re.IGNORECASE)


def test_every_page_forbids_inline_script_and_style(client, user_with_role):
    client.force_login(user_with_role(roles.ACCOUNTANT, is_staff=True, is_superuser=True))
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/ledger/accounts/", "/fund/borrowers/", "/admin/", "/api/docs/"]
)
def test_pages_have_no_inline_code_the_policy_would_block(client, user_with_role, url):
    client.force_login(user_with_role(roles.ACCOUNTANT, is_staff=True, is_superuser=True))
    response = client.get(url)
    assert response.status_code == 200
    assert INLINE_CODE.findall(response.content.decode()) == []


@pytest.mark.parametrize("name", ["api-schema", "api-docs"])
def test_the_api_description_needs_a_login(client, user_with_role, name):
    assert client.get(reverse(name)).status_code in (302, 403)
    client.force_login(user_with_role(roles.FUND_OFFICER))
    assert client.get(reverse(name)).status_code == 200


def test_a_session_lasts_one_working_day(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == 9 * 3600
    assert client.session.get_expiry_age() == 9 * 3600


def test_a_password_change_ends_the_users_other_sessions(client, user_with_role):
    user = UserFactory()
    elsewhere = Client()
    for browser in (client, elsewhere):
        browser.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
        assert browser.get(reverse("home")).status_code == 200
    # An administrator sets a new password in the admin (the project has no self-service page).
    admin = user_with_role(is_staff=True, is_superuser=True)
    client.force_login(admin)
    changed = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "a-new-Passw0rd-2026", "password2": "a-new-Passw0rd-2026", "usable_password": "true"},
    )
    assert changed.status_code == 302
    assert elsewhere.get(reverse("home")).status_code == 302

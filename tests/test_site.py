"""The site around the apps' pages: its error pages and its icon."""

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from fund import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_a_missing_page_is_the_sites_own_translated_page(client, production, user_with_role):
    client.force_login(user_with_role(roles.FUND_OFFICER))
    response = client.get("/loans/999999/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Không tìm thấy trang" in content
    assert "coopfund.css" in content
    assert "Page not found" not in content


def test_a_page_the_role_may_not_open_is_a_styled_translated_403(client, production, user_with_role):
    client.force_login(user_with_role(roles.FUND_OFFICER))
    client.cookies["django_language"] = "en"
    response = client.get("/ledger/periods/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "You may not open this page" in content
    assert "coopfund.css" in content


def test_a_server_error_is_the_sites_own_translated_page():
    with translation.override("vi"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "Đã có lỗi xảy ra" in content
    assert "coopfund.css" in content


def test_the_browsers_favicon_request_finds_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from fund.demo import DEMO_USERS, demo_password


@pytest.fixture
def demo_fund(db):
    call_command("demo", force=True, stdout=io.StringIO())


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("username", [u for u, _name, _roles in DEMO_USERS])
def test_each_demo_user_logs_in_and_lands_home(client, demo_fund, username):
    response = client.post(
        reverse("login"), {"username": username, "password": demo_password(username)}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"].username == username
    assert response.request["PATH_INFO"] == reverse("home")


def test_a_wrong_password_is_refused_with_a_message(client, demo_fund):
    response = client.post(reverse("login"), {"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].errors


def test_logout_ends_the_session(client, demo_fund):
    client.login(username="officer", password=demo_password("officer"))
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302

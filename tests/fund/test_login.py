import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD, UserFactory


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_wrong_password_is_refused_with_a_message(client, db):
    UserFactory(username="officer")
    response = client.post(reverse("login"), {"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].errors


def test_logout_ends_the_session(client, db):
    client.force_login(UserFactory(username="officer"))
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


# --- lockout after repeated failures (django-axes) -------------------------------------


def log_in(client, username, password, *, address="127.0.0.1", url="login", **headers):
    data = {"username": username, "password": password}
    return client.post(reverse(url), data, REMOTE_ADDR=address, **headers)


def fail(client, username, times, **where) -> list[int]:
    return [log_in(client, username, "wrong-password", **where).status_code for _ in range(times)]


def is_logged_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_after_five_failures_even_the_right_password_is_refused_with_a_clear_message(client, db, settings):
    user = UserFactory()
    below = settings.AXES_FAILURE_LIMIT - 1
    assert fail(client, user.username, below) == [200] * below  # the form's own error
    assert log_in(client, user.username, TEST_PASSWORD).status_code == 302  # four are forgiven
    client.post(reverse("logout"))
    assert fail(client, user.username, 1) == [429]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = log_in(client, user.username, TEST_PASSWORD)
    assert response.status_code == 429
    assert "Try again in 30 minutes" in response.content.decode()
    assert not is_logged_in(client)
    # Every failure is on record, with the address it came from.
    failures = AccessFailureLog.objects.filter(username=user.username)
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1
    assert set(failures.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_the_lockout_page_speaks_vietnamese(client, db, settings):
    fail(client, "ai-do", settings.AXES_FAILURE_LIMIT)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    page = log_in(client, "ai-do", "x").content.decode()
    assert "Thử lại sau 30 phút" in page


def test_a_username_is_locked_whatever_address_the_attempts_come_from(client, db, settings):
    user = UserFactory()
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, user.username, 1, address=f"10.0.0.{n + 1}")
    assert log_in(client, user.username, TEST_PASSWORD, address="10.0.9.9").status_code == 429
    assert log_in(client, UserFactory().username, TEST_PASSWORD, address="10.0.9.9").status_code == 302


def test_an_address_is_locked_whatever_usernames_it_tries(client, db, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, f"guess{n}", 1, address="10.0.0.66")
    user = UserFactory()
    assert log_in(client, user.username, TEST_PASSWORD, address="10.0.0.66").status_code == 429
    assert log_in(client, user.username, TEST_PASSWORD, address="10.0.0.67").status_code == 302


def test_behind_the_proxy_the_address_is_the_one_nginx_forwards(client, db, settings):
    settings.AXES_CLIENT_IP_CALLABLE = "fund.views.forwarded_client_ip"
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(client, f"guess{n}", 1, HTTP_X_REAL_IP="203.0.113.7")
    user = UserFactory()
    assert log_in(client, user.username, TEST_PASSWORD, HTTP_X_REAL_IP="203.0.113.7").status_code == 429
    assert log_in(client, user.username, TEST_PASSWORD, HTTP_X_REAL_IP="203.0.113.8").status_code == 302


def test_the_admin_login_is_locked_too(client, db, settings):
    admin = UserFactory(is_staff=True, is_superuser=True)
    fail(client, admin.username, settings.AXES_FAILURE_LIMIT, url="admin:login")
    assert log_in(client, admin.username, TEST_PASSWORD, url="admin:login").status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, db, settings):
    user = UserFactory()
    fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert log_in(client, user.username, TEST_PASSWORD).status_code == 302


def test_an_administrator_unlocks_in_the_admin_and_the_admin_history_says_who(client, db, settings):
    user = UserFactory()
    fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username=user.username)
    administrator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(administrator)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert LogEntry.objects.get(action_flag=DELETION).user == administrator
    client.post(reverse("logout"))
    assert log_in(client, user.username, TEST_PASSWORD).status_code == 302

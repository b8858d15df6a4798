"""The API's foundations: one error shape, who may call, tokens, throttling, language."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from common.dates import format_date
from config.settings import shared_cache
from fund.models import ApiToken
from fund.models.tokens import key_hash
from fund.services.tokens import issue_token, revoke_token
from tests.loans.api.conftest import session, token_client

SHAPE = {"status", "code", "detail", "fields"}


def test_without_credentials_the_api_answers_401_in_its_error_shape(loan):
    response = APIClient().get(f"/api/v1/loans/{loan.pk}/")
    assert response.status_code == 401
    assert set(response.json()) == SHAPE
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_path_or_an_id_too_large_is_the_same_json_404(staff, loan):
    client = session(staff["officer"])
    for path in ["/api/v1/nothing/", f"/api/v1/loans/{10**30}/", "/api/v2/loans/", "/api/v1/loans/999999/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_a_body_nested_too_deep_to_decode_is_a_400_in_the_error_shape(staff, loan, body):
    client = token_client(staff["officer"])
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    response = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="nested")
    assert response.status_code == 400
    assert set(response.json()) == SHAPE and response.json()["code"] == "parse_error"
    assert response.json()["detail"] == "The request's JSON is nested too deeply."
    assert not loan.repayments.exists()


def test_a_token_is_stored_hashed_and_its_key_works_until_revoked_or_expired(staff, loan):
    officer = staff["officer"]
    token, key = issue_token(actor=officer, user=officer, name="ngân hàng", days=1)
    assert ApiToken.objects.get(pk=token.pk).key_hash == key_hash(key) != key
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/v1/loans/{loan.pk}/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.get(f"/api/v1/loans/{loan.pk}/")
    assert expired.status_code == 401 and expired.json()["code"] == "authentication_failed"

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    revoke_token(actor=officer, token=token)
    assert client.get(f"/api/v1/loans/{loan.pk}/").status_code == 401


def test_a_token_of_an_inactive_user_is_refused(staff, loan):
    client = token_client(staff["officer"])
    staff["officer"].is_active = False
    staff["officer"].save()
    assert client.get(f"/api/v1/loans/{loan.pk}/").status_code == 401


def test_only_the_tokens_user_or_an_administrator_issues_or_revokes_it(staff, user_with_role):
    from django.core.exceptions import PermissionDenied, ValidationError

    officer, accountant = staff["officer"], staff["accountant"]
    with pytest.raises(PermissionDenied):
        issue_token(actor=accountant, user=officer, name="x", days=1)
    token, _key = issue_token(actor=officer, user=officer, name="x", days=1)
    with pytest.raises(PermissionDenied):
        revoke_token(actor=accountant, token=token)
    admin = user_with_role(is_superuser=True, is_staff=True)
    assert revoke_token(actor=admin, token=token).revoked_at is not None
    with pytest.raises(ValidationError) as refused:
        issue_token(actor=officer, user=officer, name=" ", days=400)
    assert set(refused.value.message_dict) == {"name", "days"}


def test_requests_beyond_the_users_rate_are_throttled(settings, staff, loan):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "3/min"}}
    officer, other = session(staff["officer"]), session(staff["accountant"])
    answers = [officer.get(f"/api/v1/loans/{loan.pk}/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    throttled = officer.get(f"/api/v1/loans/{loan.pk}/")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # Counted per user: another user is not held back.
    assert other.get(f"/api/v1/loans/{loan.pk}/").status_code == 200


def test_messages_come_in_the_language_the_request_asks_for(staff, loan):
    client = token_client(staff["officer"])
    body = {"value_date": "2030-01-01", "amount": "1000000", "channel": "cash"}
    answers = {
        language: client.post(
            f"/api/v1/loans/{loan.pk}/repayments/",
            body,
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"lang-{language}",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        for language in ("vi", "en")
    }
    assert answers["vi"]["Content-Language"] == "vi" and answers["en"]["Content-Language"] == "en"
    english = answers["en"].json()["fields"]["value_date"]
    vietnamese = answers["vi"].json()["fields"]["value_date"]
    assert english != vietnamese
    message = "A value date is at the latest the business date (%(date)s)."
    with translation.override("en"):
        assert english == [message % {"date": format_date(loan.contract.signed_on)}]
    with translation.override("vi"):
        assert vietnamese == [translation.gettext(message) % {"date": format_date(loan.contract.signed_on)}]


def test_the_schema_and_its_docs_need_a_login_a_token_may_read_the_schema(staff):
    assert APIClient().get("/api/schema/").status_code == 403
    response = token_client(staff["officer"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/loans/{id}/repayments/" in response.json()["paths"]


def test_the_cache_is_shared_by_the_sites_processes_where_it_runs_in_several():
    assert "Redis" in shared_cache("redis://localhost:6379/0", "")["BACKEND"]
    assert "Redis" in shared_cache("redis://localhost:6379/0", "postgres://x@h/db")["BACKEND"]
    assert shared_cache("", "postgres://x@h/db")["BACKEND"].endswith("DatabaseCache")
    assert shared_cache("", "")["BACKEND"].endswith("LocMemCache")


def test_throttle_counts_in_the_database_cache_are_seen_by_another_process(settings, staff, loan):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "2/min"}}
    in_the_database = {**shared_cache("", "postgres://site"), "KEY_PREFIX": "coopfund"}
    with override_settings(CACHES={"default": in_the_database}):
        call_command("createcachetable", verbosity=0)
        cache.clear()
        officer = session(staff["officer"])
        answers = [officer.get(f"/api/v1/loans/{loan.pk}/").status_code for _ in range(3)]
        # Another process opens its own cache on the same table and finds the two requests.
        elsewhere = DatabaseCache(in_the_database["LOCATION"], {"KEY_PREFIX": "coopfund"})
        counted = elsewhere.get(f"throttle_user_{staff['officer'].pk}")
    assert answers == [200, 200, 429]
    assert len(counted) == 2


def test_drfs_own_messages_come_in_vietnamese_when_the_request_asks_for_it(staff, loan):
    client = token_client(staff["officer"])
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    unreadable = client.post(
        url, "{", content_type="application/json", HTTP_IDEMPOTENCY_KEY="vi-json", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["detail"] == "Nội dung yêu cầu không phải JSON đọc được (dòng 1, cột 2)."
    body = {"amount": "1000000", "channel": "bitcoin", "reference": "x" * 101, "share": "một"}
    refused = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="vi-drf", HTTP_ACCEPT_LANGUAGE="vi")
    assert refused.json()["fields"] == {
        "value_date": ["Trường này là bắt buộc."],
        "channel": ["“bitcoin” không phải là một lựa chọn hợp lệ."],
        "reference": ["Trường này không được dài quá 100 ký tự."],
        "share": ["Cần một số nguyên hợp lệ."],
    }

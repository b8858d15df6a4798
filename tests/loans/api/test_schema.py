"""The published OpenAPI schema is what the API does (Fineract's users' standing complaint is a
spec that does not match, so clients break).

`manage.py spectacular --validate --fail-on-warn` runs in the test command; here every operation
of the schema is called, once with valid inputs in a working order (each must succeed, and every
operation must be walked), and with inputs schemathesis draws from the schema: no answer may be a
server error, and every answer (status, content type, body) must be one the schema declares.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from fund.services.tokens import issue_token
from loans.models import CloseRun
from tests.fund.factories import BorrowerFactory, HouseholdGroupFactory
from tests.loans import factories
from tests.loans.conftest import START

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CSRF = "c" * 32  # a browser's CSRF cookie and header, as a page would send them


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Schemathesis calls the site's WSGI handler itself, whose request signals would close the
    test's database connection (and its transaction) after each request; Django's own test
    client unhooks them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def loaded(schema: dict):
    api = schemathesis.openapi.from_dict(schema)
    api.app = application  # in-process WSGI, on the test's database
    return api


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/loans/{id}/repayments/" in (tmp_path / "schema.yaml").read_text()


class Caller:
    """Calls as a token (a machine) or as a person logged in (a session, with its CSRF token)."""

    def __init__(self, client_factory):
        self.make = client_factory

    @staticmethod
    def token(user) -> dict:
        _token, key = issue_token(actor=user, user=user, name="schema", days=1)
        return {"headers": {"Authorization": f"Token {key}"}}

    @staticmethod
    def session(user, client) -> dict:
        client.force_login(user)
        return {
            "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF},
            "headers": {"X-CSRFToken": CSRF},
        }


def test_every_operation_answers_as_its_schema_says_with_valid_inputs(staff, loan, bank, client):
    api = loaded(generated_schema())
    officer_token = Caller.token(staff["officer"])
    officer = Caller.session(staff["officer"], client)
    accountant = Caller.session(staff["accountant"], client.__class__())
    signed = factories.signed_loan(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        signed_on=START,
        number="HĐ-02/2026",
    )
    found: dict = {}

    def call(method, path, auth, *, status, path_parameters=None, **given):
        operation = api[path][method]
        case = operation.Case(path_parameters=path_parameters or {}, **given)
        extra = dict(auth)
        headers = {**extra.pop("headers"), "Accept-Language": "en", **(given.get("headers") or {})}
        response = case.call(headers=headers, **extra)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code == status, (method, path, response.text)
        walked.add((method.upper(), path))
        return response.json()

    walked: set = set()
    one = {"id": loan.pk}
    call("get", "/api/v1/borrowers/", officer_token, status=200)
    call(
        "get", "/api/v1/borrowers/{id}/", officer_token, status=200, path_parameters={"id": loan.borrower_id}
    )
    call("get", "/api/v1/products/", officer_token, status=200)
    call("get", "/api/v1/products/{id}/", officer_token, status=200, path_parameters={"id": loan.product_id})
    call("get", "/api/v1/loans/", officer_token, status=200, query={"status": "active"})
    call("get", "/api/v1/loans/{id}/", officer_token, status=200, path_parameters=one)
    call("get", "/api/v1/loans/{id}/schedule/", officer_token, status=200, path_parameters=one)
    call("get", "/api/v1/loans/{id}/statement/", officer_token, status=200, path_parameters=one)
    call(
        "get",
        "/api/v1/loans/{id}/payoff/",
        officer_token,
        status=200,
        path_parameters=one,
        query={"on": str(START)},
    )
    repayment = {"value_date": str(START), "amount": "1000000", "channel": "cash"}
    found["repayment"] = call(
        "post",
        "/api/v1/loans/{id}/repayments/",
        officer_token,
        status=201,
        path_parameters=one,
        body=repayment,
        headers={"Idempotency-Key": "walk-1"},
    )
    call("get", "/api/v1/loans/{id}/repayments/", officer_token, status=200, path_parameters=one)
    call(
        "post",
        "/api/v1/repayments/{id}/reverse/",
        accountant,
        status=200,
        path_parameters={"id": found["repayment"]["id"]},
        body={"reason": "Nhầm"},
    )
    tranche = call(
        "post",
        "/api/v1/loans/{id}/tranches/",
        officer,
        status=201,
        path_parameters={"id": signed.pk},
        body={"value_date": str(START), "amount": "10000000", "account": bank.code},
        headers={"Idempotency-Key": "walk-tranche-0"},
    )
    call("get", "/api/v1/loans/{id}/tranches/", officer, status=200, path_parameters={"id": signed.pk})
    # A tranche entered with a key, the same key and body again (the first tranche), then cancelled.
    second = {"value_date": str(START), "amount": "5000000", "account": bank.code}
    call(
        "post",
        "/api/v1/loans/{id}/tranches/",
        officer,
        status=201,
        path_parameters={"id": signed.pk},
        body=second,
        headers={"Idempotency-Key": "walk-tranche"},
    )
    again = call(
        "post",
        "/api/v1/loans/{id}/tranches/",
        officer,
        status=200,
        path_parameters={"id": signed.pk},
        body={"value_date": str(START), "amount": "5000000", "account": bank.code},
        headers={"Idempotency-Key": "walk-tranche"},
    )
    call(
        "post",
        "/api/v1/tranches/{id}/cancel/",
        accountant,
        status=200,
        path_parameters={"id": again["id"]},
        body={"reason": "Nhập nhầm"},
    )
    call(
        "post",
        "/api/v1/tranches/{id}/authorize/",
        accountant,
        status=200,
        path_parameters={"id": tranche["id"]},
    )
    application_body = {
        "borrower": BorrowerFactory().pk,
        "product": loan.product_id,
        "amount": "50000000",
        "term_months": 12,
        "purpose": "Mua máy gặt",
    }
    draft = call("post", "/api/v1/applications/", officer, status=201, body=application_body)
    # schemathesis names the file part after the field and the format its bytes carry (file.pdf).
    attach = {"document_type": "business_plan", "issued_on": str(START), "file": b"%PDF-1.4\n%%EOF\n"}
    call(
        "post",
        "/api/v1/applications/{id}/documents/",
        officer,
        status=201,
        path_parameters={"id": draft["id"]},
        body=attach,
        media_type="multipart/form-data",
    )
    call(
        "get",
        "/api/v1/applications/{id}/documents/",
        officer,
        status=200,
        path_parameters={"id": draft["id"]},
    )
    call(
        "post",
        "/api/v1/applications/{id}/submit/",
        officer,
        status=200,
        path_parameters={"id": draft["id"]},
        body={},
    )
    call(
        "post",
        "/api/v1/applications/{id}/withdraw/",
        officer,
        status=200,
        path_parameters={"id": draft["id"]},
        body={"reason": "Đổi kế hoạch"},
    )
    group = HouseholdGroupFactory()
    household = call(
        "post",
        "/api/v1/borrowers/{id}/households/",
        officer,
        status=201,
        path_parameters={"id": group.pk},
        body={"head_of_household": "Trần Văn Bình", "id_number": "034090001234", "address": "Thôn Đông"},
    )
    call(
        "patch",
        "/api/v1/households/{id}/",
        officer,
        status=200,
        path_parameters={"id": household["id"]},
        body={"phone": "0912345678"},
    )
    for report in ("aging", "arrears", "classification", "portfolio", "due", "trend", "recoveries"):
        call("get", f"/api/v1/reports/{report}/", officer_token, status=200, query={"as_of": str(START)})
    call("get", "/api/v1/reports/trial-balance/", accountant, status=200, query={"as_of": str(START)})
    run = CloseRun.objects.create(business_date=START, until=START, started_by=staff["accountant"])
    call("get", "/api/v1/close-runs/", accountant, status=200)
    call("get", "/api/v1/close-runs/{id}/", accountant, status=200, path_parameters={"id": run.pk})
    published = {
        (method.upper(), path) for path, item in generated_schema()["paths"].items() for method in item
    }
    assert walked == published


OPERATIONS = sorted((method, path) for path, item in generated_schema()["paths"].items() for method in item)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_drawn_inputs_never_get_a_server_error_nor_an_undeclared_answer(staff, loan, method, path):
    """Inputs drawn from the schema, with the fund and an active loan in the database, sent as the
    officer's token (what a token may not do must then be a declared 403)."""
    operation = loaded(generated_schema())[path][method]
    headers = {**Caller.token(staff["officer"])["headers"], "Accept-Language": "en"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers_as_declared(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        case.validate_response(response, checks=CHECKS)

    answers_as_declared()

"""The API's resources against the pages' rules: happy paths, roles, co-op scoping, idempotency,
validation field by field."""

from decimal import Decimal as D

import pytest

from fund import roles
from fund.models import Fund
from loans.models import Disbursement, Loan, LoanStatus, Repayment
from loans.selectors.position import loan_position
from tests.fund.factories import BorrowerFactory
from tests.loans import factories
from tests.loans.api.conftest import session, token_client
from tests.loans.conftest import START


def repayment_body(**given):
    return {"value_date": START.isoformat(), "amount": "1000000", "channel": "bank_transfer", **given}


def post_repayment(client, loan, body, key="thu-001"):
    return client.post(f"/api/v1/loans/{loan.pk}/repayments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


# --- reading -----------------------------------------------------------------------------------


def test_a_loan_reads_with_its_stored_balances_amounts_as_strings_dates_iso(staff, loan):
    body = token_client(staff["officer"]).get(f"/api/v1/loans/{loan.pk}/").json()
    assert body["reference"] == loan.reference and body["status"] == "active"
    assert body["amount"] == "120000000" and body["contract"]["amount"] == "120000000"
    assert body["contract"]["signed_on"] == START.isoformat()
    balances = body["balances"]
    assert balances["source"] == "stored"
    assert balances["principal_outstanding"] == "120000000"
    assert balances["days_past_due"] == 0
    assert balances["as_of"] == START.isoformat()
    assert body["debt_group"] == 1


def test_the_loan_list_filters_and_pages(staff, loan):
    client = session(staff["officer"])
    listed = client.get("/api/v1/loans/", {"status": "active"}).json()
    assert [row["id"] for row in listed["results"]] == [loan.pk]
    assert listed["results"][0]["balances"]["principal_outstanding"] == "120000000"
    assert client.get("/api/v1/loans/", {"status": "closed"}).json()["count"] == 0
    assert client.get("/api/v1/loans/", {"borrower": loan.borrower_id}).json()["count"] == 1
    refused = client.get("/api/v1/loans/", {"status": "nonsense", "due": "someday"})
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"status", "due"}


def test_schedule_statement_and_payoff_are_the_pages_figures(staff, loan):
    client = token_client(staff["officer"])
    later = START.replace(month=START.month + 2)
    Fund.objects.update(business_date=later)
    schedule = client.get(f"/api/v1/loans/{loan.pk}/schedule/").json()
    lines = schedule["sub_loans"][0]["lines"]
    assert sum(D(line["principal"]) for line in lines) == D(120_000_000)
    assert lines[0]["state"] == "overdue" and schedule["as_of"] == later.isoformat()

    statement = client.get(f"/api/v1/loans/{loan.pk}/statement/").json()
    assert statement["results"][0]["kind"] == "disbursement"
    assert statement["results"][0]["balance"] == "120000000"

    quote = client.get(f"/api/v1/loans/{loan.pk}/payoff/", {"on": later.isoformat()}).json()
    assert quote["payoff"] == str(loan_position(loan, as_of=later).payoff)
    assert quote["days_past_due"] > 0
    before = client.get(f"/api/v1/loans/{loan.pk}/payoff/", {"on": "2020-01-01"})
    assert before.status_code == 400 and "on" in before.json()["fields"]
    assert client.get(f"/api/v1/loans/{loan.pk}/payoff/", {"on": "9999-12-31"}).status_code == 400
    assert client.get(f"/api/v1/loans/{loan.pk}/payoff/", {"on": "31/12/2026"}).status_code == 400


def test_a_coop_user_sees_only_its_own_borrower(staff, loan, coop_of):
    own = session(coop_of(loan.borrower))
    other = session(coop_of(BorrowerFactory()))
    for path in ["", "schedule/", "statement/", "payoff/"]:
        assert own.get(f"/api/v1/loans/{loan.pk}/{path}").status_code == 200, path
        assert other.get(f"/api/v1/loans/{loan.pk}/{path}").status_code == 404, path
    assert other.get("/api/v1/loans/").json()["count"] == 0
    assert own.get("/api/v1/loans/").json()["count"] == 1
    assert other.get(f"/api/v1/borrowers/{loan.borrower_id}/").status_code == 404
    assert own.get(f"/api/v1/borrowers/{loan.borrower_id}/").json()["name"] == loan.borrower.name
    assert [b["id"] for b in other.get("/api/v1/borrowers/").json()["results"]] != [loan.borrower_id]
    # The fund's own records of the loan stay the fund's, as on the loan page.
    assert own.get(f"/api/v1/loans/{loan.pk}/repayments/").status_code == 403
    assert own.get(f"/api/v1/loans/{loan.pk}/tranches/").status_code == 403


def test_products_and_borrowers_read_for_staff(staff, loan):
    client = session(staff["appraiser"])
    products = client.get("/api/v1/products/").json()["results"]
    assert loan.product_id in [p["id"] for p in products]
    product = client.get(f"/api/v1/products/{loan.product_id}/").json()
    assert product["annual_rate"] == "0.12" and product["amount_min"].isdigit()
    borrowers = client.get("/api/v1/borrowers/", {"search": loan.borrower.name}).json()
    assert [b["id"] for b in borrowers["results"]] == [loan.borrower_id]
    assert client.get("/api/v1/borrowers/", {"type": "nonsense"}).status_code == 400


# --- repayments --------------------------------------------------------------------------------


def test_recording_a_repayment_with_a_token_is_idempotent_and_a_changed_body_conflicts(staff, loan):
    client = token_client(staff["officer"])
    first = post_repayment(client, loan, repayment_body())
    assert first.status_code == 201
    assert first.json()["amount"] == "1000000" and first.json()["account"] == "11211"
    again = post_repayment(client, loan, repayment_body())
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Repayment.objects.filter(loan=loan).count() == 1

    changed = post_repayment(client, loan, repayment_body(amount="2000000"))
    assert changed.status_code == 409 and changed.json()["code"] == "conflict"
    assert Repayment.objects.filter(loan=loan).count() == 1
    # Another key is another repayment.
    assert post_repayment(client, loan, repayment_body(), key="thu-002").status_code == 201
    assert Repayment.objects.filter(loan=loan).count() == 2


def test_a_repayment_is_refused_field_by_field_and_nothing_is_written(staff, loan):
    client = token_client(staff["officer"])
    parse = post_repayment(client, loan, repayment_body(amount="1.000.000", channel="pigeon", value_date="x"))
    assert parse.status_code == 400
    assert set(parse.json()["fields"]) == {"amount", "channel", "value_date"}
    service = post_repayment(client, loan, repayment_body(amount="0", reference="r" * 101))
    assert service.status_code == 400
    assert service.json()["fields"]["reference"]
    too_much = post_repayment(client, loan, repayment_body(amount="999000000"), key="k2")
    assert "To repay the loan in full" in too_much.json()["fields"]["amount"][0]
    no_key = client.post(f"/api/v1/loans/{loan.pk}/repayments/", repayment_body(), format="json")
    assert set(no_key.json()["fields"]) == {"Idempotency-Key"}
    unknown_account = post_repayment(client, loan, repayment_body(account="99999"), key="k3")
    assert set(unknown_account.json()["fields"]) == {"account"}
    assert not Repayment.objects.filter(loan=loan).exists()


@pytest.mark.parametrize("role", [roles.APPRAISER, roles.APPROVER])
def test_roles_without_the_right_cannot_record_a_repayment(user_with_role, loan, role):
    response = post_repayment(token_client(user_with_role(role)), loan, repayment_body())
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Your role does not allow this")
    assert not Repayment.objects.filter(loan=loan).exists()


def test_reversing_needs_an_accountant_logged_in_not_a_token(staff, loan):
    recorded = post_repayment(token_client(staff["officer"]), loan, repayment_body()).json()
    path = f"/api/v1/repayments/{recorded['id']}/reverse/"
    by_token = token_client(staff["accountant"]).post(path, {"reason": "Nhầm số tiền"}, format="json")
    assert by_token.status_code == 403 and "logged in" in by_token.json()["detail"]
    assert session(staff["officer"]).post(path, {"reason": "x"}, format="json").status_code == 403
    accountant = session(staff["accountant"])
    empty = accountant.post(path, {"reason": " "}, format="json")
    assert empty.status_code == 400 and set(empty.json()["fields"]) == {"reason"}
    done = accountant.post(path, {"reason": "Nhầm số tiền"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "reversed"
    assert Repayment.objects.get(pk=recorded["id"]).status == Repayment.Status.REVERSED


# --- tranches ----------------------------------------------------------------------------------


def test_a_tranche_is_entered_by_an_officer_and_authorized_by_another_person(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    body = {"value_date": START.isoformat(), "amount": "50000000", "account": "11211"}
    assert (
        token_client(staff["officer"])
        .post(f"/api/v1/loans/{loan.pk}/tranches/", body, format="json")
        .status_code
        == 403
    )
    officer = session(staff["officer"])
    too_much = officer.post(
        f"/api/v1/loans/{loan.pk}/tranches/", {**body, "amount": "999000000"}, format="json"
    )
    assert too_much.status_code == 400 and set(too_much.json()["fields"]) == {"amount"}
    entered = officer.post(f"/api/v1/loans/{loan.pk}/tranches/", body, format="json")
    assert entered.status_code == 201 and entered.json()["status"] == "pending"
    path = f"/api/v1/tranches/{entered.json()['id']}/authorize/"
    assert token_client(staff["accountant"]).post(path).status_code == 403
    assert officer.post(path).status_code == 403
    done = session(staff["accountant"]).post(path)
    assert done.status_code == 200 and done.json()["status"] == "authorized"
    assert Disbursement.objects.get(pk=entered.json()["id"]).status == Disbursement.Status.AUTHORIZED
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.ACTIVE


def test_a_tranche_naming_a_households_part_twice_is_refused(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    parts = [{"share": 1, "amount": "1000000"}, {"share": 1, "amount": "2000000"}]
    body = {"value_date": START.isoformat(), "amount": "3000000", "account": "11211", "share_amounts": parts}
    refused = session(staff["officer"]).post(f"/api/v1/loans/{loan.pk}/tranches/", body, format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"share_amounts"}
    assert not Disbursement.objects.exists()


# --- applications ------------------------------------------------------------------------------


def test_an_application_is_created_submitted_and_withdrawn(staff, fund, coop_of):
    borrower, product = BorrowerFactory(), factories.product()
    body = {
        "borrower": borrower.pk,
        "product": product.pk,
        "amount": "50000000",
        "term_months": 12,
        "purpose": "Mua máy gặt",
    }
    officer = session(staff["officer"])
    refused = officer.post("/api/v1/applications/", {**body, "amount": "5", "purpose": " "}, format="json")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"amount", "purpose"}
    assert (
        token_client(staff["officer"]).post("/api/v1/applications/", body, format="json").status_code == 403
    )

    created = officer.post("/api/v1/applications/", body, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    pk = created.json()["id"]
    submitted = officer.post(
        f"/api/v1/applications/{pk}/submit/", {"expected_status": "draft"}, format="json"
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    stale = officer.post(
        f"/api/v1/applications/{pk}/withdraw/", {"reason": "x", "expected_status": "draft"}, format="json"
    )
    assert stale.status_code == 400
    no_reason = officer.post(f"/api/v1/applications/{pk}/withdraw/", {"reason": ""}, format="json")
    assert set(no_reason.json()["fields"]) == {"reason"}
    withdrawn = officer.post(
        f"/api/v1/applications/{pk}/withdraw/", {"reason": "HTX đổi kế hoạch"}, format="json"
    )
    assert withdrawn.json()["status"] == "withdrawn"

    # A co-op applies for itself only: another co-op's borrower is not found.
    coop = session(coop_of(borrower))
    assert coop.post(
        "/api/v1/applications/", {**body, "borrower": BorrowerFactory().pk}, format="json"
    ).json()["fields"] == {"borrower": ["Choose a borrower you may see."]}
    own = coop.post("/api/v1/applications/", body, format="json")
    assert own.status_code == 201 and own.json()["borrower"]["id"] == borrower.pk
    assert session(coop_of(BorrowerFactory())).post(f"/api/v1/applications/{pk}/submit/").status_code == 404


def test_four_eyes_whoever_entered_a_tranche_cannot_authorize_it(staff, user_with_role):
    both = user_with_role(roles.FUND_OFFICER, roles.ACCOUNTANT)
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    client = session(both)
    body = {"value_date": START.isoformat(), "amount": "50000000", "account": "11211"}
    entered = client.post(f"/api/v1/loans/{loan.pk}/tranches/", body, format="json").json()
    refused = client.post(f"/api/v1/tranches/{entered['id']}/authorize/")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "Whoever entered a tranche cannot authorize it: ask another accountant."
    )
    assert Disbursement.objects.get(pk=entered["id"]).status == Disbursement.Status.PENDING

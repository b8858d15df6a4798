"""Households, a tranche entered with an Idempotency-Key and cancelled, and the loan list's
balances dated, through the API."""

import datetime as dt

from fund.models import HouseholdMember
from loans.models import Disbursement, LoanBalance
from tests.fund.factories import BorrowerFactory, HouseholdGroupFactory
from tests.loans import factories
from tests.loans.api.conftest import session, token_client
from tests.loans.conftest import START, move_to


def tranche_body(bank, **given):
    return {"value_date": START.isoformat(), "amount": "10000000", "account": bank.code, **given}


def post_tranche(client, loan, body, **headers):
    return client.post(f"/api/v1/loans/{loan.pk}/tranches/", body, format="json", **headers)


def signed(staff):
    return factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )


def test_a_tranche_sent_again_with_its_key_is_the_first_and_another_body_conflicts(staff, bank):
    loan, officer = signed(staff), session(staff["officer"])
    key = {"HTTP_IDEMPOTENCY_KEY": "gn-001"}
    first = post_tranche(officer, loan, tranche_body(bank), **key)
    assert first.status_code == 201
    again = post_tranche(officer, loan, tranche_body(bank), **key)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = post_tranche(officer, loan, tranche_body(bank, amount="20000000"), **key)
    assert changed.status_code == 409 and changed.json()["code"] == "conflict"
    assert Disbursement.objects.filter(loan=loan).count() == 1
    assert post_tranche(officer, loan, tranche_body(bank), HTTP_IDEMPOTENCY_KEY="gn-002").status_code == 201
    assert post_tranche(officer, loan, tranche_body(bank), HTTP_IDEMPOTENCY_KEY="bad key!").status_code == 400
    assert Disbursement.objects.filter(loan=loan).count() == 2


def test_cancelling_a_tranche_needs_a_person_and_a_reason_as_on_the_page(staff, bank, coop_of):
    loan = signed(staff)
    tranche = post_tranche(session(staff["officer"]), loan, tranche_body(bank)).json()
    path = f"/api/v1/tranches/{tranche['id']}/cancel/"
    assert token_client(staff["accountant"]).post(path, {"reason": "Nhầm"}, format="json").status_code == 403
    assert session(coop_of(loan.borrower)).post(path, {"reason": "Nhầm"}, format="json").status_code == 403
    accountant = session(staff["accountant"])
    no_reason = accountant.post(path, {"reason": " "}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["fields"] == {
        "reason": ["Say why the tranche is cancelled."]
    }
    assert (
        accountant.post("/api/v1/tranches/999999/cancel/", {"reason": "x"}, format="json").status_code == 404
    )
    done = accountant.post(path, {"reason": "Nhập nhầm số tiền"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    stored = Disbursement.objects.get(pk=tranche["id"])
    assert stored.cancel_reason == "Nhập nhầm số tiền" and stored.decided_by == staff["accountant"]
    # Cancelled once: the page's transition refuses a second time.
    assert accountant.post(path, {"reason": "Lại"}, format="json").status_code == 400


def test_households_are_added_and_changed_as_on_the_household_page(staff, fund, coop_of):
    group, officer = HouseholdGroupFactory(), session(staff["officer"])
    path = f"/api/v1/borrowers/{group.pk}/households/"
    body = {"head_of_household": "Trần Văn Bình", "id_number": "034090001234", "address": "Thôn Đông"}
    added = officer.post(path, body, format="json")
    assert added.status_code == 201 and added.json()["head_of_household"] == "Trần Văn Bình"
    member = HouseholdMember.objects.get(pk=added.json()["id"])
    assert member.borrower == group and member.id_number == "034090001234"
    twice = officer.post(path, body, format="json")
    assert twice.status_code == 400 and "non_field_errors" in twice.json()["fields"]
    bad = officer.post(path, {**body, "id_number": "12", "phone": "abc"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"id_number", "phone"}
    # Only a household group has households; a token may not write them.
    assert (
        officer.post(f"/api/v1/borrowers/{BorrowerFactory().pk}/households/", body, format="json").status_code
        == 404
    )
    assert (
        token_client(staff["officer"])
        .post(path, {**body, "id_number": "034090009999"}, format="json")
        .status_code
        == 403
    )

    changed = officer.patch(
        f"/api/v1/households/{member.pk}/",
        {"left_on": "2026-01-01", "joined_on": "2026-02-01"},
        format="json",
    )
    assert changed.status_code == 400 and "left_on" in changed.json()["fields"]
    changed = officer.patch(f"/api/v1/households/{member.pk}/", {"address": "Thôn Tây"}, format="json")
    assert changed.status_code == 200 and changed.json()["address"] == "Thôn Tây"
    member.refresh_from_db()
    assert member.address == "Thôn Tây" and member.head_of_household == "Trần Văn Bình"
    # A co-op user reaches only its own group's households.
    other = session(coop_of(BorrowerFactory()))
    assert other.patch(f"/api/v1/households/{member.pk}/", {"address": "x"}, format="json").status_code in (
        403,
        404,
    )
    assert HouseholdMember.objects.get(pk=member.pk).address == "Thôn Tây"


def test_the_loan_list_says_which_day_its_stored_figures_are_for(staff, loan):
    row = LoanBalance.objects.get(loan=loan, valid_to__isnull=True)
    later = row.next_due_date + dt.timedelta(days=3)
    move_to(later)  # an installment has fallen due; no close of day yet
    client = token_client(staff["officer"])
    listed = client.get("/api/v1/loans/").json()["results"][0]["balances"]
    assert listed["as_of"] == (row.next_due_date - dt.timedelta(days=1)).isoformat()
    assert listed["source"] == "stored" and listed["principal_outstanding"] == "120000000"
    own = client.get(f"/api/v1/loans/{loan.pk}/").json()["balances"]
    assert own["as_of"] == later.isoformat() and own["source"] == "replayed"
    move_to(row.next_due_date - dt.timedelta(days=1))
    assert client.get("/api/v1/loans/").json()["results"][0]["balances"]["as_of"] == listed["as_of"]

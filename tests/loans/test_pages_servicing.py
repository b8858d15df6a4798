"""The officers' and accountants' pages: contract, tranches, repayments, reversals and imports.

Each page is checked for who may use it, what it does through its service, and that a refusal
comes back on the page (field by field, or as a message) with nothing changed.
"""

import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from common.dates import format_date
from common.money import format_vnd
from fund import roles
from ledger.models import JournalEntry
from loans.models import Disbursement, Loan, LoanContract, LoanStatus, Repayment
from loans.services.origination.contracts import ContractTerms, sign_contract
from loans.services.servicing.disbursements import entry_to_authorize, record_disbursement
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.fund.factories import BorrowerFactory, HouseholdGroupFactory, HouseholdMemberFactory
from tests.loans import factories
from tests.loans.conftest import ROW1, ROW2, START, move_to, repay

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def approved(staff):
    return factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )


@pytest.fixture
def signed(staff):
    return factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )


def group_loan_of_two(staff, make, **kwargs):
    """A household group's loan of 50 million made by `make` (a loans factory): 20 million to
    its first household, 30 to its second. Returns the loan and the two households."""
    group = HouseholdGroupFactory()
    first, second = HouseholdMemberFactory.create_batch(2, borrower=group)
    loan = make(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        borrower=group,
        amount=D(50_000_000),
        shares=[(first, D(20_000_000)), (second, D(30_000_000))],
        **kwargs,
    )
    return loan, first, second


def contract_data(**changes):
    data = {
        "number": "HĐ-07/2026",
        "signed_on": "2026-01-15",
        "amount": "120.000.000",
        "term_months": "12",
        "annual_rate": "",
        "grace_months": "0",
        "first_due_date": "",
    }
    return data | changes


# --- the contract -------------------------------------------------------------------------


def test_the_contract_form_starts_from_what_was_approved(client, staff, approved):
    page = as_user(client, staff["officer"]).get(reverse("loans:contract_sign", args=[approved.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["amount"].initial == D(120_000_000)
    assert form["term_months"].initial == 12
    assert form["signed_on"].initial == START  # the business date


def test_an_officer_records_the_contract(client, staff, approved):
    response = as_user(client, staff["officer"]).post(
        reverse("loans:contract_sign", args=[approved.pk]), contract_data(annual_rate="11,5")
    )
    assert response.status_code == 302
    contract = LoanContract.objects.get(loan=approved)
    assert contract.number == "HĐ-07/2026" and contract.annual_rate == D("0.115")
    assert contract.signed_by == staff["officer"]


def test_a_refused_contract_comes_back_on_the_form(client, staff, approved):
    response = as_user(client, staff["officer"]).post(
        reverse("loans:contract_sign", args=[approved.pk]),
        contract_data(amount="150.000.000", signed_on="2026-02-01"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "more than the 120,000,000" in " ".join(errors["amount"])
    assert "after the business date" in " ".join(errors["signed_on"])
    assert not LoanContract.objects.exists()


def test_a_group_contract_gives_each_household_its_approved_share_by_default(client, staff):
    loan, first, second = group_loan_of_two(staff, factories.approved_loan)
    client = as_user(client, staff["officer"])
    form = client.get(reverse("loans:contract_sign", args=[loan.pk])).context["form"]
    data = {**contract_data(amount="50.000.000"), **{f.html_name: f.value() for f in form.share_fields()}}
    assert sorted(f.initial for f in form.share_fields()) == [D(20_000_000), D(30_000_000)]
    assert client.post(reverse("loans:contract_sign", args=[loan.pk]), data).status_code == 302
    amounts = dict(loan.member_shares.values_list("member", "contract_amount"))
    assert amounts == {first.pk: D(20_000_000), second.pk: D(30_000_000)}
    # Shares that do not add up are refused, and said so.
    share = form.share_fields()[0].html_name
    response = client.post(reverse("loans:contract_sign", args=[loan.pk]), {**data, share: "1.000.000"})
    assert response.status_code == 400
    assert "add up to" in response.content.decode()


def test_a_household_amount_too_large_to_store_is_refused_on_the_contract_form(client, staff):
    loan, first, second = group_loan_of_two(staff, factories.approved_loan)
    one, other = loan.member_shares.order_by("pk")
    data = contract_data(amount="50.000.000") | {f"share_{one.pk}": "9" * 40, f"share_{other.pk}": "0"}
    response = as_user(client, staff["officer"]).post(reverse("loans:contract_sign", args=[loan.pk]), data)
    assert response.status_code == 400
    assert "An amount is at most" in " ".join(response.context["form"].errors[f"share_{one.pk}"])
    assert not LoanContract.objects.exists()
    # The service refuses it too, for a caller that has no form.
    terms = ContractTerms(
        number="HĐ-07/2026",
        signed_on=dt.date(2026, 1, 15),
        amount=D(50_000_000),
        term_months=12,
        share_amounts={one.pk: D("9" * 40), other.pk: D(0)},
    )
    with pytest.raises(ValidationError, match="more than the 20,000,000"):
        sign_contract(actor=staff["officer"], loan=loan, terms=terms)
    assert not LoanContract.objects.exists()


@pytest.mark.parametrize("role", ["appraiser", "accountant", "approver"])
def test_only_officers_record_contracts(client, staff, approved, role):
    url = reverse("loans:contract_sign", args=[approved.pk])
    assert as_user(client, staff[role]).get(url).status_code == 403


def test_a_coop_user_cannot_reach_the_staff_pages_of_its_loan_nor_another(client, loan, user_with_role):
    own = as_user(client, user_with_role(roles.COOP_USER, borrower=loan.borrower))
    for name in ("loans:contract_sign", "loans:disbursement_new", "loans:repayment_new"):
        assert own.get(reverse(name, args=[loan.pk])).status_code == 403
    stranger = as_user(client, user_with_role(roles.COOP_USER, borrower=BorrowerFactory()))
    for name in ("loans:contract_sign", "loans:disbursement_new", "loans:repayment_new"):
        assert stranger.get(reverse(name, args=[loan.pk])).status_code == 404
    for name in ("loans:tranches", "loans:repayment_import", "loans:import_template"):
        assert own.get(reverse(name)).status_code == 403


# --- tranches -----------------------------------------------------------------------------


def tranche_data(bank, **changes):
    """What a newly shown tranche form sends (its own key)."""
    data = {"value_date": "2026-01-15", "amount": "50.000.000", "account": bank.pk, "memo": ""}
    return data | {"key": uuid.uuid4().hex} | changes


def test_the_tranche_form_offers_what_is_left_on_the_business_date(client, staff, signed):
    form = (
        as_user(client, staff["officer"])
        .get(reverse("loans:disbursement_new", args=[signed.pk]))
        .context["form"]
    )
    assert form["amount"].initial == D(120_000_000)
    assert form["value_date"].initial == START
    assert {a.code for a in form.fields["account"].queryset} == {"1111", "11211", "11212"}


def test_an_officer_enters_a_tranche_for_authorization(client, staff, signed, bank):
    response = as_user(client, staff["officer"]).post(
        reverse("loans:disbursement_new", args=[signed.pk]), tranche_data(bank)
    )
    assert response.status_code == 302
    tranche = Disbursement.objects.get()
    assert (tranche.status, tranche.amount.amount, tranche.recorded_by) == (
        Disbursement.Status.PENDING,
        D(50_000_000),
        staff["officer"],
    )


def test_the_tranche_form_sent_twice_enters_one_tranche(client, staff, signed, bank):
    client = as_user(client, staff["officer"])
    url = reverse("loans:disbursement_new", args=[signed.pk])
    data = tranche_data(bank, key=client.get(url).context["form"]["key"].value())
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Disbursement.objects.count() == 1
    # A new form is a new tranche, even for the same amount.
    assert client.post(url, tranche_data(bank)).status_code == 302
    assert Disbursement.objects.count() == 2


def test_a_refused_tranche_comes_back_on_the_form(client, staff, signed, bank):
    response = as_user(client, staff["officer"]).post(
        reverse("loans:disbursement_new", args=[signed.pk]),
        tranche_data(bank, value_date="2026-01-20", amount="130.000.000"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "business date" in " ".join(errors["value_date"])
    assert "left to disburse" in " ".join(errors["amount"])
    assert not Disbursement.objects.exists()


def test_a_group_tranche_left_unsplit_is_split_in_proportion(client, staff, bank):
    loan, first, second = group_loan_of_two(staff, factories.signed_loan, signed_on=START)
    response = as_user(client, staff["officer"]).post(
        reverse("loans:disbursement_new", args=[loan.pk]), tranche_data(bank, amount="10.000.000")
    )
    assert response.status_code == 302
    parts = dict(Disbursement.objects.get().shares.values_list("share__member", "amount"))
    assert parts == {first.pk: D(4_000_000), second.pk: D(6_000_000)}


def test_a_negative_household_part_is_refused_as_negative(client, staff, bank):
    loan, first, second = group_loan_of_two(staff, factories.signed_loan, signed_on=START)
    one, other = loan.member_shares.order_by("pk")
    data = tranche_data(bank, amount="10.000.000") | {
        f"share_{one.pk}": "-5",
        f"share_{other.pk}": "10.000.005",
    }
    response = as_user(client, staff["officer"]).post(reverse("loans:disbursement_new", args=[loan.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Households' parts: A household's part cannot be negative."
    ]
    assert not Disbursement.objects.exists()


@pytest.fixture
def pending(staff, signed, bank):
    return record_disbursement(
        actor=staff["officer"], loan=signed, value_date=START, amount=D(120_000_000), account=bank
    )


def test_accountants_see_the_tranches_waiting_and_authorize_them(client, staff, pending):
    client = as_user(client, staff["accountant"])
    page = client.get(reverse("loans:tranches")).content.decode()
    assert pending.loan.reference in page and "120,000,000" in page
    response = client.post(
        reverse("loans:tranche_authorize", args=[pending.pk]), {"confirm": "1"}, follow=True
    )
    assert "authorized and posted" in response.content.decode()
    assert Disbursement.objects.get().status == Disbursement.Status.AUTHORIZED
    assert Loan.objects.get(pk=pending.loan_id).status == LoanStatus.ACTIVE
    assert pending.loan.reference not in client.get(reverse("loans:tranches")).content.decode()


def test_authorizing_shows_the_entry_it_will_post_and_posts_only_when_confirmed(client, staff, pending):
    client = as_user(client, staff["accountant"])
    url = reverse("loans:tranche_authorize", args=[pending.pk])
    expected = entry_to_authorize(pending)
    for response in (client.get(url), client.post(url)):  # the list's button, or a form without confirm
        assert response.status_code == 200
        shown = [(line.account, line.debit, line.credit) for line, _name in response.context["lines"]]
        assert shown == [(line.account, line.debit, line.credit) for line in expected.lines]
        page = response.content.decode()
        assert all(line.account in page for line in expected.lines) and "120,000,000" in page
    assert Disbursement.objects.get().status == Disbursement.Status.PENDING
    assert not JournalEntry.objects.filter(source_kind="disbursement").exists()

    client.post(url, {"confirm": "1"})
    assert Disbursement.objects.get().status == Disbursement.Status.AUTHORIZED
    posted = JournalEntry.objects.get(source_kind="disbursement").lines.select_related("account")
    assert sorted((line.account.code, line.debit.amount, line.credit.amount) for line in posted) == sorted(
        (line.account, line.debit, line.credit) for line in expected.lines
    )


def test_four_eyes_refusal_shows_as_a_message(client, staff, signed, bank, user_with_role):
    both = user_with_role(roles.FUND_OFFICER, roles.ACCOUNTANT)
    tranche = record_disbursement(
        actor=both, loan=signed, value_date=START, amount=D(1_000_000), account=bank
    )
    response = as_user(client, both).post(
        reverse("loans:tranche_authorize", args=[tranche.pk]), {"confirm": "1"}, follow=True
    )
    assert response.status_code == 200
    assert "Whoever entered a tranche cannot authorize it" in response.content.decode()
    assert Disbursement.objects.get().status == Disbursement.Status.PENDING


def test_a_tranche_is_cancelled_with_a_reason_only(client, staff, pending):
    client = as_user(client, staff["officer"])
    response = client.post(reverse("loans:tranche_cancel", args=[pending.pk]), {"reason": " "}, follow=True)
    assert "Say why the tranche is cancelled." in response.content.decode()
    assert Disbursement.objects.get().status == Disbursement.Status.PENDING
    client.post(reverse("loans:tranche_cancel", args=[pending.pk]), {"reason": "Sai số tài khoản"})
    tranche = Disbursement.objects.get()
    assert (tranche.status, tranche.cancel_reason) == (Disbursement.Status.CANCELLED, "Sai số tài khoản")


def test_an_accountant_cancels_a_tranche_with_a_reason(client, staff, pending):
    as_user(client, staff["accountant"]).post(
        reverse("loans:tranche_cancel", args=[pending.pk]), {"reason": "Hồ sơ giải ngân chưa đủ"}
    )
    assert Disbursement.objects.get().status == Disbursement.Status.CANCELLED


def test_only_accountants_authorize(client, staff, pending):
    assert (
        as_user(client, staff["officer"])
        .post(reverse("loans:tranche_authorize", args=[pending.pk]))
        .status_code
        == 403
    )
    assert as_user(client, staff["appraiser"]).get(reverse("loans:tranches")).status_code == 403


# --- repayments ---------------------------------------------------------------------------


def repayment_data(form, **changes):
    data = {
        "value_date": "2026-02-15",
        "amount": f"{ROW1:,}".replace(",", "."),
        "channel": Repayment.Channel.BANK_TRANSFER,
        "reference": "UNC 0042",
        "account": "",
        "prepayment_mode": Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
        "key": form["key"].value(),
    }
    return data | changes


@pytest.fixture
def on_feb_15(loan):
    move_to(dt.date(2026, 2, 15))
    return loan


def test_the_repayment_form_shows_what_is_owed_on_the_date(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    page = client.get(reverse("loans:repayment_new", args=[on_feb_15.pk])).content.decode()
    assert (
        f"Payoff on {format_date(dt.date(2026, 2, 15))}" in page and "11,223,014" in page
    )  # row 1 falls due today
    later = client.get(reverse("loans:repayment_new", args=[on_feb_15.pk]), {"on": "2026-03-15"})
    assert later.context["form"]["value_date"].initial == dt.date(2026, 3, 15)
    # On 15/03: row 1 with 28 days of late interest (10.000.000 × 18 % × 28/365 = 138.082) and of
    # interest on its interest (1.223.014 × 10 % × 28/365 = 9.382), and row 2 due that day.
    assert f"{ROW1 + D(138_082) + D(9_382) + ROW2:,}" in later.content.decode()


def test_an_officer_records_a_repayment_and_sending_the_form_twice_posts_once(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    data = repayment_data(client.get(url).context["form"])
    first = client.post(url, data)
    assert first.status_code == 302 and first.url == reverse("loans:loan_detail", args=[on_feb_15.pk])
    again = client.post(url, data)
    assert again.status_code == 302
    repayment = Repayment.objects.get()
    assert repayment.amount.amount == ROW1 and repayment.account.code == "11211"  # the channel's usual
    assert on_feb_15.transactions.filter(kind="repayment").count() == 1
    # A new form is a new repayment, even for the same amount.
    other = repayment_data(client.get(url).context["form"], reference="UNC 0043", amount="1.000.000")
    assert client.post(url, other).status_code == 302
    assert Repayment.objects.count() == 2


def test_a_repayment_above_the_debt_comes_back_with_the_payoff(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    response = client.post(url, repayment_data(client.get(url).context["form"], amount="500.000.000"))
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["amount"])
    assert "pay exactly" in message
    assert not Repayment.objects.exists()


def test_bad_input_is_shown_field_by_field(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    data = repayment_data(client.get(url).context["form"], amount="1.234,5", value_date="2026-03-01")
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "whole number of đồng" in " ".join(errors["amount"])
    data["amount"] = "1.000.000"
    response = client.post(url, data)
    assert "business date" in " ".join(response.context["form"].errors["value_date"])
    assert not Repayment.objects.exists()


def test_an_amount_too_large_to_store_is_refused_on_the_form(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    response = client.post(url, repayment_data(client.get(url).context["form"], amount="9" * 19))
    assert response.status_code == 400
    assert "An amount is at most" in " ".join(response.context["form"].errors["amount"])
    assert not Repayment.objects.exists()
    # The service refuses it too, for a caller that has no form.
    entry = RepaymentInput(
        value_date=dt.date(2026, 2, 15), amount=D("9" * 19), channel=Repayment.Channel.BANK_TRANSFER
    )
    with pytest.raises(ValidationError, match="more than the whole debt"):
        record_repayment(actor=staff["officer"], loan=on_feb_15, entry=entry)
    assert not Repayment.objects.exists()


def test_the_prepayment_mode_the_officer_chooses_is_used(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    amount = f"{ROW1 + D(20_000_000):,}".replace(",", ".")
    data = repayment_data(client.get(url).context["form"], amount=amount, prepayment_mode="shorten_term")
    assert client.post(url, data).status_code == 302
    assert Repayment.objects.get().prepayment_mode == "shorten_term"
    latest = on_feb_15.schedule_versions.order_by("-number").first()
    assert latest.rows.filter(kind="scheduled").count() == 1 + 9  # row 1, then two fewer rows


def test_paying_the_payoff_closes_the_loan_and_says_so(client, staff, on_feb_15):
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[on_feb_15.pk])
    payoff = client.get(url).context["position"].payoff
    data = repayment_data(client.get(url).context["form"], amount=str(payoff))
    response = client.post(url, data, follow=True)
    assert "repaid in full and closed" in response.content.decode()
    assert Loan.objects.get(pk=on_feb_15.pk).status == LoanStatus.CLOSED


def test_a_group_repayment_names_its_household(client, staff, bank):
    loan, first, second = group_loan_of_two(
        staff, factories.active_loan, accountant=staff["accountant"], on=START, account=bank
    )
    move_to(dt.date(2026, 2, 15))
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_new", args=[loan.pk])
    form = client.get(url).context["form"]
    response = client.post(url, repayment_data(form, amount="1.000.000"))
    assert response.status_code == 400 and "share" in response.context["form"].errors
    share = loan.member_shares.get(member=second)
    assert client.post(url, repayment_data(form, amount="1.000.000", share=share.pk)).status_code == 302
    assert Repayment.objects.get().share == share


# --- reversals ----------------------------------------------------------------------------


@pytest.fixture
def repaid(loan, staff):
    return repay(loan, staff, dt.date(2026, 2, 15), ROW1)


def test_an_accountant_reverses_a_repayment_after_seeing_its_entry(client, staff, repaid):
    client = as_user(client, staff["accountant"])
    url = reverse("loans:repayment_reverse", args=[repaid.pk])
    original = repaid.transactions.get().journal_entry
    assert client.get(url).status_code == 200
    posted = JournalEntry.objects.count()
    shown = client.post(url, {"reason": "Ngân hàng trả lại lệnh chuyển"})
    html = shown.content.decode()
    assert shown.status_code == 200 and "Reverse the repayment and post" in html
    assert "No later repayment" in html and shown.context["complete"] and not shown.context["later"]
    entry = shown.context["entry"]
    mirrored = {
        (code, credit, debit)
        for code, debit, credit in original.lines.values_list("account__code", "debit", "credit")
    }
    assert {(line.account, line.debit, line.credit) for line in entry.lines} == mirrored
    for code, debit, credit in mirrored:
        assert code in html and format_vnd(debit or credit) in html
    # The preview posts and changes nothing.
    assert JournalEntry.objects.count() == posted
    assert Repayment.objects.get().status == Repayment.Status.POSTED
    last = JournalEntry.objects.latest("pk").pk
    done = client.post(url, {"reason": "Ngân hàng trả lại lệnh chuyển", "confirm": "1"})
    assert done.status_code == 302
    repayment = Repayment.objects.get()
    assert (repayment.status, repayment.reversed_by) == (Repayment.Status.REVERSED, staff["accountant"])
    (reversal,) = JournalEntry.objects.filter(pk__gt=last)  # what the page showed, and nothing else
    assert reversal.reverses == original
    assert (reversal.value_date, reversal.memo) == (entry.value_date, entry.memo)
    lines = reversal.lines.order_by("pk").values_list("account__code", "debit", "credit")
    assert list(lines) == [(line.account, line.debit, line.credit) for line in entry.lines]
    # Reversing again is refused on the form, not with a 500.
    again = client.post(url, {"reason": "Lần nữa"})
    assert again.status_code == 400 and "already reversed" in again.content.decode()


def test_reversing_a_repayment_before_a_later_one_posts_the_entry_shown_then_allocates_again(
    client, staff, loan, repaid
):
    later = repay(loan, staff, dt.date(2026, 3, 15), ROW1)
    client = as_user(client, staff["accountant"])
    url = reverse("loans:repayment_reverse", args=[repaid.pk])
    shown = client.post(url, {"reason": "Nhập nhầm"})
    html = shown.content.decode()
    assert "posted anew" in html and shown.context["complete"]
    # The reversal's entry, then the later repayment's entry reversed and posted anew.
    entries = [shown.context["entry"], *(draft for draft, _lines in shown.context["later"])]
    assert len(entries) == 3
    for draft in entries:
        assert draft.memo in html
    last = JournalEntry.objects.latest("pk").pk
    assert client.post(url, {"reason": "Nhập nhầm", "confirm": "1"}).status_code == 302
    posted = JournalEntry.objects.filter(pk__gt=last).order_by("pk")
    assert posted[0].reverses == repaid.transactions.get(kind="repayment").journal_entry
    assert [
        (
            entry.value_date,
            entry.memo,
            list(entry.lines.order_by("pk").values_list("account__code", "debit", "credit")),
        )
        for entry in posted
    ] == [
        (draft.value_date, draft.memo, [(line.account, line.debit, line.credit) for line in draft.lines])
        for draft in entries
    ]
    assert later.transactions.filter(kind="repayment").count() == 2  # allocated again, posted anew


@pytest.mark.parametrize("reason", ["", "   ", "x" * 100_000])
def test_a_repayment_reversal_without_a_fit_reason_says_so_on_its_field(client, staff, repaid, reason):
    client = as_user(client, staff["accountant"])
    url = reverse("loans:repayment_reverse", args=[repaid.pk])
    posted = JournalEntry.objects.count()
    for confirmed in ({}, {"confirm": "1"}):
        response = client.post(url, {"reason": reason, **confirmed})
        assert response.status_code == 400 and response.context["form"].errors["reason"]
        assert "entry" not in response.context
    assert JournalEntry.objects.count() == posted
    assert Repayment.objects.get().status == Repayment.Status.POSTED


def test_officers_do_not_reverse(client, staff, repaid):
    client, url = as_user(client, staff["officer"]), reverse("loans:repayment_reverse", args=[repaid.pk])
    assert client.get(url).status_code == 403
    for confirmed in ({}, {"confirm": "1"}):
        assert client.post(url, {"reason": "Trùng", **confirmed}).status_code == 403
    assert Repayment.objects.get().status == Repayment.Status.POSTED


# --- imports ------------------------------------------------------------------------------


def workbook_file(*rows, name="thang2.xlsx"):
    workbook = Workbook()
    workbook.active.append(["Số hợp đồng", "Ngày trả", "Số tiền", "Hình thức", "Số chứng từ"])
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_the_import_page_posts_a_good_file_and_skips_it_the_second_time(client, staff, loan, upload):
    move_to(dt.date(2026, 3, 20))
    client = as_user(client, staff["officer"])
    url = reverse("loans:repayment_import")
    rows = ([loan.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],)
    page = upload(client, url, {"file": workbook_file(*rows)}).content.decode()
    assert "1 repayment posted." in page and "UNC 1" in page
    assert Repayment.objects.count() == 1
    page = upload(client, url, {"file": workbook_file(*rows)}).content.decode()
    assert "Nothing new" in page
    assert Repayment.objects.count() == 1


def test_a_bad_file_says_which_rows_are_wrong_and_posts_nothing(client, staff, loan, upload):
    move_to(dt.date(2026, 3, 20))
    client = as_user(client, staff["officer"])
    file = workbook_file(
        [loan.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        ["HĐ-KHÔNG-CÓ", dt.date(2026, 2, 16), 1000, "Chuyển khoản", "UNC 2"],
    )
    response = upload(client, reverse("loans:repayment_import"), {"file": file})
    assert response.context["job"].state == "failed"
    page = response.content.decode()
    assert "Nothing was imported" in page and "No loan has this contract number." in page
    assert [(e["row"], e["column"]) for e in response.context["job"].errors] == [(3, "Số hợp đồng")]
    assert not Repayment.objects.exists()


def test_cells_the_repayment_cannot_hold_are_refused_by_row_and_column(client, staff, loan, upload):
    move_to(dt.date(2026, 3, 20))
    file = workbook_file(
        [loan.contract.number, dt.date(2026, 2, 15), 10**19, "Chuyển khoản", "UNC 1"],
        [loan.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "U" * 101],
    )
    response = upload(as_user(client, staff["officer"]), reverse("loans:repayment_import"), {"file": file})
    assert response.context["job"].state == "failed"
    assert [(e["row"], e["column"]) for e in response.context["job"].errors] == [
        (2, "Số tiền"),
        (3, "Số chứng từ"),
    ]
    assert not Repayment.objects.exists()


def test_an_import_file_above_the_size_limit_is_refused_unread(client, staff, loan, settings):
    settings.IMPORT_MAX_BYTES = 1024
    file = workbook_file([loan.contract.number, dt.date(2026, 1, 15), int(ROW1), "Chuyển khoản", "UNC 1"])
    response = as_user(client, staff["officer"]).post(reverse("loans:repayment_import"), {"file": file})
    assert response.status_code == 400
    assert "an import takes at most 1 KB" in " ".join(response.context["form"].errors["file"])
    assert not Repayment.objects.exists()


def test_the_import_report_reads_the_posted_rows_loans_at_once(client, staff, loan, upload):
    move_to(dt.date(2026, 3, 20))
    client = as_user(client, staff["officer"])

    def contract_reads(rows: int) -> int:
        number, day = loan.contract.number, dt.date(2026, 2, 15)
        file = workbook_file(*[[number, day, 100_000, "Tiền mặt", f"PT {rows}-{n}"] for n in range(rows)])
        with CaptureQueriesContext(connection) as queries:
            assert upload(client, reverse("loans:repayment_import"), {"file": file}).status_code == 200
        # (The hot path's prepared statements are captured without their text.)
        return sum('FROM "loans_loancontract"' in (query["sql"] or "") for query in queries.captured_queries)

    assert contract_reads(1) == contract_reads(4)


def test_the_import_template_is_a_workbook_with_the_columns(client, staff):
    response = as_user(client, staff["officer"]).get(reverse("loans:import_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]][:4] == ["Số hợp đồng", "Ngày trả", "Số tiền", "Hình thức"]


# --- navigation ---------------------------------------------------------------------------


def test_the_menu_offers_imports_to_officers_and_tranches_to_accountants(client, staff, fund):
    officer = as_user(client, staff["officer"]).get(reverse("home")).content.decode()
    assert reverse("loans:repayment_import") in officer and reverse("loans:tranches") not in officer
    accountant = as_user(client, staff["accountant"]).get(reverse("home")).content.decode()
    assert reverse("loans:tranches") in accountant and reverse("loans:repayment_import") not in accountant


def test_a_repayment_import_is_a_job_another_officer_gets_a_404_for(
    client, staff, loan, upload, user_with_role
):
    move_to(dt.date(2026, 3, 20))
    rows = ([loan.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],)
    page = upload(
        as_user(client, staff["officer"]), reverse("loans:repayment_import"), {"file": workbook_file(*rows)}
    )
    job = page.context["job"]
    assert (job.state, job.kind, job.rows_total, job.requested_by) == (
        "done",
        "repayments",
        1,
        staff["officer"],
    )
    assert job.summary["table"][0][1] == loan.contract.number
    client.force_login(user_with_role(roles.FUND_OFFICER))
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("common:import_progress", args=[job.pk])).status_code == 404


def test_the_template_uploaded_as_downloaded_posts_nothing_and_says_why(client, staff, loan, upload):
    client = as_user(client, staff["officer"])
    template = SimpleUploadedFile("mau.xlsx", client.get(reverse("loans:import_template")).content)
    page = upload(client, reverse("loans:repayment_import"), {"file": template})
    assert [e["message"] for e in page.context["job"].errors] == ["The sheet has headers but no rows."]
    assert not Repayment.objects.exists()

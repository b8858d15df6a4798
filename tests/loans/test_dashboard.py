"""The home page's work per role on a small portfolio, hand-worked, with the lists its counts link
to; and a number of queries that does not grow with the loans.

The business date is Monday 02/03/2026 (its week ends Sunday 08/03). The officer's loans: A, the
example loan (conftest) from 15/01, never paid: row 1 fell due 15/02, 15 days past due (bucket
10–30); B from 02/02, first due today; C from 04/02, first due on Wednesday 04/03. Another officer
took D, like C. The officer has two applications in draft, the other officer one.
"""

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.dates import format_date
from fund import roles
from fund.models import Fund
from loans.dashboard import overdue_by_bucket
from loans.models import CloseRun, LoanTransaction, ReconciliationCheck
from loans.services.closing.runs import close_until
from loans.services.origination.applications import ApplicationTerms, create_application
from loans.services.servicing.disbursements import record_disbursement
from tests.factories import user_holding
from tests.fund.factories import BorrowerFactory
from tests.loans import factories
from tests.loans.conftest import ROW1, ROW2, START, move_to, shared_fund_staff_and_bank, staffed_active_loan

pytestmark = pytest.mark.django_db
fund, staff, bank = shared_fund_staff_and_bank()  # the portfolio is built once for the module
MONDAY = dt.date(2026, 3, 2)
SUNDAY = dt.date(2026, 3, 8)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def draft(officer):
    terms = ApplicationTerms(
        borrower=BorrowerFactory(),
        product=factories.product(),
        amount=D(50_000_000),
        term_months=6,
        purpose="Mua giống",
    )
    return create_application(actor=officer, terms=terms)


@pytest.fixture(scope="module")
def portfolio(staff, bank):
    other_officer = user_holding(roles.FUND_OFFICER)
    loans = {"A": staffed_active_loan(staff, on=START, account=bank, number="HĐ-A")}
    for name, day, who in (("B", dt.date(2026, 2, 2), staff), ("C", dt.date(2026, 2, 4), staff)):
        move_to(day)
        loans[name] = staffed_active_loan(who, on=day, account=bank, number=f"HĐ-{name}")
    loans["D"] = staffed_active_loan(
        {**staff, "officer": other_officer}, on=dt.date(2026, 2, 4), account=bank, number="HĐ-D"
    )
    loans["drafts"] = [draft(staff["officer"]), draft(staff["officer"])]
    loans["their draft"] = draft(other_officer)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the books' check after the close
        close_until(actor=staff["accountant"], until=MONDAY)
    return loans


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, name: str) -> str:
    """One role's card of the home page."""
    found = re.search(rf'<article id="{name}-work".*?</article>', page, re.S)
    assert found, name
    return found.group(0)


def figures(card: str) -> dict[str, str]:
    """Each <dt> of a card with its <dd>, tags and spaces squeezed out."""
    text = lambda part: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())  # noqa: E731
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", card, re.S)
    return {text(dt_): text(dd) for dt_, dd in pairs}


def link_of(card: str, label_pattern: str) -> str:
    """The address of the link in the <dd> after the <dt> matching the pattern."""
    found = re.search(rf"<dt>{label_pattern}</dt>\s*<dd[^>]*>.*?href=\"([^\"]+)\"", card, re.S)
    assert found, label_pattern
    return found.group(1).replace("&amp;", "&")


def listed(client, url: str) -> set[str]:
    """The application numbers a list page shows."""
    response = client.get(url)
    assert response.status_code == 200
    return set(re.findall(r"HS-\d{4}-\d{6}", response.content.decode()))


# --- the officer ------------------------------------------------------------------------------


def test_the_officer_sees_its_drafts_dues_and_arrears_by_bucket(client, portfolio, staff):
    page = home(client, staff["officer"])
    assert f"Your work on the business date, {format_date(dt.date(2026, 3, 2))}." in page
    shown = figures(section(page, "officer"))
    assert shown["Applications in draft"] == "2"
    # B falls due today: row 1, 10 000 000 of principal and 28 days of interest at 12 %:
    # 120 000 000 × 12 % × 28 / 365 = 1 104 657,5 → 1 104 658.
    assert shown[f"Due today, {format_date(dt.date(2026, 3, 2))}"] == "1 · 11,104,658 VND"
    # B and C, not the other officer's D
    assert shown[f"Due this week, to {format_date(dt.date(2026, 3, 8))}"].startswith("2 · ")
    # A is 15 days past due: the fund's bucket 10–30; the other buckets are empty.
    buckets = {label: count for label, count in shown.items() if label.endswith("days")}
    assert buckets == {
        "1–9 days": "0",
        "10–30 days": "1",
        "31–90 days": "0",
        "91–180 days": "0",
        "181–360 days": "0",
        "> 360 days": "0",
    }


def test_the_officers_counts_link_to_lists_that_count_the_same(client, portfolio, staff):
    card = section(home(client, staff["officer"]), "officer")
    references = {name: portfolio[name].reference for name in "ABCD"}
    mine = {loan.reference for loan in portfolio["drafts"]}
    assert listed(client, link_of(card, "Applications in draft")) == mine
    assert listed(client, link_of(card, "Due today.*?")) == {references["B"]}
    assert listed(client, link_of(card, "Due this week.*?")) == {references["B"], references["C"]}
    arrears = link_of(card, "10–30 days")
    assert arrears.startswith(reverse("loans:arrears_report"))
    assert listed(client, arrears) == {references["A"]}
    assert listed(client, link_of(card, "1–9 days")) == set()  # each bucket lists its own loans


def test_the_superuser_sees_every_staff_section_and_every_loan(client, portfolio, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", password="x")
    page = home(client, admin)
    for name in ("officer", "appraiser", "approver", "accountant"):
        section(page, name)
    assert 'id="coop-work"' not in page
    shown = figures(section(page, "officer"))
    assert shown["Applications in draft"] == "3"
    assert shown[f"Due this week, to {format_date(dt.date(2026, 3, 8))}"].startswith("3 · ")  # B, C and D
    assert "You have no role" not in page


def test_the_buckets_are_the_funds(portfolio):
    buckets = overdue_by_bucket(MONDAY, [1, 15, 16])
    # 15 days past due: the bucket from 15 to 15.
    assert [(bucket.label, bucket.loans) for bucket in buckets] == [("1–14", 0), ("15–15", 1), ("> 15", 0)]
    assert [bucket.loans for bucket in overdue_by_bucket(dt.date(2026, 2, 20), [1, 10])] == [1, 0]


# --- the loan list's filters ------------------------------------------------------------------


def test_the_loan_list_leaves_out_filters_it_cannot_read(client, portfolio, staff):
    client.force_login(staff["officer"])
    url = reverse("loans:applications")
    everything = listed(client, url)
    response = client.get(url, {"officer": "nobody", "due": "yesterday", "status": "lost", "q": "x" * 101})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Some filters could not be read and are left out" in page
    assert set(re.findall(r"HS-\d{4}-\d{6}", page)) == everything
    # A filter it reads is kept by the status tabs.
    response = client.get(url, {"officer": staff["officer"].pk, "due": "week"})
    kept = f"?status=draft&officer={staff['officer'].pk}&due=week"
    assert kept in html.unescape(response.content.decode())


# --- the accountant ---------------------------------------------------------------------------


def test_the_accountant_sees_tranches_to_authorize_and_the_last_close(client, portfolio, staff, bank):
    signed = factories.signed_loan(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        signed_on=MONDAY,
        number="HĐ-E",
    )
    record_disbursement(
        actor=staff["officer"], loan=signed, value_date=MONDAY, amount=D(60_000_000), account=bank
    )
    card = section(home(client, staff["accountant"]), "accountant")
    shown = figures(card)
    assert shown["Tranches to authorize"] == "1"
    last = CloseRun.objects.first()
    assert last.business_date == dt.date(2026, 3, 1)
    assert shown["Last close of day"] == f"{format_date(dt.date(2026, 3, 1))} · Done"
    # The books were checked after the close, as of the business date it left.
    assert shown["Sub-ledger against the GL"] == "0 control accounts differ"
    assert f"as of the business date {format_date(dt.date(2026, 3, 2))}, checked at" in card
    assert f"{reverse('loans:reconciliation')}?as_of=2026-03-02" in card
    client.force_login(staff["accountant"])
    assert "HĐ-E" in client.get(link_of(card, "Tranches to authorize")).content.decode()


def test_the_accountant_checks_the_books_again_and_sees_the_account_that_differs(
    client, portfolio, staff, django_capture_on_commit_callbacks
):
    # A sub-ledger row no event explains (as a hand edit of the database would leave).
    stray = LoanTransaction.objects.filter(loan=portfolio["A"], kind=LoanTransaction.Kind.DISBURSEMENT).get()
    stray.pk = None
    stray.save()
    card = section(home(client, staff["accountant"]), "accountant")
    assert figures(card)["Sub-ledger against the GL"].startswith("0 control accounts differ")  # not yet
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("loans:check_books"))
    assert response.url == reverse("home")
    page = client.get(response.url).content.decode()
    assert "The books are being checked" in page
    card = section(page, "accountant")
    assert figures(card)["Sub-ledger against the GL"] == "1 control account differs"
    assert f"as of the business date {format_date(dt.date(2026, 3, 2))}" in card
    check = ReconciliationCheck.objects.first()
    assert (check.checked_by, check.differences) == (staff["accountant"], [["128311", "120000000"]])
    assert f"{reverse('loans:reconciliation')}?as_of=2026-03-02" in card


def test_only_who_may_reconcile_asks_for_a_check(client, portfolio, staff):
    checks = ReconciliationCheck.objects.count()
    client.force_login(staff["officer"])
    response = client.post(reverse("loans:check_books"), follow=True)
    assert response.status_code == 200 and "Your role does not allow this." in response.content.decode()
    assert ReconciliationCheck.objects.count() == checks
    assert client.get(reverse("loans:check_books")).status_code == 405


# --- the co-op ----------------------------------------------------------------------------------


def test_a_coop_user_sees_its_own_loans_only(client, portfolio, user_with_role):
    late = portfolio["A"]
    coop = user_with_role(roles.COOP_USER, borrower=late.borrower)
    page = home(client, coop)
    assert [
        name for name in ("officer", "appraiser", "approver", "accountant") if f'id="{name}-work"' in page
    ] == []
    card = section(page, "coop")
    shown = figures(card)
    # A: row 2 falls due 15/03; row 1 unpaid since 15/02, 15 days.
    assert shown["Next installment"] == f"{format_date(dt.date(2026, 3, 15))} · {ROW2:,} VND"
    assert shown["Overdue principal and interest"] == f"{ROW1:,} VND · 15 days past due"
    assert late.reference in card
    assert not any(portfolio[name].reference in card for name in "BCD")
    assert shown["Active"] == "1"
    client.force_login(coop)
    assert listed(client, link_of(card, "Active")) == {late.reference}


def test_a_user_with_no_role_is_told_so(client, fund, user_with_role):
    page = home(client, user_with_role())
    assert "You have no role yet" in page
    assert "<article id=" not in page


def test_the_home_page_reads_as_much_however_many_loans(
    client, portfolio, staff, bank, django_user_model, user_with_role
):
    admin = django_user_model.objects.create_superuser("admin", password="x")
    coop = user_with_role(roles.COOP_USER, borrower=portfolio["A"].borrower)

    def reads(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    before = {user.username: reads(user) for user in (admin, coop)}
    assert before["admin"] <= 27  # a count per line of the cards (the approver's requests waiting: 27)
    for number in range(3):
        staffed_active_loan(
            staff, on=MONDAY, account=bank, number=f"HĐ-X{number}", borrower=portfolio["A"].borrower
        )
        draft(staff["officer"])
    Fund.objects.update(business_date=MONDAY)
    assert {user.username: reads(user) for user in (admin, coop)} == before

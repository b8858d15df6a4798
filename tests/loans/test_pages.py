"""The loan page: the contract, what is owed on the business date, the schedule, the transactions,
what each role sees of it, payoff quotes, and a constant number of queries however long its history.

The loan of the examples (conftest): 120.000.000 đ for 12 months at 12 %/year, equal principal,
disbursed 15/01/2026; row 1 (15/02) is 10.000.000 + 1.223.014, row 2 (15/03) 10.000.000 + 1.012.603.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.dates import format_date
from fund import roles
from fund.models import DocumentType
from loans.replaying import replay_part
from loans.selectors.position import loan_position
from loans.services.closing.runs import close_until
from loans.services.origination.applications import add_document
from tests.loans import factories
from tests.loans.conftest import ROW1, START, household_group_loan, move_to, repay, staffed_active_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, settings):
    """Pages in English, so that they can be compared with the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page_of(client, user, loan, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("loans:loan_detail", args=[loan.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def late(loan, staff):
    """Row 1 paid on time, row 2 not: on 20/03 the loan is 5 days past due."""
    repay(loan, staff, dt.date(2026, 2, 15), ROW1, reference="UNC 001")
    move_to(dt.date(2026, 3, 20))
    return loan


def test_the_page_shows_the_contract_and_what_is_owed_today(client, late, staff):
    page = page_of(client, staff["officer"], late)
    assert "HĐ-01/2026" in page and "Equal principal" in page
    assert f"Position on {format_date(dt.date(2026, 3, 20))}" in page
    assert "5 days past due" in page
    # Overdue on 20/03: row 2's 10.000.000 and 1.012.603, late interest 10.000.000 × 18 % × 5/365
    # = 24.658 and interest on the unpaid interest 1.012.603 × 10 % × 5/365 = 1.387.
    for amount in ("10,000,000", "1,012,603", "24,658", "1,387", "11,038,648"):
        assert f"{amount}\u00a0VND" in page
    assert "110,000,000\u00a0VND" in page  # principal outstanding
    assert format_date(dt.date(2026, 4, 15)) in page  # next due date


def test_the_schedule_says_which_rows_are_paid_and_which_overdue(client, late, staff):
    page = page_of(client, staff["officer"], late)
    schedule = page[page.index('id="schedule"') : page.index('id="tranches"')]
    assert schedule.count("state-paid") == 1
    assert schedule.count("state-overdue") == 1
    assert schedule.count("state-upcoming") == 10
    assert "11,223,014" in schedule  # row 1, paid in full


def test_staff_see_the_transactions_with_their_journal_entries(client, late, staff):
    entries = [tx.journal_entry for tx in late.transactions.order_by("pk")]
    for role in ("officer", "accountant"):
        page = page_of(client, staff[role], late)
        for entry in entries:
            assert reverse("ledger:entry_detail", args=[entry.pk]) in page
            assert entry.number in page
    # The appraiser sees the loan but not the books.
    page = page_of(client, staff["appraiser"], late)
    assert "UNC 001" in page and reverse("ledger:entry_detail", args=[entries[0].pk]) not in page


def test_each_role_gets_only_its_own_actions(client, late, staff):
    officer = page_of(client, staff["officer"], late)
    assert reverse("loans:repayment_new", args=[late.pk]) in officer
    assert reverse("loans:disbursement_new", args=[late.pk]) not in officer  # all disbursed
    accountant = page_of(client, staff["accountant"], late)
    repayment = late.repayments.get()
    assert reverse("loans:repayment_reverse", args=[repayment.pk]) in accountant
    assert reverse("loans:repayment_new", args=[late.pk]) not in accountant
    assert reverse("loans:repayment_reverse", args=[repayment.pk]) not in officer


def test_a_coop_user_sees_its_loan_without_the_books_or_staff_actions(client, late, user_with_role):
    coop = user_with_role(roles.COOP_USER, borrower=late.borrower)
    page = page_of(client, coop, late)
    assert "5 days past due" in page and "11,038,648" in page
    assert reverse("loans:statement_xlsx", args=[late.pk]) in page
    assert reverse("loans:schedule_xlsx", args=[late.pk]) in page
    entry = late.transactions.first().journal_entry
    assert entry.number not in page and "/ledger/" not in page
    for name in ("loans:repayment_new", "loans:disbursement_new", "loans:contract_sign"):
        assert reverse(name, args=[late.pk]) not in page
    assert 'id="repayments"' not in page and 'id="tranches"' not in page
    assert 'id="books"' not in page  # the fund's books: debt group, receivable, provisions


def test_staff_see_the_loan_on_the_funds_books_after_close_of_day(client, loan, staff):
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 27))  # row 1 (15/02) unpaid
    page = page_of(client, staff["officer"], loan)
    books = page[page.index('id="books"') : page.index("</section>", page.index('id="books"'))]
    assert f"On the fund's books on {format_date(dt.date(2026, 2, 27))}" in books
    assert "Debt group 2" in books and "Interest not taken to income until paid" in books
    # Moved to the overdue account at the close of 15/02; group 2 from 10 days past due, 25/02.
    assert "10,000,000\u00a0VND" in books and format_date(dt.date(2026, 2, 25)) in books


def test_another_coops_loan_is_not_found(client, late, user_with_role):
    stranger = user_with_role(roles.COOP_USER, borrower=factories.BorrowerFactory())
    client.force_login(stranger)
    for name in ("loans:loan_detail", "loans:statement_xlsx", "loans:schedule_xlsx"):
        assert client.get(reverse(name, args=[late.pk])).status_code == 404


def test_a_dossier_document_goes_only_to_those_who_see_its_loan_at_any_url(
    client, staff, user_with_role, site_urls_in_debug
):
    loan = factories.submitted_loan(officer=staff["officer"])
    document = add_document(
        actor=staff["officer"],
        loan=loan,
        document_type=DocumentType.objects.get(code="loan_application"),
        file=SimpleUploadedFile("Đơn vay vốn.pdf", "%PDF-1.4 đơn".encode()),
        issued_on=dt.date(2025, 12, 1),
    )
    assert re.fullmatch(r"loans/[0-9a-f]{32}\.pdf", document.file.name)
    # The checking view, and where MEDIA_URL would serve it (even with DEBUG on nothing does).
    urls = [document.get_absolute_url(), f"/media/{document.file.name}"]
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(user_with_role(roles.COOP_USER, borrower=factories.BorrowerFactory()))
    assert [client.get(url).status_code for url in urls] == [404, 404]
    page = page_of(client, user_with_role(roles.COOP_USER, borrower=loan.borrower), loan)
    assert document.get_absolute_url() in page and "/media/" not in page
    response = client.get(urls[0])
    assert b"".join(response.streaming_content) == "%PDF-1.4 đơn".encode()
    assert client.get(urls[1]).status_code == 404


@pytest.mark.parametrize("borrower", ["999999", "abc", "9" * 30, "arabic-indic"])
def test_a_new_application_for_an_unknown_borrower_is_not_found(client, staff, borrower):
    if borrower == "arabic-indic":  # an existing borrower's id in other digits: int() reads them
        borrower = str(factories.BorrowerFactory().pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    client.force_login(staff["officer"])
    assert client.get(reverse("loans:application_new"), {"borrower": borrower}).status_code == 404


def test_an_approved_loan_asks_for_its_contract(client, staff):
    loan = factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )
    page = page_of(client, staff["officer"], loan)
    assert "The contract is not signed yet." in page
    assert reverse("loans:contract_sign", args=[loan.pk]) in page
    assert reverse("loans:statement_xlsx", args=[loan.pk]) not in page
    assert reverse("loans:contract_sign", args=[loan.pk]) not in page_of(client, staff["accountant"], loan)


def test_a_draft_has_no_money_sections(client, staff):
    loan = factories.submitted_loan(officer=staff["officer"])
    page = page_of(client, staff["officer"], loan)
    assert 'id="contract"' not in page and 'id="position"' not in page


# --- payoff quotes ------------------------------------------------------------------------


def test_a_payoff_quote_for_another_date(client, loan, staff):
    # On 25/02 with nothing repaid (test_servicing works it out): 121.637.324.
    page = page_of(client, staff["officer"], loan, on="2026-02-25")
    assert f"To repay the whole loan on {format_date(dt.date(2026, 2, 25))}" in page
    assert "121,637,324\u00a0VND" in page


def test_a_payoff_quote_before_the_loan_started_is_refused(client, loan, staff):
    page = page_of(client, staff["officer"], loan, on="2026-01-01")
    assert f"The loan was first disbursed on {format_date(dt.date(2026, 1, 15))}" in page
    assert "To repay the whole loan" not in page


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=0, max_value=420))
def test_a_quote_is_its_parts_and_no_less_than_the_principal(late, days):
    day = START + dt.timedelta(days=days)
    quote = loan_position(late, as_of=day)
    assert quote.payoff == (
        quote.principal_outstanding + quote.accrued_interest + quote.interest_due + quote.late_charges
    )
    assert quote.payoff >= quote.principal_outstanding
    assert quote.to_pay_now <= quote.payoff


# --- a household group --------------------------------------------------------------------


@pytest.fixture
def group_loan(staff, bank):
    return household_group_loan(staff, bank, D(30_000_000), D(20_000_000), D(40_000_000))[0]


def test_a_group_loan_shows_each_households_schedule_and_the_groups_total(client, group_loan, staff):
    page = page_of(client, staff["officer"], group_loan)
    for share in group_loan.member_shares.select_related("member"):
        assert str(share.member) in page
    total = page[page.index("The whole group") :]
    total = total[: total.index("</table>")]
    assert total.count("<tr>") == 1 + 12 + 1  # header, twelve due dates, totals
    assert "90,000,000" in total  # the households' principal adds up to the group's
    assert page.count("<details>") >= 3  # one schedule per household


# --- a constant number of queries ---------------------------------------------------------


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def pay_rows(loan, staff, first: int, last: int, share=None) -> None:
    """Pay rows `first`..`last` (from 1) of the schedule on their due dates, each exactly."""
    rows = replay_part(loan, share, as_of=START).rows
    for row in rows[first - 1 : last]:
        move_to(row.due_date)
        due = replay_part(loan, share, as_of=row.due_date).due_today
        repay(loan, staff, row.due_date, due, share=share)


@pytest.fixture
def two_year_loan(staff, bank):
    product = factories.product(term_max_months=24)
    return staffed_active_loan(
        staff,
        on=START,
        account=bank,
        loan_product=product,
        term_months=24,
        number="HĐ-24/2026",
    )


def test_the_page_reads_the_same_number_of_queries_however_long_the_history(
    client, staff, two_year_loan, django_assert_max_num_queries
):
    client.force_login(staff["officer"])
    url = reverse("loans:loan_detail", args=[two_year_loan.pk]) + "?on=2027-06-01"
    pay_rows(two_year_loan, staff, 1, 1)
    few = queries_of(client, url)
    pay_rows(two_year_loan, staff, 2, 23)
    assert two_year_loan.repayments.count() == 23
    with django_assert_max_num_queries(few):
        client.get(url)
    assert queries_of(client, url) == few


def test_the_loan_page_reads_a_fixed_number_of_queries(client, staff, two_year_loan):
    """Session, user, its permissions, the co-op check and the loan with its creator, appraisal
    and contract, once each; then the history, dossier, requests, fund, events, actions,
    tranches, balances, statement, repayments and books (the actions' list gives the replay its
    changes; a loan that is not a group's has no households' shares to read)."""
    client.force_login(staff["officer"])
    pay_rows(two_year_loan, staff, 1, 2)
    assert queries_of(client, reverse("loans:loan_detail", args=[two_year_loan.pk])) <= 20


def test_a_group_loans_page_reads_the_same_number_of_queries_however_long_the_history(
    client, staff, group_loan
):
    client.force_login(staff["officer"])
    url = reverse("loans:loan_detail", args=[group_loan.pk])
    few = queries_of(client, url)
    pay_rows(group_loan, staff, 1, 6, share=group_loan.member_shares.first())
    assert queries_of(client, url) == few


def test_the_application_form_shows_each_products_limits_and_the_chosen_ones(client, staff):
    from tests.fund.factories import BorrowerFactory

    offered = factories.product(
        name="Vốn lưu động", amount_min=D("20000000"), amount_max=D("800000000"), term_min_months=4
    )
    borrower = BorrowerFactory()
    client.force_login(staff["officer"])
    url = reverse("loans:application_new")
    page = client.get(url, {"borrower": borrower.pk}).content.decode()
    assert re.search(r"Vốn lưu động</td><td class=\"num\">20,000,000 – 800,000,000</td>", page)
    assert '<td class="num">4 – 12</td>' in page and "12.00" in page
    typed = {"borrower": borrower.pk, "product": offered.pk, "amount": "900000000", "term_months": "12"}
    refused = client.post(
        f"{url}?borrower={borrower.pk}", {**typed, "purpose": "Mua vật tư"}
    ).content.decode()
    assert "Vốn lưu động lends from 20,000,000\u00a0VND to 800,000,000\u00a0VND." in refused

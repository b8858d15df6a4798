"""A loan action through the pages: an officer asks for an interest waiver, an approver opens
the request, sees the entry approving it will post and its own note, confirms, and sees it applied."""

import datetime as dt
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from fund import roles
from fund.models import AuthorityLevel
from ledger.models import Account
from loans.models import ActionStatus, LoanAction
from loans.services.closing.runs import close_until
from tests.loans.conftest import START, staffed_active_loan


@pytest.fixture
def people(fund, staff, user_with_role):
    """The staff, the approver without limit, and a second officer (the loan's own may not ask)."""
    level = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=None)
    level.holders.add(staff["approver"])
    return {**staff, "officer2": user_with_role(roles.FUND_OFFICER)}


def test_an_interest_waiver_is_asked_for_shown_with_its_entry_and_applied(open_page, people):
    loan = staffed_active_loan(people, on=START, account=Account.objects.get(code="11211"))
    # The month end accrued 670 685 of interest to 13881 (tests/loans/test_restructuring.py).
    close_until(actor=people["accountant"], until=dt.date(2026, 2, 1))

    officer = open_page(people["officer2"], language="en")
    officer.goto(loan.get_absolute_url())
    officer.get_by_role("button", name="Request: Interest waiver").click()
    officer.get_by_label("Interest waived").select_option(label="Interest accrued, not yet due")
    officer.get_by_label("Amount").fill("500.000")
    officer.get_by_label("Reason").fill("Mất mùa do hạn hán")
    officer.get_by_role("button", name="Send the request").click()
    expect(officer.get_by_text("Interest waiver requested; an approver decides on it.")).to_be_visible()
    action = LoanAction.objects.get(loan=loan)

    approver = open_page(people["approver"], language="en")
    approver.goto(action.get_absolute_url())
    approver.get_by_label("Note").fill("Đồng ý miễn lãi")
    approver.get_by_role("button", name="Approve").click()
    # The confirmation page: the entry's two accounts and its amount; nothing decided yet.
    expect(approver.locator("h1")).to_contain_text("Approve and apply")
    entry = approver.locator("table").first
    expect(entry).to_contain_text("5151")
    expect(entry).to_contain_text("13881")
    expect(entry).to_contain_text("500,000")
    expect(approver.get_by_text("Đồng ý miễn lãi")).to_be_visible()  # the note, carried to the button
    action.refresh_from_db()
    assert action.status == ActionStatus.REQUESTED
    approver.get_by_role("button", name="Approve, apply and post").click()
    expect(approver.get_by_text("Approved and applied on the business date.")).to_be_visible()
    action.refresh_from_db()
    assert (action.status, action.decision_note) == (ActionStatus.APPLIED, "Đồng ý miễn lãi")
    waived = action.loan.transactions.get(kind="waiver")
    assert waived.amount.amount == D(500_000)

"""What the loan tests share: a fund with money in the bank, its staff, an active loan."""

import datetime as dt
from decimal import Decimal as D

import pytest

from fund import roles
from fund.models import Fund
from ledger.models import Account
from ledger.services import EntryDraft, Line, post_entry
from loans.models import Repayment
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.fund.factories import FundFactory
from tests.loans import factories

START = dt.date(2026, 1, 15)
ROW1 = D(11_223_014)  # row 1 of the example loan: 10.000.000 + 1.223.014 interest
ROW2 = D(11_012_603)  # row 2: 10.000.000 + 1.012.603


@pytest.fixture
def fund(db):
    fund = FundFactory(business_date=START)
    # The fund's capital in its bank, so that it has something to lend.
    post_entry(
        EntryDraft(
            value_date=dt.date(2026, 1, 2),
            memo="Vốn điều lệ",
            idempotency_key="capital",
            lines=[Line("11211", debit=D(5_000_000_000)), Line("41111", credit=D(5_000_000_000))],
        ),
        created_by=None,
    )
    return fund


@pytest.fixture
def staff(user_with_role, fund):
    return {
        "officer": user_with_role(roles.FUND_OFFICER),
        "appraiser": user_with_role(roles.APPRAISER),
        "approver": user_with_role(roles.APPROVER),
        "accountant": user_with_role(roles.ACCOUNTANT),
    }


@pytest.fixture
def bank():
    return Account.objects.get(code="11211")


@pytest.fixture
def loan(staff, bank):
    return factories.active_loan(
        officer=staff["officer"],
        accountant=staff["accountant"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        on=START,
        account=bank,
    )


def move_to(day: dt.date) -> None:
    Fund.objects.update(business_date=day)


def repay(loan, staff, day, amount, **kwargs):
    move_to(max(day, Fund.objects.get().business_date))
    entry = RepaymentInput(value_date=day, amount=amount, channel=Repayment.Channel.BANK_TRANSFER, **kwargs)
    return record_repayment(actor=staff["officer"], loan=loan, entry=entry)

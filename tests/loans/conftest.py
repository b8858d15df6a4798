"""What the loan tests share: a fund with money in the bank, its staff, an active loan."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from fund import roles
from fund.models import Fund
from ledger.models import Account
from ledger.services import EntryDraft, Line, post_entry
from loans.models import Loan, Repayment
from loans.selectors.position import loan_position
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from loans.services.servicing.repayments import RepaymentInput, record_repayment, reverse_repayment
from tests.factories import user_holding
from tests.fund.factories import FundFactory, HouseholdGroupFactory, HouseholdMemberFactory
from tests.loans import factories

START = dt.date(2026, 1, 15)
ROW1 = D(11_223_014)  # row 1 of the example loan: 10.000.000 + 1.223.014 interest
ROW2 = D(11_012_603)  # row 2: 10.000.000 + 1.012.603


@pytest.fixture
def fund(db):
    return capitalised_fund()


@pytest.fixture
def staff(fund):
    return staff_of_each_role()


@pytest.fixture
def bank():
    return Account.objects.get(code="11211")


def shared_fund_staff_and_bank():
    """`fund`, `staff` and `bank` for a module whose tests read what a module-scoped fixture
    built once (`shared_db`): `fund, staff, bank = shared_fund_staff_and_bank()` in the module."""

    @pytest.fixture(scope="module", name="fund")
    def shared_fund(shared_db):
        return capitalised_fund()

    @pytest.fixture(scope="module", name="staff")
    def shared_staff(fund):
        return staff_of_each_role()

    @pytest.fixture(scope="module", name="bank")
    def shared_bank(fund):
        return Account.objects.get(code="11211")

    return shared_fund, shared_staff, shared_bank


def capitalised_fund() -> Fund:
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


def staff_of_each_role() -> dict:
    return {
        "officer": user_holding(roles.FUND_OFFICER),
        "appraiser": user_holding(roles.APPRAISER),
        "approver": user_holding(roles.APPROVER),
        "accountant": user_holding(roles.ACCOUNTANT),
    }


@pytest.fixture
def loan(staff, bank):
    return staffed_active_loan(
        staff,
        on=START,
        account=bank,
    )


def staffed_active_loan(staff, **given) -> Loan:
    """An active loan (`factories.active_loan`) put through by the staff: `on`, `account` and
    whatever else the approval takes."""
    return factories.active_loan(
        officer=staff["officer"],
        accountant=staff["accountant"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        **given,
    )


def move_to(day: dt.date) -> None:
    Fund.objects.update(business_date=day)


def repay(loan, staff, day, amount, **kwargs):
    move_to(max(day, Fund.objects.get().business_date))
    entry = RepaymentInput(value_date=day, amount=amount, channel=Repayment.Channel.BANK_TRANSFER, **kwargs)
    return record_repayment(actor=staff["officer"], loan=loan, entry=entry)


def sixty_million_loan(staff, bank, **approval) -> Loan:
    """A loan signed and paid out in one tranche of 60 000 000 on START, for the property tests
    that then apply any actions to it (`apply_action`); `approval`: as `factories.approved_loan`."""
    loan = factories.signed_loan(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        signed_on=START,
        number=f"HĐ-{uuid.uuid4()}",
        **approval,
    )
    first = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(60_000_000), account=bank
    )
    authorize_disbursement(actor=staff["accountant"], disbursement=first)
    return loan


def apply_action(action, loan, staff, bank) -> None:
    """One drawn action on the loan: ("repay", day, amount, shorten), ("repay_due", day),
    ("reverse", which) or ("tranche", day, amount); days count from START."""
    loan = Loan.objects.get(pk=loan.pk)
    if action[0] == "repay":
        _kind, day, amount, shorten = action
        mode = (
            Repayment.PrepaymentMode.SHORTEN_TERM if shorten else Repayment.PrepaymentMode.LOWER_INSTALLMENTS
        )
        repay(loan, staff, START + dt.timedelta(days=day), D(amount), prepayment_mode=mode)
    elif action[0] == "repay_due":
        day = START + dt.timedelta(days=action[1])
        due = loan_position(loan, as_of=day).to_pay_now
        if due > 0:
            repay(loan, staff, day, due)
    elif action[0] == "reverse":
        posted = list(Repayment.objects.filter(loan=loan, status=Repayment.Status.POSTED).order_by("pk"))
        if posted:
            reverse_repayment(
                actor=staff["accountant"], repayment=posted[action[1] % len(posted)], reason="Kiểm tra"
            )
    else:
        _kind, day, amount = action
        day = max(START + dt.timedelta(days=day), Fund.objects.get().business_date)
        move_to(day)
        tranche = record_disbursement(
            actor=staff["officer"], loan=loan, value_date=day, amount=D(amount), account=bank
        )
        authorize_disbursement(actor=staff["accountant"], disbursement=tranche)


def household_group_loan(staff, bank, *amounts: D, number: str = "HĐ-01/2026") -> tuple[Loan, list]:
    """A household group's loan paid out on START, `amounts[i]` to its i-th household; the loan
    and its households in that order."""
    group = HouseholdGroupFactory()
    members = HouseholdMemberFactory.create_batch(len(amounts), borrower=group)
    loan = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        borrower=group,
        amount=sum(amounts, D(0)),
        shares=list(zip(members, amounts, strict=True)),
        number=number,
    )
    return loan, members

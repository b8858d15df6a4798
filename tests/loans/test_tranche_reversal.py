"""Reversing an authorized tranche, worked by hand, through the approval of loan actions.

The example contract: 120 000 000 at 12 %/year for 12 months from 15/01/2026, equal principal
monthly. Paid out in two tranches of 60 000 000 on 15/01 (the second one in error), it is the
120 000 000 loan of the other tests: row 1 due 15/02 is 10 000 000 + 1 223 014.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse as url_of
from django.utils import timezone

from fund import roles
from fund.models import AuthorityLevel
from ledger.selectors import account_balances
from loans import queries
from loans.models import (
    ActionStatus,
    Disbursement,
    Loan,
    LoanBalance,
    LoanEvent,
    LoanStatus,
    LoanTransaction,
    Repayment,
    TrancheReversal,
)
from loans.selectors.reconciliation import reconciliation
from loans.services import actions
from loans.services.closing.runs import close_until
from loans.services.reversals import _owed_now
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from tests.loans import factories
from tests.loans.conftest import ROW1, START, move_to, repay

SIXTY = D(60_000_000)


@pytest.fixture
def board(fund, staff, user_with_role):
    level = AuthorityLevel.objects.create(fund=fund, name="Hội đồng quản lý", max_amount=None)
    level.holders.add(staff["approver"])
    # Whoever authorized the tranches (staff["accountant"]) may not ask: another accountant does.
    staff["accountant2"] = user_with_role(roles.ACCOUNTANT)
    return level


def two_tranches(staff, bank) -> tuple[Loan, Disbursement]:
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranches = []
    for _ in range(2):
        tranche = record_disbursement(
            actor=staff["officer"], loan=loan, value_date=START, amount=SIXTY, account=bank
        )
        authorize_disbursement(actor=staff["accountant"], disbursement=tranche)
        tranches.append(tranche)
    return Loan.objects.get(pk=loan.pk), tranches[1]


def reverse(staff, loan, tranche, *, returned_into="") -> TrancheReversal:
    action = actions.request_action(
        actor=staff["accountant2"],
        loan=loan,
        kind="tranche_reversal",
        payload={"tranche": tranche.pk, "returned_into": returned_into},
        reason="Giải ngân nhầm đợt 2",
    )
    done = actions.approve_action(actor=staff["approver"], action=action, note="Đồng ý")
    assert done.status == ActionStatus.APPLIED
    return TrancheReversal.objects.get(disbursement=tranche)


def assert_books_agree(day: dt.date) -> None:
    assert {row.code: row.difference for row in reconciliation(as_of=day) if row.difference} == {}


def booked_principal(loan) -> D:
    booked = queries.booked([loan.pk])[loan.pk]
    return booked.outstanding


@pytest.fixture
def later_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))


def test_reversing_a_tranche_after_part_of_it_went_overdue_and_after_a_repayment(
    fund, staff, bank, board, later_today
):
    loan, wrong = two_tranches(staff, bank)
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)  # row 1 of the 120 000 000 loan, in full
    # Row 2 (10 000 000 principal, due 15/03) is left unpaid: overdue from the close of 15/03.
    close_until(actor=staff["accountant"], until=dt.date(2026, 4, 1))
    assert account_balances(codes=["128311", "128312"], as_of=dt.date(2026, 3, 31)) == {
        "128311": D(100_000_000),
        "128312": D(10_000_000),
    }
    record = reverse(staff, loan, wrong)

    # Without the second tranche, row 1 is 5 000 000 + 611 507 (60 000 000 × 12 % × 31 / 365 =
    # 611 506.85); the repayment of 11 223 014 pays it and prepays 5 611 507, so 60 000 000 −
    # 5 000 000 − 5 611 507 = 49 388 493 is left over 11 rows of 4 489 863 (× 11 = 49 388 493).
    # Row 2's 4 489 863 is overdue, against the 10 000 000 the books held: 5 510 137 of the
    # tranche comes off the overdue account, 54 489 863 off the in-term one.
    assert (record.overdue.amount, record.in_term.amount) == (D(5_510_137), D(54_489_863))
    lines = set(record.journal_entry.lines.values_list("account__code", "debit", "credit"))
    assert ("13888", SIXTY, D(0)) in lines  # the borrower owes it back
    assert ("128312", D(0), D(5_510_137)) in lines and ("128311", D(0), D(54_489_863)) in lines
    day = dt.date(2026, 4, 1)
    assert account_balances(codes=["128311", "128312", "13888"], as_of=day) == {
        "128311": D(49_388_493) - D(4_489_863),
        "128312": D(4_489_863),
        "13888": SIXTY,
    }
    # The repayment is allocated again: 10 611 507 principal and 611 507 interest.
    held = LoanTransaction.objects.filter(repayment__loan=loan).values_list("principal", "interest")
    assert (-sum(p for p, _i in held), sum(i for _p, i in held)) == (D(10_611_507), D(611_507))
    # The interest accrued on the tranche is off the books: they hold what the loan now owes.
    booked = queries.booked([loan.pk])[loan.pk]
    _overdue, interest, late = _owed_now(queries.lock_loan(loan.pk), day)
    assert record.interest.amount > 0
    assert booked.interest_receivable + booked.suspended_interest == interest
    assert booked.late_interest_receivable + booked.suspended_late == late
    # The stored balances and the sub-ledger follow the loan without the tranche.
    current = LoanBalance.objects.get(loan=loan, valid_to__isnull=True)
    assert current.principal_outstanding == D(49_388_493) == booked_principal(loan)
    assert Disbursement.objects.get(pk=wrong.pk).status == Disbursement.Status.REVERSED
    assert_books_agree(day)
    # The next close takes the loan as it is now.
    close_until(actor=staff["accountant"], until=dt.date(2026, 4, 3))
    assert_books_agree(dt.date(2026, 4, 2))


def test_the_only_tranche_reversed_refunds_the_repayment_and_returns_the_loan_to_approved(
    fund, staff, bank, board, later_today
):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=SIXTY, account=bank
    )
    authorize_disbursement(actor=staff["accountant"], disbursement=tranche)
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 15))  # 31/01 accrues 17 days
    # Row 1 of the 60 000 000 loan: 5 000 000 + 611 507.
    repayment = repay(Loan.objects.get(pk=loan.pk), staff, dt.date(2026, 2, 15), D(5_611_507))
    bank_before = account_balances(codes=["11211"], as_of=dt.date(2026, 2, 15))["11211"]
    record = reverse(staff, Loan.objects.get(pk=loan.pk), tranche, returned_into="11211")

    # The money came back into the bank; the whole repayment is above a debt of nothing and is
    # owed back to the borrower; the receivable and income of 31/01 (60 000 000 × 12 % × 17 /
    # 365 = 335 342.47 → 335 342) are reversed.
    assert record.refunded.amount == D(5_611_507)
    balances = account_balances(
        codes=["11211", "128311", "13881", "5151", "33888", "13888"], as_of=dt.date(2026, 2, 15)
    )
    assert balances == {
        "11211": bank_before + SIXTY + D(5_611_507) - D(5_611_507),
        "128311": D(0),
        "13881": D(0),
        "5151": D(0),
        "33888": D(-5_611_507),
        "13888": D(0),
    }
    assert Repayment.objects.get(pk=repayment.pk).status == Repayment.Status.REVERSED
    assert not Repayment.objects.filter(loan=loan, status=Repayment.Status.POSTED).exists()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED
    assert not LoanBalance.objects.filter(loan=loan).exists()
    assert booked_principal(loan) == D(0)
    assert_books_agree(dt.date(2026, 2, 15))
    # A reversed tranche is not drawn: the right one can be paid out in its place.
    again = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=dt.date(2026, 2, 15), amount=SIXTY, account=bank
    )
    assert again.status == Disbursement.Status.PENDING


def test_neither_whoever_authorized_the_tranche_nor_the_requester_approves_and_roles_hold(
    fund, staff, bank, board, user_with_role
):
    loan, wrong = two_tranches(staff, bank)
    payload = {"tranche": wrong.pk}
    # The accountant who authorized it may not ask.
    with pytest.raises(PermissionDenied, match="authorized this tranche"):
        actions.request_action(
            actor=staff["accountant"], loan=loan, kind="tranche_reversal", payload=payload, reason="x"
        )
    # An officer may not ask for it.
    with pytest.raises(PermissionDenied):
        actions.request_action(
            actor=staff["officer"], loan=loan, kind="tranche_reversal", payload=payload, reason="x"
        )
    action = actions.request_action(
        actor=staff["accountant2"], loan=loan, kind="tranche_reversal", payload=payload, reason="Nhầm"
    )
    # An approver who authorized it may not approve.
    both = user_with_role(roles.ACCOUNTANT, roles.APPROVER)
    board.holders.add(both)
    Disbursement.objects.filter(pk=wrong.pk).update(decided_by=both)
    with pytest.raises(PermissionDenied, match="authorized this tranche"):
        actions.approve_action(actor=both, action=action)
    # An accountant may not approve.
    with pytest.raises(PermissionDenied):
        actions.approve_action(actor=staff["accountant2"], action=action)
    assert Disbursement.objects.get(pk=wrong.pk).status == Disbursement.Status.AUTHORIZED
    assert not TrancheReversal.objects.exists()


def test_a_tranche_not_authorized_or_of_another_loan_is_refused_with_a_message(fund, staff, bank, board):
    loan, wrong = two_tranches(staff, bank)
    other = factories.signed_loan(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        signed_on=START,
        number="HĐ-02/2026",
    )
    pending = record_disbursement(
        actor=staff["officer"], loan=other, value_date=START, amount=D(1_000_000), account=bank
    )
    for tranche, field in ((pending, "tranche"), (wrong, "returned_into")):
        with pytest.raises(ValidationError) as refused:
            actions.request_action(
                actor=staff["accountant2"],
                loan=loan,
                kind="tranche_reversal",
                payload={"tranche": tranche.pk, "returned_into": "41111" if field == "returned_into" else ""},
                reason="x",
            )
        assert field in refused.value.message_dict


def test_a_write_off_is_asked_by_an_officer_and_approved_only_at_the_boards_level(
    fund, staff, bank, loan, user_with_role
):
    director = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=D(500_000_000))
    director.holders.add(staff["approver"])
    AuthorityLevel.objects.create(fund=fund, name="Hội đồng quản lý", max_amount=None)
    with pytest.raises(PermissionDenied):
        actions.request_action(actor=staff["accountant"], loan=loan, kind="write_off", payload={}, reason="x")
    action = actions.request_action(
        actor=staff["officer"], loan=loan, kind="write_off", payload={}, reason="Mất trắng"
    )
    with pytest.raises(PermissionDenied, match="Hội đồng quản lý"):
        actions.approve_action(actor=staff["approver"], action=action)
    board_member = user_with_role(roles.APPROVER)
    fund.authority_levels.get(max_amount__isnull=True).holders.add(board_member)
    move_to(dt.date(2026, 1, 20))
    done = actions.approve_action(actor=board_member, action=action)
    assert done.status == ActionStatus.APPLIED and "120,000,000" in done.outcome
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.WRITTEN_OFF
    # One history line for it: the transition's (the approval adds none of its own).
    assert LoanEvent.objects.filter(loan_id=loan.pk, transition="write_off").count() == 1
    # A written-off loan cannot be asked for again.
    with pytest.raises(ValidationError):
        actions.request_action(actor=staff["officer"], loan=loan, kind="write_off", payload={}, reason="x")


def test_a_write_off_request_shows_the_boards_level_not_a_made_up_amount(client, fund, staff, loan):
    AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=D(500_000_000))
    AuthorityLevel.objects.create(fund=fund, name="Hội đồng quản lý", max_amount=None)
    action = actions.request_action(
        actor=staff["officer"], loan=loan, kind="write_off", payload={}, reason="Mất trắng"
    )
    assert action.amount.amount == D("500000001")  # what the authority is checked on, never shown
    client.force_login(staff["officer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (action.get_absolute_url(), url_of("loans:actions")):
        page = client.get(url).content.decode()
        assert "500,000,001" not in page and "500.000.001" not in page, url
        assert "board" in page, url

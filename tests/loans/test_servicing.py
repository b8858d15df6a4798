"""Contract, disbursement and repayments through the services: the loan, its sub-ledger and the GL.

The loan of the examples: 120.000.000 đ for 12 months at 12 %/year, equal principal, from
15/01/2026 (row 1 on 15/02: 10.000.000 + 1.223.014 interest; see test_engine.py for the sums).
"""

import contextlib
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.text import Truncator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.dates import format_date
from fund import roles
from fund.models import Fund
from ledger.models import Account, JournalLine
from ledger.selectors import accounts_total, trial_balance
from loans.models import Disbursement, Loan, LoanStatus, LoanTransaction, Repayment, ScheduleVersion
from loans.queries import lock_loan
from loans.replaying import replay_part
from loans.selectors.position import loan_position
from loans.services.origination.contracts import ContractTerms, sign_contract
from loans.services.servicing.disbursements import (
    authorize_disbursement,
    cancel_disbursement,
    record_disbursement,
)
from loans.services.servicing.repayments import RepaymentInput, record_repayment, reverse_repayment
from loans.services.servicing.settling import settle
from tests.fund.factories import HouseholdGroupFactory, HouseholdMemberFactory
from tests.loans import factories
from tests.loans.conftest import ROW1, ROW2, START, apply_action, move_to, repay, sixty_million_loan


def sub_ledger(loan, name):
    return LoanTransaction.objects.filter(loan=loan).aggregate(total=Sum(name))["total"]


def loans_gl_balance(day=dt.date(2030, 1, 1)):
    return accounts_total(codes=["1283"], as_of=day)


def assert_books_agree():
    """Σ outstanding principal in the sub-ledger = the GL's loan accounts; the trial balance is zero."""
    outstanding = LoanTransaction.objects.aggregate(total=Sum("principal"))["total"] or 0
    assert outstanding == loans_gl_balance()
    assert trial_balance(as_of=dt.date(2030, 1, 1)).balanced


# --- contract and disbursement -----------------------------------------------------------


def test_the_contract_cannot_lend_more_than_approved(staff):
    loan = factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )
    terms = ContractTerms(number="HĐ-9", signed_on=START, amount=D(120_000_001), term_months=12)
    with pytest.raises(ValidationError) as refused:
        sign_contract(actor=staff["officer"], loan=loan, terms=terms)
    assert "amount" in refused.value.message_dict


def test_disbursing_posts_the_loan_and_activates_it(loan, bank):
    assert loan.status == LoanStatus.ACTIVE
    tranche = loan.disbursements.get()
    lines = JournalLine.objects.filter(entry__source_kind="disbursement").order_by("pk")
    assert list(lines.values_list("account__code", "debit", "credit")) == [
        ("128311", D(120_000_000), 0),
        ("11211", 0, D(120_000_000)),
    ]
    assert tranche.status == Disbursement.Status.AUTHORIZED
    assert ScheduleVersion.objects.get(loan=loan).rows.count() == 12
    assert_books_agree()


def test_whoever_entered_a_tranche_cannot_authorize_it(staff, bank, user_with_role):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    both = user_with_role(roles.FUND_OFFICER, roles.ACCOUNTANT)
    tranche = record_disbursement(actor=both, loan=loan, value_date=START, amount=D(50_000_000), account=bank)
    with pytest.raises(PermissionDenied):
        authorize_disbursement(actor=both, disbursement=tranche)
    assert not LoanTransaction.objects.exists()


def test_authorizing_twice_posts_once(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(50_000_000), account=bank
    )
    authorize_disbursement(actor=staff["accountant"], disbursement=tranche)
    authorize_disbursement(actor=staff["accountant"], disbursement=tranche)
    assert LoanTransaction.objects.filter(kind="disbursement").count() == 1
    assert loans_gl_balance() == D(50_000_000)


def test_a_tranche_the_account_cannot_cover_is_refused(staff):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    empty = Account.objects.get(code="11212")
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(50_000_000), account=empty
    )
    with pytest.raises(ValidationError, match="cannot pay out"):
        authorize_disbursement(actor=staff["accountant"], disbursement=tranche)
    tranche = Disbursement.objects.get(pk=tranche.pk)
    assert tranche.status == Disbursement.Status.PENDING
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.status == LoanStatus.APPROVED


def test_tranches_stop_at_the_contract_amount(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(100_000_000), account=bank
    )
    with pytest.raises(ValidationError, match="left to disburse"):
        record_disbursement(
            actor=staff["officer"], loan=loan, value_date=START, amount=D(30_000_000), account=bank
        )


def test_a_cancelled_tranche_frees_its_amount_and_allows_undoing_the_approval(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(120_000_000), account=bank
    )
    assert not loan.nothing_disbursed()
    with pytest.raises(ValidationError, match="At most 4000 characters"):
        cancel_disbursement(actor=staff["officer"], disbursement=tranche, reason="x" * 100_000)
    assert not loan.nothing_disbursed()
    cancel_disbursement(actor=staff["officer"], disbursement=tranche, reason="Sai số tài khoản")
    assert loan.nothing_disbursed()
    record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(120_000_000), account=bank
    )


def test_a_tranche_splits_among_households_rounding_half_up(staff, bank):
    group = HouseholdGroupFactory()
    first, second = HouseholdMemberFactory.create_batch(2, borrower=group)
    loan = factories.signed_loan(
        officer=staff["officer"],
        approver=staff["approver"],
        appraiser=staff["appraiser"],
        signed_on=START,
        borrower=group,
        amount=D(50_000_000),
        shares=[(first, D(25_000_000)), (second, D(25_000_000))],
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(10_000_001), account=bank
    )
    # Equal halves of 10.000.001: the first is 5.000.000,5, rounded half-up; the second takes the rest.
    parts = sorted(part.amount.amount for part in tranche.shares.all())
    assert parts == [D(5_000_000), D(5_000_001)]
    assert tranche.shares.get(share__member=first).amount.amount == D(5_000_001)


def test_a_tranche_left_waiting_does_not_pay_out_once_the_loan_is_repaid_and_closed(staff, bank):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    first = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(100_000_000), account=bank
    )
    authorize_disbursement(actor=staff["accountant"], disbursement=first)
    waiting = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(20_000_000), account=bank
    )
    day = dt.date(2026, 2, 1)
    move_to(day)
    repay(Loan.objects.get(pk=loan.pk), staff, day, loan_position(loan, as_of=day).payoff)
    entries = JournalLine.objects.count()
    with pytest.raises(ValidationError, match="closed"):
        authorize_disbursement(actor=staff["accountant"], disbursement=waiting)
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.CLOSED
    assert Disbursement.objects.get(pk=waiting.pk).status == Disbursement.Status.PENDING
    assert JournalLine.objects.count() == entries


# --- repayments ------------------------------------------------------------------------------


def test_a_repayment_posts_its_allocation(loan, staff):
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    entry_lines = JournalLine.objects.filter(entry__source_kind="repayment")
    by_account = {
        code: (debit, credit)
        for code, debit, credit in entry_lines.values_list("account__code", "debit", "credit")
    }
    assert by_account == {"11211": (ROW1, 0), "128311": (0, D(10_000_000)), "5151": (0, D(1_223_014))}
    assert sub_ledger(loan, "interest") == D(1_223_014)
    assert_books_agree()


def test_the_same_repayment_entered_twice_is_recorded_once(loan, staff):
    first = repay(loan, staff, dt.date(2026, 2, 15), ROW1, reference="UNC 123")
    again = repay(loan, staff, dt.date(2026, 2, 15), ROW1, reference="UNC 123")
    assert first.pk == again.pk
    assert Repayment.objects.count() == 1
    assert LoanTransaction.objects.filter(kind="repayment").count() == 1


def test_more_than_the_whole_debt_is_refused_with_the_exact_payoff(loan, staff):
    # On 25/02, nothing repaid: 120.000.000 + 1.223.014 (row 1, overdue) + late interest
    # 10.000.000 × 18 % × 10/365 = 49.315 + penalty 1.223.014 × 10 % × 10/365 = 3.351 + interest
    # accrued since 15/02 on 110.000.000 × 12 % × 10/365 = 361.644: 121.637.324.
    with pytest.raises(ValidationError) as refused:
        repay(loan, staff, dt.date(2026, 2, 25), D(200_000_000))
    assert "121,637,324" in str(refused.value)
    assert not Repayment.objects.exists()
    assert replay_part(loan, None, as_of=dt.date(2026, 2, 25)).payoff == D(121_637_324)


def test_paying_the_whole_debt_closes_the_loan_and_a_reversal_reopens_it(loan, staff):
    repayment = repay(loan, staff, dt.date(2026, 2, 25), D(121_637_324))
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.status == LoanStatus.CLOSED
    assert sub_ledger(loan, "principal") == 0
    with pytest.raises(ValidationError, match="At most 4000 characters"):
        reverse_repayment(actor=staff["accountant"], repayment=repayment, reason="x" * 100_000)
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.CLOSED
    reverse_repayment(actor=staff["accountant"], repayment=repayment, reason="Ngân hàng trả lại lệnh")
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.status == LoanStatus.ACTIVE
    assert sub_ledger(loan, "principal") == D(120_000_000)
    assert_books_agree()


def test_a_prepayment_makes_a_schedule_version_either_way(loan, staff):
    repay(
        loan,
        staff,
        dt.date(2026, 2, 15),
        ROW1 + D(20_000_000),
        prepayment_mode=Repayment.PrepaymentMode.SHORTEN_TERM,
    )
    latest = ScheduleVersion.objects.filter(loan=loan).order_by("-number").first()
    assert (latest.number, latest.reason) == (2, ScheduleVersion.Reason.PREPAYMENT)
    assert latest.rows.filter(kind="scheduled", due_date__gt=dt.date(2026, 2, 15)).count() == 9
    # The first version is kept as it was: nothing is edited.
    assert ScheduleVersion.objects.get(loan=loan, number=1).rows.count() == 12


def test_reversing_a_repayment_re_allocates_the_later_ones(loan, staff):
    # Row 1 paid on 15/02, row 2 on 15/03. Without the first payment, the 11.012.603 of 15/03
    # pays row 1's charges first: late interest 10.000.000 × 18 % × 28/365 = 138.082,19 → 138.082,
    # penalty 1.223.014 × 10 % × 28/365 = 9.381,93 → 9.382, then row 1's interest 1.223.014, then
    # 9.642.125 of its principal.
    first = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    second = repay(loan, staff, dt.date(2026, 3, 15), ROW2)
    reverse_repayment(actor=staff["accountant"], repayment=first, reason="Nhập nhầm khoản vay")
    held = LoanTransaction.objects.filter(repayment=second).aggregate(
        principal=Sum("principal"),
        interest=Sum("interest"),
        late=Sum("late_interest"),
        penalty=Sum("penalty"),
    )
    assert held == {
        "principal": D(-9_642_125),
        "interest": D(1_223_014),
        "late": D(138_082),
        "penalty": D(9_382),
    }
    assert sub_ledger(loan, "principal") == D(120_000_000) - D(9_642_125)
    assert LoanTransaction.objects.filter(repayment=first).aggregate(total=Sum("principal"))["total"] == 0
    assert_books_agree()


def test_a_back_dated_repayment_re_allocates_the_later_ones(loan, staff):
    second = repay(loan, staff, dt.date(2026, 3, 15), ROW2)
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    # Entered later but dated earlier: now row 1 was paid on time, and the 15/03 money pays row 2.
    held = LoanTransaction.objects.filter(repayment=second).aggregate(p=Sum("principal"), i=Sum("interest"))
    assert held == {"p": D(-10_000_000), "i": D(1_012_603)}
    assert_books_agree()


def test_a_reversal_needs_a_reason_and_happens_once(loan, staff):
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    with pytest.raises(ValidationError):
        reverse_repayment(actor=staff["accountant"], repayment=repayment, reason=" ")
    reverse_repayment(actor=staff["accountant"], repayment=repayment, reason="Trùng")
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_repayment(actor=staff["accountant"], repayment=repayment, reason="Trùng")


def test_a_reason_longer_than_a_journal_memo_is_kept_whole_on_the_repayment(loan, staff):
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    reason = "Ngân hàng trả lại lệnh. " * 125  # 3 000 characters, the memo holds 500
    reverse_repayment(actor=staff["accountant"], repayment=repayment, reason=reason)
    repayment = Repayment.objects.get(pk=repayment.pk)
    assert repayment.status == Repayment.Status.REVERSED
    assert repayment.reversal_reason == reason.strip()
    reversal = LoanTransaction.objects.get(repayment=repayment, kind=LoanTransaction.Kind.REVERSAL)
    assert reversal.journal_entry.memo == Truncator(reason.strip()).chars(500)
    assert_books_agree()


def test_an_officer_cannot_reverse(loan, staff):
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    with pytest.raises(PermissionDenied):
        reverse_repayment(actor=staff["officer"], repayment=repayment, reason="Trùng")


# --- the books agree after anything ------------------------------------------------------------

actions = st.lists(
    st.one_of(
        st.tuples(st.just("repay"), st.integers(1, 400), st.integers(1, 60_000_000), st.booleans()),
        st.tuples(st.just("reverse"), st.integers(0, 10)),
        st.tuples(st.just("tranche"), st.integers(1, 100), st.integers(1, 60_000_000)),
    ),
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=actions)
def test_after_any_actions_the_sub_ledger_and_the_gl_agree(staff, bank, actions):
    with transaction.atomic():
        move_to(START)
        loan = sixty_million_loan(staff, bank)
        for action in actions:
            # A refusal comes with a message and writes nothing: the books must still agree.
            with contextlib.suppress(ValidationError):
                apply_action(action, loan, staff, bank)
            assert_books_agree()
            replayed = replay_part(loan, None, as_of=Fund.objects.get().business_date)
            assert replayed.principal_outstanding == sub_ledger(loan, "principal")
            assert_nothing_left_to_settle(loan, staff)
        transaction.set_rollback(True)


def assert_nothing_left_to_settle(loan, staff):
    """Settling the loan in full now (every allocation against the sub-ledger, the schedule
    against its latest version) finds nothing to post or store: the short path a repayment takes
    when it is its loan's last event posted what the full one would have."""
    counts = LoanTransaction.objects.count(), ScheduleVersion.objects.count()
    with transaction.atomic():
        settle(lock_loan(loan.pk), actor=staff["accountant"])
        assert (LoanTransaction.objects.count(), ScheduleVersion.objects.count()) == counts
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (dt.date(9999, 12, 31), ("at the latest the business date ({})", dt.date(2026, 2, 15))),
        (dt.date(2026, 2, 16), ("at the latest the business date ({})", dt.date(2026, 2, 15))),
        (dt.date(1, 1, 1), ("not before the fund's opening date ({})", dt.date(2025, 1, 1))),
    ],
)
def test_a_repayment_dated_outside_the_funds_days_posts_nothing(loan, staff, day, problem):
    problem = problem[0].format(format_date(problem[1]))  # in the language of the test, not of its import
    move_to(dt.date(2026, 2, 15))
    entry = RepaymentInput(value_date=day, amount=ROW1, channel=Repayment.Channel.BANK_TRANSFER)
    with pytest.raises(ValidationError) as refused:
        record_repayment(actor=staff["officer"], loan=loan, entry=entry)
    assert problem in refused.value.message_dict["value_date"][0]
    assert not Repayment.objects.exists()

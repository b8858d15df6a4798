"""The stored balances rows: after any money events they are the replay on every day, and their
totals are the GL's.

The loan of the examples (conftest): 120.000.000 đ over 12 months from 15/01/2026; row 1 falls
due 15/02 (ROW1), row 2 on 15/03 (ROW2).
"""

import contextlib
import datetime as dt
from decimal import Decimal as D
from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fund.models import Fund
from ledger.selectors import accounts_total
from loans.domain.engine import Balance
from loans.models import LoanBalance, LoanTransaction
from loans.replaying import replay_part
from loans.selectors.balances import StoredPosition, balances_as_of, stored_position
from loans.selectors.position import loan_position
from loans.selectors.reconciliation import reconciliation
from loans.services.servicing.balances import rebuild_balances
from loans.services.servicing.repayments import reverse_repayment
from tests.loans.conftest import (
    ROW1,
    ROW2,
    START,
    apply_action,
    household_group_loan,
    move_to,
    repay,
    sixty_million_loan,
)

ONE_DAY = dt.timedelta(days=1)
FAR = dt.date(2030, 1, 1)


def series(loan, share=None) -> list[LoanBalance]:
    return list(LoanBalance.objects.filter(loan=loan, share=share).order_by("valid_from"))


def figures(row: LoanBalance, names=Balance.FIGURES) -> dict:
    return {name: getattr(getattr(row, name), "amount", getattr(row, name)) for name in names}


def replayed(balance: Balance, names=Balance.FIGURES) -> dict:
    return {name: getattr(balance, name) for name in names}


def assert_rows_are_the_replay(loan, share=None, *, until: dt.date) -> None:
    """The sub-loan's rows follow each other without gap or overlap from its first tranche, and
    on every day up to `until` the row valid that day (read as the reports read it) holds the
    replay of that day: its step figures every day, the accruing ones on its first day, and days
    past due derived from its oldest unpaid due date."""
    rows = series(loan, share)
    first = loan.disbursements.filter(status="authorized").order_by("value_date").first().value_date
    assert rows and rows[0].valid_from == first
    assert all(a.valid_to == b.valid_from for a, b in pairwise(rows)) and rows[-1].valid_to is None
    day = first
    while day <= until:
        (row,) = balances_as_of(day, loans=[loan]).filter(share=share)
        result = replay_part(loan, share, as_of=day)
        assert figures(row, Balance.STEPS) == replayed(result.balance, Balance.STEPS), day
        if day == row.valid_from:
            assert figures(row) == replayed(result.balance), day
        assert row.days_past_due(day) == result.days_past_due, day
        assert row.exact_on(day), day
        day += ONE_DAY


def assert_totals_are_the_gl() -> None:
    """The current rows' principal is the GL's on the loan accounts, in term and overdue together
    (these tests move the business date by hand: no close of day moves overdue principal to the
    overdue accounts), and per control account the loans' sub-ledger is the GL's."""
    current = LoanBalance.objects.filter(valid_to__isnull=True)
    principal = sum((row.principal_outstanding for row in current), D(0))
    assert principal == accounts_total(codes=["1283"], as_of=FAR)
    assert [row.code for row in reconciliation(as_of=FAR) if row.difference] == []


# --- examples ------------------------------------------------------------------------------


def test_a_repayment_on_its_due_date_closes_the_current_row_and_opens_one(loan, staff):
    (opened,) = series(loan)
    assert (opened.valid_from, opened.valid_to, opened.principal_outstanding) == (START, None, D(120_000_000))
    assert (opened.next_due_date, opened.next_due_amount.amount) == (dt.date(2026, 2, 15), ROW1)
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    first, second = series(loan)
    assert (first.valid_from, first.valid_to) == (START, dt.date(2026, 2, 15))
    assert (second.valid_from, second.valid_to) == (dt.date(2026, 2, 15), None)
    assert second.principal_outstanding == D(110_000_000) and second.oldest_unpaid_due_date is None
    assert (second.next_due_date, second.next_due_amount.amount) == (dt.date(2026, 3, 15), ROW2)
    assert_rows_are_the_replay(loan, until=dt.date(2026, 2, 15))


def test_due_dates_passed_since_the_last_event_get_their_rows(loan, staff):
    repay(loan, staff, dt.date(2026, 3, 20), D(1_000_000))
    starts = [(row.valid_from, row.oldest_unpaid_due_date) for row in series(loan)]
    assert starts == [
        (START, None),
        (dt.date(2026, 2, 15), dt.date(2026, 2, 15)),  # row 1 falls due
        (dt.date(2026, 2, 16), dt.date(2026, 2, 15)),  # and is overdue
        (dt.date(2026, 3, 15), dt.date(2026, 2, 15)),
        (dt.date(2026, 3, 16), dt.date(2026, 2, 15)),
        (dt.date(2026, 3, 20), dt.date(2026, 2, 15)),  # the repayment
    ]
    assert series(loan)[-1].days_past_due(dt.date(2026, 3, 20)) == 33
    assert_rows_are_the_replay(loan, until=dt.date(2026, 3, 20))


def test_a_back_dated_repayment_rewrites_the_rows_from_its_date(loan, staff):
    repay(loan, staff, dt.date(2026, 3, 15), ROW2)
    late = {row.valid_from: row.pk for row in series(loan)}
    assert dt.date(2026, 2, 16) in late  # row 1 unpaid: overdue from the day after it fell due
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    rows = series(loan)
    assert [row.valid_from for row in rows] == [START, dt.date(2026, 2, 15), dt.date(2026, 3, 15)]
    assert rows[0].pk == late[START]  # before the repayment's date nothing was written again
    assert all(row.oldest_unpaid_due_date is None for row in rows)
    assert_rows_are_the_replay(loan, until=dt.date(2026, 3, 15))
    assert_totals_are_the_gl()


def test_a_reversal_rewrites_the_rows_from_the_reversed_repayments_date(loan, staff):
    first = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    repay(loan, staff, dt.date(2026, 3, 15), ROW2)
    assert all(row.principal_overdue.amount == 0 for row in series(loan))
    move_to(dt.date(2026, 3, 20))
    reverse_repayment(actor=staff["accountant"], repayment=first, reason="Nhập nhầm")
    rows = series(loan)
    # Without row 1's money, the 15/03 repayment (ROW2) goes to row 1, late, and does not cover
    # it with its late interest: rows 1 and 2 are overdue from 16/03.
    assert [row.valid_from for row in rows[-3:]] == [
        dt.date(2026, 2, 16),
        dt.date(2026, 3, 15),
        dt.date(2026, 3, 16),
    ]
    assert rows[-1].principal_overdue.amount > D(10_000_000)
    assert rows[-1].oldest_unpaid_due_date == dt.date(2026, 2, 15)
    assert_rows_are_the_replay(loan, until=dt.date(2026, 3, 20))
    assert_totals_are_the_gl()


def test_a_group_loan_has_a_series_per_household_and_a_repayment_writes_only_its_own(staff, bank):
    loan, (first, second) = household_group_loan(staff, bank, D(30_000_000), D(20_000_000))
    shares = {share.member_id: share for share in loan.member_shares.all()}
    assert not LoanBalance.objects.filter(loan=loan, share__isnull=True).exists()
    assert [r.principal_outstanding for r in series(loan, shares[first.pk])] == [D(30_000_000)]
    assert [r.principal_outstanding for r in series(loan, shares[second.pk])] == [D(20_000_000)]
    day = dt.date(2026, 2, 15)
    due = loan_position(loan, as_of=day).households[0][1].due_today
    repay(loan, staff, day, due, share=shares[first.pk])
    assert len(series(loan, shares[first.pk])) == 2
    assert len(series(loan, shares[second.pk])) == 1  # the other household's rows are untouched
    assert_rows_are_the_replay(loan, shares[first.pk], until=day)
    # The other's row is exact until its installment falls due, which close of day will write.
    assert_rows_are_the_replay(loan, shares[second.pk], until=day - ONE_DAY)
    assert not series(loan, shares[second.pk])[0].exact_on(day)
    assert_totals_are_the_gl()


def test_one_current_row_per_sub_loan_and_none_ending_before_it_starts(loan):
    (row,) = series(loan)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanBalance.objects.create(
            **{
                f.attname: getattr(row, f.attname)
                for f in LoanBalance._meta.concrete_fields
                if f.name != "id"
            }
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanBalance.objects.filter(pk=row.pk).update(valid_to=row.valid_from)


def test_the_loan_pages_position_reads_the_rows_while_they_are_exact(loan, staff):
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    on = dt.date(2026, 3, 1)
    stored, replayed_position = stored_position(loan, as_of=on, sub_loans=1), loan_position(loan, as_of=on)
    for name in ("principal_outstanding", "overdue_principal", "days_past_due", "next_due_date"):
        assert getattr(stored, name) == getattr(replayed_position, name)
    # Row 2 falls due on 15/03 with no event since: only close of day would write that row.
    assert stored_position(loan, as_of=dt.date(2026, 3, 15), sub_loans=1) is None


def test_rebuilding_writes_the_same_rows(loan, staff):
    repay(loan, staff, dt.date(2026, 3, 20), ROW1)
    repay(loan, staff, dt.date(2026, 2, 20), D(2_000_000))
    before = [(r.valid_from, r.valid_to, figures(r)) for r in series(loan)]
    LoanBalance.objects.all().delete()
    call_command("rebuild_balances", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [(r.valid_from, r.valid_to, figures(r)) for r in series(loan)] == before


def test_rebuilding_drops_closed_rows_left_without_a_current_one(loan, staff):
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    before = [(r.valid_from, r.valid_to, figures(r)) for r in series(loan)]
    series(loan)[-1].delete()  # the current row gone by hand: the closed one is left alone
    rebuild_balances(loan_id=loan.pk, business_date=dt.date(2026, 2, 15))
    assert [(r.valid_from, r.valid_to, figures(r)) for r in series(loan)] == before
    assert_rows_are_the_replay(loan, until=dt.date(2026, 2, 15))


def test_the_loan_page_replays_a_group_loan_missing_a_households_rows(client, staff, bank):
    loan, (first, second) = household_group_loan(staff, bank, D(30_000_000), D(20_000_000))
    move_to(dt.date(2026, 2, 1))
    client.force_login(staff["officer"])
    url = reverse("loans:loan_detail", args=[loan.pk])
    header = client.get(url).context["header"]
    assert isinstance(header, StoredPosition) and header.principal_outstanding == D(50_000_000)
    # As if serviced before the rows existed: only one household has rows.
    LoanBalance.objects.filter(loan=loan, share__member=second).delete()
    assert stored_position(loan, as_of=dt.date(2026, 2, 1), sub_loans=2) is None
    header = client.get(url).context["header"]
    assert not isinstance(header, StoredPosition) and header.principal_outstanding == D(50_000_000)


def test_every_posting_carries_its_booking_date(loan, staff):
    move_to(dt.date(2026, 3, 20))
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    posted = LoanTransaction.objects.get(repayment=repayment)
    assert (posted.value_date, posted.booking_date) == (dt.date(2026, 2, 15), dt.date(2026, 3, 20))
    assert LoanTransaction.objects.get(kind="disbursement").booking_date == START


# --- after anything -------------------------------------------------------------------------

actions = st.lists(
    st.one_of(
        # Any amount on any day: late, early, partial, a prepayment; before the business date it
        # is back-dated.
        st.tuples(st.just("repay"), st.integers(1, 400), st.integers(1, 60_000_000), st.booleans()),
        # Exactly what is due and overdue that day (on time when it is a due date).
        st.tuples(st.just("repay_due"), st.integers(1, 400)),
        st.tuples(st.just("reverse"), st.integers(0, 10)),
        st.tuples(st.just("tranche"), st.integers(1, 100), st.integers(1, 60_000_000)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=actions)
def test_after_any_events_the_rows_are_the_replay_on_every_day_and_agree_with_the_gl(staff, bank, actions):
    with transaction.atomic():
        move_to(START)
        loan = sixty_million_loan(staff, bank)
        for action in actions:
            # A refusal writes nothing, and does not move the business date either.
            with contextlib.suppress(ValidationError), transaction.atomic():
                apply_action(action, loan, staff, bank)
            assert_totals_are_the_gl()
        assert_rows_are_the_replay(loan, until=Fund.objects.get().business_date)
        transaction.set_rollback(True)

"""Close of day among any other events: whatever tranches, repayments (back-dated too),
reversals and closes happen to a loan, its stored balances rows are its replay on every day, its
sub-ledger is the GL's on every day, and the books balance.

The business date moves only by close of day here: an event dated after it closes the days
before it first; an event dated before it is back-dated.
"""

import contextlib
import datetime as dt
from decimal import Decimal as D

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fund.models import Fund
from fund.models.fund import AccrualPosting
from ledger.selectors import account_balances
from loans.replaying import replay_part
from loans.services.closing.runs import close_until
from tests.loans import factories
from tests.loans.conftest import START, apply_action, move_to, sixty_million_loan
from tests.loans.test_balances import assert_rows_are_the_replay
from tests.loans.test_close_of_day import assert_books_agree

ONE_DAY = dt.timedelta(days=1)
LAST = START + dt.timedelta(days=150)  # no close beyond: each example closes at most 150 days

actions = st.lists(
    st.one_of(
        st.tuples(st.just("repay"), st.integers(1, 150), st.integers(1, 60_000_000), st.booleans()),
        st.tuples(st.just("repay_due"), st.integers(1, 150)),
        st.tuples(st.just("reverse"), st.integers(0, 10)),
        st.tuples(st.just("tranche"), st.integers(1, 100), st.integers(1, 60_000_000)),
        st.tuples(st.just("close"), st.integers(1, 45)),
    ),
    min_size=1,
    max_size=8,
)


def business_date() -> dt.date:
    return Fund.objects.get().business_date


def close_to(day: dt.date, staff) -> None:
    """Close the days up to `day` (not beyond LAST), if it is after the business date."""
    day = min(day, LAST)
    if day > business_date():
        close_until(actor=staff["accountant"], until=day)


def act(action, loan, staff, bank) -> None:
    if action[0] == "close":
        close_to(business_date() + dt.timedelta(days=action[1]), staff)
        return
    if action[0] != "reverse":
        close_to(START + dt.timedelta(days=action[1]), staff)
    apply_action(action, loan, staff, bank)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=actions, posting=st.sampled_from(AccrualPosting.values), grace=st.sampled_from([0, 3]))
def test_after_any_events_and_closes_the_rows_are_the_replay_and_the_books_agree_every_day(
    fund, staff, bank, actions, posting, grace
):
    with transaction.atomic():
        move_to(START)
        Fund.objects.update(accrual_posting=posting)
        loan = sixty_million_loan(staff, bank, loan_product=factories.product(overdue_grace_days=grace))
        for action in actions:
            # A refusal writes nothing (a day closed stays closed: each is its own transaction).
            with contextlib.suppress(ValidationError), transaction.atomic():
                act(action, loan, staff, bank)
        # One more day closed after the last event: the GL holds the loan's principal as the
        # replay has it the next morning, overdue what is unpaid past its due date and grace.
        closed = business_date()
        close_until(actor=staff["accountant"], until=closed + ONE_DAY)
        result = replay_part(loan, None, as_of=closed + ONE_DAY)
        overdue = sum(
            (
                row.principal_unpaid
                for row in result.rows
                if row.due_date + dt.timedelta(days=grace) <= closed
            ),
            D(0),
        )
        gl = account_balances(codes=["128311", "128312"], as_of=closed)
        assert (gl["128311"], gl["128312"]) == (result.principal_outstanding - overdue, overdue)
        assert_rows_are_the_replay(loan, until=business_date())
        day = START
        while day <= business_date():
            assert_books_agree(day)
            day += ONE_DAY
        transaction.set_rollback(True)

"""Close of day brings a loan whose only change point by the next morning is an installment
falling due (or the day after one left unpaid) from its current row and schedule, without its
events (`positions.forwarded`): each time it does, the rows it writes and the end of day it
gives are the replay's, which close of day gave before, to the đồng.

Each forwarded close is checked against the replay of the same loans at the same moment (in a
savepoint rolled back), over loans of each repayment method, with days of grace, repayments on
time, late, partial and prepaying, further tranches, and closes of any length."""

import contextlib
import datetime as dt
from unittest import mock

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fund.models import Fund
from loans.models import LoanBalance
from loans.models.balances import MONEY
from loans.services.closing import positions
from loans.services.closing.runs import close_until
from tests.loans import factories
from tests.loans.conftest import START, apply_action, move_to, sixty_million_loan

ONE_DAY = dt.timedelta(days=1)
LAST = START + dt.timedelta(days=200)
SHAPES = {  # amortization, principal and interest every so many months
    "equal principal": ("equal_principal", 1, 1),
    "annuity": ("annuity", 1, 1),
    "quarterly principal": ("equal_principal", 3, 1),
    "bullet": ("bullet", 0, 1),
}
_forwarded = positions.forwarded


def rows_of(loan_ids) -> dict[int, list[tuple]]:
    rows = LoanBalance.objects.filter(loan_id__in=loan_ids).order_by("loan_id", "valid_from")
    answer: dict[int, list[tuple]] = {}
    for values in rows.values_list("loan_id", "valid_from", "valid_to", *_FIGURES, "accruing"):
        answer.setdefault(values[0], []).append(values[1:])
    return answer


_FIGURES = (*MONEY, "next_due_date", "oldest_unpaid_due_date", "restructure_count")


class Checked:
    """`positions.forwarded`, each call checked against the replay of its loans."""

    def __init__(self):
        self.loans = 0

    def __call__(self, loans, day, *, grace_days):
        with transaction.atomic():  # the replay's rows and end of day, then rolled back
            replayed, failures = positions.replayed(loans, day, grace_days=grace_days)
            by_replay = rows_of([loan.pk for loan in loans])
            transaction.set_rollback(True)
        ends = _forwarded(loans, day, grace_days=grace_days)
        assert not set(ends) & set(failures)
        assert ends == {pk: replayed[pk] for pk in ends}, day
        mine = rows_of(list(ends))
        assert mine == {pk: by_replay[pk] for pk in ends}, day
        self.loans += len(ends)
        return ends


def close_to(day, staff):
    day = min(day, LAST)
    if day > Fund.objects.get().business_date:
        close_until(actor=staff["accountant"], until=day)


def a_loan(staff, bank, shape, grace):
    method, principal_every, interest_every = SHAPES[shape]
    product = factories.product(
        overdue_grace_days=grace,
        amortization=method,
        principal_frequency=principal_every,
        interest_frequency=interest_every,
    )
    return sixty_million_loan(staff, bank, loan_product=product)


def test_a_loan_left_alone_is_brought_over_each_due_date_as_the_replay_does(fund, staff, bank):
    checked = Checked()
    move_to(START)
    a_loan(staff, bank, "equal principal", 3)
    with mock.patch.object(positions, "forwarded", checked):
        close_to(START + dt.timedelta(days=100), staff)
    # Three due dates and the days after them, the installments left unpaid.
    assert checked.loans == 6


actions = st.lists(
    st.one_of(
        st.tuples(st.just("repay"), st.integers(1, 150), st.integers(1, 60_000_000), st.booleans()),
        st.tuples(st.just("repay_due"), st.integers(1, 150)),
        st.tuples(st.just("tranche"), st.integers(1, 100), st.integers(1, 60_000_000)),
        st.tuples(st.just("close"), st.integers(1, 45)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=actions, grace=st.sampled_from([0, 3]), shape=st.sampled_from(sorted(SHAPES)))
def test_whatever_happened_before_a_loan_brought_forward_gets_the_replays_rows(
    fund, staff, bank, actions, grace, shape
):
    checked = Checked()
    with transaction.atomic(), mock.patch.object(positions, "forwarded", checked):
        move_to(START)
        loan = a_loan(staff, bank, shape, grace)
        for action in actions:
            with contextlib.suppress(ValidationError), transaction.atomic():
                if action[0] == "close":
                    close_to(Fund.objects.get().business_date + dt.timedelta(days=action[1]), staff)
                else:
                    close_to(START + dt.timedelta(days=action[1]), staff)
                    apply_action(action, loan, staff, bank)
        close_to(LAST, staff)
        transaction.set_rollback(True)

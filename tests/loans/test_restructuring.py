"""Extension, rescheduling and interest waiver, worked by hand on the example loan: 120 000 000
at 12 %/year from 15/01/2026 for 12 months, 10 000 000 of principal a month (conftest's ROW1,
ROW2). Interest = principal × 0.12 × days / 365, rounded half-up once where it becomes a row."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fund import roles
from fund.models import AuthorityLevel
from loans.models import ActionStatus, Loan, LoanBalance, LoanTransaction, ScheduleVersion
from loans.selectors.reconciliation import reconciliation
from loans.services import actions
from loans.services.closing.runs import close_until
from tests.loans.conftest import ROW1, START, move_to

FEB15, FEB20 = dt.date(2026, 2, 15), dt.date(2026, 2, 20)


@pytest.fixture
def people(fund, staff, user_with_role):
    level = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=None)
    level.holders.add(staff["approver"])
    staff["officer2"] = user_with_role(roles.FUND_OFFICER)
    return staff


def approved(people, loan, kind, **payload):
    action = actions.request_action(actor=people["officer2"], loan=loan, kind=kind, payload=payload, reason="Mất mùa")
    return actions.approve_action(actor=people["approver"], action=action, note="Đồng ý")


def current(loan) -> LoanBalance:
    return LoanBalance.objects.get(loan=loan, valid_to__isnull=True)


def books_agree(day):
    assert {row.code: row.difference for row in reconciliation(as_of=day) if row.difference} == {}


def test_an_extension_spreads_what_is_left_to_the_new_maturity(fund, people, loan):
    # 20/02: row 1 (due 15/02) unpaid. Extended by 6 months, its principal too: from 15/02 (the
    # grid goes on) 11 + 6 = 17 monthly dates to 15/07/2027 share 120 000 000:
    # 120 000 000 / 17 = 7 058 823.5 -> 7 058 824 on 16 rows, the last 7 058 816.
    move_to(FEB20)
    action = approved(people, loan, "extension", months=6)
    assert action.status == ActionStatus.APPLIED
    version = ScheduleVersion.objects.filter(loan=loan).latest("number")
    assert (version.reason, version.effective_date) == ("extension", FEB20)
    rows = list(version.rows.filter(due_date__gt=FEB20).order_by("position"))
    assert len(rows) == 17
    assert [r.principal.amount for r in rows] == [D(7_058_824)] * 16 + [D(7_058_816)]
    assert rows[-1].due_date == dt.date(2027, 7, 15)
    # The first new row collects the period's interest: 5 days on 110 000 000 before the
    # extension (180 821.92) and 23 days on 120 000 000 after it (907 397.26): 1 088 219.
    assert rows[0].interest.amount == D(1_088_219)
    # Row 1's interest stays overdue (an extension moves principal, it capitalises nothing).
    row = current(loan)
    assert (row.principal_in_term.amount, row.principal_overdue.amount) == (D(120_000_000), D(0))
    assert row.interest_overdue.amount == ROW1 - D(10_000_000)
    assert (row.next_due_date, row.next_due_amount.amount) == (dt.date(2026, 3, 15), D(7_058_824 + 1_088_219))
    assert (row.restructured, row.restructure_count) == (True, 1)
    loan.refresh_from_db()
    assert (loan.restructure_count, loan.restructured_on, loan.restructured_group) == (1, FEB20, 1)
    books_agree(FEB20)

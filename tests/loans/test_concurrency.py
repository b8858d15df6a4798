"""Two people acting on one loan at the same moment, on PostgreSQL (row locks are real there)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from fund.models import Fund
from ledger.selectors import accounts_total
from loans.models import Disbursement, LoanTransaction, Repayment
from loans.replaying import replay_part
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.concurrency import at_once
from tests.loans import factories
from tests.loans.conftest import START

# serialized_rollback: the chart of accounts and other migrated data come back after each test.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_concurrent_repayments_on_one_loan_all_land_with_exact_balances(loan, staff):
    Fund.objects.update(business_date=dt.date(2026, 3, 1))
    amounts = [D(1_000_000 + i * 1_111) for i in range(8)]
    results = at_once(
        *[
            lambda amount=amount, i=i: record_repayment(
                actor=staff["officer"],
                loan=loan,
                entry=RepaymentInput(
                    value_date=dt.date(2026, 3, 1), amount=amount, channel="cash", reference=f"PT {i}"
                ),
            )
            for i, amount in enumerate(amounts)
        ]
    )
    assert all(isinstance(result, Repayment) for result in results), results
    held = LoanTransaction.objects.filter(loan=loan, kind="repayment").aggregate(
        total=Sum("amount"), principal=Sum("principal")
    )
    assert held["total"] == sum(amounts)
    # Whatever order the locks gave them, the sub-ledger holds the replay's allocation.
    replayed = replay_part(loan, None, as_of=dt.date(2026, 3, 1))
    assert (
        LoanTransaction.objects.filter(loan=loan).aggregate(p=Sum("principal"))["p"]
        == replayed.principal_outstanding
    )
    assert accounts_total(codes=["1283"], as_of=dt.date(2026, 3, 1)) == replayed.principal_outstanding


def test_the_same_tranche_authorized_twice_at_once_posts_once(staff, bank, user_with_role):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(60_000_000), account=bank
    )
    second = user_with_role("accountant")
    results = at_once(
        *[
            lambda: authorize_disbursement(actor=staff["accountant"], disbursement=tranche),
            lambda: authorize_disbursement(actor=second, disbursement=tranche),
        ]
    )
    assert all(isinstance(result, Disbursement) for result in results), results
    assert LoanTransaction.objects.filter(disbursement=tranche).count() == 1
    assert accounts_total(codes=["1283"], as_of=START) == D(60_000_000)

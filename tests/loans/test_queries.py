"""How a money event holds a loan: the locked row reads what the ORM reads."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fund.accounting import Booked, GLMap, gl_map, product_fields
from loans.models import Loan
from loans.queries import booked, lock_loan, lock_loan_row
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from tests.loans import factories
from tests.loans.conftest import move_to, repay

TERMS = (
    "number",
    "signed_on",
    "annual_rate",
    "term_months",
    "amortization",
    "principal_frequency",
    "interest_frequency",
    "grace_months",
    "first_due_date",
    "day_count",
    "overdue_multiplier",
    "unpaid_interest_rate",
    "allocation_order",
)


def test_a_locked_loan_has_its_contract_terms_and_its_products_accounts(loan):
    with transaction.atomic():
        locked = lock_loan(loan.pk)
    contract, product = loan.contract, loan.product
    assert (locked.pk, locked.status, locked.reference) == (loan.pk, loan.status, loan.reference)
    assert not locked.is_group_loan
    assert {name: getattr(locked.contract, name) for name in TERMS} == {
        name: getattr(contract, name) for name in TERMS
    }
    assert locked.contract.amount == contract.amount.amount
    assert (
        locked.gl
        == gl_map(product)
        == GLMap(**{name: getattr(product, field).code for name, field in product_fields().items()})
    )


def test_a_locked_loan_has_its_books_as_its_sub_ledger_sums_them(loan, staff):
    repay(loan, staff, loan.contract.signed_on + dt.timedelta(days=40), D(5_000_000))
    with transaction.atomic():
        held = lock_loan(loan.pk).booked
    assert held == booked([loan.pk])[loan.pk]
    assert 0 < held.principal + held.overdue_principal < loan.contract.amount.amount  # some principal repaid


def test_an_unsigned_loan_has_no_contract_yet(staff):
    loan = factories.approved_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"]
    )
    with transaction.atomic():
        locked = lock_loan(loan.pk)
        row = lock_loan_row(loan.pk)
    assert locked.contract is None
    assert locked.booked == Booked()  # nothing posted yet
    assert (row.pk, row.status, row.product, row.borrower) == (
        loan.pk,
        loan.status,
        loan.product,
        loan.borrower,
    )


def test_no_such_loan_is_refused_as_the_orm_refuses_it(db):
    with transaction.atomic(), pytest.raises(Loan.DoesNotExist):
        lock_loan(0)
    with transaction.atomic(), pytest.raises(Loan.DoesNotExist):
        lock_loan_row(0)


def test_a_repayment_reads_and_writes_in_a_fixed_number_of_statements(loan, staff):
    """Lock, the loan (with the books and whether there are changes to replay), fund day, the repayment,
    events and the current balances row, the row ended and the next one, the entry, the
    sub-ledger line; the test's transaction adds a savepoint and its release. A regression
    (a lookup repeated, a row written one by one) shows here."""
    day = loan.contract.signed_on + dt.timedelta(days=31)
    repay(loan, staff, day, D(1_000_000), reference="first")
    day += dt.timedelta(days=1)
    move_to(day)
    entry = RepaymentInput(value_date=day, amount=D(1_000_000), channel="bank_transfer", reference="second")
    with CaptureQueriesContext(connection) as queries:
        record_repayment(actor=staff["officer"], loan=loan, entry=entry)
    # SQLite has no posting function: the entry's counter, entry and lines are statements of their own.
    assert len(queries) <= (10 if connection.vendor == "postgresql" else 15), [
        (query["sql"] or "")[:60] for query in queries.captured_queries
    ]
    assert loan.repayments.count() == 2


def test_a_locked_loan_says_whether_it_has_restructurings_or_waivers_to_replay(loan):
    with transaction.atomic():
        assert lock_loan(loan.pk).has_changes is False

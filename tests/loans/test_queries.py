"""How a money event holds a loan: the locked row reads what the ORM reads."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction

from fund.accounting import Booked, GLMap, gl_map, product_fields
from loans.models import Loan
from loans.queries import booked, lock_loan, lock_loan_row
from tests.loans import factories
from tests.loans.conftest import repay

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

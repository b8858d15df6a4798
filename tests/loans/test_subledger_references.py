"""PostgreSQL holds the sub-ledger's rarely set references (household share, tranche, repayment,
the row reversed) as foreign keys would, by the triggers of migration 0025: a row cannot refer to
what does not exist, and what a row refers to cannot go."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from loans.models import LoanTransaction, Repayment
from loans.services.servicing.repayments import reverse_repayment
from tests.ledger.factories import as_if_committed
from tests.loans.conftest import ROW1, household_group_loan, repay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

COLUMNS = {
    "share_id": "loans_loanmembershare",
    "disbursement_id": "loans_disbursement",
    "repayment_id": "loans_repayment",
    "reverses_id": "loans_loantransaction",
}


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def copy_row(row: LoanTransaction, **changes) -> None:
    """A raw INSERT of a copy of `row`, with `changes` (column: value)."""
    columns = [field.column for field in LoanTransaction._meta.concrete_fields if not field.primary_key]
    values = ", ".join("%s" if column in changes else column for column in columns)
    params = [changes[column] for column in columns if column in changes]
    sql(
        f"INSERT INTO loans_loantransaction ({', '.join(columns)}) "
        f"SELECT {values} FROM loans_loantransaction WHERE id = %s",
        [*params, row.pk],
    )


def missing_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1000 FROM {table}")
        return cursor.fetchone()[0]


@pytest.fixture
def repaid(loan, staff):
    repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    return loan


@pytest.mark.parametrize("column", COLUMNS)
def test_a_row_referring_to_what_does_not_exist_is_refused_at_commit(repaid, column):
    row = LoanTransaction.objects.get(loan=repaid, kind=LoanTransaction.Kind.REPAYMENT)
    before = LoanTransaction.objects.count()
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        copy_row(row, **{column: missing_id(COLUMNS[column])})
        as_if_committed()
    assert f"refers to {COLUMNS[column]}" in str(error.value)
    assert "does not exist" in str(error.value)
    assert LoanTransaction.objects.count() == before


@pytest.mark.parametrize("column", COLUMNS)
def test_a_row_changed_to_refer_to_what_does_not_exist_is_refused(repaid, column):
    row = LoanTransaction.objects.get(loan=repaid, kind=LoanTransaction.Kind.REPAYMENT)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        sql(
            f"UPDATE loans_loantransaction SET {column} = %s WHERE id = %s",
            [missing_id(COLUMNS[column]), row.pk],
        )
        as_if_committed()
    assert f"refers to {COLUMNS[column]}" in str(error.value)
    assert getattr(LoanTransaction.objects.get(pk=row.pk), column) == getattr(row, column)


def test_rows_referring_to_what_exists_or_to_nothing_are_kept(repaid):
    row = LoanTransaction.objects.get(loan=repaid, kind=LoanTransaction.Kind.REPAYMENT)
    before = LoanTransaction.objects.count()
    with transaction.atomic():
        copy_row(row)  # the same repayment
        copy_row(row, repayment_id=None)  # what a close of day writes: no source at all
        as_if_committed()
    assert LoanTransaction.objects.count() == before + 2
    assert LoanTransaction.objects.filter(repayment_id=row.repayment_id).count() == 2


def referred_rows(staff, bank) -> dict[str, int]:
    """For each column, the id of a row of its table that the sub-ledger refers to: a household
    group's loan, repaid, the repayment reversed."""
    loan, _members = household_group_loan(staff, bank, D(60_000_000), D(40_000_000))
    repayment = repay(loan, staff, dt.date(2026, 2, 15), D(5_000_000), share=loan.member_shares.first())
    reverse_repayment(
        actor=staff["accountant"], repayment=Repayment.objects.get(pk=repayment.pk), reason="Sai"
    )
    rows = LoanTransaction.objects.filter(loan=loan).order_by("pk")
    reversal = rows.filter(kind=LoanTransaction.Kind.REVERSAL).first()
    disbursed = rows.filter(disbursement__isnull=False).first()
    assert reversal.repayment_id == repayment.pk
    return {
        "share_id": rows.filter(share__isnull=False).first().share_id,
        "disbursement_id": disbursed.disbursement_id,
        "repayment_id": repayment.pk,
        "reverses_id": reversal.reverses_id,
    }


def test_what_the_sub_ledger_refers_to_cannot_be_deleted_or_renumbered(staff, bank):
    referred = referred_rows(staff, bank)
    for column, table in COLUMNS.items():
        trigger = f"{table}_sources_kept"
        for statement in (f"DELETE FROM {table} WHERE id = %s", f"UPDATE {table} SET id = -id WHERE id = %s"):
            # Only this trigger's check is run now: other tables' foreign keys to the row wait.
            with pytest.raises(IntegrityError) as error, transaction.atomic():
                sql(statement, [referred[column]])
                sql(f"SET CONSTRAINTS {trigger} IMMEDIATE")
            assert f"{table} {referred[column]} is referred to by the sub-ledger" in str(error.value)
        assert LoanTransaction.objects.filter(**{column: referred[column]}).exists()


def test_a_source_whose_rows_go_first_in_the_same_transaction_can_go(staff, bank):
    referred = referred_rows(staff, bank)
    with transaction.atomic():
        sql("DELETE FROM loans_loantransaction WHERE repayment_id = %s", [referred["repayment_id"]])
        sql("DELETE FROM loans_repayment WHERE id = %s", [referred["repayment_id"]])
        sql("SET CONSTRAINTS loans_repayment_sources_kept IMMEDIATE")
        assert not Repayment.objects.filter(pk=referred["repayment_id"]).exists()
        transaction.set_rollback(True)  # other tables' references to the repayment: not this test's


def test_a_source_table_cannot_be_truncated_under_the_sub_ledger(repaid):
    as_if_committed()  # PostgreSQL truncates no table with checks still pending on it
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        sql("TRUNCATE loans_repayment CASCADE")
    assert "loans_repayment" in str(error.value)
    assert "is referred to by the sub-ledger" in str(error.value)
    assert Repayment.objects.filter(loan=repaid).exists()

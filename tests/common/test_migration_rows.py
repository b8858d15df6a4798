"""A data migration's rows deleted again when it is reversed (`common.migration_rows`): by the
database alone, so that migrating an app back to zero reads no later app's dropped table, and
the database's keys still keep a row that something points at."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from common.migration_rows import delete_rows
from ledger.models import Account
from tests.ledger.factories import post

pytestmark = pytest.mark.django_db


def test_the_rows_named_are_deleted_and_no_other():
    before = set(Account.objects.values_list("code", flat=True))
    delete_rows(apps, connection.schema_editor(), "ledger.Account", "code", ["911", "4212"])
    assert set(Account.objects.values_list("code", flat=True)) == before - {"911", "4212"}


def test_a_row_posted_to_is_kept_by_the_database():
    post(debit="1111", credit="41111")
    with pytest.raises(IntegrityError), transaction.atomic():  # rolled back: the test's end checks keys too
        delete_rows(apps, connection.schema_editor(), "ledger.Account", "code", ["41111"])
        connection.check_constraints()
    assert Account.objects.filter(code="41111").exists()

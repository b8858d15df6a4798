"""PostgreSQL refuses any change to the audit trail, as it does to the journal."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import IntegrityError, connection, transaction

from fund import services
from tests.fund.factories import BorrowerFactory

pytestmark = pytest.mark.postgres


def refused(statement: str, params=()) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(error.value)


@pytest.fixture
def recorded(officer) -> LogEntry:
    borrower = BorrowerFactory(name="HTX Cũ")
    with set_actor(officer):
        services.update_borrower(actor=officer, borrower=borrower, fields={"name": "HTX Mới"})
    return LogEntry.objects.get_for_object(borrower).latest("pk")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditlog_logentry SET changes = '{}' WHERE id = %s",
        "UPDATE auditlog_logentry SET actor_id = NULL WHERE id = %s",
        "DELETE FROM auditlog_logentry WHERE id = %s",
    ],
)
def test_a_recorded_change_is_never_updated_or_deleted_even_by_raw_sql(recorded, statement):
    assert "never changed, deleted or truncated" in refused(statement, [recorded.pk])
    assert LogEntry.objects.get(pk=recorded.pk).changes == recorded.changes


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["TRUNCATE auditlog_logentry", "TRUNCATE django_content_type CASCADE"])
def test_the_trail_is_never_truncated(recorded, statement):
    connection.check_constraints()  # PostgreSQL truncates no table with checks still pending
    assert "never changed, deleted or truncated" in refused(statement)
    assert LogEntry.objects.filter(pk=recorded.pk).exists()


@pytest.mark.django_db
def test_the_orm_cannot_delete_it_either(recorded):
    with pytest.raises(IntegrityError), transaction.atomic():
        LogEntry.objects.filter(pk=recorded.pk).delete()
    assert LogEntry.objects.filter(pk=recorded.pk).exists()

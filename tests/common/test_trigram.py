"""The searches' trigram indexes: on PostgreSQL the migrations make them and a search uses them;
on SQLite they are a no-op."""

import pytest
from django.db import connection

from fund.models import Borrower
from loans.models import Loan

pytestmark = pytest.mark.django_db

SEARCHED = {
    "fund_borrower": [
        "name",
        "registration_number",
        "tax_code",
        "representative",
        "phone",
        "commune",
        "district",
    ],
    "loans_loan": ["purpose"],
}


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name for table in SEARCHED for name in connection.introspection.get_constraints(cursor, table)
        }


def test_on_sqlite_the_migrations_make_no_trigram_index():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert not {name for name in _indexes() if name.endswith("_trgm")}


@pytest.mark.postgres
def test_on_postgresql_every_searched_column_has_its_trigram_index():
    expected = {f"{table}_{column}_trgm" for table, columns in SEARCHED.items() for column in columns}
    assert expected <= _indexes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


def _plan(queryset) -> str:
    # A near-empty table: the planner is shown what it can use for the filter by leaving it no
    # sequential scan and no plain index scan (a full scan of another index, a name's btree for
    # its order, would do when statistics from earlier tests make it look cheap); a trigram
    # index serves ILIKE by a bitmap scan only.
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Borrower.objects.filter(name__icontains="tân phú"), "fund_borrower_name_trgm"),
        (lambda: Loan.objects.filter(purpose__icontains="máy gặt"), "loans_loan_purpose_trgm"),
    ],
)
def test_on_postgresql_an_icontains_search_uses_the_index(queryset, index):
    assert index in _plan(queryset())

"""Trigram indexes for the searches of the list pages on PostgreSQL: a search is `icontains`,
which Django writes `UPPER(column::text) LIKE UPPER('%…%')`; a GIN index of pg_trgm on that
very expression answers it without reading the table. SQLite has no such index: nothing there."""

from django.db import migrations

from common.postgresql_sql import postgresql_sql


def trigram_indexes(table: str, columns: list[str]) -> migrations.RunPython:
    """A migration operation creating (reversed: dropping) an index per column of `table`."""
    create = [
        f'CREATE INDEX IF NOT EXISTS "{_name(table, column)}" ON "{table}" '
        f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        for column in columns
    ]
    drop = [f'DROP INDEX IF EXISTS "{_name(table, column)}"' for column in columns]
    return postgresql_sql(["CREATE EXTENSION IF NOT EXISTS pg_trgm", *create], drop)


def _name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]

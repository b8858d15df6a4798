"""Trigram indexes for the searches of the list pages on PostgreSQL: a search is `icontains`,
which Django writes `UPPER(column::text) LIKE UPPER('%…%')`; a GIN index of pg_trgm on that
very expression answers it without reading the table. SQLite has no such index: nothing there."""

from django.db import migrations


def trigram_indexes(table: str, columns: list[str]) -> migrations.RunPython:
    """A migration operation creating (reversed: dropping) an index per column of `table`."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{_name(table, column)}" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{_name(table, column)}"')

    return migrations.RunPython(create, drop, elidable=False)


def _name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]

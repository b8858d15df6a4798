"""Migrations whose work is SQL that only PostgreSQL runs (triggers, functions, indexes SQLite
has not): the database's own guards of the ledger, the audit trail and the frozen products, and
the searches' trigram indexes. On SQLite such a migration does nothing either way."""

from collections.abc import Callable, Sequence

from django.db import migrations

# SQL to run: one text, several run in turn, or a function giving them when the migration runs
# (to take another migration's SQL only then).
SQL = str | Sequence[str] | Callable[[], str | Sequence[str]]


def postgresql_sql(forward: SQL, backward: SQL) -> migrations.RunPython:
    """A migration operation running `forward` on PostgreSQL, and `backward` when reversed."""

    def runner(sql: SQL):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            statements = sql() if callable(sql) else sql
            for statement in [statements] if isinstance(statements, str) else statements:
                # No parameters: a `%` in the SQL (PL/pgSQL's RAISE) is the server's, not a placeholder.
                schema_editor.execute(statement, params=None)

        return run

    return migrations.RunPython(runner(forward), runner(backward))

"""Rows a data migration added, deleted again when the migration is reversed."""

from collections.abc import Sequence


def delete_rows(apps, schema_editor, model: str, column: str, values: Sequence) -> None:
    """Delete the rows of `model` ("app_label.Model") whose `column` is one of `values`.

    Not `QuerySet.delete()`: its collector reads the table of every model that points at
    `model` in the migration's state, and migrating an app back to zero has already dropped the
    later apps' tables (the loans' tranches and repayments point at ledger accounts). The
    database's own keys still refuse to delete a row that something points at."""
    table = schema_editor.quote_name(apps.get_model(model)._meta.db_table)
    marks = ", ".join(["%s"] * len(values))
    schema_editor.execute(
        f"DELETE FROM {table} WHERE {schema_editor.quote_name(column)} IN ({marks})", list(values)
    )

"""PostgreSQL: the lines' check looks each line's entry up by its key, as a subquery per line.

As a join (0004) or a semi-join (0005) against the transition table, the plan PL/pgSQL
caches on first use, when the journal is nearly empty, scans the whole entry table, and
keeps doing so as the journal grows. A key lookup per line stays an index probe.
"""

from importlib import import_module

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted_entry bigint;
BEGIN
    SELECT n.entry_id INTO posted_entry
      FROM new_lines n
     WHERE (SELECT e.xmin FROM ledger_journalentry e WHERE e.id = n.entry_id)
           <> (SELECT l.xmin FROM ledger_journalline l WHERE l.id = n.id)
     LIMIT 1;
    IF posted_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', posted_entry
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


def previous_function():
    """0005's version of the function."""
    return import_module("ledger.migrations.0005_postgresql_line_check_by_index").FORWARD


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_postgresql_line_check_by_index")]

    operations = [postgresql_sql(FUNCTION, previous_function)]

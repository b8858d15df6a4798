"""PostgreSQL: the check that lines join only an entry of their own transaction looks each new
line's entry up by its key. The first version joined the transition table, whose size the
planner cannot know, and scanned both tables in full for every statement.
"""

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted_entry bigint;
BEGIN
    SELECT n.entry_id INTO posted_entry
      FROM new_lines n
     WHERE EXISTS (SELECT 1 FROM ledger_journalentry e
                    WHERE e.id = n.entry_id
                      AND e.xmin <> (SELECT l.xmin FROM ledger_journalline l WHERE l.id = n.id))
     LIMIT 1;
    IF posted_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', posted_entry
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted_entry bigint;
BEGIN
    SELECT e.id INTO posted_entry
      FROM new_lines n
      JOIN ledger_journalentry e ON e.id = n.entry_id
      JOIN ledger_journalline l ON l.id = n.id
     WHERE e.xmin <> l.xmin
     LIMIT 1;
    IF posted_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', posted_entry
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_postgresql_guards")]

    operations = [postgresql_sql(FORWARD, BACKWARD)]

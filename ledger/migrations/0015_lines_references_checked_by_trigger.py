"""A journal line's entry and account checked by the ledger's triggers, not foreign keys
(PostgreSQL).

A foreign key queues and runs one check per line inserted, two per line here: for a batch of
4 000 lines, 8 000 index probes at commit, a third of what was left of its commit once the
entries were checked by statement (0014). The triggers check a statement's lines together:
- the entry: a line's entry either exists when the line goes in, inserted by the same
  (sub)transaction (0004's rule, checked by the lines' statement trigger), and is never
  deleted, changed or truncated (0004, 0009); or it comes later in that same (sub)transaction,
  checked at commit (0014). So the foreign key checked nothing more;
- the account: every account a statement's lines name exists, and is locked against deletion
  until the commit (FOR KEY SHARE, as the foreign key's check did), checked when the statement
  ends. An account that lines refer to has their daily sums, written by the same statement and
  never deleted (0008, 0009), whose foreign key keeps it: it cannot be deleted, have its id
  changed or be truncated.
Errors carry SQLSTATE 23503, so Django raises IntegrityError, as it did for the foreign keys.
On SQLite the references are unchecked by the database, as its other guards: the models'
PROTECT holds, and the posting service is the only writer. (Altering the fields rebuilds the
table there, which drops its account-days trigger: it is made again.)
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = r"""
CREATE FUNCTION ledger_lines_accounts_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named integer;
    found integer;
    missing bigint;
BEGIN
    SELECT count(DISTINCT n.account_id) INTO named FROM new_lines n;
    SELECT count(*) INTO found
      FROM (SELECT a.id FROM ledger_account a
             WHERE a.id IN (SELECT n.account_id FROM new_lines n)
             ORDER BY a.id FOR KEY SHARE) k;
    IF found < named THEN
        SELECT n.account_id INTO missing FROM new_lines n
         WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.id = n.account_id) LIMIT 1;
        RAISE EXCEPTION 'ledger: a line refers to account %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_journalline_accounts_exist AFTER INSERT ON ledger_journalline
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_accounts_exist();
"""

POSTGRESQL_BACKWARD = r"""
DROP TRIGGER ledger_journalline_accounts_exist ON ledger_journalline;
DROP FUNCTION ledger_lines_accounts_exist();
"""


def sqlite_account_days():
    return import_module("ledger.migrations.0008_one_statement_posting_and_account_days").SQLITE_ACCOUNT_DAYS


def guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)


def guards_backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD, params=None)
    elif vendor == "sqlite":  # after the table was rebuilt with its foreign keys
        schema_editor.execute(sqlite_account_days(), params=None)


def sqlite_trigger_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(sqlite_account_days(), params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0014_postgresql_entries_checked_by_statement")]

    # The triggers come before the foreign keys go and, backward, go after they are back.
    operations = [
        migrations.RunPython(guards, guards_backward),
        migrations.AlterField(
            model_name="journalline",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="entry",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.journalentry",
                verbose_name="entry",
            ),
        ),
        migrations.RunPython(sqlite_trigger_again, migrations.RunPython.noop),
    ]

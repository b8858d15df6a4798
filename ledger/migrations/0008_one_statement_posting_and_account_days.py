"""Posting in one statement, and balances from one row per account and day.

PostgreSQL: one entry is posted by one statement, `SELECT * FROM ledger_post_entry(...)`. The
posting service calls it for a single draft it has already checked in Python: it looks the
accounts up by code, takes the year's next number, inserts the entry and its lines, and returns
the entry's id and number — one round trip, and outside a transaction the statement commits by
itself. It writes nothing and returns nulls whenever it cannot simply post (an unknown, inactive
or parent account, a closed month, no counter for the year yet, a key already used): the service
then takes its full path, which says why or returns the posted entry. It adds no way around the
guards of 0004: the rows it inserts pass the same triggers, constraints and commit-time checks as
any other insert.

Every database: `ledger_accountday` sums the lines of each account and value date, kept by a
trigger on every insert of lines (a statement trigger on PostgreSQL, a row trigger on SQLite), in
the inserting transaction, so a balance as of a date reads one row per account and day. On
PostgreSQL its rows are written only from inside that trigger and never deleted.
"""

from django.db import migrations, models
import django.db.models.deletion

POST_ENTRY = r"""
CREATE FUNCTION ledger_post_entry(
    p_value_date date, p_memo text, p_source_kind text, p_source_ref text, p_key text,
    p_created_by bigint, p_created_at timestamptz,
    p_codes text[], p_debits numeric[], p_credits numeric[], p_references text[],
    OUT entry_id bigint, OUT entry_sequence integer
) LANGUAGE plpgsql AS $$
DECLARE
    entry_year smallint := extract(year FROM p_value_date);
    account_ids bigint[];
BEGIN
    SELECT array_agg(a.id ORDER BY c.ord) INTO account_ids
      FROM unnest(p_codes) WITH ORDINALITY AS c(code, ord)
      JOIN ledger_account a ON a.code = c.code
     WHERE a.active AND NOT EXISTS (SELECT 1 FROM ledger_account s WHERE s.parent_id = a.id);
    IF cardinality(account_ids) IS DISTINCT FROM cardinality(p_codes)
       OR EXISTS (SELECT 1 FROM ledger_period p
                   WHERE p.year = entry_year AND p.month = extract(month FROM p_value_date)
                     AND p.state = 'closed') THEN
        RETURN;
    END IF;
    -- The counter's row lock keeps numbers gap-free; it is held from here to the commit.
    UPDATE ledger_journalsequence SET last_number = last_number + 1 WHERE year = entry_year
        RETURNING last_number INTO entry_sequence;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,
                                     idempotency_key, reverses_id, created_by_id, created_at)
    VALUES (nextval('ledger_journalentry_id_seq'), entry_year, entry_sequence, p_value_date, p_memo,
            p_source_kind, p_source_ref, p_key, NULL, p_created_by, p_created_at)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO entry_id;
    IF entry_id IS NULL THEN  -- the key is posted (perhaps just now, by another session)
        UPDATE ledger_journalsequence SET last_number = last_number - 1 WHERE year = entry_year;
        entry_sequence := NULL;
        RETURN;
    END IF;
    INSERT INTO ledger_journalline (entry_id, account_id, value_date, debit_currency, debit,
                                    credit_currency, credit, reference)
    SELECT entry_id, l.account_id, p_value_date, 'VND', l.debit, 'VND', l.credit, l.reference
      FROM unnest(account_ids, p_debits, p_credits, p_references) AS l(account_id, debit, credit, reference);
END $$;
"""

ACCOUNT_DAYS = r"""
CREATE FUNCTION ledger_add_account_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_accountday AS d (account_id, value_date, debit, credit, line_count)
    SELECT account_id, value_date, sum(debit), sum(credit), count(*)
      FROM new_lines
     GROUP BY account_id, value_date
     ORDER BY account_id, value_date  -- one order for every writer: no deadlock
    ON CONFLICT (account_id, value_date) DO UPDATE
       SET debit = d.debit + EXCLUDED.debit, credit = d.credit + EXCLUDED.credit,
           line_count = d.line_count + EXCLUDED.line_count;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_journalline_account_days AFTER INSERT ON ledger_journalline
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_add_account_days();

-- Directly, a session's statement runs at trigger depth 1; from the lines' trigger, at 2.
CREATE FUNCTION ledger_refuse_account_day_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger: account days are kept by the journal''s trigger only'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_accountday_by_trigger_only BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountday
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_account_day_change();
"""

BACKFILL = """
INSERT INTO ledger_accountday (account_id, value_date, debit, credit, line_count)
SELECT account_id, value_date, sum(debit), sum(credit), count(*)
  FROM ledger_journalline GROUP BY account_id, value_date
"""

SQLITE_ACCOUNT_DAYS = """
CREATE TRIGGER ledger_journalline_account_days AFTER INSERT ON ledger_journalline
BEGIN
    INSERT INTO ledger_accountday (account_id, value_date, debit, credit, line_count)
    VALUES (NEW.account_id, NEW.value_date, NEW.debit, NEW.credit, 1)
    ON CONFLICT (account_id, value_date) DO UPDATE
       SET debit = debit + excluded.debit, credit = credit + excluded.credit,
           line_count = line_count + 1;
END
"""

BACKWARD = r"""
DROP TRIGGER ledger_accountday_by_trigger_only ON ledger_accountday;
DROP FUNCTION ledger_refuse_account_day_change();
DROP TRIGGER ledger_journalline_account_days ON ledger_journalline;
DROP FUNCTION ledger_add_account_days();
DROP FUNCTION ledger_post_entry(date, text, text, text, text, bigint, timestamptz, text[], numeric[],
                                numeric[], text[]);
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(BACKFILL, params=None)
    if vendor == "postgresql":
        schema_editor.execute(POST_ENTRY + ACCOUNT_DAYS, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_ACCOUNT_DAYS, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER ledger_journalline_account_days", params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_leaner_entry_indexes")]

    operations = [
        migrations.CreateModel(
            name='AccountDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('value_date', models.DateField()),
                ('debit', models.DecimalField(decimal_places=0, max_digits=24)),
                ('credit', models.DecimalField(decimal_places=0, max_digits=24)),
                ('line_count', models.PositiveIntegerField()),
                ('account', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='days', to='ledger.account')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('account', 'value_date'), name='ledger_accountday_unique')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]

"""PostgreSQL: one entry posted by one statement, `SELECT * FROM ledger_post_entry(...)`.

The posting service calls it for a single draft it has already checked in Python: it looks the
accounts up by code, takes the year's next number, inserts the entry and its lines, and returns
the entry's id and number — one round trip, and outside a transaction the statement commits by
itself. It writes nothing and returns nulls whenever it cannot simply post (an unknown, inactive
or parent account, a closed month, no counter for the year yet, a key already used): the service
then takes its full path, which says why or returns the posted entry.

It adds no way around the guards of 0004: the rows it inserts pass the same triggers,
constraints and commit-time checks as any other insert.
"""

from django.db import migrations

FORWARD = r"""
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

BACKWARD = r"""
DROP FUNCTION ledger_post_entry(date, text, text, text, text, bigint, timestamptz, text[], numeric[],
                                numeric[], text[]);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_leaner_entry_indexes")]

    operations = [migrations.RunPython(forward, backward)]

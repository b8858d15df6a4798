"""PostgreSQL: the commit-time check runs once per statement that inserts entries or lines, over
all the entries that statement touched, instead of once per line.

A deferred constraint trigger fires row by row: until now each line of a batch queued one
(0012), and the entry's own trigger another, so a close of day of 2 000 two-line entries ran
6 000 checks at commit, most of the batch's time. Now:
- a statement inserting entries, and a statement inserting lines into entries that exist
  already, queue one row in `ledger_entry_checks`: the ids of the entries it touched;
- a statement inserting lines ahead of their entry (the batch path copies the lines in first)
  queues those entries' ids with the lines' transaction id: at commit each of them must exist,
  inserted by that same (sub)transaction (whose insert has queued its check), or the lines are
  refused, as lines added to a posted entry are; so lines written ahead of an entry another
  session then posts cannot join it;
- that row's deferred constraint trigger checks those entries together, at commit, with one
  query: at least two lines, balanced, on the entry's date, on active accounts without
  sub-accounts, numbered in its year, not in a closed month (0012's rules, messages and
  SQLSTATE); the queued row is then deleted;
- a line added after `SET CONSTRAINTS ALL IMMEDIATE` ran the checks early queues its entry
  again, so it is checked again at commit (what 0012's last-line rule was for); the lines of a
  statement still come after those their entry has (0012), checked for entries that exist.
Only the ledger's triggers write `ledger_entry_checks` (unlogged: it holds nothing past a
commit); a session cannot update, delete or truncate it, and the deferred check of a row
fires with the row as it was inserted whatever happens to it afterwards.
"""

from importlib import import_module

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FORWARD = r"""
CREATE UNLOGGED TABLE ledger_entry_checks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_ids bigint[] NOT NULL,
    lines_xmin xid  -- set: lines written ahead of these entries, by this (sub)transaction
);

-- Directly, a session's statement runs at trigger depth 1; from the ledger's triggers, at 2.
CREATE FUNCTION ledger_refuse_entry_checks_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger: the entries to check are kept by the journal''s triggers only'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entry_checks_by_trigger_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON ledger_entry_checks FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_entry_checks_change();

CREATE FUNCTION ledger_check_entries(entry_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- Each entry's lines by its key (the lateral subquery is not flattened into a join that
    -- would read the whole line index), the chart's flags once per account.
    SELECT e.id, e.year, e.value_date, count(l.id) AS line_count,
           coalesce(sum(l.debit), 0) AS debits, coalesce(sum(l.credit), 0) AS credits,
           coalesce(bool_or(l.value_date <> e.value_date), false) AS other_date,
           coalesce(bool_or(a.refused), false) AS bad_account
      INTO bad
      FROM ledger_journalentry e
      LEFT JOIN LATERAL (SELECT x.id, x.account_id, x.value_date, x.debit, x.credit
                           FROM ledger_journalline x WHERE x.entry_id = e.id OFFSET 0) l ON true
      LEFT JOIN (SELECT c.id, NOT c.active OR EXISTS (SELECT 1 FROM ledger_account s WHERE s.parent_id = c.id)
                        AS refused
                   FROM ledger_account c) a ON a.id = l.account_id
     WHERE e.id = ANY(entry_ids)
     GROUP BY e.id
    HAVING count(l.id) < 2 OR sum(l.debit) <> sum(l.credit) OR bool_or(l.value_date <> e.value_date)
           OR bool_or(a.refused) OR e.year <> extract(year FROM e.value_date)
           OR EXISTS (SELECT 1 FROM ledger_period p
                       WHERE p.year = e.year AND p.month = extract(month FROM e.value_date)
                         AND p.state = 'closed')
     ORDER BY e.id
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF bad.line_count < 2 THEN
        RAISE EXCEPTION 'ledger: entry % has % line(s); an entry needs at least two', bad.id, bad.line_count
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad.debits <> bad.credits THEN
        RAISE EXCEPTION 'ledger: entry % does not balance: debits % <> credits %', bad.id, bad.debits, bad.credits
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad.other_date THEN
        RAISE EXCEPTION 'ledger: a line of entry % is not on the entry''s value date', bad.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad.bad_account THEN
        RAISE EXCEPTION 'ledger: entry % posts to an inactive account or one with sub-accounts', bad.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad.year <> extract(year FROM bad.value_date) THEN
        RAISE EXCEPTION 'ledger: entry % is numbered in % but dated %', bad.id, bad.year, bad.value_date
            USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'ledger: entry % is dated % in a closed month', bad.id, bad.value_date
        USING ERRCODE = 'check_violation';
END $$;

CREATE FUNCTION ledger_check_queued_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry_id bigint;
    entry_xmin xid;
BEGIN
    IF NEW.lines_xmin IS NULL THEN
        PERFORM ledger_check_entries(NEW.entry_ids);
    ELSE
        SELECT t.id, (SELECT e.xmin FROM ledger_journalentry e WHERE e.id = t.id) INTO entry_id, entry_xmin
          FROM unnest(NEW.entry_ids) AS t(id)
         WHERE (SELECT e.xmin FROM ledger_journalentry e WHERE e.id = t.id) IS DISTINCT FROM NEW.lines_xmin
         LIMIT 1;
        IF entry_id IS NOT NULL AND entry_xmin IS NULL THEN
            RAISE EXCEPTION 'ledger: lines refer to entry %, which does not exist', entry_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF entry_id IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', entry_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    DELETE FROM ledger_entry_checks WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_checks_at_commit AFTER INSERT ON ledger_entry_checks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_queued_entries();

CREATE FUNCTION ledger_queue_new_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_entry_checks (entry_ids) SELECT array_agg(n.id) FROM new_entries n HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_journalentry_checked AFTER INSERT ON ledger_journalentry
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_new_entries();

-- As 0012 (a line inserted in the same (sub)transaction as its entry has the same xmin; a
-- statement's lines come after every line their entry had before it), and: the entries that
-- exist are queued for the check at commit, those that do not yet with the lines' xmin. All
-- lines of a statement have the same xmin.
CREATE OR REPLACE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lines_xmin xid;
    posted_entry bigint;
    misplaced_entry bigint;
    existing bigint[];
    ahead bigint[];
BEGIN
    SELECT l.xmin INTO lines_xmin FROM ledger_journalline l WHERE l.id = (SELECT n.id FROM new_lines n LIMIT 1);
    SELECT min(t.entry_id) FILTER (WHERE t.entry_xmin <> lines_xmin),
           min(t.entry_id) FILTER (WHERE CASE WHEN t.entry_xmin IS NOT NULL
                                              THEN (SELECT count(*) FROM ledger_journalline l
                                                     WHERE l.entry_id = t.entry_id AND l.id >= t.first_id)
                                                   > t.added END),
           array_agg(t.entry_id) FILTER (WHERE t.entry_xmin IS NOT NULL),
           array_agg(t.entry_id) FILTER (WHERE t.entry_xmin IS NULL)
      INTO posted_entry, misplaced_entry, existing, ahead
      FROM (SELECT n.entry_id, n.first_id, n.added,
                   (SELECT e.xmin FROM ledger_journalentry e WHERE e.id = n.entry_id) AS entry_xmin
              FROM (SELECT x.entry_id, min(x.id) AS first_id, count(*) AS added
                      FROM new_lines x GROUP BY x.entry_id) n) t;
    IF posted_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: entry % is posted; lines cannot be added to it', posted_entry
            USING ERRCODE = 'check_violation';
    END IF;
    IF misplaced_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: a line added to entry % has a lower id than one it has already', misplaced_entry
            USING ERRCODE = 'check_violation';
    END IF;
    IF existing IS NOT NULL THEN
        INSERT INTO ledger_entry_checks (entry_ids) VALUES (existing);
    END IF;
    IF ahead IS NOT NULL THEN
        INSERT INTO ledger_entry_checks (entry_ids, lines_xmin) VALUES (ahead, lines_xmin);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER ledger_journalline_balanced ON ledger_journalline;
DROP FUNCTION ledger_check_from_last_line();
DROP FUNCTION ledger_check_entry_in_full(bigint);
DROP TRIGGER ledger_journalentry_balanced ON ledger_journalentry;
DROP FUNCTION ledger_check_entry();
"""

BACKWARD = r"""
DROP TRIGGER ledger_journalentry_checked ON ledger_journalentry;
DROP FUNCTION ledger_queue_new_entries();
DROP TABLE ledger_entry_checks;
DROP FUNCTION ledger_check_queued_entries();
DROP FUNCTION ledger_check_entries(bigint[]);
DROP FUNCTION ledger_refuse_entry_checks_change();
"""


def backward():
    """BACKWARD, then the per-line and per-entry checks as 0012 and 0013 left them."""
    guards = import_module("ledger.migrations.0004_postgresql_guards")
    last_line = import_module("ledger.migrations.0012_postgresql_last_line_checks_its_entry")
    by_key = import_module("ledger.migrations.0013_postgresql_entry_check_by_key")
    start = guards.FORWARD.index("CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced")
    end = guards.FORWARD.index("-- A line inserted in the same")
    return [BACKWARD, last_line.FORWARD, guards.FORWARD[start:end], by_key.FORWARD]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0013_postgresql_entry_check_by_key")]

    operations = [postgresql_sql(FORWARD, backward)]

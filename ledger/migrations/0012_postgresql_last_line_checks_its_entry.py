"""PostgreSQL: an entry is checked at commit from its last line, so lines added after an early
check are checked too.

Until now a deferred constraint trigger on the entry checked it once. `SET CONSTRAINTS ALL
IMMEDIATE`, which any session may run, fires it early; a line added to the entry afterwards in
the same transaction was never checked, and an unbalanced entry could commit. Now:
- each line's deferred trigger checks its entry in full (two lines or more, balanced, on the
  entry's date, on active accounts without sub-accounts, numbered in its year, not in a closed
  month) when it is the entry's last line, so once per entry as before, and again for any line
  added after an early check, which is then the last;
- lines are added to an entry in the order of their ids (a line given a lower id than one its
  entry has from an earlier statement is refused), so the line added last is the last line;
- the entry's own trigger only refuses an entry with no line (no line trigger would check it).
Same messages, same SQLSTATE (class 23).
"""

from importlib import import_module

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FORWARD = r"""
CREATE FUNCTION ledger_check_entry_in_full(entry_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    entry ledger_journalentry%ROWTYPE;
    line_count integer;
    debits numeric;
    credits numeric;
    other_date boolean;
    bad_account boolean;
BEGIN
    SELECT * INTO entry FROM ledger_journalentry e WHERE e.id = entry_id;
    SELECT count(*), coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0),
           coalesce(bool_or(l.value_date <> entry.value_date), false),
           coalesce(bool_or(NOT a.active
                            OR EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_id = a.id)), false)
      INTO line_count, debits, credits, other_date, bad_account
      FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id
     WHERE l.entry_id = entry.id;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'ledger: entry % has % line(s); an entry needs at least two', entry.id, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'ledger: entry % does not balance: debits % <> credits %', entry.id, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    IF other_date THEN
        RAISE EXCEPTION 'ledger: a line of entry % is not on the entry''s value date', entry.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad_account THEN
        RAISE EXCEPTION 'ledger: entry % posts to an inactive account or one with sub-accounts', entry.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF entry.year <> extract(year FROM entry.value_date) THEN
        RAISE EXCEPTION 'ledger: entry % is numbered in % but dated %', entry.id, entry.year, entry.value_date
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_period p
                WHERE p.year = entry.year AND p.month = extract(month FROM entry.value_date)
                  AND p.state = 'closed') THEN
        RAISE EXCEPTION 'ledger: entry % is dated % in a closed month', entry.id, entry.value_date
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

CREATE FUNCTION ledger_check_from_last_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_journalline l WHERE l.entry_id = NEW.entry_id AND l.id > NEW.id) THEN
        PERFORM ledger_check_entry_in_full(NEW.entry_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_journalline_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_from_last_line();

CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_journalline l WHERE l.entry_id = NEW.id) THEN
        RAISE EXCEPTION 'ledger: entry % has 0 line(s); an entry needs at least two', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

-- As 0006, and: a statement's lines come after every line their entry had before it.
CREATE OR REPLACE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posted_entry bigint;
    misplaced_entry bigint;
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
    SELECT n.entry_id INTO misplaced_entry
      FROM (SELECT x.entry_id, min(x.id) AS first_id, count(*) AS added FROM new_lines x GROUP BY x.entry_id) n
     WHERE (SELECT count(*) FROM ledger_journalline l WHERE l.entry_id = n.entry_id AND l.id >= n.first_id)
           > n.added
     LIMIT 1;
    IF misplaced_entry IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: a line added to entry % has a lower id than one it has already', misplaced_entry
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

BACKWARD = r"""
DROP TRIGGER ledger_journalline_balanced ON ledger_journalline;
DROP FUNCTION ledger_check_from_last_line();
DROP FUNCTION ledger_check_entry_in_full(bigint);
"""


def backward():
    """BACKWARD, then the entry's full check and the lines' check as they were."""
    guards = import_module("ledger.migrations.0004_postgresql_guards")
    lines = import_module("ledger.migrations.0006_postgresql_line_check_per_line")
    start = guards.FORWARD.index("CREATE FUNCTION ledger_check_entry()")
    end = guards.FORWARD.index("CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced")
    entry_check = guards.FORWARD[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    return [BACKWARD, entry_check, lines.FUNCTION]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_year_end_accounts")]

    operations = [postgresql_sql(FORWARD, backward)]

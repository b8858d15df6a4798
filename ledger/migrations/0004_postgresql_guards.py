"""On PostgreSQL the database enforces the ledger's rules as well as the posting service.

- Posted entries and lines are never updated or deleted (BEFORE UPDATE/DELETE triggers).
- At commit (a deferred constraint trigger on each new entry), the entry has at least two
  lines, they balance, all on its value date and on active accounts without sub-accounts,
  it is numbered in its value date's year, and that month is not closed. Running at commit
  with a fresh snapshot, it also catches a month closed or a sub-account added while the
  posting was in flight.
- Lines can join an entry only in the (sub)transaction that inserts the entry: a line added
  to a posted entry is refused at once (a statement trigger, so a batch costs one check).
- An account that has postings cannot get sub-accounts.

Errors carry SQLSTATE class 23, so Django raises IntegrityError. SQLite has no such
triggers: there the posting service is the only guard (and the only writer).
"""

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FORWARD = r"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % is posted; it is never updated or deleted (post a reversal instead)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_journalentry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalline_immutable BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_count integer;
    debits numeric;
    credits numeric;
    other_date boolean;
    bad_account boolean;
BEGIN
    SELECT count(*), coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0),
           coalesce(bool_or(l.value_date <> NEW.value_date), false),
           coalesce(bool_or(NOT a.active
                            OR EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_id = a.id)), false)
      INTO line_count, debits, credits, other_date, bad_account
      FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id
     WHERE l.entry_id = NEW.id;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'ledger: entry % has % line(s); an entry needs at least two', NEW.id, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'ledger: entry % does not balance: debits % <> credits %', NEW.id, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    IF other_date THEN
        RAISE EXCEPTION 'ledger: a line of entry % is not on the entry''s value date', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad_account THEN
        RAISE EXCEPTION 'ledger: entry % posts to an inactive account or one with sub-accounts', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.year <> extract(year FROM NEW.value_date) THEN
        RAISE EXCEPTION 'ledger: entry % is numbered in % but dated %', NEW.id, NEW.year, NEW.value_date
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_period p
                WHERE p.year = NEW.year AND p.month = extract(month FROM NEW.value_date)
                  AND p.state = 'closed') THEN
        RAISE EXCEPTION 'ledger: entry % is dated % in a closed month', NEW.id, NEW.value_date
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

-- A line inserted in the same (sub)transaction as its entry has the same xmin.
CREATE FUNCTION ledger_refuse_lines_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_journalline_new_entries_only AFTER INSERT ON ledger_journalline
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_lines_of_posted();

CREATE FUNCTION ledger_refuse_child_of_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM ledger_journalline WHERE account_id = NEW.parent_id) THEN
        RAISE EXCEPTION 'ledger: account % has postings and cannot get sub-accounts', NEW.parent_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_account_parent_unposted BEFORE INSERT OR UPDATE OF parent_id ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_child_of_posted();
"""

BACKWARD = r"""
DROP TRIGGER ledger_account_parent_unposted ON ledger_account;
DROP FUNCTION ledger_refuse_child_of_posted();
DROP TRIGGER ledger_journalline_new_entries_only ON ledger_journalline;
DROP FUNCTION ledger_refuse_lines_of_posted();
DROP TRIGGER ledger_journalentry_balanced ON ledger_journalentry;
DROP FUNCTION ledger_check_entry();
DROP TRIGGER ledger_journalline_immutable ON ledger_journalline;
DROP TRIGGER ledger_journalentry_immutable ON ledger_journalentry;
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_journal_and_periods")]

    operations = [postgresql_sql(FORWARD, BACKWARD)]

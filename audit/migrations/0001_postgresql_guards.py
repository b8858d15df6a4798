"""PostgreSQL: the audit trail is never changed, as the journal is not (ledger 0004, 0009).

BEFORE UPDATE/DELETE row triggers and a BEFORE TRUNCATE statement trigger refuse every change
to a recorded row, whoever sends the SQL; only the table's owner could drop them. auditlog
itself only inserts. SQLite has no such guard: there nothing in the application changes a row
(the admin's log is read-only).
"""

from django.db import migrations

from common.postgresql_sql import postgresql_sql

TABLE = "auditlog_logentry"

FORWARD = rf"""
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: % is the audit trail; it is never changed, deleted or truncated', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER {TABLE}_immutable BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

BACKWARD = f"""
DROP TRIGGER {TABLE}_no_truncate ON {TABLE};
DROP TRIGGER {TABLE}_immutable ON {TABLE};
DROP FUNCTION audit_refuse_change();
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auditlog", "0017_add_actor_email")]

    operations = [postgresql_sql(FORWARD, BACKWARD)]

"""PostgreSQL: the journal cannot be emptied with TRUNCATE either.

Row triggers (0004) do not fire on TRUNCATE, so a statement trigger refuses it on both journal
tables and on the daily account sums kept from them, also when a TRUNCATE ... CASCADE from another table would reach them. Like the other
guards it binds every session; only the tables' owner could disable it, as it could drop it.
"""

from django.db import migrations

from common.postgresql_sql import postgresql_sql

TABLES = ("ledger_journalentry", "ledger_journalline", "ledger_accountday")

FORWARD = r"""
CREATE FUNCTION ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % is posted; it is never truncated (post a reversal instead)', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
""" + "".join(
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();\n"
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER {table}_no_truncate ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION ledger_refuse_truncate();\n"
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_one_statement_posting_and_account_days")]

    operations = [postgresql_sql(FORWARD, BACKWARD)]

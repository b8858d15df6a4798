"""The sub-ledger's rarely set references checked by triggers, not foreign keys (PostgreSQL).

A sub-ledger row's household share, tranche, repayment and the row it reverses are empty on
nearly every row a close of day writes, yet PostgreSQL queues and runs a foreign key's check for
every row inserted, an empty key too: for the 200 000 rows of a 100 000-loan month end, about
0.7 s of its chunks' commits. A constraint trigger with a WHEN clause is queued only for a row that has one of
them, and checks it at commit as the foreign key did: the row referred to must exist, and is
locked against deletion until then (FOR KEY SHARE). On the other side, a share, tranche,
repayment or sub-ledger row still referred to cannot be deleted, have its id changed or be
truncated (checked at commit too, so deleting both in one transaction stays possible). Errors
carry SQLSTATE 23503, so Django raises IntegrityError, as it did for the foreign keys. On SQLite
the references are unchecked by the database, as its other guards: the models' PROTECT holds.
"""

from django.db import migrations, models

from common.postgresql_sql import postgresql_sql

# Each reference: its column, and the table it refers to.
SOURCES = {
    "share_id": "loans_loanmembershare",
    "disbursement_id": "loans_disbursement",
    "repayment_id": "loans_repayment",
    "reverses_id": "loans_loantransaction",
}

_CHECK = """
    IF NEW.{column} IS NOT NULL THEN
        PERFORM 1 FROM {table} WHERE id = NEW.{column} FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'loans: sub-ledger row % refers to {table} %, which does not exist',
                NEW.id, NEW.{column} USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;"""

FORWARD = (
    r"""
CREATE FUNCTION loans_transaction_sources_exist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN"""
    + "".join(_CHECK.format(column=column, table=table) for column, table in SOURCES.items())
    + r"""
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER loans_transaction_sources_exist
    AFTER INSERT OR UPDATE OF """
    + ", ".join(SOURCES)
    + r""" ON loans_loantransaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ("""
    + " OR ".join(f"NEW.{column} IS NOT NULL" for column in SOURCES)
    + r""")
    EXECUTE FUNCTION loans_transaction_sources_exist();

-- TG_ARGV[0]: the sub-ledger's column that refers to the table's rows.
CREATE FUNCTION loans_transaction_source_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referred boolean;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM loans_loantransaction WHERE %I IS NOT NULL)', TG_ARGV[0])
            INTO referred;
    ELSIF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NULL;
    ELSE
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM loans_loantransaction WHERE %I = $1)', TG_ARGV[0])
            INTO referred USING OLD.id;
    END IF;
    IF referred THEN
        RAISE EXCEPTION 'loans: % % is referred to by the sub-ledger; it stays', TG_TABLE_NAME,
            CASE WHEN TG_OP = 'TRUNCATE' THEN '' ELSE OLD.id::text END
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
"""
    + "".join(
        f"""
CREATE CONSTRAINT TRIGGER {table}_sources_kept AFTER UPDATE OF id OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION loans_transaction_source_kept('{column}');
-- After the truncation: a TRUNCATE of the sub-ledger too, in the same statement, has emptied it.
CREATE TRIGGER {table}_sources_kept_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION loans_transaction_source_kept('{column}');
"""
        for column, table in SOURCES.items()
    )
)

BACKWARD = (
    "".join(
        f"DROP TRIGGER {table}_sources_kept_truncate ON {table};\n"
        f"DROP TRIGGER {table}_sources_kept ON {table};\n"
        for table in SOURCES.values()
    )
    + "DROP FUNCTION loans_transaction_source_kept();\n"
    + "DROP TRIGGER loans_transaction_sources_exist ON loans_loantransaction;\n"
    + "DROP FUNCTION loans_transaction_sources_exist();\n"
)


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0024_transaction_partial_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="loantransaction",
            name="disbursement",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.PROTECT,
                related_name="transactions",
                to="loans.disbursement",
            ),
        ),
        migrations.AlterField(
            model_name="loantransaction",
            name="repayment",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.PROTECT,
                related_name="transactions",
                to="loans.repayment",
            ),
        ),
        migrations.AlterField(
            model_name="loantransaction",
            name="reverses",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=models.PROTECT,
                related_name="reversed_by",
                to="loans.loantransaction",
            ),
        ),
        migrations.AlterField(
            model_name="loantransaction",
            name="share",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=models.PROTECT,
                related_name="transactions",
                to="loans.loanmembershare",
            ),
        ),
        postgresql_sql(FORWARD, BACKWARD),
    ]

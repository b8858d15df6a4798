"""On PostgreSQL the database keeps a frozen loan product as it was, as the services do.

A product row that a loan uses (frozen_at set) never changes again: an UPDATE may only move
its status (offered, withdrawn, superseded); it cannot be deleted; its required documents
cannot be added or removed. Editing a product in use makes a new version instead
(`fund.services.products`). Errors carry SQLSTATE class 23, so Django raises IntegrityError.
SQLite has no such triggers: there the services are the only guard.
"""

from django.db import migrations

from common.postgresql_sql import postgresql_sql

FORWARD = r"""
CREATE FUNCTION fund_product_keep_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.frozen_at IS NULL THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' OR (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') THEN
        RAISE EXCEPTION 'fund: loan product % version % is used by loans; it never changes (make a new version)',
            OLD.code, OLD.version USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER fund_loanproduct_frozen BEFORE UPDATE OR DELETE ON fund_loanproduct
    FOR EACH ROW EXECUTE FUNCTION fund_product_keep_frozen();

CREATE FUNCTION fund_product_documents_keep_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    product_id bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.loanproduct_id ELSE NEW.loanproduct_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM fund_loanproduct p WHERE p.id = product_id AND p.frozen_at IS NOT NULL) THEN
        RAISE EXCEPTION 'fund: loan product % is used by loans; its required documents never change', product_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER fund_loanproduct_documents_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON fund_loanproduct_required_documents
    FOR EACH ROW EXECUTE FUNCTION fund_product_documents_keep_frozen();
"""

BACKWARD = r"""
DROP TRIGGER fund_loanproduct_documents_frozen ON fund_loanproduct_required_documents;
DROP FUNCTION fund_product_documents_keep_frozen();
DROP TRIGGER fund_loanproduct_frozen ON fund_loanproduct;
DROP FUNCTION fund_product_keep_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("fund", "0005_capital_receipts")]

    operations = [postgresql_sql(FORWARD, BACKWARD)]

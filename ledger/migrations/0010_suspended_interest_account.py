"""The default chart gains the memo account of suspended interest (0043), on which close of day
carries the interest of a loan in non-accrual until it is paid (DESIGN.md "Domain rules")."""

from django.db import migrations

from common.migration_rows import delete_rows

CODE, PARENT = "0043", "004"


def add_account(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    parent = Account.objects.filter(code=PARENT).first()
    if not Account.objects.filter(code=CODE).exists():
        Account.objects.create(
            code=CODE,
            parent=parent,
            type="off_balance",
            name_vi="Lãi treo chưa thu được",
            name_en="Suspended interest",
        )


def remove_account(apps, schema_editor):
    delete_rows(apps, schema_editor, "ledger.Account", "code", [CODE])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_postgresql_refuse_truncate")]

    operations = [migrations.RunPython(add_account, remove_account)]

"""The default chart gains what closing a year posts to (Circular 200/2014/TT-BTC): 911, the
result of the year, and under 421 the undistributed profit of earlier years (4211) and of this
year (4212). A chart that has posted to 421 itself keeps it a leaf (its lines would otherwise
fall under a parent): the accountant adds 4212 there by hand."""

from django.db import migrations

from common.migration_rows import delete_rows

ACCOUNTS = [
    ("911", None, "equity", "Xác định kết quả kinh doanh", "Result of the year"),
    ("421", None, "equity", "Lợi nhuận sau thuế chưa phân phối", "Retained earnings"),
    ("4211", "421", "equity", "Lợi nhuận sau thuế chưa phân phối năm trước", "Retained earnings of earlier years"),
    ("4212", "421", "equity", "Lợi nhuận sau thuế chưa phân phối năm nay", "Retained earnings of this year"),
]


def add_accounts(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    JournalLine = apps.get_model("ledger", "JournalLine")
    for code, parent, kind, name_vi, name_en in ACCOUNTS:
        if Account.objects.filter(code=code).exists():
            continue
        parent_row = Account.objects.filter(code=parent).first() if parent else None
        if parent_row is not None and JournalLine.objects.filter(account=parent_row).exists():
            continue
        Account.objects.create(code=code, parent=parent_row, type=kind, name_vi=name_vi, name_en=name_en)


def remove_accounts(apps, schema_editor):
    delete_rows(apps, schema_editor, "ledger.Account", "code", ["4212", "4211", "911"])


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_suspended_interest_account")]

    operations = [migrations.RunPython(add_accounts, remove_accounts)]

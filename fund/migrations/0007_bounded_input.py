"""Bounded input: the fund's opening date, the first day a value date may have (a fund set up
before it existed opens on its first value date: the earliest of its journal and its business
date), and a length limit on every free text (common.text.long_text)."""

import django.core.validators
from django.db import migrations, models
from django.db.models import Min


def opening_dates(apps, schema_editor):
    Fund = apps.get_model("fund", "Fund")
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    first = JournalEntry.objects.aggregate(first=Min("value_date"))["first"]
    for fund in Fund.objects.all():
        fund.opened_on = min(filter(None, [first, fund.business_date]))
        fund.save(update_fields=["opened_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("fund", "0006_postgresql_frozen_products"),
        ("ledger", "0007_leaner_entry_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="fund",
            name="opened_on",
            field=models.DateField(editable=False, null=True, verbose_name="opening date"),
        ),
        migrations.RunPython(opening_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="fund",
            name="opened_on",
            field=models.DateField(editable=False, verbose_name="opening date"),
        ),
        migrations.AlterField(
            model_name="borrower",
            name="notes",
            field=models.TextField(
                blank=True,
                max_length=4000,
                validators=[django.core.validators.MaxLengthValidator(4000)],
                verbose_name="notes",
            ),
        ),
        migrations.AlterField(
            model_name="capitalsource",
            name="notes",
            field=models.TextField(
                blank=True,
                max_length=4000,
                validators=[django.core.validators.MaxLengthValidator(4000)],
                verbose_name="notes",
            ),
        ),
        migrations.AlterField(
            model_name="documenttype",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=4000,
                validators=[django.core.validators.MaxLengthValidator(4000)],
                verbose_name="description",
            ),
        ),
        migrations.AlterField(
            model_name="loanproduct",
            name="purpose",
            field=models.TextField(
                max_length=4000,
                validators=[django.core.validators.MaxLengthValidator(4000)],
                verbose_name="purpose",
            ),
        ),
    ]

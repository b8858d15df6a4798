from django.db import migrations, models


class Migration(migrations.Migration):
    # The arrears list as of a past date: the ended rows that were in arrears, by their end.
    dependencies = [("loans", "0022_loan_search_trigrams")]

    operations = [
        migrations.AddIndex(
            model_name="loanbalance",
            index=models.Index(
                condition=models.Q(("oldest_unpaid_due_date__isnull", False), ("valid_to__isnull", False)),
                fields=["valid_to", "loan"],
                name="loans_balance_arrears_past_idx",
            ),
        ),
    ]

from django.db import migrations

from common.trigram import trigram_indexes


class Migration(migrations.Migration):
    # The loan list's search: the borrower's name (fund's index) or the loan's purpose.
    dependencies = [("loans", "0021_portfolio_import_undo"), ("fund", "0018_borrower_search_trigrams")]

    operations = [trigram_indexes("loans_loan", ["purpose"])]

from django.db import migrations

from common.trigram import trigram_indexes

# The borrower list's search (`fund.selectors.borrower_list`) looks in each of these.
SEARCHED = ["name", "registration_number", "tax_code", "representative", "phone", "commune", "district"]


class Migration(migrations.Migration):
    dependencies = [("fund", "0017_reminder_settings")]

    operations = [trigram_indexes("fund_borrower", SEARCHED)]

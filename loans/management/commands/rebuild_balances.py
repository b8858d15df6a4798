"""Write the stored balances rows of every disbursed loan again, from its events.

Run once after the migration that adds the rows (loans serviced before then have none), and
whenever the rows are in doubt: they are derived data, so writing them again changes nothing
posted. Each loan is done in its own transaction, with the loan locked.
"""

from django.core.management.base import BaseCommand

from common.dates import format_date
from fund.selectors import current_fund
from loans.models import Disbursement, Loan
from loans.services.servicing.balances import rebuild_balances


class Command(BaseCommand):
    help = "Write the stored balances rows of every disbursed loan again from its tranches and repayments."

    def handle(self, *args, **options):
        business_date = current_fund().business_date
        loans = (
            Loan.objects.filter(disbursements__status=Disbursement.Status.AUTHORIZED)
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        count = rows = 0
        for pk in loans.iterator():
            rows += rebuild_balances(loan_id=pk, business_date=business_date)
            count += 1
        self.stdout.write(f"{count} loans, {rows} balances rows written up to {format_date(business_date)}.")

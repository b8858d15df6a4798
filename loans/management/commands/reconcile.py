"""Print the loans' sub-ledger against the GL per control account, as of a date; exit 1 on any
difference (`loans.selectors.reconciliation`)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from common.dates import format_date
from common.money import format_vnd
from fund.selectors import FundNotSetUp, current_fund
from loans.selectors.reconciliation import account_drill_down, reconciliation


class Command(BaseCommand):
    help = "Compare the loans' control accounts with the GL as of a date; exit 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: the business date)"
        )

    def handle(self, *args, as_of: dt.date | None = None, **options):
        try:
            as_of = as_of or current_fund().business_date
        except FundNotSetUp as error:
            raise CommandError(str(error)) from None
        rows = reconciliation(as_of=as_of)
        self.stdout.write(f"Reconciliation as of {format_date(as_of)}")
        self.stdout.write(f"{'account':<10} {'loans':>22} {'GL':>22} {'difference':>22}  name")
        for row in rows:
            self.stdout.write(
                f"{row.code:<10} {format_vnd(row.loans):>22} {format_vnd(row.gl):>22} "
                f"{format_vnd(row.difference):>22}  {row.name}"
            )
        differing = [row.code for row in rows if row.difference]
        for code in differing:
            self._drill_down(code, as_of)
        if differing:
            raise CommandError(
                f"{len(differing)} control accounts differ: {', '.join(differing)}", returncode=1
            )
        self.stdout.write(self.style.SUCCESS("Every control account agrees with the GL."))

    def _drill_down(self, code: str, as_of: dt.date) -> None:
        """The loans and the entries that carry an account's difference."""
        found = account_drill_down(code=code, as_of=as_of)
        self.stdout.write(f"{code}: the loans and entries that differ")
        for loan in found.loans:
            shared = " (and an entry it shares)" if loan.shared else ""
            shared += ", principal not as its events say" if loan.principal_differs else ""
            self.stdout.write(
                f"  loan {loan.reference} contract {loan.contract}: {format_vnd(loan.difference)}{shared}"
            )
        for entry in found.entries:
            loans = f"{len(entry.loans)} loans" if entry.loans else "no loan"
            self.stdout.write(
                f"  entry {entry.number} {format_date(entry.value_date)} {entry.reference or '-'}: "
                f"{format_vnd(entry.difference)} ({loans})"
            )

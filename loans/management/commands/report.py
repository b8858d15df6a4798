"""Write a report as of a date to an .xlsx file: `manage.py report aging --as-of 2026-03-31
--out tuoi-no.xlsx` (`loans.report_sheets.REPORTS`: aging, arrears, classification, portfolio,
trend, trial_balance); the period reports (portfolio, trial_balance) also take `--from`."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.dates import format_date
from common.xlsx import workbook_bytes
from fund.selectors import FundNotSetUp, current_fund
from loans.arrears import as_of_problem
from loans.report_sheets import PAGE_ONLY, PERIOD_REPORTS, REPORTS


class Command(BaseCommand):
    help = "Write a loan report or the trial balance for a period, as of a date, to an .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(set(REPORTS) - set(PAGE_ONLY)))
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: the business date)"
        )
        parser.add_argument(
            "--from",
            dest="start",
            type=dt.date.fromisoformat,
            help=f"YYYY-MM-DD, for {', '.join(PERIOD_REPORTS)} (default: the first of the as-of month)",
        )
        parser.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")

    def handle(self, *args, name: str, as_of: dt.date | None, start: dt.date | None, out: Path, **options):
        try:
            fund = current_fund()
        except FundNotSetUp as error:
            raise CommandError(str(error)) from None
        day = as_of or fund.business_date
        if problem := as_of_problem(fund, day):
            raise CommandError(problem)
        period = {}
        if start is not None:
            if name not in PERIOD_REPORTS:
                raise CommandError(f"--from is for {', '.join(PERIOD_REPORTS)} only.")
            if start > day:
                raise CommandError("--from comes after --as-of.")
            period["start"] = start
        sheets_of, _filename = REPORTS[name]
        try:
            out.write_bytes(workbook_bytes(*sheets_of(day, None, **period)))
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from None
        self.stdout.write(self.style.SUCCESS(f"{name} as of {format_date(day)} written to {out}"))

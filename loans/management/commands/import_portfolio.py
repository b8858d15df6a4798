"""Bring a portfolio in from a filled workbook: a dry run that prints the cut-over report, and,
with --commit-as, the commit by a second user (`loans.services.onboarding`)."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from common.dates import format_date
from common.money import format_vnd
from fund.models import User
from loans.models import PortfolioImport
from loans.selectors.cut_over import CutOverReport
from loans.selectors.reconciliation import reconciliation
from loans.services.onboarding import importing


class Command(BaseCommand):
    help = "Check a portfolio workbook (a dry run), and commit it as a second user with --commit-as."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="who checks the file")
        parser.add_argument("--commit-as", help="another user, who commits it (four eyes)")
        parser.add_argument("--merge-from", default="", help="merging another fund: its tag")
        parser.add_argument("--capital", default="", help="merging: the capital account (411…)")

    def handle(
        self, *args, file: Path, user: str, commit_as: str | None, merge_from: str, capital: str, **options
    ):
        checker = self._user(user)
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        try:
            with file.open("rb") as content:
                batch = importing.check_portfolio(
                    actor=checker,
                    file=content,
                    file_name=file.name,
                    source_fund=merge_from,
                    capital_account=capital,
                )
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        self._report(batch)
        if batch.state == PortfolioImport.State.REFUSED:
            raise CommandError(f"{len(batch.errors)} problems: nothing is brought in.", returncode=1)
        if not commit_as:
            self.stdout.write(
                self.style.SUCCESS(f"Dry run {batch.pk}: nothing posted. Commit with --commit-as.")
            )
            return
        try:
            importing.commit_portfolio(actor=self._user(commit_as), batch=batch)
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        importing.run_commit(batch.pk)  # the task's work, in this process: done already if a worker took it
        batch = PortfolioImport.objects.get(pk=batch.pk)
        if batch.state != PortfolioImport.State.COMMITTED:
            for error in importing.refusals(batch):
                self.stderr.write(str(error))
            raise CommandError(f"Import {batch.pk} is {batch.state}: nothing is brought in.", returncode=1)
        differing = [row for row in reconciliation(as_of=batch.cut_over) if row.difference]
        for row in differing:
            self.stderr.write(f"{row.code}: loans {format_vnd(row.loans)}, GL {format_vnd(row.gl)}")
        if differing:
            raise CommandError("The sub-ledger differs from the GL after the import.", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Import {batch.pk} committed: {batch.rows_done} loans, entry {batch.journal_entry}; "
                "every control account agrees with the GL."
            )
        )

    def _user(self, username: str) -> User:
        found = User.objects.filter(username=username, is_active=True).first()
        if found is None:
            raise CommandError(f"No active user {username!r}.")
        return found

    def _report(self, batch: PortfolioImport) -> None:
        for error in importing.refusals(batch):
            self.stderr.write(str(error))
        if not batch.report:
            return
        report = CutOverReport.from_data(batch.report)
        self.stdout.write(
            f"Cut-over {format_date(report.cut_over)}: {report.loans} loans ({report.sub_loans} sub-loans), "
            f"{report.borrowers_new} new borrowers, {report.borrowers_matched} matched"
        )
        self.stdout.write(f"{'account':<10} {'spreadsheet':>20} {'loans':>20} {'GL':>20} {'difference':>20}")
        for line in report.controls:
            sheet = "—" if line.sheet is None else format_vnd(line.sheet)
            self.stdout.write(
                f"{line.code:<10} {sheet:>20} {format_vnd(line.loans):>20} {format_vnd(line.gl):>20} "
                f"{format_vnd(line.difference):>20}"
            )
        if report.to_capital:
            self.stdout.write(f"Taken to capital: {format_vnd(report.to_capital)}")
        for line in report.renamed + report.duplicates:
            self.stdout.write(line)

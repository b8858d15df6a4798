"""A lending fund's portfolio brought in at a cut-over date (`loans.services.onboarding`).

A `PortfolioImport` is one workbook: checked first as a dry run by one user (its cut-over
report kept on the row, nothing posted), committed by another (four eyes) in one transaction,
its progress kept on the row while a Celery task commits it. Each loan it brings in starts
its life from a `LoanOpening`: where the loan (or a household's sub-loan) stood at the end of
the cut-over date, which the replay takes as its first event (`loans.domain.engine.Opening`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.dates import format_date
from common.fields import one_of, positive, who_and_when
from common.files import random_name
from fund.models.fields import posted_entry, vnd_field, vnd_only


def import_path(instance: "PortfolioImport", filename: str) -> str:
    return random_name("portfolio-imports", filename)


class ImportState(models.TextChoices):
    CHECKED = "checked", _("Checked, waiting to be committed")
    REFUSED = "refused", _("Refused")
    RUNNING = "running", _("Being committed")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportMode(models.TextChoices):
    OPENING = "opening", _("The fund's opening balances")
    MERGER = "merger", _("Merging another fund's portfolio")


class PortfolioImport(models.Model):
    State = ImportState
    Mode = ImportMode

    mode = models.CharField(_("kind"), max_length=8, choices=ImportMode.choices)
    file = models.FileField(_("file"), upload_to=import_path, max_length=200)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    # Merger: the fund the portfolio comes from (tagged on every borrower and loan brought in),
    # and the capital account its net assets are taken to.
    source_fund = models.CharField(_("source fund"), max_length=100, blank=True)
    capital_account = models.CharField(_("capital account"), max_length=20, blank=True)
    cut_over = models.DateField(_("cut-over date"))
    state = FSMField(_("state"), max_length=10, choices=ImportState.choices, protected=True)
    report = models.JSONField(
        _("cut-over report"), default=dict
    )  # as `cut_over.CutOverReport.as_data`
    errors = models.JSONField(_("errors"), default=list)  # the rows refused, as the user reads them
    rows_done = models.PositiveIntegerField(_("loans brought in"), default=0)
    rows_total = models.PositiveIntegerField(_("loans"), default=0)
    checked_by, checked_at = who_and_when(_("checked by"), _("checked at"))
    committed_by, committed_at = who_and_when(_("committed by"), _("committed at"), later=True)
    journal_entry = posted_entry(null=True, blank=True)
    # Undone (`loans.services.onboarding.undoing`): who, when, and the entry reversing the opening one.
    undone_by, undone_at = who_and_when(_("undone by"), _("undone at"), later=True)
    undo_entry = posted_entry(null=True, blank=True)

    class Meta:
        verbose_name = _("portfolio import")
        verbose_name_plural = _("portfolio imports")
        ordering = ["-checked_at", "-pk"]
        permissions = [("commit_portfolioimport", _("Can commit a portfolio import"))]
        constraints = [
            one_of("loans_portfolioimport", "state", ImportState.values),
            one_of("loans_portfolioimport", "mode", ImportMode.values),
            # A workbook is brought in once: the same file committed twice adds nothing.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=models.Q(state__in=[ImportState.RUNNING, ImportState.COMMITTED]),
                name="loans_portfolioimport_file_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({format_date(self.cut_over)})"

    @transition(field=state, source=ImportState.CHECKED, target=ImportState.RUNNING)
    def start(self) -> None:
        pass

    @transition(field=state, source=ImportState.RUNNING, target=ImportState.COMMITTED)
    def finish(self) -> None:
        pass

    @transition(field=state, source=ImportState.RUNNING, target=ImportState.FAILED)
    def fail(self) -> None:
        pass

    @transition(field=state, source=ImportState.COMMITTED, target=ImportState.UNDONE)
    def undo(self) -> None:
        pass

    @property
    def working(self) -> bool:
        return self.state == ImportState.RUNNING


class LoanOpening(models.Model):
    """A sub-loan's position at the end of the cut-over date: the principal it owes (`amount`)
    and the rest of `loans.domain.engine.Opening` (`position`, as its `encode` writes it)."""

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="openings")
    share = models.ForeignKey(
        "loans.LoanMemberShare", on_delete=models.PROTECT, null=True, blank=True, related_name="openings"
    )
    batch = models.ForeignKey(PortfolioImport, on_delete=models.PROTECT, related_name="openings")
    value_date = models.DateField(_("cut-over date"))
    amount = vnd_field(_("principal outstanding"))
    position = models.TextField(editable=False)
    # The old books' figures the import kept beside the loan's own (debt group, provision booked).
    old_group = models.PositiveSmallIntegerField(_("debt group in the old books"))
    old_contract = models.CharField(_("contract number in the old books"), max_length=64)

    class Meta:
        verbose_name = _("loan brought in")
        verbose_name_plural = _("loans brought in")
        ordering = ["loan", "share"]
        constraints = [
            positive("amount", name="loans_opening_amount_positive"),
            models.UniqueConstraint(
                fields=["loan"], condition=models.Q(share__isnull=True), name="loans_opening_loan_once"
            ),
            models.UniqueConstraint(
                fields=["share"], condition=models.Q(share__isnull=False), name="loans_opening_share_once"
            ),
            *vnd_only("loans_opening", "amount"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}/{self.share_id or '-'} {self.value_date}"

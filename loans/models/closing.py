"""What close of day keeps besides the books: each day it closed, each change of debt group, and
each run: its chunks and the loans that failed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.dates import format_date, format_month
from common.fields import staff_user, who_and_when
from common.money import MONEY_DIGITS


class _OnePerBusinessDate(models.Model):
    """A row of close of day for one business date, the latest first."""

    business_date = models.DateField(_("business date"), unique=True)

    class Meta:
        abstract = True
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return format_date(self.business_date)


class CloseOfDay(_OnePerBusinessDate):
    """A business date closed (`loans.services.closing`): one row per date, written with the
    day's postings in their transaction, so a day is closed entirely or not at all."""

    loans = models.PositiveIntegerField(_("loans looked at"))
    postings = models.PositiveIntegerField(_("loan postings"))
    closed_by, closed_at = who_and_when(_("closed by"), _("closed at"))
    # The fund's calendar the day was closed with (`Fund.calendar_token`): a close after a change
    # of it looks at every loan (`closing.days.close_steps`).
    calendar_token = models.UUIDField(null=True, editable=False)

    class Meta(_OnePerBusinessDate.Meta):
        verbose_name = _("close of day")
        verbose_name_plural = _("closes of day")


class DebtGroupChange(models.Model):
    """A loan moved from one debt group to another at the close of `changed_on`, and why."""

    class Reason(models.TextChoices):
        DAYS_PAST_DUE = "days_past_due", _("Days past due")
        BORROWER = "borrower", _("Another loan of the borrower")
        RESTRUCTURED = "restructured", _("Restructured: held until the cure period is paid on time")

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="group_changes")
    changed_on = models.DateField(_("date"))
    from_group = models.PositiveSmallIntegerField(_("from group"))
    to_group = models.PositiveSmallIntegerField(_("to group"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    reason = models.CharField(_("why"), max_length=16, choices=Reason.choices)

    class Meta:
        verbose_name = _("debt group change")
        verbose_name_plural = _("debt group changes")
        ordering = ["loan", "changed_on", "pk"]
        indexes = [models.Index(fields=["loan", "changed_on"], name="loans_group_change_idx")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.changed_on}: {self.from_group} → {self.to_group}"


# The steps that post, in the order they post (`loans.services.closing.postings.STEPS`), and the
# count of debt groups changed beside them: the keys of a chunk's `counts`.
POSTING_STEPS = ("overdue", "accrual", "suspension", "provision")
GROUPS = "groups"


class CloseRun(_OnePerBusinessDate):
    """The close of one business date (`loans.services.closing.runs`), in chunks of borrowers'
    loans, each chunk a Celery task. One run per date: started again (after a worker died, or a
    loan failed and was mended), it goes on with the chunks not done, never doing one twice. It
    ends when every chunk is done and no loan failure is left open; then the date moves on."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    # Days are closed one after another until the business date is this one.
    until = models.DateField(_("close until"))
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.RUNNING, protected=True)
    full = models.BooleanField(_("every loan"), default=False)  # month end, daily accrual
    rebuild = models.BooleanField(_("calendar changed"), default=False)  # every loan's rows again
    started_by, started_at = who_and_when(_("started by"), _("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta(_OnePerBusinessDate.Meta):
        verbose_name = _("close of day run")
        verbose_name_plural = _("close of day runs")

    @transition(field=state, source=State.RUNNING, target=State.DONE)
    def finish(self) -> None:
        self.finished_at = timezone.now()


class CloseChunk(models.Model):
    """The loans of the borrowers with ids after `after` up to `last` (None: no end) in one run:
    closed in one transaction, by one task. A borrower's loans are all in one chunk, so that the
    fund's rule of the borrower's worst group holds within it."""

    class State(models.TextChoices):
        PENDING = "pending", _("To do")
        DONE = "done", _("Done")

    run = models.ForeignKey(CloseRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField(_("chunk"))
    after = models.PositiveBigIntegerField(_("borrowers after"))
    last = models.PositiveBigIntegerField(_("borrowers up to"), null=True, blank=True)
    # On an ordinary day, the loans with something that day the run's start found among these
    # borrowers (`candidates.chunks`); None on a full day: all of their loans.
    found = models.JSONField(_("loans found"), null=True, blank=True, editable=False)
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.PENDING, protected=True)
    loans = models.PositiveIntegerField(_("loans looked at"), default=0)
    # Per step: loan postings made, and debt groups changed (`POSTING_STEPS`, `GROUPS`).
    counts = models.JSONField(_("counts"), default=dict)
    seconds = models.JSONField(_("seconds per phase"), default=dict)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last error that stopped the chunk (its transaction rolled back): it is run again.
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("close of day chunk")
        verbose_name_plural = _("close of day chunks")
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="loans_close_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.run} #{self.number}"

    @transition(field=state, source=State.PENDING, target=State.DONE)
    def finish(self, *, loans: int, counts: dict, seconds: dict) -> None:
        self.loans, self.counts, self.seconds = loans, counts, seconds
        self.finished_at = timezone.now()
        self.error = ""


class CloseFailure(models.Model):
    """A loan the close of a day could not close (its events cannot be replayed, its books do
    not agree): the others went on; the day stays open until it is retried and closes."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Closed on retry")

    run = models.ForeignKey(CloseRun, on_delete=models.CASCADE, related_name="failures")
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("why"))
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.OPEN, protected=True)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("loan that failed to close")
        verbose_name_plural = _("loans that failed to close")
        ordering = ["run", "loan"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "loan"], condition=models.Q(state="open"), name="loans_close_failure_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.loan_id}"

    @transition(field=state, source=State.OPEN, target=State.RESOLVED)
    def resolve(self) -> None:
        self.resolved_at = timezone.now()


def _amount(verbose_name):
    # Report figures in whole đồng, as close of day computed them: plain decimals, no currency.
    return models.DecimalField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=0)


class ClassificationReport(models.Model):
    """A debt group's line of the debt classification and provisioning report as reported: frozen
    when close of day closes a month end (`loans.services.closing.snapshots`), never rewritten.
    A later back-dated event changes the report restated as of that date, not these."""

    month_end = models.DateField(_("month end"))
    group = models.PositiveSmallIntegerField(_("debt group"))
    loans = models.PositiveIntegerField(_("loans"))
    outstanding = _amount(_("outstanding"))
    collateral = _amount(_("collateral value allowed"))
    specific_required = _amount(_("specific provision required"))
    specific_booked = _amount(_("specific provision booked"))
    general_required = _amount(_("general provision required"))
    general_booked = _amount(_("general provision booked"))
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("debt classification as reported")
        verbose_name_plural = _("debt classifications as reported")
        ordering = ["-month_end", "group"]
        permissions = [("view_reports", _("Can see the arrears and debt classification reports"))]
        constraints = [
            models.UniqueConstraint(fields=["month_end", "group"], name="loans_classification_once"),
            models.CheckConstraint(
                condition=models.Q(group__gte=1, group__lte=5), name="loans_classification_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_month(self.month_end)} {self.group}"


class ReconciliationCheck(models.Model):
    """The loans' sub-ledger against the GL as of a date (`loans.selectors.reconciliation`), as
    found when it was checked: after each close, or when an accountant asked again. It sums every
    posting ever made, so the home page reads the latest check instead of summing on each load."""

    as_of = models.DateField(_("as of"))
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    checked_by = staff_user(_("checked by"), null=True, blank=True)  # none: after close of day
    accounts = models.PositiveSmallIntegerField(_("control accounts"))
    # The control accounts that differ: [[code, difference in đồng as text], ...].
    differences = models.JSONField(_("differences"), default=list)

    class Meta:
        verbose_name = _("reconciliation check")
        verbose_name_plural = _("reconciliation checks")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{format_date(self.as_of)}: {len(self.differences)}"


class _DaySums(models.Model):
    """Sums of a closed day by product, borrower type and officer: the report's filters that a
    summary answers (`loans.selectors.summaries`); the portfolio's by more besides."""

    day = models.DateField(_("date"))
    product = models.ForeignKey(
        "fund.LoanProduct", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    borrower_type = models.CharField(_("borrower type"), max_length=20)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, db_index=False
    )

    class Meta:
        abstract = True


class PortfolioSummary(_DaySums):
    """The portfolio on a day close of day closed, summed by what the portfolio report and the
    home page group and filter by (`loans.services.closing.summaries`): the loans owing principal
    or active on that day with the same product, borrower type, sector, district, term, officer,
    debt group and oldest unpaid due date (none, or on that day or before), their count and their
    principal from the stored balances rows valid that day. Written once all the day's chunks are
    done, in the transaction that closes the day; gone when an event changes that day's rows
    (a back-dated repayment, a reversal, a write-off): the pages then compute the day."""

    sector = models.CharField(_("sector"), max_length=20)
    province = models.CharField(_("province"), max_length=100)
    district = models.CharField(_("district"), max_length=100)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True)
    debt_group = models.PositiveSmallIntegerField(_("debt group"))
    active = models.BooleanField(_("active"))
    owing = models.BooleanField(_("owing principal"))
    # The loans' oldest installment unpaid after its due date, over their sub-loans (None: none).
    oldest_unpaid_due_date = models.DateField(_("oldest unpaid due date"), null=True)
    loans = models.PositiveIntegerField(_("loans"))
    principal_in_term = _amount(_("principal in term"))
    principal_overdue = _amount(_("principal overdue"))
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("portfolio summary")
        verbose_name_plural = _("portfolio summaries")
        indexes = [models.Index(fields=["day"], name="loans_summary_day_idx")]

    def __str__(self) -> str:
        return f"{format_date(self.day)} {self.product_id} {self.debt_group}"


class PortfolioDue(_DaySums):
    """What falls due on each of the `DAYS` days after a closed day, by the schedules in force on
    it, for the loans owing principal then (`loans.portfolio.expected`), by product, borrower
    type and officer: written and dropped with the day's `PortfolioSummary`."""

    DAYS = 30  # the portfolio report's default; asked for more, it computes them

    due_date = models.DateField(_("due date"))
    loans = models.PositiveIntegerField(_("loans"))
    principal = _amount(_("principal"))
    interest = _amount(_("interest"))

    class Meta:
        verbose_name = _("portfolio falling due")
        verbose_name_plural = _("portfolio falling due")
        indexes = [models.Index(fields=["day", "due_date"], name="loans_due_summary_idx")]

    def __str__(self) -> str:
        return f"{format_date(self.day)} {format_date(self.due_date)} {self.product_id}"


class PortfolioFlow(_DaySums):
    """What was disbursed and collected on a closed day, by value date, as the portfolio report
    sums it (`loans.portfolio.flows`), by product, borrower type and officer: written and
    dropped with the day's `PortfolioSummary` (a back-dated or reversed event drops the days
    from its value date on), so the report sums a closed period's days instead of its loan
    transactions."""

    disbursed = _amount(_("disbursed"))
    principal = _amount(_("principal collected"))
    interest = _amount(_("interest collected"))
    late_interest = _amount(_("late interest collected"))  # and interest on unpaid interest

    class Meta:
        verbose_name = _("portfolio flow")
        verbose_name_plural = _("portfolio flows")
        indexes = [models.Index(fields=["day"], name="loans_flow_summary_idx")]

    def __str__(self) -> str:
        return f"{format_date(self.day)} {self.product_id}"

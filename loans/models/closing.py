"""What close of day keeps besides the books: each day it closed, and each change of debt group."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CloseOfDay(models.Model):
    """A business date closed (`loans.services.closing`): one row per date, written with the
    day's postings in their transaction, so a day is closed entirely or not at all."""

    business_date = models.DateField(_("business date"), unique=True)
    loans = models.PositiveIntegerField(_("loans looked at"))
    postings = models.PositiveIntegerField(_("loan postings"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    # The fund's calendar the day was closed with (`Fund.calendar_token`): a close after a change
    # of it looks at every loan (`closing.days.close_steps`).
    calendar_token = models.UUIDField(null=True, editable=False)

    class Meta:
        verbose_name = _("close of day")
        verbose_name_plural = _("closes of day")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"{self.business_date:%d/%m/%Y}"


class DebtGroupChange(models.Model):
    """A loan moved from one debt group to another at the close of `changed_on`, and why."""

    class Reason(models.TextChoices):
        DAYS_PAST_DUE = "days_past_due", _("Days past due")
        BORROWER = "borrower", _("Another loan of the borrower")

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

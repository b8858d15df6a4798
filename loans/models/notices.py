"""Due-date reminders and overdue notices sent to co-ops, one per installment and kind."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import one_of
from common.text import long_text
from fund.models.fields import vnd_field, vnd_only
from loans.models.loan import household_share


class NoticeKind(models.TextChoices):
    DUE = "due", _("Due-date reminder")
    OVERDUE = "overdue", _("Overdue notice")


class Delivery(models.TextChoices):
    PENDING = "pending", _("to send")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    NO_ADDRESS = "no_address", _("no address")


class Notice(models.Model):
    """One notice about one installment of a (sub-)loan: recorded before it is sent, then what
    became of its e-mail and its SMS. The unique keys make a rerun send nothing twice."""

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="notices")
    share = household_share("notices")
    kind = models.CharField(_("kind"), max_length=8, choices=NoticeKind.choices)
    # 0 for a due-date reminder; for an overdue notice, the days past due (a fund setting) it is for.
    step = models.PositiveSmallIntegerField(_("days past due"), default=0)
    due_date = models.DateField(_("installment due on"))
    amount = vnd_field(_("amount"))
    on = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    email_to = models.CharField(_("e-mail to"), max_length=500, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    sms_to = models.CharField(_("SMS to"), max_length=16, blank=True)
    sms_status = models.CharField(_("SMS"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = long_text(_("error"), blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-on", "-pk"]
        constraints = [
            # One notice per installment, kind and step (a NULL share is not equal to another: two rules).
            models.UniqueConstraint(
                fields=["loan", "due_date", "kind", "step"],
                condition=models.Q(share__isnull=True),
                name="loans_notice_once_loan",
            ),
            models.UniqueConstraint(
                fields=["share", "due_date", "kind", "step"],
                condition=models.Q(share__isnull=False),
                name="loans_notice_once_share",
            ),
            one_of("loans_notice", "kind", NoticeKind.values),
            one_of("loans_notice", "email_status", Delivery.values),
            one_of("loans_notice", "sms_status", Delivery.values),
            *vnd_only("loans_notice", "amount"),
        ]
        indexes = [
            models.Index(fields=["on", "loan"], name="loans_notice_on_idx"),
            # The notices still to send (a rerun after a crash): few, so a partial index.
            models.Index(
                fields=["id"],
                condition=models.Q(email_status="pending") | models.Q(sms_status="pending"),
                name="loans_notice_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.due_date}"

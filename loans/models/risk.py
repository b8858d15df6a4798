"""A loan written off (xử lý rủi ro), what is recovered on it after, and tranches reversed.

Each is an approved action applied on the business date (or, a recovery, a receipt an officer
enters): one journal entry, one sub-ledger row (`LoanTransaction`) saying what it did to the
loan's control accounts, and the row here with what a page, a report or a printed decision
shows of it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.fields import one_of, positive, who_and_when
from common.text import long_text
from fund.models.fields import ledger_account, posted_entry, vnd_field, vnd_only
from loans.models.money import Repayment


class _AppliedAction(models.Model):
    """An approved action as applied on the business date: the journal entry it posted, who
    applied it and when."""

    journal_entry = posted_entry()
    applied_by, applied_at = who_and_when(_("applied by"), _("applied at"))

    class Meta:
        abstract = True


class TrackingStatus(models.TextChoices):
    TRACKING = "tracking", _("Tracked off-balance")
    ENDED = "ended", _("Tracking ended")


class WriteOff(_AppliedAction):
    """What a write-off took off the balance sheet, how the provisions covered it, and until
    when the fund pursues it off-balance. From that day an accountant ends the tracking
    (`ended_on`): what the memo still holds of it taken off by `end_entry`."""

    Status = TrackingStatus

    loan = models.OneToOneField("loans.Loan", on_delete=models.PROTECT, related_name="write_off_record")
    written_off_on = models.DateField(_("written off on"))
    principal = vnd_field(_("principal written off"))
    interest = vnd_field(_("interest written off"))
    from_specific = vnd_field(_("from the specific provision"))
    from_general = vnd_field(_("from the general provision"))
    to_expense = vnd_field(_("to expense"))
    tracked_until = models.DateField(_("tracked off-balance until"))
    status = FSMField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TRACKING, protected=True
    )
    ended_on = models.DateField(_("tracking ended on"), null=True, blank=True)  # the business date
    end_entry = posted_entry(null=True, blank=True)
    ended_by, ended_at = who_and_when(_("tracking ended by"), _("tracking ended at"), later=True)
    end_reason = long_text(_("reason for ending the tracking"), blank=True)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-written_off_on", "-pk"]
        permissions = [("end_off_balance", _("Can end the off-balance tracking of a written-off loan"))]
        constraints = [
            *vnd_only(
                "loans_writeoff", "principal", "interest", "from_specific", "from_general", "to_expense"
            ),
            one_of("loans_writeoff", "status", TrackingStatus.values),
            models.CheckConstraint(
                condition=models.Q(
                    status="tracking",
                    ended_on__isnull=True,
                    end_entry__isnull=True,
                    ended_by__isnull=True,
                    ended_at__isnull=True,
                    end_reason="",
                )
                | (
                    models.Q(
                        status="ended",
                        ended_on__isnull=False,
                        end_entry__isnull=False,
                        ended_by__isnull=False,
                        ended_at__isnull=False,
                    )
                    & ~models.Q(end_reason="")
                ),
                name="loans_writeoff_end_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.principal} {self.written_off_on}"

    @transition(field=status, source=Status.TRACKING, target=Status.ENDED, permission="loans.end_off_balance")
    def end_tracking(self) -> None:
        pass


class Recovery(models.Model):
    """Money received on a written-off loan (thu hồi nợ đã xử lý): income, and off the memo of
    what is written off, principal first. One entered in error is reversed on a later business
    date (`reversed_on`): its entry reversed, what it took off the memo back on it."""

    Status = Repayment.Status

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="recoveries")
    value_date = models.DateField(_("value date"))
    amount = vnd_field(_("amount"))
    channel = models.CharField(_("channel"), max_length=16, choices=Repayment.Channel.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    account = ledger_account(_("received into"))
    principal = vnd_field(_("of the principal written off"))
    interest = vnd_field(_("of the interest written off"))
    idempotency_key = models.CharField(max_length=100, unique=True)
    journal_entry = posted_entry()
    recorded_by, recorded_at = who_and_when(_("entered by"), _("entered at"))
    status = FSMField(
        _("status"), max_length=10, choices=Status.choices, default=Status.POSTED, protected=True
    )
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)  # the business date
    reversal_entry = posted_entry(null=True, blank=True)
    reversed_by, reversed_at = who_and_when(_("reversed by"), _("reversed at"), later=True)
    reversal_reason = long_text(_("reason for reversing"), blank=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["loan", "value_date", "pk"]
        permissions = [("reverse_recovery", _("Can reverse a recovery"))]
        constraints = [
            positive("amount", name="loans_recovery_amount_positive"),
            *vnd_only("loans_recovery", "amount", "principal", "interest"),
            one_of("loans_recovery", "status", Repayment.Status.values),
            models.CheckConstraint(
                condition=models.Q(status="posted", reversed_on__isnull=True, reversal_entry__isnull=True)
                | models.Q(status="reversed", reversed_on__isnull=False, reversal_entry__isnull=False),
                name="loans_recovery_reversal_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.amount} {self.value_date}"

    @transition(
        field=status, source=Status.POSTED, target=Status.REVERSED, permission="loans.reverse_recovery"
    )
    def reverse(self) -> None:
        pass


class TrancheReversal(_AppliedAction):
    """An authorized tranche taken back: where its principal went (the money returned, or owed
    back by the borrower), the interest accrued on it taken off, and repayments to refund."""

    disbursement = models.OneToOneField(
        "loans.Disbursement", on_delete=models.PROTECT, related_name="reversal"
    )
    reversed_on = models.DateField(_("reversed on"))
    returned_into = ledger_account(
        _("money returned into"),
        null=True,
        blank=True,
        help_text=_("Empty: the borrower owes it back (other receivables)."),
    )
    in_term = vnd_field(_("principal in term"))
    overdue = vnd_field(_("principal overdue"))
    interest = vnd_field(_("interest taken off"))
    refunded = vnd_field(_("repayments to refund"))

    class Meta:
        verbose_name = _("tranche reversal")
        verbose_name_plural = _("tranche reversals")
        ordering = ["-reversed_on", "-pk"]
        constraints = [*vnd_only("loans_tranche_reversal", "in_term", "overdue", "interest", "refunded")]

    def __str__(self) -> str:
        return f"{self.disbursement_id}: {self.reversed_on}"

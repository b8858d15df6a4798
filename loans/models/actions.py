"""An action on a running loan that someone asks for and someone else approves: an extension,
a rescheduling, an interest waiver, a write-off, reversing an authorized tranche.

One row per request: what is asked (`payload`, the kind's own fields as JSON), why, by whom and
on which business date; the approver's choices (`decision`), who decided and when; the business
date it was applied on. The status is a protected FSM (requested -> approved -> applied, or
rejected / withdrawn) moved only by `loans.services.actions`; what each kind checks and does is
that kind's (`loans.services.actions.registry`). Transitions change the row only.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from common.fields import one_of, staff_user
from common.text import long_text
from fund.models.documents import Document
from fund.models.fields import vnd_field, vnd_only


class ActionKind(models.TextChoices):
    EXTENSION = "extension", _("Extension")
    RESCHEDULING = "rescheduling", _("Rescheduling")
    WAIVER = "waiver", _("Interest waiver")
    WRITE_OFF = "write_off", _("Write-off")
    TRANCHE_REVERSAL = "tranche_reversal", _("Tranche reversal")


class ActionStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Who may ask for and who may approve each kind: (request, approve) permission, "loans.<codename>".
PERMISSIONS = {
    ActionKind.EXTENSION: ("loans.request_restructuring", "loans.approve_restructuring"),
    ActionKind.RESCHEDULING: ("loans.request_restructuring", "loans.approve_restructuring"),
    ActionKind.WAIVER: ("loans.request_restructuring", "loans.approve_restructuring"),
    ActionKind.WRITE_OFF: ("loans.request_write_off", "loans.approve_write_off"),
    ActionKind.TRANCHE_REVERSAL: ("loans.request_tranche_reversal", "loans.approve_tranche_reversal"),
}


def _may_decide(action: "LoanAction", user) -> bool:
    return user.has_perm(PERMISSIONS[action.kind][1])


def _may_withdraw(action: "LoanAction", user) -> bool:
    return user.pk == action.requested_by_id or user.has_perm(PERMISSIONS[action.kind][0])


class LoanAction(ConcurrentTransitionMixin, models.Model):
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    status = FSMField(
        _("status"),
        max_length=12,
        choices=ActionStatus.choices,
        default=ActionStatus.REQUESTED,
        protected=True,
    )
    # The kind's fields as JSON (dates ISO, amounts and rates as decimal strings).
    payload = models.JSONField(_("what is asked"), default=dict)
    # What the approver chose where the kind lets them (e.g. capitalise or carry the overdue).
    decision = models.JSONField(_("what the approver chose"), default=dict, blank=True)
    # The amount the approval authority is checked on, as the kind computed it when asked.
    amount = vnd_field(_("amount for the approval authority"))
    reason = long_text(_("reason"))
    requested_by = staff_user(_("requested by"))
    requested_on = models.DateField(_("requested on (business date)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = staff_user(_("decided by"), null=True, blank=True)
    decided_on = models.DateField(_("decided on (business date)"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = long_text(_("note of the decision"), blank=True)
    applied_on = models.DateField(_("applied on (business date)"), null=True, blank=True)
    # What applying it did, in a line the loan's history and the decision show.
    outcome = long_text(_("outcome"), blank=True)
    # The figures applying it fixed (e.g. the interest waived per installment), as JSON: what
    # a replay of the loan's life takes it as, however the loan changes later.
    effect = models.JSONField(_("effect"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("loan action")
        verbose_name_plural = _("loan actions")
        ordering = ["-pk"]
        permissions = [
            ("request_restructuring", _("Can request an extension, a rescheduling or an interest waiver")),
            ("approve_restructuring", _("Can approve an extension, a rescheduling or an interest waiver")),
            ("request_write_off", _("Can request a write-off")),
            ("approve_write_off", _("Can approve a write-off")),
            ("request_tranche_reversal", _("Can request reversing an authorized tranche")),
            ("approve_tranche_reversal", _("Can approve reversing an authorized tranche")),
        ]
        constraints = [
            one_of("loans_action", "kind", ActionKind.values),
            one_of("loans_action", "status", ActionStatus.values),
            # One open request of a kind per loan: a second would be decided on stale figures.
            models.UniqueConstraint(
                fields=["loan", "kind"],
                condition=models.Q(status="requested"),
                name="loans_action_one_open_per_kind",
                violation_error_message=_("This loan already has a request of this kind waiting."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="loans_action_amount_not_negative"
            ),
            *vnd_only("loans_action", "amount"),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="loans_action_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.loan_id} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("loans:action_detail", args=[self.pk])

    @property
    def for_the_board(self) -> bool:
        """A write-off goes to the management board whatever it comes to: its amount for the
        authority is one đồng above the highest limited level (`kinds.write_off.board_amount`),
        not a figure of the loan to show."""
        return self.kind == ActionKind.WRITE_OFF

    @property
    def terms(self) -> dict:
        """What is applied: the request with the approver's choices over it."""
        return {**self.payload, **self.decision}

    # --- transitions (the services check the rest: authority, four eyes, the kind's rules) ---

    @transition(
        field=status, source=ActionStatus.REQUESTED, target=ActionStatus.APPROVED, permission=_may_decide
    )
    def approve(self) -> None:
        pass

    @transition(
        field=status, source=ActionStatus.APPROVED, target=ActionStatus.APPLIED, permission=_may_decide
    )
    def apply(self) -> None:
        """Done on the business date in the approval's transaction."""

    @transition(
        field=status, source=ActionStatus.REQUESTED, target=ActionStatus.REJECTED, permission=_may_decide
    )
    def reject(self) -> None:
        pass

    @transition(
        field=status, source=ActionStatus.REQUESTED, target=ActionStatus.WITHDRAWN, permission=_may_withdraw
    )
    def withdraw(self) -> None:
        pass


class LoanActionDocument(Document):
    """A document filed with a request (the co-op's letter, the harvest loss report...)."""

    upload_folder = "loans/actions"
    download_view = "loans:action_document_download"

    action = models.ForeignKey(LoanAction, on_delete=models.PROTECT, related_name="documents")

    class Meta:
        verbose_name = _("document of a loan action")
        verbose_name_plural = _("documents of loan actions")
        ordering = ["action", "pk"]

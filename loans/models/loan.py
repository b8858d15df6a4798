"""One `Loan` row carries an application from draft to closure, the way Fineract does.

The status is a protected FSM field with optimistic locking: a transition saved over a
status someone else changed meanwhile raises `ConcurrentTransition` instead of winning
silently. Transitions only change the row; services do the checks, the history and the rest.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from common.fields import one_of, positive, who_and_when
from common.text import long_text
from fund.models.documents import Document
from fund.models.fields import vnd_field, vnd_only


class LoanStatus(models.TextChoices):
    # "loan status": words like Active and Closed mean something else for an account or a period.
    DRAFT = "draft", pgettext_lazy("loan status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("loan status", "Submitted")
    APPRAISING = "appraising", pgettext_lazy("loan status", "Being appraised")
    APPRAISED = "appraised", pgettext_lazy("loan status", "Appraised")
    APPROVED = "approved", pgettext_lazy("loan status", "Approved")
    REJECTED = "rejected", pgettext_lazy("loan status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("loan status", "Withdrawn")
    ACTIVE = "active", pgettext_lazy("loan status", "Active")
    CLOSED = "closed", pgettext_lazy("loan status", "Closed")
    WRITTEN_OFF = "written_off", pgettext_lazy("loan status", "Written off")
    VOIDED = "voided", pgettext_lazy("loan status", "Voided (import undone)")


# Before approval an application may still be withdrawn; after it, it is a commitment.
WITHDRAWABLE = [LoanStatus.DRAFT, LoanStatus.SUBMITTED, LoanStatus.APPRAISING, LoanStatus.APPRAISED]
# Applications still being decided: they do not count towards a borrower's exposure yet.
OPEN_APPLICATION = [LoanStatus.SUBMITTED, LoanStatus.APPRAISING, LoanStatus.APPRAISED]
# Loans the fund is committed to or has lent: they count towards exposure.
COMMITTED = [LoanStatus.APPROVED, LoanStatus.ACTIVE]


class Loan(ConcurrentTransitionMixin, models.Model):
    borrower = models.ForeignKey(
        "fund.Borrower", verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="loans"
    )
    product = models.ForeignKey(
        "fund.LoanProduct", verbose_name=_("loan product"), on_delete=models.PROTECT, related_name="loans"
    )
    status = FSMField(
        _("status"), max_length=16, choices=LoanStatus.choices, default=LoanStatus.DRAFT, protected=True
    )

    # What the borrower asks for.
    amount = vnd_field(_("amount requested"))
    term_months = models.PositiveSmallIntegerField(_("term requested (months)"))
    purpose = long_text(_("purpose"))
    proposed_collateral = long_text(_("collateral proposed"), blank=True)

    # What the approver decided (empty until then; the contract may still differ).
    approved_amount = vnd_field(_("amount approved"), null=True, blank=True)
    approved_term_months = models.PositiveSmallIntegerField(
        _("term approved (months)"), null=True, blank=True
    )
    approved_rate = models.DecimalField(
        _("rate approved per year"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    approval_conditions = long_text(_("conditions of approval"), blank=True)
    rejection_reason = long_text(_("reason for rejection"), blank=True)

    created_by, created_at = who_and_when(_("created by"), _("created at"))
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)

    # Kept by close of day (loans.services.closing), its history in DebtGroupChange.
    debt_group = models.PositiveSmallIntegerField(_("debt group"), default=1)
    # From the fund's non-accrual group on: interest is income only when paid.
    accrual_suspended = models.BooleanField(_("interest not taken to income"), default=False)
    # Restructuring (loans.services.actions): how often, when last, and the debt group it may
    # not improve on until the fund's cure period is paid on time (None: no such floor).
    restructure_count = models.PositiveSmallIntegerField(_("times restructured"), default=0)
    restructured_on = models.DateField(_("last restructured on"), null=True, blank=True)
    restructured_group = models.PositiveSmallIntegerField(
        _("debt group held since restructuring"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-pk"]
        permissions = [
            ("submit_loan", _("Can submit a loan application")),
            ("appraise_loan", _("Can appraise a loan application")),
            ("decide_loan", _("Can approve or reject a loan application")),
            ("withdraw_loan", _("Can withdraw a loan application")),
        ]
        constraints = [
            one_of("loans_loan", "status", LoanStatus.values),
            positive("amount", name="loans_loan_amount_positive"),
            models.CheckConstraint(condition=models.Q(term_months__gte=1), name="loans_loan_term_positive"),
            models.CheckConstraint(
                condition=models.Q(debt_group__gte=1, debt_group__lte=5), name="loans_loan_debt_group"
            ),
            *vnd_only("loans_loan", "amount", "approved_amount"),
        ]
        indexes = [models.Index(fields=["status", "borrower"], name="loans_loan_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.borrower}"

    def get_absolute_url(self) -> str:
        return reverse("loans:loan_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """The application's number as officers quote it: HS-<year>-<id>."""
        return (
            f"HS-{self.created_at:%Y}-{self.pk:06d}" if self.pk and self.created_at else _("new application")
        )

    @property
    def is_group_loan(self) -> bool:
        return self.borrower.is_household_group

    def nothing_disbursed(self) -> bool:
        """No tranche paid out or waiting for authorization."""
        return not self.disbursements.exclude(status__in=["cancelled", "reversed"]).exists()

    # --- transitions (permissions are checked by the services too) -------------------

    @transition(
        field=status, source=LoanStatus.DRAFT, target=LoanStatus.SUBMITTED, permission="loans.submit_loan"
    )
    def submit(self) -> None:
        pass

    @transition(
        field=status,
        source=LoanStatus.SUBMITTED,
        target=LoanStatus.APPRAISING,
        permission="loans.appraise_loan",
    )
    def start_appraisal(self) -> None:
        pass

    @transition(
        field=status,
        source=LoanStatus.APPRAISING,
        target=LoanStatus.APPRAISED,
        permission="loans.appraise_loan",
    )
    def complete_appraisal(self) -> None:
        pass

    @transition(
        field=status, source=LoanStatus.APPRAISED, target=LoanStatus.APPROVED, permission="loans.decide_loan"
    )
    def approve(self) -> None:
        pass

    @transition(
        field=status, source=LoanStatus.APPRAISED, target=LoanStatus.REJECTED, permission="loans.decide_loan"
    )
    def reject(self) -> None:
        pass

    @transition(
        field=status, source=WITHDRAWABLE, target=LoanStatus.WITHDRAWN, permission="loans.withdraw_loan"
    )
    def withdraw(self) -> None:
        pass

    @transition(
        field=status,
        source=LoanStatus.APPROVED,
        target=LoanStatus.APPRAISED,
        permission="loans.decide_loan",
        conditions=[lambda loan: loan.nothing_disbursed()],
    )
    def undo_approval(self) -> None:
        """Back to appraised while nothing is disbursed or waiting to be."""

    @transition(
        field=status,
        source=LoanStatus.APPROVED,
        target=LoanStatus.ACTIVE,
        permission="loans.authorize_disbursement",
    )
    def activate(self) -> None:
        """The first tranche is paid out."""

    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.CLOSED)
    def close(self) -> None:
        """Principal and every charge are repaid (done by the repayment service, not a person)."""

    @transition(field=status, source=LoanStatus.CLOSED, target=LoanStatus.ACTIVE)
    def reopen(self) -> None:
        """A repayment that closed the loan was reversed."""

    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.APPROVED)
    def deactivate(self) -> None:
        """Its only tranche was reversed: nothing is lent, the approval stands."""

    @transition(field=status, source=LoanStatus.ACTIVE, target=LoanStatus.WRITTEN_OFF)
    def write_off(self) -> None:
        """Written off against provisions, as the management board approved (`loans.services.risk`)."""

    @transition(field=status, source=[LoanStatus.ACTIVE, LoanStatus.WRITTEN_OFF], target=LoanStatus.VOIDED)
    def void(self) -> None:
        """Brought in by a portfolio import that was undone (`loans.services.onboarding.undoing`)."""


class LoanEvent(models.Model):
    """One transition of a loan: who, when, from, to and why. Written by services only."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="events")
    transition = models.CharField(_("action"), max_length=40)
    source = models.CharField(_("from"), max_length=16, choices=LoanStatus.choices)
    target = models.CharField(_("to"), max_length=16, choices=LoanStatus.choices)
    actor, at = who_and_when(_("by"), _("at"))
    note = long_text(_("note"), blank=True)

    class Meta:
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        ordering = ["loan", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.source} → {self.target}"


class LoanMemberShare(models.Model):
    """A household's part of a group loan: its own sub-loan, repaid on its own schedule."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="member_shares")
    member = models.ForeignKey(
        "fund.HouseholdMember",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="loan_shares",
    )
    amount = vnd_field(_("amount requested"))
    approved_amount = vnd_field(_("amount approved"), null=True, blank=True)
    contract_amount = vnd_field(_("amount in the contract"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("household's share")
        verbose_name_plural = _("households' shares")
        ordering = ["loan", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "member"], name="loans_share_member_once"),
            positive("amount", name="loans_share_amount_positive"),
            *vnd_only("loans_share", "amount", "approved_amount", "contract_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.amount}"


class LoanDocument(Document):
    """A document of the application's dossier (hồ sơ vay vốn)."""

    upload_folder = "loans"
    download_view = "loans:document_download"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="documents")

    class Meta:
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")
        ordering = ["loan", "document_type", "pk"]

"""The contract (hợp đồng tín dụng) and the repayment schedule it produces, version by version."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import positive, staff_user
from fund.models.fields import vnd_field, vnd_only
from fund.models.products import Amortization, DayCount, Frequency, default_allocation_order
from loans.models.loan import household_share


class LoanContract(models.Model):
    """The final terms, fixed when the contract is signed; they may differ from the request.

    The product's rules that decide how the loan is repaid and charged are copied here, so the
    loan runs on what was signed even if the product gets a new version.
    """

    loan = models.OneToOneField("loans.Loan", on_delete=models.PROTECT, related_name="contract")
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    signed_on = models.DateField(_("signed on"))
    amount = vnd_field(_("amount"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    annual_rate = models.DecimalField(_("interest rate per year"), max_digits=7, decimal_places=6)
    amortization = models.CharField(_("amortization"), max_length=20, choices=Amortization.choices)
    principal_frequency = models.PositiveSmallIntegerField(_("principal repaid"), choices=Frequency.choices)
    interest_frequency = models.PositiveSmallIntegerField(_("interest paid"), choices=Frequency.choices)
    grace_months = models.PositiveSmallIntegerField(_("principal grace (months)"), default=0)
    first_due_date = models.DateField(_("first due date"), null=True, blank=True)
    day_count = models.CharField(_("day-count basis"), max_length=16, choices=DayCount.choices)
    overdue_multiplier = models.DecimalField(
        _("overdue interest, times the rate"), max_digits=7, decimal_places=4
    )
    unpaid_interest_rate = models.DecimalField(
        _("rate on unpaid interest per year"), max_digits=7, decimal_places=6
    )
    allocation_order = models.JSONField(_("repayment allocation order"), default=default_allocation_order)
    interest_to_moved_date = models.BooleanField(_("interest runs to a moved due date"), default=False)
    signed_by = staff_user(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("loan contract")
        verbose_name_plural = _("loan contracts")
        constraints = [
            positive("amount", name="loans_contract_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1), name="loans_contract_term_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(grace_months__lt=models.F("term_months")),
                name="loans_contract_grace_within_term",
            ),
            *vnd_only("loans_contract", "amount"),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def product_terms(product) -> dict:
        """The product's rules a contract copies when signed, by field name."""
        return {name: getattr(product, name) for name in PRODUCT_TERMS} | {
            "allocation_order": list(product.allocation_order)
        }


# The fields a contract copies from its product: the same names on both.
PRODUCT_TERMS = (
    "amortization",
    "principal_frequency",
    "interest_frequency",
    "day_count",
    "overdue_multiplier",
    "unpaid_interest_rate",
    "allocation_order",
    "interest_to_moved_date",
)


class ScheduleVersion(models.Model):
    """The schedule in force from a date. A new event makes a new version; rows are never edited.

    A household group's loan has a schedule per household share (`share`); others have none.
    """

    class Reason(models.TextChoices):
        DISBURSEMENT = "disbursement", _("First disbursement")
        TRANCHE = "tranche", _("Further tranche")
        PREPAYMENT = "prepayment", _("Prepayment")
        CORRECTION = "correction", _("Recomputed after a reversal or a back-dated repayment")
        MIGRATION = "migration", _("Brought in at the cut-over date")
        EXTENSION = "extension", _("Extension")
        RESCHEDULING = "rescheduling", _("Rescheduling")

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="schedule_versions")
    share = household_share("schedule_versions")
    number = models.PositiveIntegerField(_("version"))
    effective_date = models.DateField(_("in force from"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    # A digest of the rows, so that a repayment can tell in one query whether the schedule changed.
    fingerprint = models.CharField(max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule version")
        verbose_name_plural = _("schedule versions")
        ordering = ["loan", "share", "number"]
        constraints = [
            # Numbered per sub-loan: the loan itself (no share) or each household's share.
            models.UniqueConstraint(
                fields=["loan", "number"],
                condition=models.Q(share__isnull=True),
                name="loans_schedule_version_unique",
            ),
            models.UniqueConstraint(
                fields=["share", "number"],
                condition=models.Q(share__isnull=False),
                name="loans_share_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} v{self.number}"


class ScheduleRow(models.Model):
    """One installment (kỳ trả nợ) of a version, or the row a prepayment added on its own date."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Installment")
        PREPAYMENT = "prepayment", _("Prepayment")

    version = models.ForeignKey(ScheduleVersion, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("installment"), null=True)
    due_date = models.DateField(_("due date"))
    period_start = models.DateField(_("period from"))
    interest_from = models.DateField(_("interest from"))
    principal = vnd_field(_("principal"))
    interest = vnd_field(_("interest"))
    opening_principal = vnd_field(_("outstanding before"))

    class Meta:
        verbose_name = _("schedule row")
        verbose_name_plural = _("schedule rows")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="loans_schedule_row_unique"),
            *vnd_only("loans_schedule_row", "principal", "interest", "opening_principal"),
        ]
        indexes = [
            # What falls due in the next days (the portfolio report): the installments of those
            # days, a month's of 36 a loan, not every row of the schedules in force.
            models.Index(
                fields=["due_date", "version"],
                condition=models.Q(kind="scheduled"),
                name="loans_schedule_row_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.due_date}: {self.principal} + {self.interest}"

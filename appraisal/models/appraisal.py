"""The appraisal of one application (thẩm định), and the figures the appraiser records.

The appraisal holds what only the fund sees: notes, score, recommendation. Collateral is
recorded on the loan (`loans.Collateral`), since provisioning needs it after the appraisal.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import one_of, positive, who_and_when
from common.text import long_text
from fund.models.fields import vnd_field, vnd_only


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class Appraisal(models.Model):
    Recommendation = Recommendation

    loan = models.OneToOneField(
        "loans.Loan", verbose_name=_("loan"), on_delete=models.PROTECT, related_name="appraisal"
    )
    appraiser, started_at = who_and_when(_("appraiser"), _("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    dossier_notes = long_text(_("notes on the dossier"), blank=True)

    visited_on = models.DateField(_("site visit on"), null=True, blank=True)
    visit_participants = models.CharField(_("people met"), max_length=255, blank=True)
    visit_notes = long_text(_("site visit notes"), blank=True)

    recommendation = models.CharField(
        _("recommendation"), max_length=8, choices=Recommendation.choices, blank=True
    )
    recommended_amount = vnd_field(_("amount recommended"), null=True, blank=True)
    recommended_term_months = models.PositiveSmallIntegerField(
        _("term recommended (months)"), null=True, blank=True
    )
    recommended_rate = models.DecimalField(
        _("rate recommended per year"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    recommended_grace_months = models.PositiveSmallIntegerField(_("principal grace (months)"), default=0)
    recommended_conditions = long_text(_("conditions recommended"), blank=True)
    rejection_reasons = long_text(_("reasons to reject"), blank=True)
    opinion = long_text(_("appraiser's opinion"), blank=True)
    # The proposed schedule starts on the business date the recommendation was made, so the
    # debt-service figures of a finished appraisal never move.
    proposal_starts_on = models.DateField(_("proposed schedule starts on"), null=True, blank=True)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-pk"]
        constraints = [
            one_of("appraisal", "recommendation", ["", *Recommendation.values]),
            models.CheckConstraint(
                condition=models.Q(recommended_amount__isnull=True) | models.Q(recommended_amount__gt=0),
                name="appraisal_recommended_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(recommended_rate__isnull=True)
                | (models.Q(recommended_rate__gte=0) & models.Q(recommended_rate__lte=1)),
                name="appraisal_recommended_rate_range",
            ),
            *vnd_only("appraisal_appraisal", "recommended_amount"),
        ]

    def __str__(self) -> str:
        return str(_("Appraisal of %(loan)s") % {"loan": self.loan.reference})

    @property
    def recommends_approval(self) -> bool:
        return self.recommendation == Recommendation.APPROVE

    @property
    def site_visited(self) -> bool:
        return self.visited_on is not None and bool(self.visit_notes.strip())


STATEMENT_AMOUNTS = (
    "revenue",
    "costs",
    "profit",
    "total_assets",
    "current_assets",
    "total_liabilities",
    "current_liabilities",
    "equity",
)


class FinancialStatement(models.Model):
    """One year of the borrower's financial statements, as the appraiser read them."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="statements")
    year = models.PositiveSmallIntegerField(_("year"))
    revenue = vnd_field(_("revenue"))
    costs = vnd_field(_("costs"))
    profit = vnd_field(_("profit after tax"))
    total_assets = vnd_field(_("total assets"))
    current_assets = vnd_field(_("current assets"))
    total_liabilities = vnd_field(_("total liabilities"))
    current_liabilities = vnd_field(_("current liabilities"))
    equity = vnd_field(_("owners' equity"))

    class Meta:
        verbose_name = _("financial statement")
        verbose_name_plural = _("financial statements")
        ordering = ["appraisal", "year"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "year"], name="appraisal_statement_year_once"),
            models.CheckConstraint(
                condition=models.Q(year__gte=1900) & models.Q(year__lte=2999), name="appraisal_statement_year"
            ),
            models.CheckConstraint(
                condition=models.Q(revenue__gte=0)
                & models.Q(costs__gte=0)
                & models.Q(total_assets__gte=0)
                & models.Q(total_liabilities__gte=0),
                name="appraisal_statement_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(current_assets__gte=0)
                & models.Q(current_assets__lte=models.F("total_assets"))
                & models.Q(current_liabilities__gte=0)
                & models.Q(current_liabilities__lte=models.F("total_liabilities")),
                name="appraisal_statement_current_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(total_assets=models.F("total_liabilities") + models.F("equity")),
                name="appraisal_statement_balances",
            ),
            *vnd_only("appraisal_statement", *STATEMENT_AMOUNTS),
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    def clean(self) -> None:
        amount = {name: getattr(getattr(self, name), "amount", None) for name in STATEMENT_AMOUNTS}
        if None in amount.values():
            return  # field validation names the missing figures
        errors = {
            name: _("This cannot be negative.")
            for name in STATEMENT_AMOUNTS
            if name not in ("profit", "equity") and amount[name] < 0
        }
        if not errors:
            if amount["current_assets"] > amount["total_assets"]:
                errors["current_assets"] = _("Current assets cannot exceed total assets.")
            if amount["current_liabilities"] > amount["total_liabilities"]:
                errors["current_liabilities"] = _("Current liabilities cannot exceed total liabilities.")
            if amount["total_assets"] != amount["total_liabilities"] + amount["equity"]:
                errors["total_assets"] = _(
                    "Total assets must equal total liabilities plus equity; check the figures."
                )
        if errors:
            raise ValidationError(errors)


class CashFlowYear(models.Model):
    """One year of the business plan's cash flow (phương án sản xuất kinh doanh).

    Cash out is before this loan's repayments: the coverage compares what is left with them.
    """

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="cash_flow")
    year = models.PositiveSmallIntegerField(_("plan year"))
    inflow = vnd_field(_("cash in"))
    outflow = vnd_field(_("cash out, before this loan's repayments"))

    class Meta:
        verbose_name = _("cash-flow year")
        verbose_name_plural = _("cash flow")
        ordering = ["appraisal", "year"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "year"], name="appraisal_cash_flow_year_once"),
            models.CheckConstraint(condition=models.Q(year__gte=1), name="appraisal_cash_flow_year_positive"),
            models.CheckConstraint(
                condition=models.Q(inflow__gte=0) & models.Q(outflow__gte=0),
                name="appraisal_cash_flow_not_negative",
            ),
            *vnd_only("appraisal_cash_flow", "inflow", "outflow"),
        ]

    def __str__(self) -> str:
        return f"{self.year}"

    @property
    def net(self):
        return self.inflow.amount - self.outflow.amount


class CriterionRating(models.Model):
    """The appraiser's rating of one criterion. The weight and the scale are copied at rating
    time, so a fund editing its criteria later never changes a finished appraisal's score."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(
        "appraisal.ScoringCriterion", verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    scale = models.PositiveSmallIntegerField(_("out of"))
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("criterion rating")
        verbose_name_plural = _("criterion ratings")
        ordering = ["appraisal", "criterion__position", "criterion__code"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "criterion"], name="appraisal_rating_once"),
            models.CheckConstraint(
                condition=models.Q(scale__gte=1) & models.Q(rating__lte=models.F("scale")),
                name="appraisal_rating_within_scale",
            ),
            positive("weight", name="appraisal_rating_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.rating}/{self.scale}"

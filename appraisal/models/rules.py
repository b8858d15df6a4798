"""What a fund sets about appraisals: the scoring criteria and a few numbers, all data.

There is one fund per installation, so the installation's rules are the fund's (like its loan
products and document types). Migrations seed the defaults; the admin edits them.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import positive
from common.languages import language
from common.text import long_text


class AppraisalRules(models.Model):
    """The fund's appraisal settings: one row (`appraisal.selectors.appraisal_rules()`)."""

    singleton = models.BooleanField(default=True, editable=False)
    statement_years = models.PositiveSmallIntegerField(
        _("years of financial statements"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("How many years of the borrower's statements an appraisal analyses."),
    )
    rating_scale = models.PositiveSmallIntegerField(
        _("highest rating"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Each criterion is rated from 0 to this."),
    )
    min_debt_service_coverage = models.DecimalField(
        _("lowest acceptable debt-service coverage"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.20"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Plan years whose net cash flow covers the debt service less than this are flagged."),
    )

    class Meta:
        verbose_name = _("appraisal rules")
        verbose_name_plural = _("appraisal rules")
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="appraisal_rules_single_row"),
            models.CheckConstraint(condition=models.Q(singleton=True), name="appraisal_rules_singleton_true"),
            models.CheckConstraint(
                condition=models.Q(statement_years__gte=1) & models.Q(statement_years__lte=10),
                name="appraisal_rules_statement_years_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rating_scale__gte=1) & models.Q(rating_scale__lte=100),
                name="appraisal_rules_rating_scale_range",
            ),
            positive("min_debt_service_coverage", name="appraisal_rules_min_dscr_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Appraisal rules"))


class ScoringCriterion(models.Model):
    """One thing an appraiser rates, with its weight in the score."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description = long_text(_("what to look at"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Weights need not add up to 100: the score divides by their total."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scoring criterion")
        verbose_name_plural = _("scoring criteria")
        ordering = ["position", "code"]
        constraints = [
            positive("weight", name="appraisal_criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if language().startswith("en") else self.name_vi

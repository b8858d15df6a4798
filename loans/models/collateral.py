"""Collateral (tài sản bảo đảm) pledged for a loan, as valued by the appraiser.

It lives with the loan, not the appraisal: provisioning uses the value allowed for it long
after the appraisal is done.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import positive, who_and_when
from common.money import round_vnd
from common.text import long_text
from fund.models.fields import vnd_field, vnd_only


class Collateral(models.Model):
    class Type(models.TextChoices):
        LAND_USE_RIGHT = "land", _("Land-use right")
        BUILDING = "building", _("House or building")
        MACHINERY = "machinery", _("Machinery and equipment")
        VEHICLE = "vehicle", _("Vehicle")
        DEPOSIT = "deposit", _("Savings or deposit")
        INVENTORY = "inventory", _("Goods and inventory")
        GUARANTEE = "guarantee", _("Guarantee by a third party")
        OTHER = "other", _("Other")

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="collateral")
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    description = long_text(_("description"))
    owner = models.CharField(_("owner"), max_length=255)
    valuation = vnd_field(_("valuation"))
    valued_on = models.DateField(_("valuation date"))
    loan_to_value = models.DecimalField(
        _("loan-to-value limit"),
        max_digits=5,
        decimal_places=4,
        help_text=_("The most the fund lends against this item, as a share of its value."),
    )
    provisioning_value = vnd_field(
        _("value allowed for provisioning"),
        help_text=_("Deducted from the outstanding balance before the specific provision is computed."),
    )
    recorded_by, recorded_at = who_and_when()

    class Meta:
        verbose_name = _("collateral item")
        verbose_name_plural = _("collateral")
        ordering = ["loan", "pk"]
        constraints = [
            positive("valuation", name="loans_collateral_value_positive"),
            models.CheckConstraint(
                condition=models.Q(loan_to_value__gt=0) & models.Q(loan_to_value__lte=1),
                name="loans_collateral_ltv_range",
            ),
            models.CheckConstraint(
                condition=models.Q(provisioning_value__gte=0)
                & models.Q(provisioning_value__lte=models.F("valuation")),
                name="loans_collateral_provisioning_within_value",
            ),
            *vnd_only("loans_collateral", "valuation", "provisioning_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.description[:60]}"

    @property
    def lending_value(self):
        """What the fund may lend against it: valuation × loan-to-value."""
        return round_vnd(self.valuation.amount * self.loan_to_value)

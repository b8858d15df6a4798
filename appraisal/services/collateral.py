"""The collateral an appraiser records and values for the application being appraised.

The items are the loan's (`loans.Collateral`): provisioning keeps using them after approval.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.services.common import appraisal_to_edit
from common.money import MAX_AMOUNT, is_whole_dong
from fund.services.common import require_permission
from loans.models import Collateral, Loan

LTV_PLACES = Decimal("0.0001")  # the loan-to-value column keeps four places


@dataclass(frozen=True)
class CollateralTerms:
    type: str
    description: str
    owner: str
    valuation: Decimal | None
    valued_on: date | None
    loan_to_value: Decimal | None  # a fraction: 0.7 lends up to 70 % of the value
    provisioning_value: Decimal | None


def _errors(item: CollateralTerms) -> dict[str, str]:
    errors = {}
    if item.type not in Collateral.Type.values:
        errors["type"] = _("Choose the type of collateral.")
    if not item.description.strip():
        errors["description"] = _("Describe the collateral.")
    if not item.owner.strip():
        errors["owner"] = _("Say who owns it.")
    elif len(item.owner.strip()) > Collateral._meta.get_field("owner").max_length:
        errors["owner"] = _("The owner's name is too long.")
    valuation = item.valuation
    if valuation is None or not valuation.is_finite() or valuation <= 0 or not is_whole_dong(valuation):
        errors["valuation"] = _("The valuation is a whole number of đồng above 0.")
    elif valuation > MAX_AMOUNT:
        errors["valuation"] = _("This amount is too large.")
    if item.valued_on is None:
        errors["valued_on"] = _("Give the date of the valuation.")
    elif item.valued_on > timezone.localdate():
        errors["valued_on"] = _("The valuation date cannot be in the future.")
    ltv = item.loan_to_value
    if ltv is None or not ltv.is_finite() or not 0 < ltv <= 1:
        errors["loan_to_value"] = _("The loan-to-value limit is a percentage above 0 and at most 100.")
    elif ltv != ltv.quantize(LTV_PLACES):
        errors["loan_to_value"] = _("Give the loan-to-value limit with at most two decimals of a per cent.")
    allowed = item.provisioning_value
    if allowed is None or not allowed.is_finite() or allowed < 0 or not is_whole_dong(allowed):
        errors["provisioning_value"] = _(
            "The value allowed for provisioning is a whole number of đồng, 0 or more."
        )
    elif "valuation" not in errors and allowed > valuation:
        errors["provisioning_value"] = _("The value allowed for provisioning cannot exceed the valuation.")
    return errors


def _write(collateral: Collateral, item: CollateralTerms) -> Collateral:
    collateral.type = item.type
    collateral.description = item.description.strip()
    collateral.owner = item.owner.strip()
    collateral.valuation = item.valuation
    collateral.valued_on = item.valued_on
    collateral.loan_to_value = item.loan_to_value
    collateral.provisioning_value = item.provisioning_value
    collateral.save()
    return collateral


def add_collateral(*, actor, loan: Loan, item: CollateralTerms) -> Collateral:
    require_permission(actor, "loans.add_collateral")
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        errors = _errors(item)
        if errors:
            raise ValidationError(errors)
        return _write(Collateral(loan=appraisal.loan, recorded_by=actor), item)


def update_collateral(*, actor, collateral: Collateral, item: CollateralTerms) -> Collateral:
    require_permission(actor, "loans.change_collateral")
    with transaction.atomic():
        appraisal_to_edit(actor=actor, loan=collateral.loan)
        row = Collateral.objects.select_for_update().get(pk=collateral.pk)
        errors = _errors(item)
        if errors:
            raise ValidationError(errors)
        return _write(row, item)


def remove_collateral(*, actor, collateral: Collateral) -> None:
    require_permission(actor, "loans.delete_collateral")
    with transaction.atomic():
        appraisal_to_edit(actor=actor, loan=collateral.loan)
        Collateral.objects.filter(pk=collateral.pk).delete()

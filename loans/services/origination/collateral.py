"""A loan's collateral (tài sản bảo đảm): the rows, valued, that provisioning uses after approval.

The appraisal records them while the application is appraised (`appraisal.services.collateral`
decides who may, and when), a portfolio import brings them in with its loans; these functions
are the only writers of `Collateral`. Call them
inside the caller's transaction, with the loan locked.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import MAX_AMOUNT, is_whole_dong
from common.text import too_long
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
    elif problem := too_long(item.description.strip()):
        errors["description"] = problem
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


def record_collateral(*, actor, loan: Loan, item: CollateralTerms) -> Collateral:
    require_permission(actor, "loans.add_collateral")
    _check(item)
    return _write(Collateral(loan=loan, recorded_by=actor), item)


def change_collateral(*, actor, collateral: Collateral, item: CollateralTerms) -> Collateral:
    require_permission(actor, "loans.change_collateral")
    row = Collateral.objects.select_for_update().get(pk=collateral.pk)
    _check(item)
    return _write(row, item)


def delete_collateral(*, actor, collateral: Collateral) -> None:
    require_permission(actor, "loans.delete_collateral")
    Collateral.objects.filter(pk=collateral.pk).delete()


def bring_in_collateral(*, actor, items: list[Collateral]) -> None:
    """Save in bulk the collateral of loans brought in from another system, as its books value
    it (`loans.services.onboarding`). Call inside the import's transaction."""
    require_permission(actor, "loans.add_collateral", "loans.commit_portfolioimport")
    Collateral.objects.bulk_create(items, batch_size=2000)


def _check(item: CollateralTerms) -> None:
    errors = _errors(item)
    if errors:
        raise ValidationError(errors)

"""The collateral an appraiser records and values for the application being appraised.

Only its own appraiser changes it, while the application is being appraised; the items are the
loan's (`loans.Collateral`, written by `loans.services.origination.collateral`): provisioning
keeps using them after approval.
"""

from django.db import transaction

from appraisal.services.common import appraisal_to_edit
from loans.models import Collateral, Loan
from loans.services.origination.collateral import (
    CollateralTerms,
    change_collateral,
    delete_collateral,
    record_collateral,
)

__all__ = ["CollateralTerms", "add_collateral", "remove_collateral", "update_collateral"]


def add_collateral(*, actor, loan: Loan, item: CollateralTerms) -> Collateral:
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        return record_collateral(actor=actor, loan=appraisal.loan, item=item)


def update_collateral(*, actor, collateral: Collateral, item: CollateralTerms) -> Collateral:
    with transaction.atomic():
        appraisal_to_edit(actor=actor, loan=collateral.loan)
        return change_collateral(actor=actor, collateral=collateral, item=item)


def remove_collateral(*, actor, collateral: Collateral) -> None:
    with transaction.atomic():
        appraisal_to_edit(actor=actor, loan=collateral.loan)
        delete_collateral(actor=actor, collateral=collateral)

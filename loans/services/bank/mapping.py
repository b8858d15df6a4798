"""A bank account's statement layout: which column holds what, kept until it is changed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fund.services.common import assign_fields, require_permission
from ledger.models import Account
from loans.models import StatementMapping

FIELDS = [
    "header_row",
    "date_format",
    "booking_date_column",
    "value_date_column",
    "description_column",
    "reference_column",
    "credit_column",
    "debit_column",
    "amount_column",
    "balance_column",
    "match_days",
]


def save_mapping(*, actor, account: Account, fields: dict) -> StatementMapping:
    """Create or change the account's layout; it must say where the date and the amounts are."""
    require_permission(actor, "loans.reconcile_bank")
    with transaction.atomic():
        mapping = StatementMapping.objects.select_for_update().filter(account=account).first()
        mapping = mapping or StatementMapping(account=account)
        assign_fields(
            mapping, {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}, FIELDS
        )
        mapping.updated_by = actor
        _check(mapping)
        mapping.full_clean()
        mapping.save()
    return mapping


def _check(mapping: StatementMapping) -> None:
    errors = {}
    if not mapping.booking_date_column:
        errors["booking_date_column"] = _("Name the column of the booking date.")
    if mapping.amount_column and (mapping.credit_column or mapping.debit_column):
        errors["amount_column"] = _("Give either the signed amount column or the money in and out columns.")
    elif not mapping.amount_column and not (mapping.credit_column and mapping.debit_column):
        errors["credit_column"] = _("Name the money in and money out columns, or the signed amount column.")
    named = [getattr(mapping, name) for name in FIELDS if name.endswith("_column") and getattr(mapping, name)]
    if len({name.lower() for name in named}) != len(named):
        errors.setdefault(
            "__all__", _("Each column can hold one thing only: two fields name the same column.")
        )
    if errors:
        raise ValidationError(errors)

"""Loan products: creating them, editing them without ever changing a loan's terms, freezing.

A product row that a loan uses is frozen. Editing a frozen product writes a new version
(same code, version + 1) and marks the old row superseded; the old row's values never
change, so every loan keeps the exact terms it was made under.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common.money import amount_of
from common.transitions import run
from fund.models import DocumentType, LoanProduct, User
from fund.models.products import (
    POSTING_ACCOUNTS,
    PROVISION_RATE_FIELDS,
    default_account_code,
    term_class_of,
)
from fund.services.common import assign_fields, refuse_unknown_fields, refused_if_taken, require_permission
from ledger.models import Account

# Everything a product's owner may set; code is the product's identity across versions.
PRODUCT_FIELDS = (
    "code",
    "name",
    "purpose",
    "borrower_types",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
    "annual_rate",
    "day_count",
    "overdue_multiplier",
    "unpaid_interest_rate",
    "principal_frequency",
    "interest_frequency",
    "amortization",
    "max_grace_months",
    "collateral_waiver_threshold",
    "allocation_order",
    "overdue_grace_days",
    "interest_to_moved_date",
    "extension_short_months",
    "extension_term_share",
    "group2_from_days",
    "group3_from_days",
    "group4_from_days",
    "group5_from_days",
    *PROVISION_RATE_FIELDS,
    *POSTING_ACCOUNTS,
)
_VERSIONED_FIELDS = tuple(name for name in PRODUCT_FIELDS if name != "code")


def default_accounts(*, term_max_months: int) -> dict[str, Account]:
    """The chart's account for each posting kind, loan accounts by the term class."""
    term_class = term_class_of(term_max_months)
    codes = {field: default_account_code(field, term_class) for field in POSTING_ACCOUNTS}
    accounts = Account.objects.in_bulk(codes.values(), field_name="code")
    missing = {field: code for field, code in codes.items() if code not in accounts}
    if missing:
        raise ValidationError(
            {
                field: _("Account %(code)s is not in the chart; choose the account.") % {"code": code}
                for field, code in missing.items()
            }
        )
    return {field: accounts[code] for field, code in codes.items()}


def create_product(
    *, actor: User, fields: Mapping[str, Any], required_documents: Iterable[DocumentType] = ()
) -> LoanProduct:
    """A new product (version 1). Posting accounts not given default from the term class."""
    require_permission(actor, "fund.add_loanproduct")
    product = LoanProduct()
    assign_fields(product, fields, PRODUCT_FIELDS)
    with refused_if_taken(product):  # the same code, sent twice at once
        _check_code_free(product.code)
        if product.term_max_months:
            for field, account in default_accounts(term_max_months=product.term_max_months).items():
                if getattr(product, f"{field}_id") is None:
                    setattr(product, field, account)
        product.full_clean()
        product.save()
        product.required_documents.set(required_documents)
    return product


def update_product(
    *,
    actor: User,
    product: LoanProduct,
    fields: Mapping[str, Any],
    required_documents: Iterable[DocumentType] | None = None,
) -> LoanProduct:
    """Change a product. Unfrozen: in place. Frozen: a new version; the old row stays as it was.

    Returns the row that now carries the product (the same row, or the new version).
    Nothing changes, and no version is made, when the values are the same.
    """
    require_permission(actor, "fund.change_loanproduct")
    with transaction.atomic():
        # The lock orders this edit against `freeze_product` and against another edit.
        current = LoanProduct.objects.select_for_update().get(pk=product.pk)
        if current.status == LoanProduct.Status.SUPERSEDED:
            newest = LoanProduct.objects.filter(code=current.code).aggregate(Max("version"))["version__max"]
            raise ValidationError(
                _("Version %(version)s has been replaced; edit version %(newest)s instead.")
                % {"version": current.version, "newest": newest}
            )
        documents = list(required_documents) if required_documents is not None else None
        if not _changes(current, fields, documents):
            return current
        if not current.is_frozen:
            return _edit_in_place(current, fields, documents)
        return _new_version(current, fields, documents)


def freeze_product(*, product: LoanProduct) -> LoanProduct:
    """Mark the product row as used by a loan: from now on it never changes. Idempotent.

    The loans app calls this inside its own transaction when an application is submitted.
    """
    with transaction.atomic():
        locked = LoanProduct.objects.select_for_update().get(pk=product.pk)
        if locked.frozen_at is None:
            locked.frozen_at = timezone.now()
            locked.save(update_fields=["frozen_at"])
    product.frozen_at = locked.frozen_at
    return locked


def retire_product(*, actor: User, product: LoanProduct) -> LoanProduct:
    """Stop offering a product to new applications; loans already made keep it."""
    return _move(actor=actor, product=product, transition="retire")


def reinstate_product(*, actor: User, product: LoanProduct) -> LoanProduct:
    return _move(actor=actor, product=product, transition="reinstate")


# --- helpers -------------------------------------------------------------------------------


def _check_code_free(code: str) -> None:
    if code and LoanProduct.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A product with this code already exists.")})


def _value(product: LoanProduct, name: str):
    if name in POSTING_ACCOUNTS:
        return getattr(product, f"{name}_id")
    return amount_of(getattr(product, name))


def _changes(product: LoanProduct, fields: Mapping[str, Any], documents: list | None) -> bool:
    refuse_unknown_fields(LoanProduct, fields, PRODUCT_FIELDS)
    for name, value in fields.items():
        given = getattr(value, "pk", value) if name in POSTING_ACCOUNTS else amount_of(value)
        if given != _value(product, name):
            return True
    if documents is not None:
        return {d.pk for d in documents} != set(product.required_documents.values_list("pk", flat=True))
    return False


def _edit_in_place(product: LoanProduct, fields, documents) -> LoanProduct:
    if "code" in fields and fields["code"] != product.code:
        _check_code_free(fields["code"])
    assign_fields(product, fields, PRODUCT_FIELDS)
    product.full_clean()
    product.save()
    if documents is not None:
        product.required_documents.set(documents)
    return product


def _new_version(old: LoanProduct, fields, documents) -> LoanProduct:
    if "code" in fields and fields["code"] != old.code:
        raise ValidationError({"code": _("A product in use keeps its code; create a new product instead.")})
    new = LoanProduct(code=old.code, status=old.status)
    for name in _VERSIONED_FIELDS:
        setattr(new, name, getattr(old, name))
    assign_fields(new, fields, PRODUCT_FIELDS)
    new.version = old.version + 1
    old_documents = list(old.required_documents.all())
    # Supersede first: only one row per code may be current, and the new one becomes it.
    old.supersede()
    old.save(update_fields=["status"])
    new.full_clean()
    new.save()
    new.required_documents.set(documents if documents is not None else old_documents)
    return new


# The product's transitions, as they read in a refusal: "A product that is ... cannot be <retired>".
PRODUCT_ACTIONS = {
    "retire": pgettext_lazy("product action", "withdrawn"),
    "reinstate": pgettext_lazy("product action", "offered again"),
}


def _move(*, actor: User, product: LoanProduct, transition: str) -> LoanProduct:
    require_permission(actor, "fund.change_loanproduct")
    with transaction.atomic():
        locked = LoanProduct.objects.select_for_update().get(pk=product.pk)
        run(locked, transition, actor=actor, subject=_("A product"), action=PRODUCT_ACTIONS[transition])
        locked.save(update_fields=["status"])
    return locked

"""Every write to the fund's records. Views, admin, imports and the demo call these."""

from fund.services.borrowers import (
    add_borrower_document,
    add_household_member,
    change_borrower_status,
    create_borrower,
    link_user_to_borrower,
    update_borrower,
    update_household_member,
)
from fund.services.capital import create_capital_source, record_capital_receipt
from fund.services.documents import save_document_type
from fund.services.fund import (
    create_authority_level,
    next_business_date,
    refuse_day_not_over,
    set_up_fund,
    update_authority_level,
    update_fund,
)
from fund.services.products import (
    create_product,
    default_accounts,
    freeze_product,
    reinstate_product,
    retire_product,
    update_product,
)

__all__ = [
    "add_borrower_document",
    "add_household_member",
    "change_borrower_status",
    "create_authority_level",
    "next_business_date",
    "refuse_day_not_over",
    "create_borrower",
    "create_capital_source",
    "create_product",
    "default_accounts",
    "freeze_product",
    "link_user_to_borrower",
    "record_capital_receipt",
    "reinstate_product",
    "retire_product",
    "save_document_type",
    "set_up_fund",
    "update_authority_level",
    "update_borrower",
    "update_fund",
    "update_household_member",
    "update_product",
]

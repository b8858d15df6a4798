"""The fund app's menu items (see `fund.navigation`)."""

from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Borrowers"), "fund:borrower_list", "fund.view_borrower", _("Lending")),
    NavItem(_("Loan products"), "fund:product_list", "fund.view_loanproduct", _("Lending")),
    NavItem(_("Fund"), "fund:fund_detail", "fund.view_fund", _("Settings and capital")),
]

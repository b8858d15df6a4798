from django.utils.translation import gettext_lazy as _

from fund.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Applications"), "loans:applications", "loans.view_loan", _("Loan applications by state")),
]

from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

SECTION = _("Accounting")
# The menu is for those who follow the books, accountants and the director (who see the
# periods too). Officers may read entries and accounts, but only open the entries their loans'
# pages link to: the accountants' menu is not theirs.
BOOKS = "ledger.view_period"

NAV_ITEMS = [
    NavItem(_("Journal"), "ledger:journal", BOOKS, SECTION),
    NavItem(_("Trial balance"), "ledger:trial_balance", BOOKS, SECTION),
    NavItem(_("Trial balance for a period"), "ledger:period_trial_balance", BOOKS, SECTION),
    NavItem(_("Chart of accounts"), "ledger:chart", BOOKS, SECTION),
    NavItem(_("Periods"), "ledger:periods", BOOKS, SECTION),
]

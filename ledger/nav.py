from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

SECTION = _("Accounting")

NAV_ITEMS = [
    NavItem(_("Journal"), "ledger:journal", "ledger.view_journalentry", SECTION),
    NavItem(_("Trial balance"), "ledger:trial_balance", "ledger.view_journalentry", SECTION),
    NavItem(
        _("Trial balance for a period"), "ledger:period_trial_balance", "ledger.view_journalentry", SECTION
    ),
    NavItem(_("Chart of accounts"), "ledger:chart", "ledger.view_account", SECTION),
    NavItem(_("Periods"), "ledger:periods", "ledger.view_period", SECTION),
]

from django.utils.translation import gettext_lazy as _

from common.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Loans"), "loans:applications", "loans.view_loan", _("Applications and loans by state")),
    NavItem(_("Repayments import"), "loans:repayment_import", "loans.add_repaymentimport", _("Loans")),
    NavItem(_("Restructuring and write-off"), "loans:actions", "loans.view_loanaction", _("Loans")),
    NavItem(_("Tranches to authorize"), "loans:tranches", "loans.authorize_disbursement", _("Loans")),
    NavItem(_("Close of day"), "loans:close_of_day", "fund.advance_business_date", _("Loans")),
    NavItem(_("Sub-ledger against the GL"), "loans:reconciliation", "loans.view_loantransaction", _("Loans")),
    NavItem(_("Bringing a fund in"), "loans:portfolio_imports", "loans.view_portfolioimport", _("Loans")),
    NavItem(_("Bank statements"), "loans:bank_accounts", "loans.reconcile_bank", _("Loans")),
    NavItem(_("Reminders sent"), "loans:notices", "loans.view_notice", _("Loans")),
    NavItem(_("Arrears aging"), "loans:aging_report", "loans.view_reports", _("Reports")),
    NavItem(_("Arrears list"), "loans:arrears_report", "loans.view_reports", _("Reports")),
    NavItem(_("Debt classification"), "loans:classification_report", "loans.view_reports", _("Reports")),
    NavItem(_("Portfolio"), "loans:portfolio_report", "loans.view_reports", _("Reports")),
    NavItem(_("Month-end trend"), "loans:trend_report", "loans.view_reports", _("Reports")),
    NavItem(_("Recoveries"), "loans:recoveries_report", "loans.view_reports", _("Reports")),
    NavItem(_("My exports"), "loans:exports", "loans.view_reports", _("Reports")),
]

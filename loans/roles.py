"""What each role may do with loans (granted on every migrate, see fund/roles.py)."""

_VIEW = [
    "loans.view_loan",
    "loans.view_loandocument",
    "loans.view_loanevent",
    "loans.view_collateral",
    "loans.view_loanmembershare",
]

ROLE_PERMISSIONS = {
    "fund_officer": [
        *_VIEW,
        "loans.add_loan",
        "loans.change_loan",
        "loans.submit_loan",
        "loans.withdraw_loan",
        "loans.add_loandocument",
        "loans.add_loancontract",
        "loans.add_disbursement",
        "loans.add_repayment",
        "loans.add_repaymentimport",
        "loans.add_recovery",
        "loans.view_reports",
        "loans.view_loanaction",
        "loans.request_restructuring",
        "loans.request_write_off",
    ],
    "appraiser": [*_VIEW, "loans.appraise_loan", "loans.add_collateral", "loans.change_collateral"],
    "approver": [
        *_VIEW,
        "loans.decide_loan",
        "loans.view_reports",
        "loans.view_loanaction",
        "loans.approve_restructuring",
        "loans.approve_write_off",
        "loans.approve_tranche_reversal",
    ],
    "accountant": [
        *_VIEW,
        "loans.authorize_disbursement",
        "loans.reverse_repayment",
        "loans.view_reports",
        "loans.view_loantransaction",  # the sub-ledger against the GL
        "loans.reconcile_bank",
        # Bringing a portfolio in: one accountant checks the file, another commits it.
        "loans.add_portfolioimport",
        "loans.view_portfolioimport",
        "loans.commit_portfolioimport",
        "loans.add_recovery",
        "loans.view_loanaction",
        "loans.request_tranche_reversal",
    ],
    # A co-op user's view is limited to its own borrower by the selectors, not by these.
    "coop_user": [
        "loans.view_loan",
        "loans.add_loan",
        "loans.change_loan",
        "loans.submit_loan",
        "loans.withdraw_loan",
        "loans.add_loandocument",
        "loans.view_loandocument",
        "loans.view_loanevent",
        "loans.view_loancontract",
        "loans.view_repayment",
    ],
}

"""What each role may do with the books (granted to the role groups on every migrate)."""

_READ = ["ledger.view_account", "ledger.view_journalentry", "ledger.view_period"]

ROLE_PERMISSIONS = {
    # The accountant keeps the books: the chart, manual entries, reversals, periods, exports.
    "accountant": [
        *_READ,
        "ledger.add_account",
        "ledger.change_account",
        "ledger.delete_account",
        "ledger.add_journalentry",
        "ledger.reverse_journalentry",
        "ledger.export_ledger",
        "ledger.close_period",
        "ledger.reopen_period",
    ],
    # The director follows the books (trial balance, journal) but does not write them.
    "approver": [*_READ, "ledger.export_ledger"],
    # Officers look up the entries their disbursements and repayments posted.
    "fund_officer": ["ledger.view_account", "ledger.view_journalentry"],
    # Appraisers and co-op users get nothing from the ledger.
}

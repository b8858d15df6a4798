"""Small, domain-free helpers every app may use (money rounding, .xlsx in and out).

Not a Django app and knowing nothing of funds, loans or the ledger, so that `ledger`
can use it without depending on the other apps.
"""

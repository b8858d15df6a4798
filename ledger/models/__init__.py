"""The fund's books: the chart of accounts, the journal and the accounting periods."""

from ledger.models.accounts import Account, AccountType

__all__ = ["Account", "AccountType"]

"""The fund's books: the chart of accounts, the journal and the accounting periods."""

from ledger.models.accounts import Account, AccountType
from ledger.models.journal import (
    SOURCE_MANUAL,
    SOURCE_REVERSAL,
    AccountDay,
    JournalEntry,
    JournalLine,
    JournalSequence,
    PostedRowError,
)
from ledger.models.periods import Period, PeriodEvent, PeriodState

__all__ = [
    "SOURCE_MANUAL",
    "SOURCE_REVERSAL",
    "Account",
    "AccountDay",
    "AccountType",
    "JournalEntry",
    "JournalLine",
    "JournalSequence",
    "Period",
    "PeriodEvent",
    "PeriodState",
    "PostedRowError",
]

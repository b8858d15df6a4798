"""The fund's books: the chart of accounts, the journal and the accounting periods."""

from ledger.models.accounts import Account, AccountType
from ledger.models.journal import (
    SOURCE_LABELS,
    SOURCE_MANUAL,
    SOURCE_REVERSAL,
    AccountDay,
    JournalEntry,
    JournalLine,
    JournalSequence,
    PostedRowError,
    readable_reference,
    source_label,
)
from ledger.models.periods import Period, PeriodEvent, PeriodState

__all__ = [
    "SOURCE_LABELS",
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
    "readable_reference",
    "source_label",
]

"""Every write to the ledger. Other apps post through `post_entry`, `post_entries` and `reverse_entry`."""

from ledger.services.accounts import (
    ImportSummary,
    create_account,
    delete_account,
    import_chart,
    update_account,
)
from ledger.services.manual import post_manual_entry, reverse_on_request
from ledger.services.periods import close_period, reopen_period
from ledger.services.posting import (
    BusyNow,
    EntryDraft,
    Line,
    bounded_memo,
    post_entries,
    post_entry,
    reversal_of,
    reverse_entry,
    what_it_would_post,
)
from ledger.services.year_end import close_year, reopen_year

__all__ = [
    "BusyNow",
    "EntryDraft",
    "ImportSummary",
    "Line",
    "bounded_memo",
    "close_period",
    "close_year",
    "create_account",
    "delete_account",
    "import_chart",
    "post_entries",
    "post_entry",
    "post_manual_entry",
    "reopen_period",
    "reopen_year",
    "reverse_entry",
    "reversal_of",
    "reverse_on_request",
    "update_account",
    "what_it_would_post",
]

"""Every write to the ledger. Other apps post through `post_entry`, `post_entries` and `reverse_entry`."""

from ledger.services.posting import EntryDraft, Line, post_entries, post_entry, reverse_entry

__all__ = ["EntryDraft", "Line", "post_entries", "post_entry", "reverse_entry"]

"""What an accountant posts by hand: a journal entry typed on the page, a reversal with a reason.

These check the user's permission; the posting service itself leaves that to its callers.
"""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ledger.models import SOURCE_MANUAL, JournalEntry
from ledger.services.posting import EntryDraft, Line, post_entry, reverse_entry


def post_manual_entry(
    *,
    actor: AbstractBaseUser,
    value_date: dt.date,
    memo: str,
    lines: Sequence[Line],
    idempotency_key: str,
) -> JournalEntry:
    """Post an entry typed by the accountant. The page's key makes a double submit harmless."""
    if not actor.has_perm("ledger.add_journalentry"):
        raise PermissionDenied(_("You may not post journal entries."))
    draft = EntryDraft(
        value_date=value_date,
        memo=memo,
        lines=list(lines),
        idempotency_key=f"manual:{idempotency_key}" if idempotency_key else "",
        source_kind=SOURCE_MANUAL,
    )
    return post_entry(draft, created_by=actor)


def reverse_on_request(
    *, actor: AbstractBaseUser, entry: JournalEntry, reason: str, value_date: dt.date | None = None
) -> JournalEntry:
    """Reverse an entry for the accountant, who says why."""
    if not actor.has_perm("ledger.reverse_journalentry"):
        raise PermissionDenied(_("You may not reverse journal entries."))
    return reverse_entry(entry=entry, reason=reason, created_by=actor, value_date=value_date)

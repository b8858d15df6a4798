"""What an accountant posts by hand: a journal entry typed on the page, a reversal with a reason.

These check the user's permission; the posting service itself leaves that to its callers.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ledger.models import SOURCE_MANUAL, SOURCE_REVERSAL, JournalEntry
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
    _check_value_date(value_date)
    draft = EntryDraft(
        value_date=value_date,
        memo=memo,
        lines=list(lines),
        idempotency_key=f"manual:{idempotency_key}" if idempotency_key else "",
        source_kind=SOURCE_MANUAL,
    )
    return post_entry(draft, created_by=actor)


def _check_value_date(value_date) -> None:
    """The site's rule for value dates (LEDGER_VALUE_DATE_CHECK: a function of the date giving a
    message or None), which the ledger, importing no other app, is handed by the settings."""
    check = getattr(settings, "LEDGER_VALUE_DATE_CHECK", None)
    if check and isinstance(value_date, dt.date) and (problem := import_string(check)(value_date)):
        raise ValidationError({"value_date": problem})


def reverse_on_request(
    *, actor: AbstractBaseUser, entry: JournalEntry, reason: str, value_date: dt.date | None = None
) -> JournalEntry:
    """Reverse an entry for the accountant, who says why. Only an entry posted by hand: one
    posted by a loan, a capital receipt and so on has a sub-ledger saying the same, which its
    reversal here would leave behind (and could then never be corrected where it was posted)."""
    if not actor.has_perm("ledger.reverse_journalentry"):
        raise PermissionDenied(_("You may not reverse journal entries."))
    # A reversal goes on to the posting service, which says that it is not reversed in turn.
    if entry.source_kind not in (SOURCE_MANUAL, SOURCE_REVERSAL):
        raise ValidationError(
            _(
                "Entry %(number)s was not posted by hand: correct it where it was posted (a "
                "repayment is reversed on its loan's page)."
            )
            % {"number": entry}
        )
    if value_date is not None:
        _check_value_date(value_date)
    return reverse_entry(entry=entry, reason=reason, created_by=actor, value_date=value_date)

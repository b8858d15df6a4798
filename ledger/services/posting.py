"""The one writer of the journal: post entries, in one or in a batch, and reverse them.

Every rule is checked before anything is written, and a refusal raises ValidationError with
every problem found (line by line, entry by entry), leaving nothing behind. On PostgreSQL the
database checks the same rules again at commit (migrations 0004 and 0014).

Callers are other apps' use cases, usually inside their own `transaction.atomic()`; the
functions here then run in a savepoint. Numbers are gap-free per year, so taking one locks
that year's counter until the outermost transaction commits: post last in a use case.
The role of the user is the caller's business (see `ledger.services.manual` for the pages).
"""

import gc
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.db import lock_not_free, lock_wait_at_most, prepared_cursor
from common.money import MAX_AMOUNT, ZERO, format_vnd, is_whole_dong
from ledger.drafts import EntryDraft, Line
from ledger.models import SOURCE_REVERSAL, JournalEntry, JournalLine
from ledger.services import journal_sql

_LIMITS = {  # field -> max length, from the models
    name: JournalEntry._meta.get_field(name).max_length
    for name in ("memo", "idempotency_key", "source_kind", "source_ref")
}
_REFERENCE_LIMIT = JournalLine._meta.get_field("reference").max_length
_ENTRY_FIELDS = [f.attname for f in JournalEntry._meta.concrete_fields]
_REQUIRED = {
    "memo": gettext_lazy("Enter a memo."),
    "idempotency_key": gettext_lazy("Enter an idempotency key."),
    "source_kind": gettext_lazy("Enter the source."),
}


def bounded_memo(text: str) -> str:
    """`text` cut to what an entry's memo holds: a reason may be longer (its own record keeps it
    whole)."""
    return Truncator(text).chars(_LIMITS["memo"])


def post_entry(draft: EntryDraft, *, created_by: AbstractBaseUser | None) -> JournalEntry:
    """Post one entry, or return the entry already posted with the draft's idempotency key.

    Refusals raise ValidationError keyed by field: value_date, memo, idempotency_key, lines.
    """
    return _post_at_once(draft, created_by) or _post_with_retry([draft], created_by=created_by, keyed=True)[0]


def post_entries(drafts: Sequence[EntryDraft], *, created_by: AbstractBaseUser | None) -> list[JournalEntry]:
    """Post many entries in one transaction (close of day, imports): all of them or none.

    Drafts whose idempotency key is known come back as the existing entries, in place.
    A refusal lists every problem, each message starting with the draft's position and key.
    """
    if not drafts:
        return []
    with _collector_paused():
        return _post_with_retry(list(drafts), created_by=created_by, keyed=False)


def reverse_entry(
    *,
    entry: JournalEntry,
    reason: str,
    created_by: AbstractBaseUser | None,
    value_date: date | None = None,
) -> JournalEntry:
    """Post the mirror of `entry` (debits and credits swapped), once.

    The reversal is dated `value_date`, by default the entry's own date; its memo is the reason.
    A second reversal of the same entry, or a reversal of a reversal, is refused.
    """
    try:
        return _reverse(entry, (reason or "").strip(), created_by, value_date)
    except IntegrityError:  # lost a race (see _post_with_retry): checked again, it says why
        return _reverse(entry, (reason or "").strip(), created_by, value_date)


def _reverse(entry: JournalEntry, reason: str, created_by, value_date: date | None) -> JournalEntry:
    with transaction.atomic():
        # The lock makes two simultaneous reversals of one entry queue; the second is refused.
        original = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        errors: dict[str, list[str]] = {}
        if not reason:
            errors["reason"] = [_("Give the reason for the reversal.")]
        if original.reverses_id is not None:
            errors[NON_FIELD_ERRORS] = [
                _("Entry %(number)s is itself a reversal; post a new entry instead.") % {"number": original}
            ]
        existing = JournalEntry.objects.filter(reverses=original).first()
        if existing is not None:
            errors[NON_FIELD_ERRORS] = [
                _("Entry %(number)s was already reversed by %(reversal)s.")
                % {"number": original, "reversal": existing}
            ]
        if errors:
            raise ValidationError(errors)
        draft = reversal_of(original, reason=reason, value_date=value_date)
        return _post([draft], created_by=created_by, keyed=True, reverses=original)[0]


def reversal_of(entry: JournalEntry, *, reason: str, value_date: date | None = None) -> EntryDraft:
    """The draft `reverse_entry` posts for `entry`: its lines with debits and credits swapped,
    dated `value_date` (by default the entry's own date), the reason as its memo."""
    lines = [
        Line(account=code, debit=credit, credit=debit, reference=reference)
        for code, debit, credit, reference in entry.lines.order_by("pk").values_list(
            "account__code", "debit", "credit", "reference"
        )
    ]
    return EntryDraft(
        value_date=value_date or entry.value_date,
        memo=reason,
        lines=lines,
        idempotency_key=f"reversal:{entry.pk}",
        source_kind=SOURCE_REVERSAL,
        source_ref=entry.number,
    )


class _Rehearsal(Exception):
    """Rolls a rehearsal back."""


# The drafts posted while a rehearsal runs (None: none runs).
_rehearsed: ContextVar[list[EntryDraft] | None] = ContextVar("ledger_rehearsed", default=None)


# How long a rehearsal waits for a lock another transaction holds: a posting holds its loan
# or the year's counter for milliseconds; an import or a close of day's chunk, for longer.
REHEARSAL_LOCK_WAIT_MS = 500


class BusyNow(Exception):
    """A rehearsal would have waited for a lock held elsewhere (see `what_it_would_post`)."""


def what_it_would_post(call: Callable[[], object]) -> list[EntryDraft]:
    """The entries a use case would post, in order: `call` runs with every check and figure of
    the real thing, then is rolled back (a savepoint), so nothing stays and no entry number is
    used up. What a page shows before a money action is confirmed; its refusals raise as the
    real call's would. A lock held elsewhere for more than `REHEARSAL_LOCK_WAIT_MS` raises
    `BusyNow` rather than keep the page waiting."""
    drafts: list[EntryDraft] = []
    token = _rehearsed.set(drafts)
    try:
        with transaction.atomic():
            lock_wait_at_most(REHEARSAL_LOCK_WAIT_MS)  # rolled back with the rehearsal
            call()
            raise _Rehearsal
    except _Rehearsal:
        return drafts
    except OperationalError as error:
        if lock_not_free(error):
            raise BusyNow from error
        raise
    finally:
        _rehearsed.reset(token)


def _rehearsing(drafts) -> None:
    if (rehearsed := _rehearsed.get()) is not None:
        rehearsed.extend(drafts)


# --- internals ---------------------------------------------------------------


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector. It runs on counts of objects kept alive, so a
    batch's rows and entries set it off several times, each time scanning every object of the
    process (a worker's whole Django), though none of them is in a cycle: a third of a batch's
    Python. Reference counting still frees all that dies meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _post_at_once(draft: EntryDraft, created_by) -> JournalEntry | None:
    """On PostgreSQL, post a sound draft with one statement (`journal_sql.post_one`): one round
    trip, committed by itself outside a transaction, and without a savepoint inside the caller's
    (it writes nothing unless it posts). None when it did not post: the full path then says why,
    or returns the entry already posted with the key."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    errors = _Errors([draft], keyed=True)
    _check_draft(0, draft, errors)
    if errors.found:
        return None
    entry = _new_entry(draft, [line.account for line in draft.lines])
    created_by_id = created_by.pk if created_by else None
    now = timezone.now()
    in_transaction = connection.in_atomic_block
    try:
        with prepared_cursor() as cursor:
            posted = journal_sql.post_one(cursor, entry, created_by_id=created_by_id, created_at=now)
    except IntegrityError:
        if in_transaction:
            raise  # the caller's transaction is spoilt (not seen: the checks are at its commit)
        return None  # refused at its own commit (a month closed meanwhile): checked again
    if posted is None:
        return None
    pk, sequence = posted
    _rehearsing([draft])
    return _entry_from_db(pk, sequence, entry, reverses_id=None, created_by_id=created_by_id, created_at=now)


def _post_with_retry(drafts, *, created_by, keyed: bool) -> list[JournalEntry]:
    try:
        with transaction.atomic():
            return _post(drafts, created_by=created_by, keyed=keyed)
    except IntegrityError:
        # Something changed between our checks and our writes: the same key posted by
        # someone else, or (on PostgreSQL, at commit) a month closed or an account changed.
        # Checked again, the drafts now come back as the posted entries or a clear refusal.
        with transaction.atomic():
            return _post(drafts, created_by=created_by, keyed=keyed)


class _Errors:
    """Problems found, by draft and field; raised as one ValidationError."""

    def __init__(self, drafts, *, keyed: bool):
        self.drafts = drafts
        self.keyed = keyed
        self.found: list[tuple[int, str, str]] = []

    def add(self, index: int, field: str, message: str) -> None:
        self.found.append((index, field, message))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        if self.keyed:  # one draft: field by field, the way a form shows them
            by_field: dict[str, list[str]] = defaultdict(list)
            for _index, field, message in self.found:
                by_field[field].append(message)
            raise ValidationError(dict(by_field))
        raise ValidationError(
            [
                _("Entry %(position)s (%(key)s): %(message)s")
                % {"position": index + 1, "key": self.drafts[index].idempotency_key, "message": message}
                for index, _field, message in self.found
            ]
        )


def _post(drafts, *, created_by, keyed: bool, reverses: JournalEntry | None = None) -> list[JournalEntry]:
    errors = _Errors(drafts, keyed=keyed)
    for index, draft in enumerate(drafts):
        _check_draft(index, draft, errors)
    _check_keys_unique(drafts, errors)
    with prepared_cursor() as cursor:
        entries = _check_and_write(cursor, drafts, errors, created_by=created_by, reverses=reverses)
    _rehearsing(drafts)
    return entries


def _check_and_write(cursor, drafts, errors: _Errors, *, created_by, reverses) -> list[JournalEntry]:
    found = journal_sql.lookup(
        cursor,
        codes=[line.account for draft in drafts for line in draft.lines if isinstance(line.account, str)],
        keys=[draft.idempotency_key for draft in drafts if isinstance(draft.idempotency_key, str)],
        years=[draft.value_date.year for draft in drafts if _is_date(draft.value_date)],
    )
    existing = {}
    if found.posted:
        existing = JournalEntry.objects.in_bulk(found.posted.values())
        existing = {entry.idempotency_key: entry for entry in existing.values()}
        _check_same_as_posted(drafts, existing, errors)
    new = [(i, d) for i, d in enumerate(drafts) if d.idempotency_key not in existing]
    _check_accounts(new, found.accounts, errors)
    _check_periods(new, found.closed, errors)
    errors.raise_if_any()

    created = _write(cursor, new, found.accounts, created_by=created_by, reverses=reverses)
    return [existing.get(d.idempotency_key) or created[i] for i, d in enumerate(drafts)]


def _check_draft(index: int, draft: EntryDraft, errors: _Errors) -> None:
    if not _is_date(draft.value_date):
        errors.add(index, "value_date", _("The value date must be a date."))
    for field, message in _REQUIRED.items():
        value = getattr(draft, field)
        if not isinstance(value, str) or not value.strip():
            errors.add(index, field, str(message))
    for field, limit in _LIMITS.items():
        value = getattr(draft, field)
        if isinstance(value, str) and len(value) > limit:
            errors.add(index, field, _("At most %(limit)s characters.") % {"limit": limit})
    if len(draft.lines) < 2:
        errors.add(index, "lines", _("An entry needs at least two lines."))
    debits = credits = ZERO
    readable = True
    for number, line in enumerate(draft.lines, start=1):
        if problem := _line_problem(line):
            errors.add(index, "lines", _("Line %(line)s: %(problem)s") % {"line": number, "problem": problem})
            readable = False
        elif readable:
            debits += line.debit
            credits += line.credit
    if readable and debits != credits:  # the totals of unreadable amounts would only confuse
        errors.add(
            index,
            "lines",
            _("The entry does not balance: debits %(debit)s, credits %(credit)s (difference %(diff)s).")
            % {
                "debit": format_vnd(debits),
                "credit": format_vnd(credits),
                "diff": format_vnd(abs(debits - credits)),
            },
        )


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_keys_unique(drafts, errors: _Errors) -> None:
    seen = set()
    for index, draft in enumerate(drafts):
        if draft.idempotency_key in seen:
            errors.add(index, "idempotency_key", _("The same idempotency key appears twice in the batch."))
        seen.add(draft.idempotency_key)


def _line_problem(line: Line) -> str | None:
    account, debit, credit = line.account, line.debit, line.credit
    if not isinstance(account, str) or not account.strip():
        return _("choose an account.")
    if not (_is_amount(debit) and _is_amount(credit)):
        return _("amounts must be Decimal, never float.")
    if debit < 0 or credit < 0:
        return _("amounts cannot be negative.")
    if (debit > 0) == (credit > 0):
        return _("enter either a debit or a credit, not both and not neither.")
    amount = Decimal(debit or credit)
    if not amount.is_finite() or not is_whole_dong(amount):
        return _("amounts are whole đồng, without decimals.")
    if amount > MAX_AMOUNT:
        return _("the amount is too large.")
    if len(line.reference) > _REFERENCE_LIMIT:
        return _("the reference has at most %(limit)s characters.") % {"limit": _REFERENCE_LIMIT}
    return None


def _is_amount(value) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


def _check_same_as_posted(drafts, existing: dict[str, JournalEntry], errors: _Errors) -> None:
    """A known key must come with the same entry: a different one is a caller's mistake."""
    posted_lines = defaultdict(list)
    for entry_id, code, debit, credit in (
        JournalLine.objects.filter(entry__in=existing.values())
        .order_by("pk")
        .values_list("entry_id", "account__code", "debit", "credit")
    ):
        posted_lines[entry_id].append((code, debit, credit))
    for index, draft in enumerate(drafts):
        entry = existing.get(draft.idempotency_key)
        if entry is None:
            continue
        wanted = [(line.account, Decimal(line.debit), Decimal(line.credit)) for line in draft.lines]
        if entry.value_date != draft.value_date or sorted(posted_lines[entry.pk]) != sorted(wanted):
            errors.add(
                index,
                "idempotency_key",
                _("The key %(key)s was already used for entry %(number)s, with other lines or another date.")
                % {"key": draft.idempotency_key, "number": entry},
            )


def _check_accounts(new, found: dict[str, tuple[int, bool, bool]], errors: _Errors) -> None:
    for index, draft in new:
        for number, line in enumerate(draft.lines, start=1):
            if not isinstance(line.account, str) or not line.account.strip():
                continue  # already reported
            if line.account not in found:
                problem = _("there is no account %(code)s.")
            elif found[line.account][2]:
                problem = _("account %(code)s has sub-accounts; post to one of them.")
            elif not found[line.account][1]:
                problem = _("account %(code)s is inactive.")
            else:
                continue
            errors.add(
                index,
                "lines",
                _("Line %(line)s: %(problem)s")
                % {"line": number, "problem": problem % {"code": line.account}},
            )


def _check_periods(new, closed: set[tuple[int, int]], errors: _Errors) -> None:
    new = [(index, draft) for index, draft in new if _is_date(draft.value_date)]
    for index, draft in new:
        if (draft.value_date.year, draft.value_date.month) in closed:
            errors.add(
                index,
                "value_date",
                _("%(month)02d/%(year)s is closed: reopen it or choose a date in an open month.")
                % {"month": draft.value_date.month, "year": draft.value_date.year},
            )


def _write(cursor, new, accounts, *, created_by, reverses) -> dict[int, JournalEntry]:
    """Number and insert the new drafts; returns the entries by draft position."""
    by_year: dict[int, list] = defaultdict(list)
    for index, draft in new:
        by_year[draft.value_date.year].append((index, draft))
    now = timezone.now()
    created_by_id = created_by.pk if created_by else None
    reverses_id = reverses.pk if reverses else None
    created: dict[int, JournalEntry] = {}
    for year in sorted(by_year):  # one order for every writer, so two batches never deadlock
        drafts = by_year[year]
        rows = [
            _new_entry(draft, [accounts[line.account][0] for line in draft.lines]) for _index, draft in drafts
        ]
        numbers = journal_sql.insert(
            cursor, rows, created_by_id=created_by_id, reverses_id=reverses_id, created_at=now
        )
        for (index, _draft), row, (pk, sequence) in zip(drafts, rows, numbers, strict=True):
            created[index] = _entry_from_db(
                pk, sequence, row, reverses_id=reverses_id, created_by_id=created_by_id, created_at=now
            )
    return created


def _new_entry(draft: EntryDraft, accounts: list) -> journal_sql.NewEntry:
    """The row to write for a checked draft, its lines on `accounts` (one per line)."""
    return journal_sql.NewEntry(
        value_date=draft.value_date,
        memo=draft.memo.strip(),
        source_kind=draft.source_kind,
        source_ref=draft.source_ref,
        idempotency_key=draft.idempotency_key,
        lines=[
            (account, Decimal(line.debit), Decimal(line.credit), line.reference)
            for account, line in zip(accounts, draft.lines, strict=True)
        ],
    )


def _entry_from_db(pk: int, sequence: int, row, *, reverses_id, created_by_id, created_at) -> JournalEntry:
    """The entry just written, as if read back from the database, without reading it back.

    Its fields are all known, so they are set as `from_db` would, without the model's
    `__init__`: over a batch, that costs more than checking the drafts."""
    values = {
        "id": pk,
        "year": row.value_date.year,
        "sequence": sequence,
        "value_date": row.value_date,
        "memo": row.memo,
        "source_kind": row.source_kind,
        "source_ref": row.source_ref,
        "idempotency_key": row.idempotency_key,
        "reverses_id": reverses_id,
        "created_by_id": created_by_id,
        "created_at": created_at,
    }
    entry = JournalEntry.__new__(JournalEntry)
    entry.__dict__.update({field: values[field] for field in _ENTRY_FIELDS})  # a field left out fails
    entry._state = ModelState()
    entry._state.adding = False
    entry._state.db = DEFAULT_DB_ALIAS
    return entry

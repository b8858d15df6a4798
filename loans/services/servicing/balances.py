"""Writing a sub-loan's stored balances rows (`loans.models.LoanBalance`) from its replay.

Every money event goes through `settle`, which asks here where the rows must be written again
from (`rewrite_from`), replays the sub-loan taking its balances from that day on
(`replay(balances_from=...)`), and hands the result back (`store_balances`):

- The rows from that day E on are deleted; the row in force the day before E is kept and now
  ends where the first new row starts (or is the current row again if none does).
- A new row starts on each event's date, and on each due date or the day after one where a step
  figure changes (`Balance.STEPS`), up to the business date. So the row valid on any day D from
  the first tranche to the business date holds the replay on D: its step figures on every such
  day, the accruing ones (interest accrued, late interest, penalty) as of its `valid_from`.
- E is the earliest value date the event changes (its own; a reversed repayment's; a tranche's)
  or, if earlier, the day after the current row starts: the due dates passed since then have no
  row yet until close of day writes them.

The usual repayment, dated on the business date and its sub-loan's last event, reads the current
row with its events (`queries.events_and_balance`), closes it and inserts one row (a few if due
dates passed meanwhile): one statement on PostgreSQL (`queries.end_balance`), two on SQLite.

Close of day writes the rows of the days it closes the same way (`loans.services.closing`);
what it decides beyond the replay (debt group, accrual suspended) is the loan's, not a row's.
Rows written again from a day closed already drop the portfolio summaries from that day on
(`closing.summaries.stale_from`): they summed the rows as they were.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from common.money import amount_of
from loans import queries
from loans.domain.engine import Balance, Result, Tranche, replay
from loans.models import LoanBalance
from loans.models.balances import MONEY
from loans.queries import StoredBalance
from loans.replaying import changes_of, loan_terms, parts_of
from loans.services.closing.summaries import stale_from

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rewrite:
    """A sub-loan's rows to write again from `day` on. `previous`: the row in force the day
    before, kept; `drop`: rows from `day` on exist and go."""

    loan_id: int
    share_id: int | None
    day: date
    previous: StoredBalance | None
    drop: bool


def rewrite_from(
    loan_id: int,
    share_id: int | None,
    tranches: list[Tranche],
    current: StoredBalance | None,
    *,
    since: date | None,
) -> Rewrite | None:
    """Where the sub-loan's rows are written again from after an event that changed it from
    `since` on (None: from its first tranche), given its `current` row
    (`queries.events_and_balance`). None when nothing is disbursed to it yet."""
    if not tranches:
        return None
    first = min(tranche.value_date for tranche in tranches)
    if since is None:  # all again: whatever rows there are go, closed ones left without a current row too
        return Rewrite(loan_id, share_id, first, None, drop=True)
    if current is None or since <= first:
        return Rewrite(loan_id, share_id, first, None, drop=current is not None)
    day = min(since, current.valid_from + ONE_DAY)
    if day > current.valid_from:
        return Rewrite(loan_id, share_id, day, current, drop=False)
    row = _rows(loan_id, share_id).filter(valid_from__lt=day).order_by("-valid_from").first()
    previous = stored(row) if row else None
    return Rewrite(loan_id, share_id, day, previous, drop=True)


def store_balances(rewrite: Rewrite, result: Result) -> int:
    """Write the sub-loan's rows from `rewrite.day` on, from a replay made with
    `balances_from=rewrite.day`; returns how many rows were written."""
    rows, ends, valid_to = _planned(rewrite, result)
    if changed := _changed_from(rewrite, rows, result.as_of):
        stale_from(changed[0])
    if rewrite.drop:
        _rows(rewrite.loan_id, rewrite.share_id).filter(valid_from__gte=rewrite.day).delete()
    single = rows[0] if len(rows) == 1 else None
    if ends:
        # The usual repayment's: the current row ended and one row inserted, one statement on PostgreSQL.
        queries.end_balance(rewrite.previous.pk, valid_to, following=single)
    elif single is not None:
        queries.insert_values(LoanBalance, single)
    if len(rows) > 1:
        LoanBalance.objects.bulk_create(LoanBalance(**values) for values in rows)
    return len(rows)


def store_many(rewrites: list[tuple[Rewrite, Result]]) -> int:
    """`store_balances` for many sub-loans at once (close of day's): the rows ended in one
    batch, the new rows written in bulk (`queries.insert_many`). Returns how many were written."""
    ended, written, changed = [], [], []
    for rewrite, result in rewrites:
        if rewrite.drop:
            _rows(rewrite.loan_id, rewrite.share_id).filter(valid_from__gte=rewrite.day).delete()
        rows, ends, valid_to = _planned(rewrite, result)
        changed += _changed_from(rewrite, rows, result.as_of)
        if ends:
            ended.append((valid_to, rewrite.previous.pk))
        written += rows
    if changed:
        stale_from(min(changed))
    queries.end_balances(ended)  # first: a sub-loan has one current row at a time
    queries.insert_many(LoanBalance, written)
    return len(written)


def _changed_from(rewrite: Rewrite, rows: list[dict], replayed_to: date) -> list[date]:
    """The first day whose row changes, if one does and close of day may have summed it: the
    rewrite's day when its rows go, else the first new row's (the kept row ends there). The days
    from the replay's on (the business date's, or the next one close of day brings the loan
    to) are not closed yet: the usual repayment's."""
    first = rewrite.day if rewrite.drop else rows[0]["valid_from"] if rows else None
    return [first] if first is not None and first < replayed_to else []


def first_rows(result: Result, day: date) -> list[dict]:
    """The rows `store_many` writes from `day` for a sub-loan that has none yet (one brought
    in), without its loan and share: the import works them out before the loans exist."""
    rows, _ends, _valid_to = _planned(Rewrite(None, None, day, None, drop=False), result)
    return rows


def _planned(rewrite: Rewrite, result: Result) -> tuple[list[dict], bool, date | None]:
    """The rows to write; whether the row kept before them changes, and the day it ends then
    (None: it is the current row again)."""
    kept: list[Balance] = []
    steps = rewrite.previous.steps if rewrite.previous else None
    for balance in result.balances:
        if balance.event or balance.steps != steps:
            kept.append(balance)
            steps = balance.steps
    rows = [
        _values(rewrite.loan_id, rewrite.share_id, balance, valid_to=following and following.as_of)
        for balance, following in zip(kept, [*kept[1:], None])  # noqa: B905 (one more None than rows)
    ]
    ends = rewrite.previous is not None and bool(kept or rewrite.drop)
    return rows, ends, kept[0].as_of if kept else None


def rebuild_balances(*, loan_id: int, business_date: date) -> int:
    """Write every row of the loan again from its first tranche up to `business_date`, in one
    transaction with the loan locked (for loans serviced before the rows existed:
    `manage.py rebuild_balances`). Returns how many rows were written."""
    written = 0
    with transaction.atomic():
        loan = queries.lock_loan(loan_id)
        if loan.contract is None:
            return 0
        changes = changes_of([loan.pk]).get(loan.pk, [])
        for rewrite, result in replays(loan, as_of=business_date, since=None, changes=changes):
            written += store_balances(rewrite, result)
    return written


def replays(loan, *, as_of: date, since: date | None, changes, events=None):
    """Each sub-loan of the loan with rows to write from `since` (None: from its first tranche):
    what to rewrite, and its replay up to `as_of` with balances from the rewrite's day. `events`:
    the loan's own (tranches, payments, stored balance), when read already."""
    terms = loan_terms(loan.contract)
    for share in parts_of(loan):
        share_id = share.pk if share else None
        tranches, payments, current = events or queries.events_and_balance(loan.pk, share_id)
        rewrite = rewrite_from(loan.pk, share_id, tranches, current, since=since)
        if rewrite is not None:
            result = replay(
                terms,
                tranches=tranches,
                payments=payments,
                as_of=as_of,
                balances_from=rewrite.day,
                changes=changes,
            )
            yield rewrite, result


def clear_from(loan_id: int, share_id: int | None, day: date) -> None:
    """The sub-loan owes nothing on the balance sheet from `day` on (written off): its rows from
    that day go, the one in force then ends there, and a row of zeros is the current one."""
    rows = _rows(loan_id, share_id)
    stale_from(day)
    rows.filter(valid_from__gte=day).delete()
    rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).update(valid_to=day)
    LoanBalance.objects.create(
        loan_id=loan_id, share_id=share_id, valid_from=day, **dict.fromkeys(MONEY, Decimal(0))
    )


def drop_all(loan_id: int, share_id: int | None) -> None:
    """Every row of a sub-loan that no longer has a tranche (its only one reversed)."""
    rows = _rows(loan_id, share_id)
    if first := rows.order_by("valid_from").values_list("valid_from", flat=True).first():
        stale_from(first)
    rows.delete()


def balance_row(
    loan_id: int, share_id: int | None, balance: Balance, *, valid_to: date | None
) -> LoanBalance:
    """The stored row for `balance`, valid from its day to `valid_to` (None: current)."""
    return LoanBalance(**_values(loan_id, share_id, balance, valid_to=valid_to))


def _values(loan_id: int, share_id: int | None, balance: Balance, *, valid_to: date | None) -> dict:
    return {
        "loan_id": loan_id,
        "share_id": share_id,
        "valid_from": balance.as_of,
        "valid_to": valid_to,
        **{name: getattr(balance, name) for name in Balance.FIGURES},
        "accruing": balance.accruing.encode() if balance.accruing else "",
        "restructured": balance.restructure_count > 0,
        "restructure_count": balance.restructure_count,
    }


def _rows(loan_id: int, share_id: int | None):
    return LoanBalance.objects.filter(loan_id=loan_id, share_id=share_id)


def stored(row: LoanBalance) -> StoredBalance:
    """The row as a rewrite keeps it."""
    return StoredBalance(row.pk, row.valid_from, _steps(row))


def _steps(row: LoanBalance) -> tuple:
    return tuple(amount_of(getattr(row, name)) for name in Balance.STEPS)

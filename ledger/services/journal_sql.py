"""The statements behind posting, written out because every posting runs them.

Through the ORM, building these costs more than the database work itself (model instances,
djmoney conversions, query compilation), and posting throughput is a stated target. So
`lookup` gathers everything the checks need in one statement, and `insert` writes entries
and lines in a few set-based statements, whatever the number of entries. Values go through
Django's own adapters, so rows read back through the ORM as if it had written them.

On PostgreSQL the statements are prepared once per connection, take arrays (one statement
text for any batch), and the year's counter is taken by the very last statement: its row
lock, which keeps numbers gap-free, is then held only for that statement and the commit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

import psycopg
from django.db import connection

from ledger.models import JournalSequence, PeriodState

# SQLite takes at most 32 766 parameters a statement: insert in chunks of rows.
_SQLITE_ROWS_PER_STATEMENT = 1_000


@dataclass
class Lookup:
    accounts: dict[str, tuple[int, bool, bool]]  # code -> (id, active, has sub-accounts)
    posted: dict[str, int]  # idempotency key -> id of the entry posted with it
    closed: set[tuple[int, int]]  # closed (year, month)


@dataclass(frozen=True)
class NewEntry:
    value_date: date
    memo: str
    source_kind: str
    source_ref: str
    idempotency_key: str
    lines: Sequence[tuple[int, Decimal, Decimal, str]]  # account id, debit, credit, reference


def lookup(*, codes: Iterable[str], keys: Iterable[str], years: Iterable[int]) -> Lookup:
    """The accounts by code, the keys already posted and the closed months, in one query."""
    codes, keys, years = sorted(set(codes)), sorted(set(keys)), sorted(set(years))
    in_codes, code_params = _member("a.code", codes)
    in_keys, key_params = _member("e.idempotency_key", keys)
    in_years, year_params = _member("p.year", years)
    sql = (
        "SELECT 'a', a.code, a.id, a.active,"
        " EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_id = a.id)"
        f" FROM ledger_account a WHERE {in_codes}"
        " UNION ALL SELECT 'k', e.idempotency_key, e.id, NULL, NULL"
        f" FROM ledger_journalentry e WHERE {in_keys}"
        " UNION ALL SELECT 'p', NULL, p.year * 100 + p.month, NULL, NULL"
        f" FROM ledger_period p WHERE p.state = %s AND {in_years}"
    )
    result = Lookup(accounts={}, posted={}, closed=set())
    with _cursor() as cursor:
        cursor.execute(sql, [*code_params, *key_params, PeriodState.CLOSED.value, *year_params])
        for kind, text, number, active, has_children in cursor.fetchall():
            if kind == "a":
                result.accounts[text] = (number, bool(active), bool(has_children))
            elif kind == "k":
                result.posted[text] = number
            else:
                result.closed.add(divmod(number, 100))
    return result


def insert(
    entries: Sequence[NewEntry], *, created_by_id: int | None, reverses_id: int | None, created_at: datetime
) -> list[tuple[int, int]]:
    """Number and insert `entries`, all of one year; returns (id, sequence) of each, in order.

    The year's counter row stays locked until the transaction ends: numbers are gap-free,
    and a rolled-back posting gives its numbers back.
    """
    if connection.vendor == "postgresql":
        return _insert_postgresql(
            entries, created_by_id=created_by_id, reverses_id=reverses_id, created_at=created_at
        )
    return _insert_generic(
        entries, created_by_id=created_by_id, reverses_id=reverses_id, created_at=created_at
    )


# --- PostgreSQL: arrays, prepared, lines first and the number last -------------------

_PG_LINES = """
WITH ids AS (
    SELECT ord, nextval(pg_get_serial_sequence('ledger_journalentry', 'id')) AS id
      FROM generate_series(1, %s) AS ord
), lines AS (
    INSERT INTO ledger_journalline
           (entry_id, account_id, value_date, debit_currency, debit, credit_currency, credit, reference)
    SELECT ids.id, l.account_id, l.value_date, 'VND', l.debit, 'VND', l.credit, l.reference
      FROM unnest(%s::integer[], %s::bigint[], %s::date[], %s::numeric[], %s::numeric[], %s::text[])
           AS l(ord, account_id, value_date, debit, credit, reference)
      JOIN ids USING (ord)
)
SELECT id FROM ids ORDER BY ord
"""

# Lines go in first (the entry foreign key is checked at commit), so that the entry, which
# takes the number, is the last statement before the commit.
_PG_ENTRIES = """
WITH counter AS (
    UPDATE ledger_journalsequence SET last_number = last_number + %s WHERE year = %s
    RETURNING last_number
)
INSERT INTO ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,
                                 idempotency_key, reverses_id, created_by_id, created_at)
SELECT e.id, %s::smallint, counter.last_number - %s + e.ord, e.value_date, e.memo, e.source_kind,
       e.source_ref, e.idempotency_key, %s::bigint, %s::bigint, %s::timestamptz
  FROM counter,
       unnest(%s::bigint[], %s::integer[], %s::date[], %s::text[], %s::text[], %s::text[], %s::text[])
       AS e(id, ord, value_date, memo, source_kind, source_ref, idempotency_key)
RETURNING id, sequence
"""


def _insert_postgresql(entries, *, created_by_id, reverses_id, created_at) -> list[tuple[int, int]]:
    year = entries[0].value_date.year
    lines = [
        (ord_, account_id, entry.value_date, debit, credit, reference)
        for ord_, entry in enumerate(entries, start=1)
        for account_id, debit, credit, reference in entry.lines
    ]
    columns = [list(column) for column in zip(*lines, strict=True)]  # the arrays unnest() takes
    with _cursor() as cursor:
        cursor.execute(_PG_LINES, [len(entries), *columns])
        ids = [row[0] for row in cursor.fetchall()]
        params = [
            len(entries),
            year,
            year,
            len(entries),
            reverses_id,
            created_by_id,
            created_at,
            ids,
            list(range(1, len(entries) + 1)),
            [e.value_date for e in entries],
            [e.memo for e in entries],
            [e.source_kind for e in entries],
            [e.source_ref for e in entries],
            [e.idempotency_key for e in entries],
        ]
        cursor.execute(_PG_ENTRIES, params)
        numbered = dict(cursor.fetchall())
        if not numbered:  # the year's first entry: make its counter, then take the numbers
            JournalSequence.objects.bulk_create([JournalSequence(year=year)], ignore_conflicts=True)
            cursor.execute(_PG_ENTRIES, params)
            numbered = dict(cursor.fetchall())
    return [(pk, numbered[pk]) for pk in ids]


# --- SQLite (and anything else): number, then entries, then lines ----------------------


def _insert_generic(entries, *, created_by_id, reverses_id, created_at) -> list[tuple[int, int]]:
    # SQLite runs one writer at a time (IMMEDIATE transactions): the order is free here.
    year = entries[0].value_date.year
    first = _take_numbers(year, len(entries))
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(created_at)
    rows = [
        (
            year,
            first + offset,
            ops.adapt_datefield_value(entry.value_date),
            entry.memo,
            entry.source_kind,
            entry.source_ref,
            entry.idempotency_key,
            reverses_id,
            created_by_id,
            stamp,
        )
        for offset, entry in enumerate(entries)
    ]
    ids: dict[int, int] = {}  # sequence -> id
    with _cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.execute(
                "INSERT INTO ledger_journalentry (year, sequence, value_date, memo, source_kind, source_ref,"
                " idempotency_key, reverses_id, created_by_id, created_at)"
                f" VALUES {_rows(chunk)} RETURNING id, sequence",
                [value for row in chunk for value in row],
            )
            ids.update((sequence, pk) for pk, sequence in cursor.fetchall())
        lines = [
            (
                ids[first + offset],
                account_id,
                ops.adapt_datefield_value(entry.value_date),
                "VND",
                ops.adapt_decimalfield_value(debit, 18, 0),
                "VND",
                ops.adapt_decimalfield_value(credit, 18, 0),
                reference,
            )
            for offset, entry in enumerate(entries)
            for account_id, debit, credit, reference in entry.lines
        ]
        for chunk in _chunks(lines):
            cursor.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, value_date, debit_currency, debit,"
                f" credit_currency, credit, reference) VALUES {_rows(chunk)}",
                [value for row in chunk for value in row],
            )
    return [(ids[first + offset], first + offset) for offset in range(len(entries))]


def _take_numbers(year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of `year`; returns the first."""
    sql = (
        "UPDATE ledger_journalsequence SET last_number = last_number + %s"
        " WHERE year = %s RETURNING last_number"
    )
    with _cursor() as cursor:
        cursor.execute(sql, [count, year])
        row = cursor.fetchone()
        if row is None:  # the year's first entry
            JournalSequence.objects.bulk_create([JournalSequence(year=year)], ignore_conflicts=True)
            cursor.execute(sql, [count, year])
            row = cursor.fetchone()
    return row[0] - count + 1


# --- helpers ------------------------------------------------------------------------


_NEVER_AUTOMATICALLY = 2**62


class _PreparedCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares each statement once per connection:
    these few statements run for every posting, and planning them again each time would
    cost more than running them. (Django's own cursors bind on the client.)"""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _cursor():
    """A cursor on Django's connection: its transaction, error wrapping and query log."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns automatic preparation off (for poolers): allow it, on request only.
        connection.connection.prepare_threshold = _NEVER_AUTOMATICALLY
    raw = _PreparedCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _member(column: str, values: Sequence) -> tuple[str, list]:
    """`column` is one of `values`: an array on PostgreSQL (one statement text), a list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _rows(rows: Sequence[tuple]) -> str:
    row = f"({', '.join(['%s'] * len(rows[0]))})"
    return ", ".join([row] * len(rows))


def _chunks(rows: list[tuple]) -> Iterable[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, _SQLITE_ROWS_PER_STATEMENT)):
        yield chunk

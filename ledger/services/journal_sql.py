"""The statements behind posting, written out because every posting runs them.

Through the ORM, building these costs more than the database work itself (model instances,
djmoney conversions, query compilation), and posting throughput is a stated target. So
`lookup` gathers everything the checks need in one statement, and `insert` writes entries
and lines in a few multi-row statements. Values go through Django's own adapters, so rows
read back through the ORM as if it had written them.

On PostgreSQL the statements are prepared once per connection, the lines go in first (the
entry foreign key is checked at commit), and the entry row, which takes the year's number,
comes last: the counter's row lock, which keeps numbers gap-free, is then held only for that
statement and the commit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from itertools import islice

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

from ledger.models import JournalSequence, PeriodState

# At most this many rows a statement: well under the parameter limits of SQLite (32 766)
# and PostgreSQL (65 535).
_ROWS_PER_STATEMENT = 1_000
_LINES_PER_STATEMENT = 4_000


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


def lookup(cursor, *, codes: Iterable[str], keys: Iterable[str], years: Iterable[int]) -> Lookup:
    """The accounts by code, the keys already posted and the closed months, in one query
    (more for a batch with more keys than a statement takes)."""
    codes, keys, years = sorted(set(codes)), sorted(set(keys)), sorted(set(years))
    arrays = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    result = Lookup(accounts={}, posted={}, closed=set())
    for number, part in enumerate(_chunks(keys) if keys else [[]]):
        # The accounts and months are looked up with the first keys.
        lists = (codes, part, years) if number == 0 else ([], part, [])
        shape = tuple(None if arrays and len(values) >= _PG_ARRAYS_FROM else len(values) for values in lists)
        params = []
        for size, values in zip(shape, lists, strict=True):
            params += [values] if size is None else values  # an array is one parameter
        cursor.execute(_lookup_sql(*shape), params)
        for kind, text, found, active, has_children in cursor.fetchall():
            if kind == "a":
                result.accounts[text] = (found, bool(active), bool(has_children))
            elif kind == "k":
                result.posted[text] = found
            else:
                result.closed.add(divmod(found, 100))
    return result


@cache
def _lookup_sql(codes: int | None, keys: int | None, years: int | None) -> str:
    """The lookup for these many codes, keys and years (None: any number, as an array)."""
    return (
        "SELECT 'a', a.code, a.id, a.active,"
        " EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_id = a.id)"
        f" FROM ledger_account a WHERE {_member('a.code', codes, 'text')}"
        " UNION ALL SELECT 'k', e.idempotency_key, e.id, NULL, NULL"
        f" FROM ledger_journalentry e WHERE {_member('e.idempotency_key', keys, 'text')}"
        " UNION ALL SELECT 'p', NULL, p.year * 100 + p.month, NULL, NULL"
        f" FROM ledger_period p WHERE p.state = '{PeriodState.CLOSED.value}'"
        f" AND {_member('p.year', years, 'integer')}"
    )


def _member(column: str, count: int | None, kind: str) -> str:
    if count is None:
        return f"{column} = ANY(%s::{kind}[])"
    return f"{column} IN ({_marks(count)})"


def insert(
    cursor,
    entries: Sequence[NewEntry],
    *,
    created_by_id: int | None,
    reverses_id: int | None,
    created_at: datetime,
) -> list[tuple[int, int]]:
    """Number and insert `entries`, all of one year; returns (id, sequence) of each, in order.

    The year's counter row stays locked until the transaction ends: numbers are gap-free,
    and a rolled-back posting gives its numbers back.
    """
    insert_all = (
        _insert_postgresql if connections[DEFAULT_DB_ALIAS].vendor == "postgresql" else _insert_generic
    )
    return insert_all(
        cursor, entries, created_by_id=created_by_id, reverses_id=reverses_id, created_at=created_at
    )


# --- PostgreSQL: lines first, the entries (and their numbers) last ----------------------

_PG_LINES = """
WITH ids AS (
    SELECT ord, nextval('ledger_journalentry_id_seq') AS id FROM generate_series(1, {entries}) AS ord
), lines AS (
    INSERT INTO ledger_journalline
           (entry_id, account_id, value_date, debit_currency, debit, credit_currency, credit, reference)
    SELECT ids.id, l.account_id, l.value_date, 'VND', l.debit, 'VND', l.credit, l.reference
      FROM {rows} AS l(ord, account_id, value_date, debit, credit, reference)
      JOIN ids USING (ord)
)
SELECT id FROM ids ORDER BY ord
"""
_PG_LINE_TYPES = ("integer", "bigint", "date", "numeric", "numeric", "text")

_PG_ENTRIES = """
WITH counter AS (
    UPDATE ledger_journalsequence SET last_number = last_number + %s WHERE year = %s
    RETURNING last_number
)
INSERT INTO ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,
                                 idempotency_key, reverses_id, created_by_id, created_at)
SELECT e.id, %s::smallint, counter.last_number - %s + e.ord, e.value_date, e.memo, e.source_kind,
       e.source_ref, e.idempotency_key, %s::bigint, %s::bigint, %s::timestamptz
  FROM counter, {rows} AS e(id, ord, value_date, memo, source_kind, source_ref, idempotency_key)
RETURNING id, sequence
"""
_PG_ENTRY_TYPES = ("bigint", "integer", "date", "text", "text", "text", "text")

# A few rows go as parameters of a VALUES list; more go as one array a column (psycopg
# then reads and converts far fewer placeholders).
_PG_ARRAYS_FROM = 16


def _insert_postgresql(cursor, entries, *, created_by_id, reverses_id, created_at) -> list[tuple[int, int]]:
    year = entries[0].value_date.year
    ids: list[int] = []
    numbered: dict[int, int] = {}  # id -> sequence
    for chunk in _entry_chunks(entries):
        lines = [
            (ord_, account_id, entry.value_date, debit, credit, reference)
            for ord_, entry in enumerate(chunk, start=1)
            for account_id, debit, credit, reference in entry.lines
        ]
        sql, params = _pg_rows(_PG_LINES, _PG_LINE_TYPES, lines, entries=len(chunk))
        cursor.execute(sql, params)
        chunk_ids = [row[0] for row in cursor.fetchall()]
        rows = [
            (pk, ord_, e.value_date, e.memo, e.source_kind, e.source_ref, e.idempotency_key)
            for ord_, (pk, e) in enumerate(zip(chunk_ids, chunk, strict=True), start=1)
        ]
        sql, rows_params = _pg_rows(_PG_ENTRIES, _PG_ENTRY_TYPES, rows)
        params = [len(chunk), year, year, len(chunk), reverses_id, created_by_id, created_at, *rows_params]
        cursor.execute(sql, params)
        returned = cursor.fetchall()
        if not returned:  # the year's first entry: make its counter, then take the numbers
            JournalSequence.objects.bulk_create([JournalSequence(year=year)], ignore_conflicts=True)
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        numbered.update(returned)
        ids += chunk_ids
    return [(pk, numbered[pk]) for pk in ids]


def _pg_rows(template: str, types: tuple[str, ...], rows: list[tuple], **counts) -> tuple[str, list]:
    """The statement with its rows as a VALUES list or as arrays, and its parameters."""
    if len(rows) < _PG_ARRAYS_FROM:
        return _pg_sql(template, types, len(rows), **counts), _flat(rows)
    columns = [list(column) for column in zip(*rows, strict=True)]
    return _pg_sql(template, types, None, **counts), columns


@cache
def _pg_sql(template: str, types: tuple[str, ...], count: int | None, **counts) -> str:
    """`count` rows as VALUES, or (None) any number as arrays. The counts are part of the
    text, so the plan made once fits every execution."""
    if count is None:
        rows = f"unnest({', '.join(f'%s::{t}[]' for t in types)})"
    else:
        row = f"({', '.join(f'%s::{t}' for t in types)})"
        rows = f"(VALUES {', '.join([row] * count)})"
    return template.format(rows=rows, **counts)


# --- SQLite (and anything else): number, then entries, then lines ----------------------


def _insert_generic(cursor, entries, *, created_by_id, reverses_id, created_at) -> list[tuple[int, int]]:
    # SQLite runs one writer at a time (IMMEDIATE transactions): the order is free here.
    year = entries[0].value_date.year
    first = _take_numbers(cursor, year, len(entries))
    ops = connections[DEFAULT_DB_ALIAS].ops
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
    for chunk in _chunks(rows):
        cursor.execute(
            "INSERT INTO ledger_journalentry (year, sequence, value_date, memo, source_kind, source_ref,"
            " idempotency_key, reverses_id, created_by_id, created_at)"
            f" VALUES {_rows(_row(10), len(chunk))} RETURNING id, sequence",
            _flat(chunk),
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
            f" credit_currency, credit, reference) VALUES {_rows(_row(8), len(chunk))}",
            _flat(chunk),
        )
    return [(ids[first + offset], first + offset) for offset in range(len(entries))]


def _take_numbers(cursor, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of `year`; returns the first."""
    sql = (
        "UPDATE ledger_journalsequence SET last_number = last_number + %s"
        " WHERE year = %s RETURNING last_number"
    )
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


def cursor():
    """A cursor on Django's connection (its transaction, error wrapping and query log) for
    `lookup` and `insert`: `with journal_sql.cursor() as cursor: ...`."""
    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs a lookup
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns automatic preparation off (for poolers): allow it, on request only.
        raw.prepare_threshold = _NEVER_AUTOMATICALLY
    cursor = _PreparedCursor(raw)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    return wrap(cursor)


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count) or "NULL"  # `IN (NULL)` matches nothing, on every database


def _row(width: int) -> str:
    return f"({_marks(width)})"


def _rows(row: str, count: int) -> str:
    return ", ".join([row] * count)


def _flat(rows: Iterable[tuple]) -> list:
    return [value for row in rows for value in row]


def _chunks(rows: list) -> Iterable[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, _ROWS_PER_STATEMENT)):
        yield chunk


def _entry_chunks(entries: Sequence[NewEntry]) -> Iterable[list[NewEntry]]:
    """Entries in chunks whose lines, too, fit in one statement."""
    chunk: list[NewEntry] = []
    lines = 0
    for entry in entries:
        if chunk and (len(chunk) == _ROWS_PER_STATEMENT or lines + len(entry.lines) > _LINES_PER_STATEMENT):
            yield chunk
            chunk, lines = [], 0
        chunk.append(entry)
        lines += len(entry.lines)
    if chunk:
        yield chunk

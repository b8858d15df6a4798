"""The statements behind posting, written out because every posting runs them.

Through the ORM, building these costs more than the database work itself (model instances,
djmoney conversions, query compilation), and posting throughput is a stated target. So
`lookup` gathers everything the checks need in one statement, and `insert` writes entries
and lines in a few multi-row statements. On SQLite, values go through Django's own adapters,
so rows read back through the ORM as if it had written them.

On PostgreSQL the statements are prepared once per connection (large batches are streamed
with COPY instead), and a single entry is posted by one statement, `post_one`. The year's
numbers are taken first: the counter's row lock, which keeps numbers gap-free, is held to the
commit in any case, and taking it before the lines keeps one lock order for every writer.
It cannot be held for less: PostgreSQL releases a transaction's locks only once its commit is
on disk, and a number taken before then, by another session, would leave a hole if this one
failed at commit. So the postings of one year commit one disk flush after another, however
many processes post (taking the number at commit instead would still span that flush).
"""

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from itertools import islice

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
    # account id (its code for post_one), debit, credit, reference
    lines: Sequence[tuple[int | str, Decimal, Decimal, str]]


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


_PG_POST_ONE = (
    "SELECT * FROM ledger_post_entry(%s::date, %s::text, %s::text, %s::text, %s::text, %s::bigint,"
    " %s::timestamptz, %s::text[], %s::numeric[], %s::numeric[], %s::text[])"
)


def post_one(
    cursor, entry: NewEntry, *, created_by_id: int | None, created_at: datetime
) -> tuple[int, int] | None:
    """PostgreSQL: post one checked entry in one statement (migration 0008), its lines' accounts
    given by code; (id, sequence), or None, with nothing written, if it cannot simply post."""
    codes, debits, credits, references = zip(*entry.lines, strict=True)
    cursor.execute(
        _PG_POST_ONE,
        [
            entry.value_date,
            entry.memo,
            entry.source_kind,
            entry.source_ref,
            entry.idempotency_key,
            created_by_id,
            created_at,
            _pg_array(codes),
            _pg_array(debits),
            _pg_array(credits),
            _pg_array(references),
        ],
    )
    pk, sequence = cursor.fetchone()
    return None if pk is None else (pk, sequence)


def _pg_array(values: Iterable[str | Decimal]) -> str:
    """An array as PostgreSQL's text for it, every element quoted: psycopg dumps a list element
    by element in Python, which for one posting's four short arrays cost the client more than
    the rest of the posting's Python together."""
    return (
        "{"
        + ",".join('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
        + "}"
    )


# --- PostgreSQL: the numbers first, then the lines and the entries ----------------------
# The year's counter is always taken before any line goes in: the lines' trigger then locks
# their accounts' days (migration 0008) in one order for every writer, so none deadlocks.

_PG_ROWS = """
WITH ids AS (
    SELECT ord, nextval('ledger_journalentry_id_seq') AS id FROM generate_series(1, {entries}) AS ord
), lines AS (
    INSERT INTO ledger_journalline
           (entry_id, account_id, value_date, debit_currency, debit, credit_currency, credit, reference)
    SELECT ids.id, l.account_id, l.value_date, 'VND', l.debit, 'VND', l.credit, l.reference
      FROM (VALUES {lines}) AS l(ord, account_id, value_date, debit, credit, reference)
      JOIN ids USING (ord)
), entries AS (
    INSERT INTO ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,
                                     idempotency_key, reverses_id, created_by_id, created_at)
    SELECT ids.id, %s::smallint, %s::integer - 1 + e.ord, e.value_date, e.memo, e.source_kind,
           e.source_ref, e.idempotency_key, %s::bigint, %s::bigint, %s::timestamptz
      FROM (VALUES {rows}) AS e(ord, value_date, memo, source_kind, source_ref, idempotency_key)
      JOIN ids USING (ord)
)
SELECT id FROM ids ORDER BY ord
"""
_PG_LINE_ROW = "(%s::integer, %s::bigint, %s::date, %s::numeric, %s::numeric, %s::text)"
_PG_ENTRY_ROW = "(%s::integer, %s::date, %s::text, %s::text, %s::text, %s::text)"

_PG_COPY_LINES = (
    "COPY ledger_journalline (entry_id, account_id, value_date, debit_currency, debit, credit_currency,"
    " credit, reference) FROM STDIN"
)
_PG_COPY_ENTRIES = (
    "COPY ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,"
    " idempotency_key, reverses_id, created_by_id, created_at) FROM STDIN"
)

# From this many entries on, rows go in by COPY: binding thousands of parameters costs the
# client far more than streaming the rows. Long lists of keys are looked up as one array.
_PG_COPY_FROM = 16
_PG_ARRAYS_FROM = 16


def _insert_postgresql(cursor, entries, *, created_by_id, reverses_id, created_at) -> list[tuple[int, int]]:
    numbered: list[tuple[int, int]] = []
    for chunk in _entry_chunks(entries):
        insert_chunk = _pg_copy if len(chunk) >= _PG_COPY_FROM else _pg_statements
        numbered += insert_chunk(cursor, chunk, (reverses_id, created_by_id, created_at))
    return numbered


def _pg_statements(cursor, chunk, shared) -> list[tuple[int, int]]:
    """A few entries: their numbers, then one prepared statement for their lines and rows."""
    year = chunk[0].value_date.year
    first = _take_numbers(cursor, year, len(chunk))
    lines = [
        (ord_, account_id, entry.value_date, debit, credit, reference)
        for ord_, entry in enumerate(chunk, start=1)
        for account_id, debit, credit, reference in entry.lines
    ]
    rows = [
        (ord_, e.value_date, e.memo, e.source_kind, e.source_ref, e.idempotency_key)
        for ord_, e in enumerate(chunk, start=1)
    ]
    params = [*_flat(lines), year, first, *shared, *_flat(rows)]
    ids = [pk for (pk,) in _fetch(cursor, _pg_rows_sql(len(chunk), len(lines)), params)]
    return [(pk, first + offset) for offset, pk in enumerate(ids)]


def _pg_copy(cursor, chunk, shared) -> list[tuple[int, int]]:
    """Many entries: their ids, the numbers, their lines by COPY, the entries by COPY.

    Lines before entries: the entries' insert then queues the one commit-time check of them
    all (migration 0014); lines into entries already in would queue a second."""
    year = chunk[0].value_date.year
    cursor.execute(f"SELECT nextval('ledger_journalentry_id_seq') FROM generate_series(1, {len(chunk)})")
    ids = [row[0] for row in cursor.fetchall()]
    first = _take_numbers(cursor, year, len(chunk))
    with _copy(cursor, _PG_COPY_LINES) as copy:
        for pk, entry in zip(ids, chunk, strict=True):
            for account_id, debit, credit, reference in entry.lines:
                copy.write_row((pk, account_id, entry.value_date, "VND", debit, "VND", credit, reference))
    with _copy(cursor, _PG_COPY_ENTRIES) as copy:
        for offset, (pk, e) in enumerate(zip(ids, chunk, strict=True)):
            values = (e.value_date, e.memo, e.source_kind, e.source_ref, e.idempotency_key)
            copy.write_row((pk, year, first + offset, *values, *shared))
    return [(pk, first + offset) for offset, pk in enumerate(ids)]


def _with_counter(cursor, year: int, take):
    """Run `take` (a statement advancing the year's counter); make the counter first if the year
    has none yet."""
    rows = take()
    if not rows:
        JournalSequence.objects.bulk_create([JournalSequence(year=year)], ignore_conflicts=True)
        rows = take()
    return rows


def _fetch(cursor, sql: str, params) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


@contextmanager
def _copy(cursor, sql: str):
    # psycopg's COPY is reached past Django's cursor wrapper: translate its errors the same way.
    with connections[DEFAULT_DB_ALIAS].wrap_database_errors, cursor.cursor.copy(sql) as copy:
        yield copy


@cache
def _pg_rows_sql(entries: int, lines: int) -> str:
    # The counts are part of the text, so the plan made once fits every execution.
    return _PG_ROWS.format(
        entries=entries, lines=", ".join([_PG_LINE_ROW] * lines), rows=", ".join([_PG_ENTRY_ROW] * entries)
    )


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


_TAKE_NUMBERS = (
    "UPDATE ledger_journalsequence SET last_number = last_number + %s WHERE year = %s RETURNING last_number"
)


def _take_numbers(cursor, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of `year`; returns the first."""
    ((last,),) = _with_counter(cursor, year, lambda: _fetch(cursor, _TAKE_NUMBERS, [count, year]))
    return last - count + 1


# --- helpers ------------------------------------------------------------------------


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

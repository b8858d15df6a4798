"""Posting throughput of the ledger, and the trial balance over what was posted.

    scripts/with-postgres.sh --durable .venv/bin/python bench/ledger_post.py
    .venv/bin/python bench/ledger_post.py --entries 20000        # SQLite, a throwaway file

Posts N balanced two-line entries through `ledger.services`:
1. one entry per transaction (`post_entry`), from one process and from several at once
   (a web server or a pool of Celery workers posts from several processes), each next to the
   bare rate of the same processes inserting two rows into a plain table and committing, on
   the same database in the same run (the disk's limit), and the ratio of the two;
2. batched (`post_entries`, the close of day and imports), B entries per transaction;
then fills the journal up to L lines (batched) and times the trial balance as of the last
date, and an account's balance, over all of it.
Prints figures; asserts only that the books balance. Uses the database DATABASE_URL names,
or a temporary SQLite file (never the project's db.sqlite3).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Measure what production runs: DEBUG off (no query log). The key only satisfies settings.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
SCRATCH = None
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    SCRATCH = tempfile.mkdtemp(prefix="coopfund-bench-")
    os.environ["SQLITE_PATH"] = str(Path(SCRATCH) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.processes import seconds_together  # noqa: E402
from ledger.selectors import account_balance, trial_balance  # noqa: E402
from ledger.services import EntryDraft, Line, post_entries, post_entry  # noqa: E402

START = date(2026, 1, 1)
# Pairs a fund posts every day: disbursement, repayment, interest accrual, provisioning.
PAIRS = [("128311", "11212"), ("11212", "128311"), ("13881", "5151"), ("6426", "22932"), ("1111", "13881")]


def draft(run: str, n: int) -> EntryDraft:
    debit, credit = PAIRS[n % len(PAIRS)]
    amount = Decimal(100_000 + (n * 7919) % 50_000_000)
    return EntryDraft(
        value_date=START + timedelta(days=n % 360),
        memo=f"bench {run} {n}",
        lines=[Line(account=debit, debit=amount), Line(account=credit, credit=amount)],
        idempotency_key=f"bench:{run}:{n}",
        source_kind="bench",
    )


# What "the disk's limit" means here: two rows into a table without triggers or foreign keys,
# committed, through the same driver on the same database, one transaction at a time.
BARE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_bare (id {serial} PRIMARY KEY, entry_id bigint NOT NULL,"
    " account_id bigint NOT NULL, value_date date NOT NULL, debit numeric(18, 0) NOT NULL,"
    " credit numeric(18, 0) NOT NULL, reference varchar(100) NOT NULL)"
)
BARE_INSERT = (
    "INSERT INTO bench_bare (entry_id, account_id, value_date, debit, credit, reference)"
    " VALUES (%s, 1, %s, %s, 0, ''), (%s, 2, %s, 0, %s, '')"
)


def _insert_bare(_run: str, numbers: range) -> None:
    connection.ensure_connection()
    raw = connection.connection  # the driver's own connection, past Django
    raw.autocommit = False
    insert = BARE_INSERT if connection.vendor == "postgresql" else BARE_INSERT.replace("%s", "?")
    with raw.cursor() as cursor:
        for n in numbers:
            value_date = START + timedelta(days=n % 360)
            amount = Decimal(100_000 + (n * 7919) % 50_000_000)
            cursor.execute(insert, (n, value_date, amount, n, value_date, amount))
            raw.commit()


def _post_singles(run: str, numbers: range) -> None:
    for n in numbers:
        post_entry(draft(run, n), created_by=None)


def at_once(work, run: str, count: int, workers: int) -> float:
    """Per second, `work(run, numbers)` shared among `workers` processes started together."""
    shares = [range(w, count, workers) for w in range(workers)]
    return count / seconds_together(lambda numbers: partial(work, run, numbers), shares)


def singles(count: int, workers: int) -> None:
    """The bare rate, then the service's, from `workers` processes, and their ratio."""
    bare = at_once(_insert_bare, "", count, workers)
    rate = at_once(_post_singles, f"single{workers}", count, workers)
    label = f"{workers} process{'es' if workers > 1 else ''}"
    print(f"one entry per transaction, {label:<11}: bare two-row INSERT + COMMIT {bare:8,.0f}/s,")
    print(f"    posting service {rate:8,.0f} entries/s, {rate / bare:.2f} of bare (load {_load()})")


def batches(run: str, first: int, count: int, size: int) -> float:
    """Lines per second, `size` entries per transaction."""
    started = time.perf_counter()
    for start in range(first, first + count, size):
        post_entries([draft(run, n) for n in range(start, min(start + size, first + count))], created_by=None)
    return 2 * count / (time.perf_counter() - started)


def timed(function, repeat: int = 3) -> tuple[list[float], object]:
    """Milliseconds of each of `repeat` calls (the first may read from disk), and the result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--entries", type=int, default=20_000, help="entries per measurement (default 20 000)"
    )
    parser.add_argument("--workers", type=int, default=4, help="processes posting at once (default 4)")
    parser.add_argument(
        "--batch", type=int, default=2_000, help="entries per batch transaction (default 2 000)"
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=1_000_000,
        help="journal lines under the trial balance (default 1 000 000; the rest is posted batched)",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    settings_dict = connection.settings_dict
    print(f"database: {vendor} {settings_dict.get('NAME')}")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            print(f"synchronous_commit={sync} fsync={cursor.fetchone()[0]}")
    with connection.cursor() as cursor:
        cursor.execute(BARE_TABLE.format(serial="bigserial" if vendor == "postgresql" else "integer"))
    print(f"entries per measurement: {args.entries:,}; {os.cpu_count()} CPUs, load {_load()}")

    count = args.entries
    # A new cluster makes its first WAL files as it goes: make them before measuring.
    at_once(_insert_bare, "", count, 1)
    singles(count, workers=1)
    singles(count, workers=args.workers)
    rate = batches("batch", 0, count, args.batch)
    print(f"batched, {args.batch:,} entries per transaction: {rate:8,.0f} lines/s (load {_load()})")

    posted = 2 * 3 * count
    if args.lines > posted:
        rate = batches("fill", 0, (args.lines - posted) // 2, args.batch)
        print(f"filled up to {args.lines:,} lines, batched: {rate:8,.0f} lines/s")
    as_of = START + timedelta(days=365)
    times, balance = timed(lambda: trial_balance(as_of=as_of))
    total = sum(s.total_debit for s in balance.sections)
    print(f"trial balance as of {as_of} over {balance.line_count:,} lines: {_ms(times)}")
    if not balance.balanced:
        raise SystemExit("the trial balance does not balance")
    print(f"  debits = credits = {total:,} đồng, in {len(balance.rows)} accounts")
    middle = START + timedelta(days=180)
    times, balance = timed(lambda: trial_balance(as_of=middle))
    print(f"trial balance as of {middle} over {balance.line_count:,} lines: {_ms(times)}")
    times, bank = timed(lambda: account_balance(code="112", as_of=as_of))
    print(f"balance of 112 and its sub-accounts: {_ms(times)} ({bank:,} đồng)")
    print(f"load at the end: {_load()} (other processes on the machine skew the figures)")


def _ms(times: list[float]) -> str:
    return " / ".join(f"{t:,.1f}" for t in times) + " ms (first / then)"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    try:
        main()
    finally:
        if SCRATCH:
            shutil.rmtree(SCRATCH, ignore_errors=True)

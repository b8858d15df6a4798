"""Posting throughput of the ledger, and the trial balance over what was posted.

    scripts/with-postgres.sh --durable .venv/bin/python bench/ledger_post.py
    .venv/bin/python bench/ledger_post.py --entries 20000        # SQLite, a throwaway file

Posts N balanced two-line entries through `ledger.services`:
1. one entry per transaction (`post_entry`), from one process and from several at once
   (a web server or a pool of Celery workers posts from several processes);
2. batched (`post_entries`, the close of day and imports), B entries per transaction;
then times the trial balance as of the last date, and an account's balance, over all of it.
Prints figures; asserts only that the books balance. Uses the database DATABASE_URL names,
or a temporary SQLite file (never the project's db.sqlite3).
"""

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
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
from django.db import connection, connections  # noqa: E402

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


def _post_singles(run: str, numbers: range, start_at: float) -> None:
    connections.close_all()  # a forked process needs its own connection
    while time.time() < start_at:
        time.sleep(0.001)
    for n in numbers:
        post_entry(draft(run, n), created_by=None)
    connections.close_all()


def singles(run: str, count: int, workers: int) -> float:
    """Entries per second, one entry per transaction, from `workers` processes at once."""
    connections.close_all()
    start_at = time.time() + 0.5
    shares = [range(w, count, workers) for w in range(workers)]
    processes = [
        multiprocessing.get_context("fork").Process(target=_post_singles, args=(run, share, start_at))
        for share in shares
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a posting process failed ({process.exitcode})")
    return count / (time.time() - start_at)


def batches(run: str, count: int, size: int) -> float:
    """Lines per second, `size` entries per transaction."""
    started = time.perf_counter()
    for first in range(0, count, size):
        post_entries([draft(run, n) for n in range(first, min(first + size, count))], created_by=None)
    return 2 * count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--entries", type=int, default=100_000, help="entries per measurement (default 100 000)"
    )
    parser.add_argument("--workers", type=int, default=4, help="processes posting at once (default 4)")
    parser.add_argument(
        "--batch", type=int, default=2_000, help="entries per batch transaction (default 2 000)"
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
    print(f"entries per measurement: {args.entries:,}; {os.cpu_count()} CPUs, load {_load()}")

    count = args.entries
    rate = singles("single", count, workers=1)
    print(f"one entry per transaction, 1 process:   {rate:8,.0f} entries/s")
    rate = singles("parallel", count, workers=args.workers)
    print(f"one entry per transaction, {args.workers} processes: {rate:8,.0f} entries/s")
    rate = batches("batch", count, args.batch)
    print(f"batched, {args.batch:,} entries per transaction: {rate:8,.0f} lines/s")

    as_of = START + timedelta(days=365)
    started = time.perf_counter()
    balance = trial_balance(as_of=as_of)
    elapsed = time.perf_counter() - started
    total = sum(s.total_debit for s in balance.sections)
    print(f"trial balance as of {as_of}: {elapsed * 1000:,.1f} ms over {balance.line_count:,} lines")
    if not balance.balanced:
        raise SystemExit("the trial balance does not balance")
    print(f"  debits = credits = {total:,} đồng, in {len(balance.rows)} accounts")
    started = time.perf_counter()
    bank = account_balance(code="112", as_of=as_of)
    elapsed = time.perf_counter() - started
    print(f"balance of 112 and its sub-accounts: {elapsed * 1000:,.1f} ms ({bank:,} đồng)")
    print(f"load at the end: {_load()} (other processes on the machine skew the figures)")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    try:
        main()
    finally:
        if SCRATCH:
            shutil.rmtree(SCRATCH, ignore_errors=True)

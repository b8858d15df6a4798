"""Close of day on a province's portfolio: seconds for a month end and an ordinary day, by size.

    scripts/with-postgres.sh --durable .venv/bin/python bench/close_of_day.py --sizes 25000,50000,100000
    scripts/with-postgres.sh --durable .venv/bin/python bench/close_of_day.py --loans 100000 --workers 0,2
    .venv/bin/python bench/close_of_day.py --loans 600 --sizes 300,600     # SQLite, throwaway files

For each size (and each number of workers) it builds a fresh database — on PostgreSQL a new
database in the cluster of DATABASE_URL, on SQLite a new file — in a process of its own:
1. builds the portfolio (bench/portfolio.py `build_shaped`: monthly and quarterly installments
   falling due on every day, about N / 30 a day; 5 % overdue over every debt band), its books
   brought to 30/11/2026 by one catch-up close of 29/11 (untimed setup, its time printed);
2. records 0.5 % back-dated repayments on 30/11, and the installments of the performing loans
   falling due that day paid on time;
then for each of `--trials` copies of that database (default 3), in a new process, dropped after:
3. flushes and vacuums what came before (as a day's wait would), and times the close of 30/11, a
   month end (every loan's accrual and provisions, the loans falling due, the repayments taken in);
4. the same for 01/12, an ordinary day, its repayments recorded first.
Each close's figures are the trial's whose time was the median, with the fastest and the slowest:
one close, timed once, was seen to vary by a tenth from one run to the next on this machine.
`--workers 2` runs those closes with 2 Celery workers (scripts/celery_cluster.py: redis and two
worker processes), `--workers 0,2` both ways, each on its own portfolio; 0 is one process.

It prints each close's seconds (and seconds per phase, summed over the close's chunks), the loans
looked at and the postings, the machine's load, side by side with DESIGN.md's targets for 100 000
loans (ordinary day 5 s, month end 30 s, in one process) and how the time grows from one size to
the next against how the portfolio grows. It asserts only that the loans' sub-ledger and the GL
agree after each close.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fresh  # noqa: E402

REFERENCE = 100_000  # DESIGN.md's portfolio
TARGETS = {"month end": 30.0, "ordinary day": 5.0}  # seconds for REFERENCE loans, in one process


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--loans", type=int, default=REFERENCE, help="loans in the portfolio (default 100 000)"
    )
    parser.add_argument("--sizes", type=_numbers, help="several portfolio sizes, e.g. 25000,50000,100000")
    parser.add_argument(
        "--workers", type=_numbers, default=[0], help="Celery workers, e.g. 2 or 0,2 (0: one process)"
    )
    parser.add_argument(
        "--trials", type=int, default=3, help="copies of each portfolio closed, the median taken (default 3)"
    )
    # The children: one builds a size's portfolio (`--build`), one closes a copy of it.
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shape", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        if args.build:
            build(args.run, Path(args.shape))
        else:
            close_copy(args.workers[0], Path(args.shape))
        return
    results = []
    for size in args.sizes or [args.loans]:
        for workers in args.workers:
            results.append(_in_fresh_database(size, workers, max(args.trials, 1)))
    _summary(results)


def _numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


# --- the parent: a fresh database and a process for each run --------------------------------


def _in_fresh_database(size: int, workers: int, trials: int) -> dict:
    """The portfolio built once, then each trial's closes on a copy of it: the trial whose
    close took the median time, for each kind of day, with the fastest and the slowest."""
    print(f"\n=== {size:,} loans, {_mode(workers)} ===", flush=True)
    base = f"coopfund_bench_{size}_w{workers}"
    args = [str(size), "--workers", str(workers), "--shape", str(Path(tempfile.mkdtemp()) / "shape.json")]
    try:
        fresh.run_in_database(__file__, [*args, "--build"], base, keep=True)
        runs = [
            fresh.run_in_database(__file__, args, f"{base}_{trial}", copy_of=base)
            for trial in range(1, trials + 1)
        ]
    finally:
        fresh.drop(base)
        shutil.rmtree(Path(args[-1]).parent, ignore_errors=True)
    days = {}
    for kind in runs[0]:
        ordered = sorted((run[kind] for run in runs), key=lambda day: day["seconds"])
        days[kind] = ordered[len(ordered) // 2] | {"spread": [day["seconds"] for day in ordered]}
    return {"loans": size, "workers": workers, "days": days}


def _summary(results: list[dict]) -> None:
    print(
        "\nclose of day, seconds (target for 100 000 loans in one process: month end 30 s, ordinary day 5 s)"
    )
    print(
        f"{'loans':>8} {'workers':>8} {'kind of day':<13} {'seconds':>8} {'per 100 000':>12} {'target':>7} "
        f"{'growth (loans)':>15} {'loans seen':>10} {'postings':>9} {'trials (fastest–slowest)':>26}  "
        "load 1/5/15 min"
    )
    previous: dict[tuple[int, str], dict] = {}
    for result in results:
        for kind, day in result["days"].items():
            key = (result["workers"], kind)
            before = previous.get(key)
            growth = (
                f"×{day['seconds'] / before['seconds']:.2f} (×{result['loans'] / before['loans']:.2f})"
                if before
                else ""
            )
            previous[key] = {"seconds": day["seconds"], "loans": result["loans"]}
            print(
                f"{result['loans']:>8,} {_mode(result['workers']):>8} {kind:<13} {day['seconds']:8.2f} "
                f"{day['seconds'] * REFERENCE / result['loans']:12.1f} {TARGETS[kind]:7.0f} {growth:>15} "
                f"{day['loans']:10,} {day['postings']:9,} {_spread(day['spread']):>26}  {day['load']}"
            )
            for step, seconds in day["steps"].items():
                print(f"{'':>31} {step:<24} {seconds:8.2f}")
    print("growth: the time's factor from the size before, the portfolio's in brackets (not to be above it)")
    print("seconds: the median trial's; each trial closed its own copy of the portfolio")


def _spread(seconds: list[float]) -> str:
    return f"{len(seconds)}: {min(seconds):.2f}–{max(seconds):.2f}"


def _mode(workers: int) -> str:
    return f"{workers} workers" if workers else "1 process"


# --- a run: one portfolio, its closes --------------------------------------------------------


def build(size: int, shape_file: Path) -> None:
    """Build `size` loans in the database of the environment, record the month end's repayments,
    and leave the loans' ids in `shape_file` for the trials, each on a copy of this database."""
    fresh.set_up_django()
    from django.core.management import call_command
    from django.db import connection

    from bench import portfolio

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}", flush=True)
    started = time.perf_counter()
    shape = portfolio.build_shaped(size)
    built = time.perf_counter() - started
    print(
        f"portfolio: {len(shape.loan_ids):,} active loans ({len(shape.quarterly_ids):,} quarterly, "
        f"{len(shape.overdue_ids):,} overdue, {shape.schedules:,} distinct schedules) built in "
        f"{built - shape.catch_up_seconds:,.1f} s; catch-up close of {shape.catch_up.business_date:%d/%m/%Y} "
        f"(untimed setup): {shape.catch_up_seconds:,.1f} s, {shape.catch_up.loans:,} loans, "
        f"{shape.catch_up.postings:,} postings",
        flush=True,
    )
    reconciled(shape.day)
    _record_the_days_repayments(shape, "month end")
    fresh.settle_after_build(flush=True)
    ids = {"loan_ids": shape.loan_ids, "overdue_ids": shape.overdue_ids}
    shape_file.write_text(json.dumps(ids))
    fresh.hand_back({})


def close_copy(workers: int, shape_file: Path) -> None:
    """On a copy of the built database: time its month end, then record the next day's
    repayments and time that ordinary day."""
    fresh.set_up_django()
    from django.db import connection

    print(f"trial on {connection.settings_dict.get('NAME')}", flush=True)
    # What recording a day's repayments reads of the portfolio's `Shape`.
    shape = SimpleNamespace(**json.loads(shape_file.read_text()))
    fresh.settle_after_build(flush=True)  # the copy's own writes to disk before timing
    if workers:
        with _celery(workers):
            days = _closes(shape)
    else:
        days = _closes(shape)
    fresh.hand_back(days)


def close_day(user):
    """The close of the business date as the fund runs it: the one call the bench times. In one
    process, or (with a broker) its chunks sent to the workers, waiting for the day to close."""
    from celery import current_app

    from fund.models import Fund
    from loans.models import CloseOfDay
    from loans.services.closing import runs

    if current_app.conf.task_always_eager:
        return runs.close_business_day(actor=user)
    day = Fund.objects.get().business_date
    runs.start_close(actor=user, until=day + timedelta(days=1))
    while (closed := CloseOfDay.objects.filter(business_date=day).first()) is None:
        time.sleep(0.05)
    return closed


def step_seconds(closed) -> dict[str, float]:
    """Seconds per phase of a close, summed over its chunks (each chunk's own, in its worker)."""
    from loans.models import CloseChunk

    total: dict[str, float] = {}
    for seconds in CloseChunk.objects.filter(run__business_date=closed.business_date).values_list(
        "seconds", flat=True
    ):
        for phase, figure in seconds.items():
            total[phase] = total.get(phase, 0.0) + figure
    return total


def _closes(shape) -> dict[str, dict]:
    from bench import portfolio
    from fund.models import Fund

    user = portfolio.bench_user()
    days = {}
    for kind in ("month end", "ordinary day"):
        day = Fund.objects.get().business_date
        if kind != "month end":  # the month end's were recorded before the copies were made
            _record_the_days_repayments(shape, kind)
            fresh.settle_after_build(flush=True)
        started = time.perf_counter()
        closed = close_day(user)
        seconds = time.perf_counter() - started
        load = " ".join(f"{figure:.2f}" for figure in os.getloadavg())
        days[kind] = {
            "seconds": seconds,
            "loans": closed.loans,
            "postings": closed.postings,
            "steps": step_seconds(closed),
            "load": load,
        }
        print(
            f"{day:%d/%m/%Y} {kind}: closed in {seconds:,.2f} s, {closed.loans:,} loans looked at, "
            f"{closed.postings:,} postings; load {load}",
            flush=True,
        )
        reconciled(day)
    return days


def _record_the_days_repayments(shape, kind: str) -> None:
    from bench import portfolio
    from fund.models import Fund

    day = Fund.objects.get().business_date
    started = time.perf_counter()
    repayments = portfolio.backdate_repayments(shape)
    on_time = portfolio.pay_installments_due(shape)
    print(
        f"{day:%d/%m/%Y} {kind}: {len(repayments):,} back-dated repayments and {on_time:,} "
        f"installments due paid on time, recorded in {time.perf_counter() - started:,.1f} s (untimed)",
        flush=True,
    )


@contextmanager
def _celery(workers: int):
    """Tasks sent to `workers` real Celery workers on the run's database, through redis."""
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("--workers needs PostgreSQL: run it under scripts/with-postgres.sh")
    from config.celery import app
    from scripts.celery_cluster import celery_cluster, tasks_sent_to

    with (
        celery_cluster(os.environ["DATABASE_URL"], workers=workers) as cluster,
        tasks_sent_to(app, cluster.broker_url),
    ):
        yield cluster


def reconciled(day) -> None:
    from loans.selectors.reconciliation import reconciliation

    differing = [row.code for row in reconciliation(as_of=day) if row.difference]
    verdict = "agrees" if not differing else f"DIFFERS on {', '.join(differing)}"
    print(f"reconciliation on {day:%d/%m/%Y}: {verdict}")
    if differing:
        raise SystemExit("the loans' sub-ledger and the GL disagree")


if __name__ == "__main__":
    main()

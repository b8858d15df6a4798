"""Bringing a province's portfolio in: seconds and peak memory to import 100 000 loans.

    scripts/with-postgres.sh --durable .venv/bin/python bench/onboarding.py
    scripts/with-postgres.sh --durable .venv/bin/python bench/onboarding.py --loans 20000 --profile
    .venv/bin/python bench/onboarding.py --loans 2000          # SQLite, a throwaway file

In a fresh database (bench/fresh.py), in a process of its own, it:
1. sets up a fund opening on 01/03/2026 (cut-over 28/02/2026) and a monthly product, and writes
   a workbook of N loans, one co-operative borrower each (untimed): shaped like
   bench/portfolio.py's province — terms of 18 to 60 months, paid out on each of the 480 days
   before the cut-over, their installments due so far paid; 5 % overdue, their days past due
   spread over the product's debt bands, with overdue interest, late interest and the
   specific provision the old books booked. The GL sheet gives what the loans bring in (a first
   dry run works it out) and the bank and the capital that balance it;
2. in another process, which holds nothing else (its peak memory is the import's), brings it in
   as `manage.py import_portfolio FILE --user … --commit-as …` does: the dry run by one user,
   the commit by another (which writes the dry run's plan, the books unchanged since), and checks the
   reconciliation is zero. It prints the seconds of each step, the peak memory (getrusage
   maxrss) and the machine's load, beside the targets (60 s, 1 GiB); `--profile` prints where
   the time goes.
"""

import argparse
import os
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fresh  # noqa: E402

REFERENCE = 100_000
TARGET_SECONDS, TARGET_MEMORY = 60.0, 1024**3
CUT_OVER, OPENING = date(2026, 2, 28), date(2026, 3, 1)
AGES = 480  # days before the cut-over the loans were paid out on
AMOUNTS = (Decimal(150_000_000), Decimal(300_000_000), Decimal(450_000_000))
TERMS = (18, 24, 36, 48, 60)
OVERDUE_EVERY = 20  # one loan in 20 is overdue
SPECIFIC = {1: Decimal(0), 2: Decimal("0.05"), 3: Decimal("0.2"), 4: Decimal("0.5"), 5: Decimal(1)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--loans", type=int, default=REFERENCE, help="loans in the workbook (default 100 000)"
    )
    parser.add_argument("--profile", action="store_true", help="print where the import's time goes")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # build, then import in a child
    parser.add_argument("--bring-in", type=Path, help=argparse.SUPPRESS)  # the import, in this process
    args = parser.parse_args()
    if args.bring_in is not None:
        bring_in(args.bring_in, args.profile)
    elif args.run is not None:
        run(args.run, args.profile)
    else:
        result = fresh.run_in_database(
            __file__, [str(args.loans), *(["--profile"] if args.profile else [])], "coopfund_bench_onboarding"
        )
        _summary(result)


def _summary(result: dict) -> None:
    seconds, memory = result["seconds"], result["maxrss"]
    print(f"\nbringing {result['loans']:,} loans in ({result['file_mb']:.1f} MB workbook)")
    for step, spent in result["steps"].items():
        print(f"  {step:<32} {spent:8.1f} s")
    per = seconds * REFERENCE / result["loans"]
    print(f"  {'total':<32} {seconds:8.1f} s  (per 100 000 loans {per:.1f} s; target {TARGET_SECONDS:.0f} s)")
    print(f"  CPU of the importing process {result['cpu']:.1f} s (PostgreSQL's own not counted)")
    print(
        f"  peak memory {memory / 1024**2:,.0f} MiB (target {TARGET_MEMORY / 1024**2:,.0f} MiB; "
        f"by the end of the dry run {result['maxrss_dry_run'] / 1024**2:,.0f} MiB)"
    )
    load = f"before {result['load_before']}, after {result['load_after']}"
    print(f"  load 1/5/15 min {load} on {os.cpu_count()} cores")


# --- building the workbook ---------------------------------------------------------------------


def run(count: int, profile: bool) -> None:
    fresh.set_up_django()
    import subprocess

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}", flush=True)
    started = time.perf_counter()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"coopfund-bench-onboarding-{os.getpid()}.xlsx"
    build(count, path)
    print(
        f"workbook: {count:,} loans, {path.stat().st_size / 1024**2:.1f} MB, built in "
        f"{time.perf_counter() - started:.0f} s (untimed)",
        flush=True,
    )
    fresh.settle_after_build()
    command = [sys.executable, __file__, "--bring-in", str(path), *(["--profile"] if profile else [])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=fresh.ROOT)
    result = None
    for line in process.stdout:
        if line.startswith(fresh.RESULT):
            import json

            result = json.loads(line[len(fresh.RESULT) :])
        else:
            print(line, end="", flush=True)
    if process.wait() or result is None:
        raise SystemExit("the import failed")
    result["file_mb"] = path.stat().st_size / 1024**2
    path.unlink()
    fresh.hand_back(result)


def build(count: int, path: Path) -> None:
    """The workbook of `count` loans (and their borrowers), its GL sheet agreeing with them."""
    from bench.portfolio import bench_user, fund_and_product
    from loans.services.onboarding.workbook import ACCOUNTS, BORROWERS, LOANS, write_filled

    user = bench_user()
    product = fund_and_product(user, opened_on=OPENING)
    rows = {BORROWERS: [], LOANS: [], ACCOUNTS: []}
    schedules: dict[tuple, list] = {}
    for number in range(count):
        rows[BORROWERS].append(_borrower(number))
        rows[LOANS].append(_loan(number, product, schedules))
    products = [(product.code, product.name)]
    write_filled(path, products, rows)
    rows[ACCOUNTS] = _accounts(path)
    write_filled(path, products, rows)


def _borrower(number: int) -> list:
    registration = f"{3_600_000_000 + number}"
    return [
        "Hợp tác xã", f"HTX thử tải {number}", registration, registration,
        "Thái Bình", "Vũ Thư", f"Xã {number % 200}", "", "Nguyễn Văn A", "", "0912345678",
        "Trồng trọt", 7, date(2015, 1, 1), "",
    ]  # fmt: skip


def _loan(number: int, product, schedules: dict) -> list:
    """A loan as the old books stand at the cut-over: its due installments paid, or, one in 20,
    the last few unpaid (the oldest 1 to 400 days ago)."""
    from bench.portfolio import schedule

    start = CUT_OVER - timedelta(days=1 + number % AGES)
    amount, term = AMOUNTS[number % len(AMOUNTS)], TERMS[number % len(TERMS)]
    key = (start, amount, term)
    if key not in schedules:
        schedules[key] = schedule(product, start, amount, term).rows
    rows = schedules[key]
    due = [row for row in rows if row.due_date <= CUT_OVER]
    unpaid = []
    if number % OVERDUE_EVERY == 0 and due:
        oldest = CUT_OVER - timedelta(days=1 + (number // OVERDUE_EVERY) % 400)
        unpaid = [row for row in due if row.due_date >= oldest] or due[-1:]
    paid = [row for row in due if row not in unpaid]
    outstanding = amount - sum(row.principal for row in paid)
    overdue_principal = sum((row.principal for row in unpaid), Decimal(0))
    in_term = outstanding - overdue_principal
    last = max((row.due_date for row in due), default=start)
    accrued = (in_term * product.annual_rate * (CUT_OVER - last).days / 365).quantize(Decimal(1))
    overdue_interest = sum((row.interest for row in unpaid), Decimal(0))
    late = (overdue_principal * Decimal("0.0001")).quantize(Decimal(1))
    oldest_unpaid = unpaid[0].due_date if unpaid else None
    group = product.debt_group_for((CUT_OVER - oldest_unpaid).days) if unpaid else 1
    specific = (outstanding * SPECIFIC[group]).quantize(Decimal(1))
    return [
        f"HĐ-{number:06d}", f"{3_600_000_000 + number}", "", product.code, start, start, amount,
        str(product.annual_rate * 100), "Dư nợ giảm dần", term, in_term, overdue_principal, accrued,
        overdue_interest, late, 0, oldest_unpaid, group, specific, 0, 0, "", 0,
    ]  # fmt: skip


def _accounts(path: Path) -> list[list]:
    """The GL sheet: each control account as the loans bring it in (a dry run of the file
    without it), the bank, and the capital that balances them."""
    from fund.models import Fund
    from loans.services.onboarding.planning import plan
    from loans.services.onboarding.workbook import read_portfolio

    with path.open("rb") as file:
        planned = plan(read_portfolio(file), fund=Fund.objects.get())
    rows = [[line.code, line.loans, None] if line.loans > 0 else [line.code, None, -line.loans]
            for line in planned.report.controls if line.loans]  # fmt: skip
    bank = Decimal(10**12)
    capital = bank + sum((line.loans for line in planned.report.controls), Decimal(0))
    return [*rows, ["11211", bank, None], ["41111", None, capital]]


# --- the import, in a process of its own -------------------------------------------------------


def bring_in(path: Path, profile: bool) -> None:
    fresh.set_up_django()
    from django.contrib.auth.models import Group

    from fund import roles
    from fund.models import User
    from loans.models import PortfolioImport
    from loans.selectors.reconciliation import reconciliation
    from loans.services.onboarding import importing

    checker, committer = (User.objects.create_user(f"bench-accountant-{n}") for n in (1, 2))
    for user in (checker, committer):
        user.groups.set(Group.objects.filter(name=roles.ACCOUNTANT))
    load_before = _load()
    cpu = _cpu()
    profiler = _profiler(profile)
    steps = {}
    started = time.perf_counter()
    with path.open("rb") as file:
        batch = importing.check_portfolio(actor=checker, file=file, file_name=path.name, keep_plan=True)
    steps["dry run (read, plan, keep)"] = time.perf_counter() - started
    dry_run_memory = _maxrss()
    _print_profile(profiler, "the dry run")
    if batch.state != PortfolioImport.State.CHECKED:
        raise SystemExit("refused: " + "; ".join(str(e) for e in importing.refusals(batch)[:10]))
    mark = time.perf_counter()
    importing.commit_portfolio(actor=committer, batch=batch)
    importing.run_commit(batch.pk)  # done already if the task ran eagerly (no broker)
    batch = PortfolioImport.objects.get(pk=batch.pk)
    steps["commit (write)"] = time.perf_counter() - mark
    _print_profile(profiler, "the commit")
    if batch.state != PortfolioImport.State.COMMITTED:
        raise SystemExit("failed: " + "; ".join(str(e) for e in importing.refusals(batch)[:10]))
    mark = time.perf_counter()
    differing = [row.code for row in reconciliation(as_of=batch.cut_over) if row.difference]
    steps["reconciliation"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    assert not differing, f"sub-ledger and GL differ on {differing}"
    fresh.hand_back(
        {
            "loans": batch.rows_total,
            "seconds": seconds,
            "steps": steps,
            "maxrss": _maxrss(),
            "maxrss_dry_run": dry_run_memory,
            # Less noisy than the seconds on a shared machine: what this process itself ran.
            "cpu": _cpu() - cpu,
            "load_before": load_before,
            "load_after": _load(),
        }
    )


def _profiler(profile: bool):
    if not profile:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _print_profile(profiler, step: str) -> None:
    """Where `step`'s time went, by cumulative and by own time; the profiler restarts afresh."""
    if profiler is None:
        return
    import pstats

    profiler.disable()
    print(f"\n--- {step} ---")
    for order in ("cumulative", "tottime"):
        pstats.Stats(profiler).sort_stats(order).print_stats(30)
    profiler.clear()
    profiler.enable()


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux gives KiB


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()

"""Close of day as it runs today, one process, one transaction a day: seconds per kind of day.

    scripts/with-postgres.sh --durable .venv/bin/python bench/close_of_day.py --loans 10000
    .venv/bin/python bench/close_of_day.py --loans 1000          # SQLite, a throwaway file

Builds a portfolio of N active loans (bench/portfolio.py: 360 million over 36 months each, all
paid out on 15/01/2026, so every loan falls due on the same days: the worst case of a due day),
then closes each day from 15/01/2026 through the first installment's due date and the day
after, timing each close. It prints the kinds of day side by side with DESIGN.md's targets for
100 000 loans (ordinary day 5 s, month end 30 s), scaled linearly from N, and the machine's
load; it asserts only that the loans' sub-ledger and the GL agree afterwards.

This is the baseline of the per-loan close (issue 14): every loan a day touches is replayed in
Python. A set-based close over the stored balances, spread over Celery workers, is the next
step (issue 15); its benchmark will build a portfolio whose due dates spread over the month.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")  # measure what production runs: no query log
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="coopfund-bench-")) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import portfolio  # noqa: E402
from fund.models import Fund  # noqa: E402
from loans.models import ScheduleRow  # noqa: E402
from loans.selectors.reconciliation import reconciliation  # noqa: E402
from loans.services.closing.days import is_month_end  # noqa: E402
from loans.services.closing.runs import close_business_day  # noqa: E402

REFERENCE = 100_000  # DESIGN.md's portfolio
TARGETS = {"ordinary day": 5.0, "month end": 30.0}  # seconds for REFERENCE loans


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=10_000, help="loans in the portfolio (default 10 000)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    started = time.perf_counter()
    loan_ids = portfolio.build(args.loans)
    print(f"portfolio: {len(loan_ids):,} active loans built in {time.perf_counter() - started:,.1f} s")
    due = ScheduleRow.objects.filter(version__loan_id=loan_ids[0], position=0).get().due_date
    Fund.objects.update(business_date=portfolio.START)
    user = portfolio.bench_user()

    kinds: dict[str, list[float]] = {}
    print(f"{'day':<12} {'kind':<28} {'seconds':>8} {'loans':>8} {'postings':>9}")
    day = portfolio.START
    while day <= due + timedelta(days=1):
        began = time.perf_counter()
        closed = close_business_day(actor=user)
        seconds = time.perf_counter() - began
        kind = _kind(day, due)
        kinds.setdefault(kind, []).append(seconds)
        print(f"{day:%d/%m/%Y}   {kind:<28} {seconds:8.2f} {closed.loans:8,} {closed.postings:9,}")
        day += timedelta(days=1)

    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"\nload average (1, 5, 15 min): {load}")
    print(f"{'kind of day':<28} {'median s':>9} {'scaled to 100 000 loans':>24} {'target':>8}")
    for kind, times in kinds.items():
        median = sorted(times)[len(times) // 2]
        scaled = median * REFERENCE / len(loan_ids)
        target = TARGETS.get("month end" if kind == "month end" else "ordinary day")
        print(f"{kind:<28} {median:9.2f} {scaled:24.1f} {target:8.0f}")
    differing = [row.code for row in reconciliation(as_of=day) if row.difference]
    verdict = "agrees" if not differing else f"DIFFERS on {', '.join(differing)}"
    print(f"reconciliation on {day:%d/%m/%Y}: {verdict}")
    if differing:
        raise SystemExit("the loans' sub-ledger and the GL disagree")


def _kind(day, due) -> str:
    if day <= portfolio.START + timedelta(days=1):
        return "tranches booked (every loan)"
    if day == due - timedelta(days=1):
        return "eve of the due day"
    if is_month_end(day):
        return "month end"
    if day == due:
        return "due day (every loan overdue)"
    if day == due + timedelta(days=1):
        return "the day after"
    return "ordinary day (nothing due)"


if __name__ == "__main__":
    main()

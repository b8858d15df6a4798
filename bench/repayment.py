"""Repayments recorded through the service, one per transaction: lock, allocate, post.

    scripts/with-postgres.sh --durable .venv/bin/python bench/repayment.py
    .venv/bin/python bench/repayment.py --loans 1000          # SQLite, a throwaway file

Builds a portfolio of N active loans (bench/portfolio.py: 360 million over 36 months each), then
records each loan's first installment on its due date through `record_repayment` — every one
in its own transaction, from one process and then from several at once (a web server or a pool
of Celery workers records from several processes). Prints repayments per second; asserts only
that the sub-ledger and the GL agree afterwards.
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
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
from django.db.models import Sum  # noqa: E402

from bench import portfolio  # noqa: E402
from bench.processes import seconds_together  # noqa: E402
from fund.models import Fund  # noqa: E402
from ledger.selectors import accounts_total  # noqa: E402
from loans.models import Loan, LoanTransaction, ScheduleRow  # noqa: E402
from loans.services.servicing.repayments import RepaymentInput, record_repayment  # noqa: E402


def _repayments(loan_ids: list[int]) -> Callable[[], None]:
    """The work of recording each loan's first installment; what it reads first is not timed."""
    user = portfolio.bench_user()
    first = ScheduleRow.objects.filter(version__loan_id=loan_ids[0], position=0).get()
    entry = RepaymentInput(
        value_date=first.due_date,
        amount=first.principal.amount + first.interest.amount,
        channel="bank_transfer",
        reference="bench",
    )
    loans = {loan.pk: loan for loan in Loan.objects.filter(pk__in=loan_ids)}

    def repay() -> None:
        for pk in loan_ids:
            record_repayment(actor=user, loan=loans[pk], entry=entry)

    return repay


def repayments_per_second(loan_ids: list[int], workers: int) -> float:
    shares = [loan_ids[w::workers] for w in range(workers)]
    return len(loan_ids) / seconds_together(_repayments, shares)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=10_000, help="loans in the portfolio (default 10 000)")
    parser.add_argument("--workers", type=int, default=4, help="processes recording at once (default 4)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            print(f"synchronous_commit={cursor.fetchone()[0]}")
    started = time.perf_counter()
    loan_ids = portfolio.build(args.loans)
    print(f"portfolio: {len(loan_ids):,} active loans built in {time.perf_counter() - started:,.1f} s")
    # The first installment's due date: 15/02/2026 moved off Sunday and Tết (the fund's calendar).
    first = ScheduleRow.objects.filter(version__loan_id=loan_ids[0], position=0).get()
    Fund.objects.update(business_date=first.due_date)

    half = len(loan_ids) // 2
    rate = repayments_per_second(loan_ids[:half], workers=1)
    print(f"one repayment per transaction, 1 process:   {rate:8,.0f} repayments/s")
    rate = repayments_per_second(loan_ids[half:], workers=args.workers)
    print(f"one repayment per transaction, {args.workers} processes: {rate:8,.0f} repayments/s")

    outstanding = LoanTransaction.objects.aggregate(total=Sum("principal"))["total"]
    gl = accounts_total(codes=["1283"], as_of=portfolio.START.replace(year=2027))
    print(f"sub-ledger outstanding {outstanding:,} = GL loans {gl:,}")
    if outstanding != gl:
        raise SystemExit("the sub-ledger and the GL disagree")


if __name__ == "__main__":
    main()

"""A loan's page with two years of history: how long it takes and how many queries it reads.

    scripts/with-postgres.sh --durable .venv/bin/python bench/loan_page.py
    .venv/bin/python bench/loan_page.py                 # SQLite, a throwaway file

Builds one active loan (bench/portfolio.py: 360 million over 36 months), opens its page, then
records 24 monthly installments on their due dates through `record_repayment` and opens it
again: the target is a page with two years of history in at most 100 ms, reading as many
queries as the page of a loan with no repayments. The page goes through Django's whole request
path (middleware, view, templates) in the test client, DEBUG off. Prints the query count and the
median and 95th percentile of the time per page; asserts only that both pages answer 200 and
read the same number of queries.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")  # measure what production runs: no query log
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")  # the test client speaks plain http
os.environ.setdefault("COOPFUND_TWO_FACTOR", "0")  # the page as a signed-in user sees it, not the sign-in
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="coopfund-bench-")) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench import portfolio  # noqa: E402
from fund.models import Fund  # noqa: E402
from loans.models import Loan  # noqa: E402
from loans.replaying import replay_part  # noqa: E402
from loans.services.servicing.repayments import RepaymentInput, record_repayment  # noqa: E402

# The pages' static files by their plain names: no collectstatic manifest is needed to render.
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here


def measure(client: Client, url: str, times: int) -> tuple[int, list[float]]:
    """The page's query count, and `times` timings of it in ms (after one to warm up)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the next request clears the connection's query log
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return count, timings


def report(label: str, queries: int, timings: list[float]) -> None:
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"{label:<34} {queries:3d} queries, median {statistics.median(timings):6.1f} ms, p95 {p95:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--times", type=int, default=100, help="page views per measurement (default 100)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    (pk,) = portfolio.build(1)
    loan = Loan.objects.get(pk=pk)
    user = portfolio.bench_user()
    client = Client()
    client.force_login(user)
    url = reverse("loans:loan_detail", args=[pk])

    Fund.objects.update(business_date=portfolio.START)
    before, timings = measure(client, url, args.times)
    report("no repayments:", before, timings)

    rows = replay_part(loan, None, as_of=portfolio.START).rows[:24]
    for number, row in enumerate(rows, start=1):
        Fund.objects.update(business_date=row.due_date)
        due = replay_part(loan, None, as_of=row.due_date).due_today
        entry = RepaymentInput(
            value_date=row.due_date, amount=due, channel="bank_transfer", reference=f"UNC {number}"
        )
        record_repayment(actor=user, loan=loan, entry=entry)
    Fund.objects.update(business_date=rows[-1].due_date)
    after, timings = measure(client, url, args.times)
    report(f"{loan.repayments.count()} repayments (two years):", after, timings)
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other processes skew the figures)")
    if after != before:
        raise SystemExit(f"the page read {after} queries with two years of history, {before} without")


if __name__ == "__main__":
    main()

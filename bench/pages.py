"""The main pages on a province's portfolio: time at 20 clients at once, queries and bytes.

    scripts/with-postgres.sh --durable .venv/bin/python bench/pages.py                # 100 000 loans
    scripts/with-postgres.sh --durable .venv/bin/python bench/pages.py --loans 10000
    DATABASE_URL=postgres://…/x .venv/bin/python bench/pages.py --keep     # build once, keep it …
    DATABASE_URL=postgres://…/x .venv/bin/python bench/pages.py --reuse --only "home,a loan" # … again

In a fresh database of its own (bench/fresh.py) it builds the portfolio of bench/close_of_day.py
(bench/portfolio.py `build_shaped`: active loans, 5 % overdue in every debt band), records the
back-dated repayments of 0.5 % of the loans and the installments falling due on the business
date paid on time, and closes that day (a month end), so that the home page and the portfolio
report read its summary as they do the morning after a close, with the summaries of the
month's days before it (the report's period) a fund closing every day has. Then it serves the app as
production would, DEBUG off, in 2 worker processes each answering one request at a time
(gunicorn's sync workers; gunicorn is not a dependency: the standard library's WSGI server,
pre-forked on one socket). For each main page it prints the
median and 95th percentile of the time of a page while 20 clients ask for it at once, the
queries it reads (in this process, through Django's test client) and its bytes, beside the
targets: p95 at most 150 ms at 20 clients, a constant number of queries, at most 500 KB. It
asserts only that every page answers 200.
"""

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fresh  # noqa: E402

REFERENCE = 100_000
CLIENTS = 20
WORKERS = 2
TARGET_P95_MS, TARGET_BYTES = 150.0, 500 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--loans", type=int, default=REFERENCE, help="loans in the portfolio (default 100 000)"
    )
    parser.add_argument("--times", type=int, default=10, help="requests per client and page (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse (PostgreSQL)")
    parser.add_argument("--reuse", action="store_true", help="time a database kept by --keep")
    parser.add_argument("--only", default="", help="pages whose names contain one of these (a,b)")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # in the fresh database
    args = parser.parse_args()
    if args.run is not None:
        run(args.run, args.times, args.only)
        return
    result = fresh.run_in_database(
        __file__,
        [str(args.loans), "--times", str(args.times), "--only", args.only],
        f"coopfund_bench_pages_{args.loans}",
        keep=args.keep or args.reuse,
        reuse=args.reuse,
    )
    _summary(result)


def _summary(result: dict) -> None:
    print(
        f"\n{result['loans']:,} loans ({result['vendor']}), {WORKERS} workers, {CLIENTS} clients at once, "
        f"load before {result['load']}"
    )
    print(f"{'page':<28} {'median ms':>9} {'p95 ms':>8} {'target':>7} {'req/s':>6} {'queries':>8} {'KB':>7}")
    for page in result["pages"]:
        flag = "" if page["p95"] <= TARGET_P95_MS and page["bytes"] <= TARGET_BYTES else "  over"
        print(
            f"{page['name']:<28} {page['median']:9.1f} {page['p95']:8.1f} {TARGET_P95_MS:7.0f} "
            f"{page['rate']:6.1f} {page['queries']:8d} {page['bytes'] / 1024:7.1f}{flag}"
        )
    print(
        f"targets: p95 ≤ {TARGET_P95_MS:.0f} ms at {CLIENTS} clients, a constant number of queries, ≤ 500 KB"
    )


# --- the run, in the fresh database ------------------------------------------------------


def run(size: int, times: int, only: str) -> None:
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")  # plain http on the loopback
    os.environ.setdefault("COOPFUND_TWO_FACTOR", "0")  # the pages as a signed-in user sees them
    fresh.set_up_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import portfolio

    # The pages' static files by their plain names: no collectstatic manifest is needed.
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    from loans.models import Loan
    from loans.services.closing.runs import close_business_day

    call_command("migrate", verbosity=0)
    if Loan.objects.exists():
        print("the portfolio kept by an earlier run", flush=True)
    else:
        started = time.perf_counter()
        shape = portfolio.build_shaped(size)
        repaid = len(portfolio.backdate_repayments(shape)) + portfolio.pay_installments_due(shape)
        built = time.perf_counter() - started
        print(f"portfolio: {len(shape.loan_ids):,} loans, {repaid:,} repayments, built in {built:,.0f} s")
        started = time.perf_counter()
        close_business_day(actor=portfolio.bench_user())  # its summary: what the pages read of it
        print(f"close of {shape.day:%d/%m/%Y}: {time.perf_counter() - started:,.1f} s", flush=True)
    _summarise_month()
    fresh.settle_after_build()
    wanted = [word.strip() for word in only.split(",") if word.strip()]
    urls = {name: url for name, url in _pages().items() if not wanted or any(w in name for w in wanted)}
    client, cookie = _signed_in()
    counted = {name: _counted(client, url) for name, url in urls.items()}
    loans = Loan.objects.count()
    connection.close()  # the workers open their own
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with _served() as base:
        pages = [
            {"name": name, **counted[name], **_timed(f"{base}{url}", cookie, times)}
            for name, url in urls.items()
        ]
    fresh.hand_back({"loans": loans, "vendor": connection.vendor, "load": load, "pages": pages})


def _summarise_month() -> None:
    """The summaries of the days of the closed day's month before it, as a fund closing every
    day has them (the portfolio report's period, from the month's first, reads them): the build
    records the month's events without closing its days. Each as its close would write it."""
    from django.db import transaction

    from loans.models import CloseOfDay, PortfolioSummary
    from loans.services.closing.summaries import write_summary

    last = CloseOfDay.objects.order_by("-business_date").values_list("business_date", flat=True)[0]
    have = set(PortfolioSummary.objects.filter(day__lte=last).values_list("day", flat=True))
    days = [last.replace(day=n) for n in range(1, last.day + 1) if last.replace(day=n) not in have]
    started = time.perf_counter()
    for day in days:
        with transaction.atomic():
            write_summary(day)
    if days:
        print(f"summaries of {len(days)} days of the month: {time.perf_counter() - started:,.1f} s")


def _pages() -> dict[str, str]:
    from django.urls import reverse

    from fund.models import Fund
    from loans.models import Loan, LoanStatus

    loans = Loan.objects.filter(status=LoanStatus.ACTIVE).order_by("pk")
    loan = loans.select_related("borrower", "product__principal_account")[loans.count() // 2]
    word = loan.borrower.name.split()[-1]
    day = Fund.objects.get().business_date
    account = loan.product.principal_account.code  # the loan's principal: a ledger with many lines
    ledger = {"account": account, "date_from": date(day.year, 1, 1), "date_to": day}
    return {
        "home": reverse("home"),
        "loan list": reverse("loans:applications"),
        "loan list, last page": f"{reverse('loans:applications')}?last=1",
        "loan list search": f"{reverse('loans:applications')}?{urlencode({'q': word})}",
        "a loan": reverse("loans:loan_detail", args=[loan.pk]),
        "borrowers": reverse("fund:borrower_list"),
        "borrowers search": f"{reverse('fund:borrower_list')}?{urlencode({'q': word})}",
        "journal, first page": reverse("ledger:journal"),
        "journal, last page": f"{reverse('ledger:journal')}?last=1",
        "general ledger, loans": f"{reverse('ledger:ledger_detail')}?{urlencode(ledger)}",
        "general ledger, last page": f"{reverse('ledger:ledger_detail')}?{urlencode({**ledger, 'last': 1})}",
        "tranche list": reverse("loans:tranches"),
        "appraisal queue": reverse("appraisal:queue"),
        "decisions": reverse("appraisal:decisions"),
        "arrears list": reverse("loans:arrears_report"),
        "portfolio report": reverse("loans:portfolio_report"),
        "borrowers, last page": f"{reverse('fund:borrower_list')}?last=1",
    }


def _signed_in():
    from django.conf import settings
    from django.test import Client

    from bench import portfolio

    client = Client()
    client.force_login(portfolio.bench_user())
    return client, f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _counted(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return {"queries": len(queries), "bytes": len(response.content)}


class _served:
    """The app on a free loopback port, in WORKERS forked processes accepting on one socket."""

    def __enter__(self) -> str:
        import socket
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

        from django.core.wsgi import get_wsgi_application

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        listening.listen(128)
        application = get_wsgi_application()
        self.children = []
        for _ in range(WORKERS):
            pid = os.fork()
            if pid == 0:  # a worker: serve from the shared socket until killed
                server = WSGIServer(("127.0.0.1", 0), Quiet, bind_and_activate=False)
                server.socket.close()
                server.socket = listening
                server.server_address = listening.getsockname()
                server.server_name, server.server_port = server.server_address
                server.setup_environ()
                server.set_app(application)
                server.serve_forever()
                os._exit(0)
            self.children.append(pid)
        return f"http://127.0.0.1:{listening.getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        import signal

        for pid in self.children:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _timed(url: str, cookie: str, times: int) -> dict:
    """Each of CLIENTS clients asks for the page `times` times, all at once."""
    import urllib.request

    def client() -> list[float]:
        timings = []
        for _ in range(times):
            request = urllib.request.Request(url, headers={"Cookie": cookie})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{url} answered {response.status}")
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    client()  # each worker warm
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        timings = [t for done in pool.map(lambda _n: client(), range(CLIENTS)) for t in done]
    seconds = time.perf_counter() - started
    return {
        "median": statistics.median(timings),
        "p95": statistics.quantiles(timings, n=20)[-1],
        "rate": len(timings) / seconds,
    }


if __name__ == "__main__":
    main()

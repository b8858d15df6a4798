"""The arrears aging and the debt classification as of a month end three months back, on a
province's portfolio: seconds to compute them, and their .xlsx beside a bare openpyxl stream.

    scripts/with-postgres.sh --durable .venv/bin/python bench/reports.py                 # 100 000 loans
    .venv/bin/python bench/reports.py --loans 600                                       # SQLite, a smoke run
    DATABASE_URL=postgres://…/x .venv/bin/python bench/reports.py --keep    # build once, keep it …
    DATABASE_URL=postgres://…/x .venv/bin/python bench/reports.py --reuse   # … and time it again

In a database of its own (bench/fresh.py) it
1. builds the close-of-day benchmark's portfolio (bench/portfolio.py `build_shaped`) standing on
   the month end AS_OF (31/08/2026), and closes that day (the classification is frozen "as
   reported");
2. lives three months after it, day by day to END (30/11/2026): each day the performing loans'
   installments falling due are paid on time by the repayment service, a few overdue loans repay
   back-dated, and the day is closed — so every loan's stored rows have three months of history
   after AS_OF (untimed setup, its time printed);
3. times, as of AS_OF, `loans.arrears.aging` and `loans.arrears.classification` (best of
   REPEATS), the workbooks the report pages offer (aging, arrears list, classification) and, for
   each, a bare openpyxl `write_only` stream of the same rows — its cells with the same number
   formats, and unformatted — side by side with the targets (compute 2 s, .xlsx 1.3 × the bare
   stream). It asserts only that the loans' sub-ledger and
   the GL agree after the three months.
"""

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fresh  # noqa: E402

AS_OF = date(2026, 8, 31)
END = date(2026, 11, 30)  # the business date the reports are drawn on
BACKDATED_SHARE = Decimal("0.001")  # of the portfolio, each day
REPEATS = 3
# The three months of repayments are setup, not what is timed: paid by as many processes as help.
PAYING_PROCESSES = 2
TARGETS = {"compute": 2.0, "xlsx": 1.3}
XLSX = ("aging", "arrears", "classification")  # the reports' workbooks timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=100_000, help="loans in the portfolio (default 100 000)")
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse (PostgreSQL)")
    parser.add_argument(
        "--reuse", action="store_true", help="time a database kept by --keep, if there is one"
    )
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)  # in this process
    args = parser.parse_args()
    if args.run:
        run(args.loans)
        return
    name = f"coopfund_bench_reports_{args.loans}"
    figures = fresh.run_in_database(
        __file__, ["--loans", str(args.loans)], name, keep=args.keep or args.reuse, reuse=args.reuse
    )
    _summary(figures)


def run(size: int) -> None:
    fresh.set_up_django()
    from django.core.management import call_command
    from django.db import connection

    from fund.models import Fund

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}", flush=True)
    if Fund.objects.filter(business_date=END).exists():
        print(f"the portfolio kept by an earlier run, on {END:%d/%m/%Y}", flush=True)
    else:
        _build(size)
    fresh.settle_after_build()
    fresh.hand_back(_timed())


def _build(size: int) -> None:
    from bench import portfolio
    from bench.close_of_day import close_day, reconciled

    started = time.perf_counter()
    shape = portfolio.build_shaped(size, day=AS_OF)
    built = time.perf_counter() - started
    print(f"portfolio: {len(shape.loan_ids):,} loans built in {built:,.1f} s", flush=True)
    user = portfolio.bench_user()
    started, repaid = time.perf_counter(), 0
    day = AS_OF
    while day < END:
        repaid += len(portfolio.backdate_repayments(shape, share=BACKDATED_SHARE))
        repaid += portfolio.pay_installments_due(shape, processes=PAYING_PROCESSES)
        close_day(user)
        day += timedelta(days=1)
        if day.day == 1 or day == END:
            print(
                f"  closed up to {day - timedelta(days=1):%d/%m/%Y}: {repaid:,} repayments, "
                f"{time.perf_counter() - started:,.0f} s",
                flush=True,
            )
    reconciled(END - timedelta(days=1))


def _timed() -> dict:
    from django.db import connection

    from common.xlsx import workbook_bytes
    from loans.arrears import aging, classification, trend
    from loans.models import LoanBalance, Repayment
    from loans.report_sheets import REPORTS

    figures = {
        "loans": LoanBalance.objects.filter(valid_from__lte=AS_OF).values("loan_id").distinct().count(),
        "rows": LoanBalance.objects.count(),
        "rows_after": LoanBalance.objects.filter(valid_from__gt=AS_OF).count(),
        "repayments_after": Repayment.objects.filter(value_date__gt=AS_OF).count(),
        "vendor": connection.vendor,
        "compute": {},
        "xlsx": {},
    }
    for name, compute in (("aging", aging), ("classification", classification)):
        figures["compute"][name] = _best(lambda compute=compute: compute(AS_OF))
    # Not a target of its own: the trend page's twelve month ends up to the business date.
    figures["compute"]["trend (12 months)"] = _best(lambda: trend(END))
    for name in XLSX:
        sheets_of, _filename = REPORTS[name]
        sheets = sheets_of(AS_OF, None)
        for sheet in sheets:
            sheet.rows = list(sheet.rows)  # both writers stream the same rows, computed once

        figures["xlsx"][name] = {
            "rows": sum(len(sheet.rows) for sheet in sheets),
            "ours": _best(lambda sheets=sheets: workbook_bytes(*sheets)),
            "bare": _best(lambda sheets=sheets: _bare(sheets, formatted=True)),
            "plain": _best(lambda sheets=sheets: _bare(sheets, formatted=False)),
        }
    figures["load"] = " ".join(f"{figure:.2f}" for figure in os.getloadavg())
    return figures


def _bare(sheets, *, formatted: bool) -> None:
    """The sheets' header and rows in a bare openpyxl `write_only` stream: no title lines,
    totals, widths or chart. `formatted`: each value a cell with its column's number format
    (`#,##0` for amounts, as the report's cells have), the way any openpyxl program writes
    formatted cells; else the values as they are (amounts shown unformatted)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from common.xlsx import number_format

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title[:31])
        ws.append([str(column.header) for column in sheet.columns])
        formats = [number_format(column.kind) for column in sheet.columns]
        for row in sheet.rows:
            if formatted:
                cells = [WriteOnlyCell(ws, value=value) for value in row]
                for cell, number_format in zip(cells, formats, strict=True):
                    cell.number_format = number_format
                ws.append(cells)
            else:
                ws.append(row)
    workbook.save(io.BytesIO())


def _best(work) -> float:
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def _summary(figures: dict) -> None:
    print(
        f"\nreports as of {AS_OF:%d/%m/%Y} on {figures['vendor']}: {figures['loans']:,} loans, "
        f"{figures['rows']:,} balances rows ({figures['rows_after']:,} dated after it), "
        f"{figures['repayments_after']:,} repayments after it; best of {REPEATS}; load {figures['load']}"
    )
    print(f"{'compute':<18} {'seconds':>8} {'target':>7}")
    for name, seconds in figures["compute"].items():
        target = f"{TARGETS['compute']:7.1f}" if name in ("aging", "classification") else f"{'':>7}"
        print(f"{name:<18} {seconds:8.2f} {target}")
    print(
        f"{'.xlsx':<16} {'rows':>8} {'ours s':>8} {'bare s':>8} {'ratio':>6} {'target':>7} "
        f"{'unformatted s':>14} {'ratio':>6}"
    )
    for name, xlsx in figures["xlsx"].items():
        print(
            f"{name:<16} {xlsx['rows']:8,} {xlsx['ours']:8.3f} {xlsx['bare']:8.3f} "
            f"{xlsx['ours'] / xlsx['bare']:6.2f} {TARGETS['xlsx']:7.1f} {xlsx['plain']:14.3f} "
            f"{xlsx['ours'] / xlsx['plain']:6.2f}"
        )
    print(
        "bare: the same header and rows, each value a cell with its column's number format (#,##0 "
        "for amounts); unformatted: the values as they are"
    )


if __name__ == "__main__":
    main()

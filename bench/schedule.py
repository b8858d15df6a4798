"""How fast the schedule engine builds and rebuilds schedules of 36 monthly installments.

    .venv/bin/python bench/schedule.py                 # 10 000 loans per run, best of 3 runs
    .venv/bin/python bench/schedule.py --loans 5000 --runs 5

Makes synthetic loans (amounts, rates and grace periods vary) and prints schedules built per
second in one process, the best of a few runs (each on fresh loans), so that other work on the
machine disturbs the figures less. Due dates are remembered per start date and product terms,
so it first builds loans that share no start date, then a fund's portfolio disbursed over six
years, by method and day-count basis; then prepayment rebuilds and household groups' totals.
No database. Asserts only that each schedule repays its principal. The target (DESIGN.md) is
5 000 schedules a second.
"""

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loans.domain.daycount import ACTUAL_365, ACTUAL_ACTUAL  # noqa: E402
from loans.domain.schedule import (  # noqa: E402
    ANNUITY,
    BULLET,
    EQUAL_PRINCIPAL,
    PREPAYMENT_MODES,
    ScheduleTerms,
    build_schedule,
    combine,
    rebuild_future,
)

TERM_MONTHS = 36
RATES = [Decimal(rate) for rate in ("0.0540", "0.0600", "0.0660", "0.0700", "0.0825")]
SIX_YEARS = 6 * 365
GROUP_SIZE = 20


class Portfolio:
    """Fresh loans for every run: each run starts its loans after the previous run's."""

    def __init__(self, loans: int, seed: int = 2026):
        self.loans = loans
        self.rng = random.Random(seed)
        self.first_day = date(2026, 1, 1)

    def make(self, method: str, basis: str, *, days: int) -> list[ScheduleTerms]:
        """`self.loans` loans disbursed over `days` days (as many days as loans: none share one)."""
        first_day, self.first_day = self.first_day, self.first_day + timedelta(days=days)
        return [
            ScheduleTerms(
                principal=Decimal(self.rng.randrange(10_000_000, 2_000_000_000, 1_000)),
                annual_rate=self.rng.choice(RATES),
                start_date=first_day + timedelta(days=self.rng.randrange(days)),
                term_months=TERM_MONTHS,
                method=method,
                principal_frequency=0 if method == BULLET else 1,
                interest_frequency=1,
                grace_months=self.rng.choice((0, 0, 0, 3, 6)),
                basis=basis,
            )
            for _ in range(self.loans)
        ]


def best_rate(label: str, runs: int, prepare: Callable[[], list], work: Callable, unit: str = "schedules"):
    """Time `work` over each item `prepare()` gives, `runs` times; print the best rate."""
    best = 0.0
    for _run in range(runs):
        items = prepare()
        started = time.perf_counter()
        for item in items:
            work(item)
        best = max(best, len(items) / (time.perf_counter() - started))
    print(f"  {label:<52} {best:>9,.0f} {unit}/s")
    return items


def repays(terms: ScheduleTerms) -> tuple[ScheduleTerms, list]:
    rows = build_schedule(terms)
    assert sum(row.principal for row in rows) == terms.principal
    return terms, rows


def prepay(item: tuple[ScheduleTerms, list], mode: str) -> None:
    # A third of what is outstanding half-way through the term.
    terms, rows = item
    row = rows[len(rows) // 2]
    outstanding = row.closing_principal - row.closing_principal // 3
    rebuilt = rebuild_future(terms, rows=rows, as_of=row.due_date, outstanding=outstanding, mode=mode)
    assert sum(row.principal for row in rebuilt) == outstanding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000, help="loans per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the best is printed")
    args = parser.parse_args()
    portfolio = Portfolio(args.loans)
    print(f"Schedules of {TERM_MONTHS} monthly installments, one process, best of {args.runs} runs:")

    for method in (EQUAL_PRINCIPAL, ANNUITY):
        best_rate(
            f"build, {method}, no two loans on the same day",
            args.runs,
            lambda method=method: portfolio.make(method, ACTUAL_365, days=args.loans),
            build_schedule,
        )
    for method in (EQUAL_PRINCIPAL, ANNUITY, BULLET):
        for basis in (ACTUAL_365, ACTUAL_ACTUAL):
            loans = best_rate(
                f"build, {method}, {basis}",
                args.runs,
                lambda method=method, basis=basis: portfolio.make(method, basis, days=SIX_YEARS),
                build_schedule,
            )
            for terms in loans:
                repays(terms)

    for method in (EQUAL_PRINCIPAL, ANNUITY):
        for mode in PREPAYMENT_MODES:
            best_rate(
                f"rebuild, {method}, {mode}",
                args.runs,
                lambda method=method: [repays(t) for t in portfolio.make(method, ACTUAL_365, days=SIX_YEARS)],
                lambda item, mode=mode: prepay(item, mode),
            )

    # Household groups disbursed together, as the Farmers' Support Fund lends.
    def groups() -> list[list[list]]:
        loans = portfolio.make(EQUAL_PRINCIPAL, ACTUAL_365, days=SIX_YEARS)
        return [
            [
                build_schedule(replace(member, start_date=loans[first].start_date))
                for member in loans[first : first + GROUP_SIZE]
            ]
            for first in range(0, len(loans) - GROUP_SIZE + 1, GROUP_SIZE)
        ]

    best_rate(f"combine, groups of {GROUP_SIZE} members", args.runs, groups, combine, "groups")


if __name__ == "__main__":
    main()

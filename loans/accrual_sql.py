"""The engine's accrual as SQL: each loan at the end of a day from its current stored balances
rows, in one statement for a whole chunk of loans (close of day's `positions.projected`).

A current row keeps the rows its accruing figures grow on (`LoanBalance.accruing`, the engine's
`Accruing` as JSON). Up to its next change point nothing but the day moves, and the engine's
`accruing_on` is then three sums over those rows, which this statement takes for every loan at
once, on PostgreSQL and SQLite:
- in-term interest accrued: the carry of the rows collecting it, plus the rate on the
  schedule's in-term balance × the day count from the first collecting row's interest start to
  the day, rounded once;
- late interest on each row's unpaid principal (the rate × the overdue multiplier) and interest
  on its unpaid interest (the product's rate), from the day it was last accrued to, each added
  to what the row had accrued and rounded, less what was paid of it.

Rounding and day counts are the engine's, and decided here only as SQL: the counts are
`loans.domain.daycount`'s (`_COUNTS`, a form for each of its `BASES`), and an amount is
rounded half-up once, as `common.money.round_vnd`, from exact arithmetic — PostgreSQL's
`numeric`, on SQLite the engine's own `Decimal` functions (`register_sqlite`: SQLite has no
exact decimal type). tests/loans/test_accrual_sql.py holds both to the engine to the đồng.
"""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction

from common.db import among
from common.money import round_vnd
from fund.models import LoanProduct
from loans.domain.daycount import ACTUAL_365, ACTUAL_ACTUAL, BASES
from loans.domain.engine import SCHEDULED, Accruing
from loans.models import Loan, LoanBalance, LoanContract

ONE_DAY = timedelta(days=1)
_FIELD = {name: index for index, name in enumerate(Accruing._FIELDS)}


class _Ops:
    """The SQL of one database for each thing the statement does: `ops.days(start, end)` fills
    the template "days" with the operands ({0}, {1}, ...)."""

    def __init__(self, templates: dict[str, str]):
        self._templates = templates

    def __getattr__(self, name):
        template = self._templates[name]
        return lambda *operands: template.format(*operands)

    def field(self, name: str) -> str:
        """A field of the accruing row `r`, as text (`Accruing`'s order)."""
        return self._templates["field"].format(_FIELD[name])

    def interest(self, base, count, rate, factor, basis) -> str:
        denominator = _case(basis, {name: str(BASES[name].denominator) for name in BASES})
        n = f"(({base}) * {denominator} + ({rate}) * ({factor}) * ({count}))"
        return self._templates["interest"].format(base, count, rate, factor, basis, n=n, d=denominator)


# PostgreSQL: `numeric` is exact. Interest is base + rate × factor × count / d, half-up as
# sign × ⌊(2|n| + d) / 2d⌋ with n = base × d + rate × factor × count, all of it exact.
_POSTGRES = {
    "number": "({0})::numeric",
    "day": "({0})::date",
    "days": "(({1}) - ({0}))",
    "year": "extract(year from {0})::int",
    "day_of_year": "extract(doy from {0})::int",
    "times": "(({0}) * ({1}))",
    "total": "COALESCE(SUM({0}), 0)",
    "greatest": "GREATEST({0}, {1})",
    "least": "LEAST({0}, {1})",
    "interest": "(sign({n}) * div(2 * abs({n}) + {d}, 2 * {d}))",
    "parse": "({0})::jsonb",
    "materialized": "MATERIALIZED",
    "rounded": "round({0})",
    "unnest": "LEFT JOIN LATERAL jsonb_array_elements(({0}) -> 1) WITH ORDINALITY AS r(v, pos) ON true",
    "position": "r.pos",
    "field": "(r.v ->> {0})",
    "element": "(({0}) ->> {1})",
}
# SQLite: amounts through the engine's `Decimal` functions `register_sqlite` adds; dates are
# ISO text, which orders as the dates do.
_SQLITE = {
    "number": "coopfund_number({0})",
    "day": "{0}",
    "days": "CAST(round(julianday({1}) - julianday({0})) AS INTEGER)",
    "year": "CAST(strftime('%%Y', {0}) AS INTEGER)",
    "day_of_year": "CAST(strftime('%%j', {0}) AS INTEGER)",
    "times": "coopfund_times({0}, {1})",
    "total": "COALESCE(coopfund_sum({0}), 0)",
    "greatest": "max({0}, {1})",
    "least": "min({0}, {1})",
    "interest": "coopfund_interest({0}, {1}, {2}, {3}, {4})",
    "parse": "{0}",
    "materialized": "",
    "rounded": "coopfund_round({0})",
    "unnest": "LEFT JOIN json_each({0}, '$[1]') AS r ON true",
    "position": "r.key",
    "field": "json_extract(r.value, '$[{0}]')",
    "element": "json_extract({0}, '$[{1}]')",
}


def _case(basis: str, values: dict[str, str]) -> str:
    return "CASE " + " ".join(f"WHEN {basis} = '{name}' THEN {sql}" for name, sql in values.items()) + " END"


def _leap(year: str) -> str:
    return f"({year} %% 4 = 0 AND ({year} %% 100 <> 0 OR {year} %% 400 = 0))"


def _actual_actual(ops, start, end):
    # Every whole year counts 365 × 366; a day counts 365 in a leap year, 366 in another
    # (`daycount._actual_actual_count`): the count is a difference of counts from year 0.
    def since_year_zero(day):
        year = ops.year(day)
        weight = f"CASE WHEN {_leap(year)} THEN 365 ELSE 366 END"
        return f"({year} * {BASES[ACTUAL_ACTUAL].denominator} + ({ops.day_of_year(day)} - 1) * {weight})"

    return f"({since_year_zero(end)} - {since_year_zero(start)})"


# The day count from `start` (counted) to `end` (not), as `BASES[name].count`, for each basis.
_COUNTS = {
    ACTUAL_365: lambda ops, start, end: ops.days(start, end),
    ACTUAL_ACTUAL: _actual_actual,
}


def count_sql(ops, basis: str, start: str, end: str) -> str:
    """SQL for the day count from `start` to `end` under the basis named by the column `basis`."""
    return _case(basis, {name: count(ops, start, end) for name, count in _COUNTS.items()})


def interest_sql(ops, base: str, count: str, rate: str, factor: str, basis: str) -> str:
    """SQL for `round_vnd(base + BASES[basis].interest(count, rate × factor))`."""
    return ops.interest(base, count, rate, factor, basis)


def vendor_ops() -> _Ops:
    return _Ops(_POSTGRES if connection.vendor == "postgresql" else _SQLITE)


class Projected(NamedTuple):
    """A loan at the end of a day over its sub-loans, as `positions.DayEnd` adds them."""

    principal: Decimal  # in term and overdue
    overdue: Decimal  # of which unpaid past its due date and the product's days of grace
    interest: Decimal  # accrued, due and overdue
    late_interest: Decimal  # late interest and interest on unpaid interest
    oldest_unpaid_due_date: date | None


def projected(loan_ids: list[int], day: date) -> dict[int, Projected]:
    """The loans at the end of `day` from their current rows alone, as the engine's
    `accruing_on` gives them the next morning: only those whose every current row keeps its
    accruing rows, starts by `day` and has no change point by the next morning (the others
    are replayed)."""
    if not loan_ids:
        return {}
    sql, params = statement(vendor_ops(), loan_ids, day)
    with transaction.atomic(), connection.cursor() as cursor, without_jit(cursor):
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        loan_id: Projected(
            Decimal(principal),
            Decimal(overdue),
            Decimal(interest),
            Decimal(late),
            oldest if oldest is None or isinstance(oldest, date) else date.fromisoformat(oldest),
        )
        for loan_id, whole, principal, overdue, interest, late, oldest in rows
        if whole
    }


@contextmanager
def without_jit(cursor):
    """PostgreSQL's JIT compilation off for the statement (inside a transaction; a rollback to
    its savepoint puts the setting back too). The planner takes each row's `jsonb_array_elements`
    for 100 accruing rows (a set-returning function's default; there are one to a few), prices a
    chunk high enough to compile the statement's expressions, and compiling them took 2.7 s for a
    chunk of 5 000 loans that then ran in 0.1 s."""
    if connection.vendor != "postgresql":
        yield
        return
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    (previous, _off) = cursor.fetchone()
    yield
    cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def statement(ops, loan_ids: list[int], day: date) -> tuple[str, dict]:
    """`projected`'s statement, its columns named as `Projected`'s with `loan_id` and `whole`
    (1 when the loan can be said from its rows) first: also a part of a larger statement
    (`loans.services.closing.batched`). Named parameters."""
    # Named placeholders (a literal % doubled), which Django takes on PostgreSQL and SQLite alike.
    following, today = ops.day("%(following)s"), ops.day("%(today)s")
    ids_sql, (ids,) = among(loan_ids)
    ids_sql = ids_sql.replace("%s", "%(ids)s")

    def count(start, end):
        return count_sql(ops, "r.basis", start, end)

    # Each accruing row's fields, typed, read once from the parsed JSON.
    fields = ", ".join(
        f"{ops.day(ops.field(name)) if name in Accruing._DATES else ops.number(ops.field(name))} AS {name}"
        for name in Accruing._FIELDS
        if name not in ("kind", "number")
    )

    def owed(accrued, unpaid, paid, rate, factor):
        # Late interest (on unpaid principal) and interest on unpaid interest accrue on a row
        # fallen due before the next morning, from where they were last accrued to; a row that
        # accrues nothing more owes what it had accrued, rounded.
        days = ops.times(unpaid, count("r.since", following))
        return (
            f"CASE WHEN r.due_date < {following} AND r.since < {following} AND {unpaid} > 0 "
            f"THEN {interest_sql(ops, accrued, days, rate, factor, 'r.basis')} "
            f"ELSE {ops.rounded(accrued)} END - {paid}"
        )

    low, high = ops.greatest("r.period_start", "r.start"), ops.least("r.period_end", following)
    accrued = interest_sql(
        ops,
        ops.total(
            f"CASE WHEN r.collecting AND (r.pos = r.first OR r.interest_from < {following}) "
            "THEN r.carry ELSE 0 END"
        ),
        ops.total(
            f"CASE WHEN r.scheduled AND r.period_end > r.start AND {high} > {low} "
            f"THEN {ops.times('r.opening_principal', count(low, high))} ELSE 0 END"
        ),
        "MIN(r.rate)",
        "1",
        "MIN(r.basis)",
    )
    materialized = ops.materialized()
    # The chunk's loans bound the contracts and loans read with them: as their id range when
    # they nearly fill it (a month end's chunk: every loan of a range of borrowers), else as the
    # list (an ordinary day's loans are spread over the portfolio: their range would read
    # nearly every contract and loan, for each chunk, the more the larger the portfolio).
    first, last = min(loan_ids), max(loan_ids)
    span = "BETWEEN %(first)s AND %(last)s" if last - first < 2 * len(loan_ids) else ids_sql
    sql = f"""
        -- Each current row's accruing rows parsed once (each later use reads the parsed value).
        WITH stored AS {materialized} (
            SELECT b.id, b.loan_id, b.principal_in_term + b.principal_overdue AS outstanding,
                   b.interest_due + b.interest_overdue AS owed, b.oldest_unpaid_due_date AS oldest,
                   b.accruing <> '' AND b.valid_from <= {today} AS ok,
                   {ops.parse("NULLIF(b.accruing, '')")} AS doc
            FROM {LoanBalance._meta.db_table} b
            WHERE b.valid_to IS NULL AND b.loan_id {ids_sql}
        ),
        cur AS (
            SELECT s.id AS bid, s.loan_id, s.outstanding, s.owed, s.oldest, s.doc,
                   s.ok AND {ops.day(ops.element("s.doc", 0))} > {following} AS ok,
                   COALESCE({ops.number(ops.element("s.doc", 2))}, {ops.number("k.annual_rate")}) AS rate,
                   {ops.number("k.overdue_multiplier")} AS multiplier,
                   {ops.number("k.unpaid_interest_rate")} AS unpaid_rate,
                   k.day_count AS basis, p.overdue_grace_days AS grace
            FROM stored s
            JOIN {LoanContract._meta.db_table} k ON k.loan_id = s.loan_id AND k.loan_id {span}
            JOIN {Loan._meta.db_table} l ON l.id = s.loan_id AND l.id {span}
            JOIN {LoanProduct._meta.db_table} p ON p.id = l.product_id
        ),
        parts AS {materialized} (
            SELECT c.bid, c.loan_id, c.ok, c.outstanding, c.owed, c.oldest, c.rate, c.multiplier,
                   c.unpaid_rate, c.basis, c.grace, {ops.position()} AS pos, {ops.field("kind")} AS kind,
                   {fields}
            FROM cur c {ops.unnest("CASE WHEN c.ok THEN c.doc END")}
        ),
        -- Each accruing row's figures: what it owes of late interest and interest on unpaid
        -- interest, its principal overdue, whether it collects in-term interest.
        accr AS (
            SELECT r.*, r.kind = %(scheduled)s AS scheduled,
                   r.kind = %(scheduled)s AND r.due_date > {following}
                   AND (r.interest_from < r.due_date OR r.carry <> 0) AS collecting,
                   {owed("r.late_accrued", "r.unpaid", "r.late_paid", "r.rate", "r.multiplier")}
                   + {owed("r.penalty_accrued", "r.interest_unpaid", "r.penalty_paid", "r.unpaid_rate", "1")}
                   AS late,
                   CASE WHEN {ops.days("r.due_date", today)} >= r.grace THEN r.unpaid ELSE 0 END AS overdue
            FROM (
                SELECT p.*, COALESCE(p.accrued_to, p.due_date) AS since,
                       p.principal - p.principal_paid AS unpaid,
                       p.interest - p.interest_paid AS interest_unpaid
                FROM parts p
            ) r
        ),
        -- Each sub-loan's first row collecting in-term interest, and where that interest runs
        -- from: one window, not joins of the rows with themselves.
        win AS (
            SELECT r.*, FIRST_VALUE(CASE WHEN r.collecting THEN r.pos END) OVER w AS first,
                   FIRST_VALUE(r.interest_from) OVER w AS start
            FROM accr r
            WINDOW w AS (PARTITION BY r.bid ORDER BY CASE WHEN r.collecting THEN 0 ELSE 1 END, r.pos)
        ),
        subs AS (
            SELECT MIN(r.loan_id) AS loan_id, MIN(CASE WHEN r.ok THEN 1 ELSE 0 END) AS ok,
                   MIN(r.outstanding) AS outstanding, MIN(r.owed) AS owed, MIN(r.oldest) AS oldest,
                   CASE WHEN MIN(r.first) IS NULL THEN 0 ELSE {accrued} END AS accrued,
                   {ops.total("r.late")} AS late, {ops.total("r.overdue")} AS overdue
            FROM win r GROUP BY r.bid  -- in the window's order: no hash table to spill
        )
        SELECT loan_id, MIN(ok) AS whole, SUM(outstanding) AS principal, SUM(overdue) AS overdue,
               SUM(accrued + owed) AS interest, SUM(late) AS late_interest, MIN(oldest) AS oldest
        FROM subs GROUP BY loan_id
    """
    return sql, {
        "following": (day + ONE_DAY).isoformat(),
        "today": day.isoformat(),
        "ids": ids,
        "first": first,
        "last": last,
        "scheduled": SCHEDULED,
    }


# --- SQLite: exact amounts through the engine's own Decimal arithmetic --------------------------


def _decimal(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _plain(value: Decimal):
    """An integer when whole and within SQLite's (it compares and sums as one), else exact text."""
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    return str(value)


class _Sum:
    def __init__(self):
        self.total = None

    def step(self, value):
        self.total = _decimal(value) + (self.total or 0)

    def finalize(self):
        return None if self.total is None else _plain(self.total)


def _number(value):
    return None if value is None else _plain(_decimal(value))


def _rounded(value):
    return _plain(round_vnd(_decimal(value)))


def _interest(base, count, rate, factor, basis):
    # As the engine: the late rate is annual_rate × overdue_multiplier (LoanTerms), added to
    # what the row had accrued, then rounded.
    annual = _decimal(rate) * _decimal(factor)
    return _plain(round_vnd(_decimal(base) + BASES[basis].interest(_decimal(count), annual)))


def register_sqlite(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the exact decimal functions the statement uses on SQLite."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("coopfund_number", 1, _number, deterministic=True)
    raw.create_function(
        "coopfund_times", 2, lambda a, b: _plain(_decimal(a) * _decimal(b)), deterministic=True
    )
    raw.create_function("coopfund_interest", 5, _interest, deterministic=True)
    raw.create_function("coopfund_round", 1, _rounded, deterministic=True)
    raw.create_aggregate("coopfund_sum", 1, _Sum)

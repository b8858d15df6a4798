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

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from common.db import among
from common.money import round_vnd
from fund.models import LoanProduct
from loans.domain.daycount import ACTUAL_365, ACTUAL_ACTUAL, BASES
from loans.domain.engine import SCHEDULED, Accruing
from loans.models import Loan, LoanBalance, LoanContract

ONE_DAY = timedelta(days=1)
_FIELD = {name: index for index, name in enumerate(Accruing._FIELDS)}
_NOT_MONEY = Accruing._DATES | {"kind", "number"}


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
    "unnest": "LEFT JOIN LATERAL jsonb_array_elements(({0})::jsonb -> 1) WITH ORDINALITY AS r(v, pos)"
    " ON true",
    "position": "r.pos",
    "field": "(r.v ->> {0})",
    "element": "(({0})::jsonb ->> {1})",
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
    sql, params = _statement(vendor_ops(), loan_ids, day)
    with connection.cursor() as cursor:
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


def _statement(ops, loan_ids: list[int], day: date) -> tuple[str, dict]:
    # Named placeholders (a literal % doubled), which Django takes on PostgreSQL and SQLite alike.
    following, today = ops.day("%(following)s"), ops.day("%(today)s")
    ids_sql, (ids,) = among(loan_ids)
    ids_sql = ids_sql.replace("%s", "%(ids)s")

    def count(start, end):
        return count_sql(ops, "r.basis", start, end)

    def due(name):
        return ops.day(ops.field(name))

    money = {name: ops.number(ops.field(name)) for name in Accruing._FIELDS if name not in _NOT_MONEY}
    # A row's unpaid principal and interest, and where its late interest was last accrued to.
    rows = f"""
        SELECT c.id AS bid, c.loan_id, c.ok, c.basis, c.rate, c.multiplier, c.unpaid_rate, c.grace,
               c.principal_in_term + c.principal_overdue AS principal,
               c.interest_due + c.interest_overdue AS owed, c.oldest_unpaid_due_date AS oldest,
               {ops.field("kind")} AS kind, {ops.position()} AS pos,
               {due("due_date")} AS due, {due("period_start")} AS ps, {due("interest_from")} AS ifrom,
               {due("period_end")} AS pe, COALESCE({due("accrued_to")}, {due("due_date")}) AS since,
               {money["opening_principal"]} AS opening, {money["carry"]} AS carry,
               {money["principal"]} - {money["principal_paid"]} AS pu,
               {money["interest"]} - {money["interest_paid"]} AS iu,
               {money["late_accrued"]} AS la, {money["late_paid"]} AS lp,
               {money["penalty_accrued"]} AS pa, {money["penalty_paid"]} AS pp
        FROM cur c {ops.unnest("CASE WHEN c.ok THEN c.accruing ELSE '[0,[]]' END")}
    """
    collecting = f"r.kind = %(scheduled)s AND r.due > {following} AND (r.ifrom < r.due OR r.carry <> 0)"
    late = interest_sql(
        ops,
        "r.la",
        f"CASE WHEN r.due < {following} AND r.pu > 0 AND r.since < {following} "
        f"THEN {ops.times('r.pu', count('r.since', following))} ELSE 0 END",
        "r.rate",
        "r.multiplier",
        "r.basis",
    )
    penalty = interest_sql(
        ops,
        "r.pa",
        f"CASE WHEN r.due < {following} AND r.iu > 0 AND r.since < {following} "
        f"THEN {ops.times('r.iu', count('r.since', following))} ELSE 0 END",
        "r.unpaid_rate",
        "1",
        "r.basis",
    )
    low, high = ops.greatest("r.ps", "r.start"), ops.least("r.pe", following)
    accrued = interest_sql(
        ops,
        ops.total(
            f"CASE WHEN {collecting} AND (r.pos = r.first OR r.ifrom < {following}) THEN r.carry ELSE 0 END"
        ),
        ops.total(
            f"CASE WHEN r.kind = %(scheduled)s AND r.pe > r.start AND {high} > {low} "
            f"THEN {ops.times('r.opening', count(low, high))} ELSE 0 END"
        ),
        "MIN(r.rate)",
        "1",
        "MIN(r.basis)",
    )
    json = "NULLIF(b.accruing, '')"
    sql = f"""
        WITH cur AS (
            SELECT b.id, b.loan_id, b.accruing, b.principal_in_term, b.principal_overdue,
                   b.interest_due, b.interest_overdue, b.oldest_unpaid_due_date,
                   COALESCE({ops.number(ops.element(json, 2))}, {ops.number("k.annual_rate")}) AS rate,
                   {ops.number("k.overdue_multiplier")} AS multiplier,
                   {ops.number("k.unpaid_interest_rate")} AS unpaid_rate,
                   k.day_count AS basis, p.overdue_grace_days AS grace,
                   (b.accruing <> '' AND b.valid_from <= {today}
                    AND {ops.day(ops.element(json, 0))} > {following}) AS ok
            FROM {LoanBalance._meta.db_table} b
            JOIN {LoanContract._meta.db_table} k ON k.loan_id = b.loan_id
            JOIN {Loan._meta.db_table} l ON l.id = b.loan_id
            JOIN {LoanProduct._meta.db_table} p ON p.id = l.product_id
            WHERE b.valid_to IS NULL AND b.loan_id {ids_sql}
        ),
        accr AS ({rows}),
        -- Each row with its sub-loan's first row collecting in-term interest, and where that
        -- interest runs from: windows, not joins of the rows with themselves.
        win AS (
            SELECT r.*, MIN(CASE WHEN {collecting} THEN r.pos END) OVER (PARTITION BY r.bid) AS first,
                   FIRST_VALUE(r.ifrom) OVER (
                       PARTITION BY r.bid ORDER BY CASE WHEN {collecting} THEN 0 ELSE 1 END, r.pos
                   ) AS start
            FROM accr r
        ),
        subs AS (
            SELECT r.bid, r.loan_id, MIN(CASE WHEN r.ok THEN 1 ELSE 0 END) AS ok,
                   MIN(r.principal) AS principal, MIN(r.owed) AS owed, MIN(r.oldest) AS oldest,
                   CASE WHEN MIN(r.first) IS NULL THEN 0 ELSE {accrued} END AS accrued,
                   COALESCE(SUM(CASE WHEN r.pos IS NOT NULL THEN {late} - r.lp + {penalty} - r.pp END), 0)
                       AS late,
                   COALESCE(SUM(CASE WHEN r.pos IS NOT NULL AND {ops.days("r.due", today)} >= r.grace
                                THEN r.pu ELSE 0 END), 0) AS overdue
            FROM win r GROUP BY r.bid, r.loan_id
        )
        SELECT loan_id, MIN(ok), SUM(principal), SUM(overdue), SUM(accrued + owed), SUM(late), MIN(oldest)
        FROM subs GROUP BY loan_id
    """
    return sql, {
        "following": (day + ONE_DAY).isoformat(),
        "today": day.isoformat(),
        "ids": ids,
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
    raw.create_function(
        "coopfund_number",
        1,
        lambda value: None if value is None else _plain(_decimal(value)),
        deterministic=True,
    )
    raw.create_function(
        "coopfund_times", 2, lambda a, b: _plain(_decimal(a) * _decimal(b)), deterministic=True
    )
    raw.create_function("coopfund_interest", 5, _interest, deterministic=True)
    raw.create_aggregate("coopfund_sum", 1, _Sum)

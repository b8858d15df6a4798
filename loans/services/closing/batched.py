"""The loans a full day (a month end, or every day when the fund posts accrual daily) only
accrues and provisions, decided and booked set-based: none of them goes loan by loan through
Python (only their ids come back, to leave them out of the loan-by-loan path).

At a month end nearly every loan has nothing but its month's interest and its provisions to
post: no installment falls due by the next morning, no band is crossed, no event rewrote its
days, no hold and no switch. For those, one statement (`_PLAIN`, on PostgreSQL and SQLite)
takes each loan's end of day from its current stored rows (`loans.accrual_sql.statement`, as
`positions.projected`), its sub-ledger's sums and its collateral, decides its debt group by
its product's bands (and its borrower's worst), and keeps what the loan posts in a temporary
table; the steps' entries get its sums by product (`_lines`: what each account nets per loan,
from the posting rules' `fund.accounting.shares`), and the sub-ledger rows are written from the
table in one INSERT … SELECT per step (`write`). What the Python path
(`days.close_loans`, `postings.DayPostings`) would post for such a loan is exactly this:
accrual = owed − booked receivable, provisions = the group's rate × (outstanding − collateral)
and the general rate × outstanding, each rounded half-up to the đồng per loan, their changes
from what is booked. tests/loans/test_close_of_day_batched.py holds the two paths to the same
sub-ledger and GL.

A loan is left to the Python path, with every other active loan of its borrower when the
fund's borrower rule is on (the borrower's worst group is decided over them all), when any of
these holds: its end of day cannot be said from its rows (`projected` says so), it is not
active, it is restructured and held at a group, its group changes or is non-accrual, it is or
was in non-accrual (suspended interest booked), principal moves to or from overdue, its books
do not agree with its events, or its receivable goes down (a reversal that may reach an
earlier fiscal year's income: `postings.prior_year_parts`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from common.db import among
from fund import accounting
from fund.accounting import GLMap, gl_map
from fund.models import Fund, LoanProduct
from ledger.drafts import Line
from loans import accrual_sql, queries
from loans.domain.classification import LOSS
from loans.models import Collateral, Loan, LoanStatus, LoanTransaction

Kind = LoanTransaction.Kind
_TABLE = "coopfund_closing_batched"
_L, _T, _C = Loan._meta.db_table, LoanTransaction._meta.db_table, Collateral._meta.db_table
_P = LoanProduct._meta.db_table
_STARTS = tuple(f"group{group}_from_days" for group in range(2, LOSS + 1))


@dataclass
class Batched:
    """The loans of a chunk decided set-based, kept in a temporary table until `write`."""

    day: date
    loan_ids: set[int]
    counts: dict[str, int] = field(default_factory=dict)  # per step, the loans it posts
    lines: dict[str, list[Line]] = field(default_factory=dict)  # per step, the entry's lines
    amounts: dict[str, str] = field(default_factory=dict)  # per step, each row's amount in SQL

    def write(self, entries: dict[str, int]) -> None:
        """Each loan's sub-ledger rows, pointing at its step's entry (`entries`: step → entry id);
        then the table is dropped."""
        with connection.cursor() as cursor:
            for kind, entry_id in entries.items():
                if self.counts.get(kind):
                    _insert(cursor, kind, self.amounts[kind], self.day, entry_id)
            cursor.execute(f"DROP TABLE IF EXISTS {_TABLE}")


def plain(fund: Fund, day: date, loan_ids: list[int], *, provisions: bool) -> Batched:
    """Of the loans (a chunk's, locked), those that only accrue and provision on `day`, their
    postings decided in a temporary table (`provisions`: at a month end)."""
    if not loan_ids:
        return Batched(day, set())
    ops = accrual_sql.vendor_ops()
    positions, params = accrual_sql.statement(ops, loan_ids, day)
    ids_sql, (ids,) = among(loan_ids)
    sql = _plain_sql(ops, positions, ids_sql.replace("%s", "%(ids)s"), fund.worst_group_per_borrower)
    params |= {
        "ids": ids,
        "active": LoanStatus.ACTIVE,
        "non_accrual": fund.non_accrual_from_group,
        "provisions": 1 if provisions else 0,
    }
    with connection.cursor() as cursor, accrual_sql.without_jit(cursor):
        cursor.execute(f"DROP TABLE IF EXISTS {_TABLE}")
        cursor.execute(f"CREATE TEMP TABLE {_TABLE} AS {sql}", params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {_TABLE}")  # no statistics otherwise: the INSERTs plan blind
        cursor.execute(f"SELECT loan_id FROM {_TABLE}")
        batched = Batched(day, {loan_id for (loan_id,) in cursor.fetchall()})
        cursor.execute(f"SELECT DISTINCT product_id FROM {_TABLE}")
        products = [product_id for (product_id,) in cursor.fetchall()]
    _lines(batched, products)
    return batched


def _plain_sql(ops, positions: str, ids: str, worst_of_borrower: bool) -> str:
    today = ops.day("%(today)s")
    days = f"CASE WHEN p.oldest < {today} THEN {ops.days('p.oldest', today)} ELSE 0 END"
    own = " + ".join(["1", *(f"CASE WHEN {days} >= pr.{start} THEN 1 ELSE 0 END" for start in _STARTS)])
    group = "MAX(o.own) OVER (PARTITION BY o.borrower_id)" if worst_of_borrower else "o.own"
    every = "MIN(d.fits_group) OVER (PARTITION BY d.borrower_id)" if worst_of_borrower else "d.fits_group"
    rate = "CASE d.grp " + " ".join(f"WHEN {g} THEN pr.provision_rate_group{g}" for g in range(1, 6)) + " END"
    outstanding = ops.number("d.outstanding")
    uncovered = ops.greatest(f"{outstanding} - {ops.number('d.collateral')}", "0")
    specific = ops.rounded(ops.times(uncovered, ops.number(rate)))
    general_rate = ops.number("pr.general_provision_rate")
    general = f"CASE WHEN d.grp < {LOSS} THEN {ops.rounded(ops.times(outstanding, general_rate))} ELSE 0 END"
    sums = ", ".join(
        f"SUM(t.{column}) AS {name}"
        for name, column in (
            ("principal", "principal"),
            ("overdue", "overdue_principal"),
            ("interest", "interest_receivable"),
            ("late", "late_interest_receivable"),
            ("suspended", "suspended_interest"),
            ("suspended_late", "suspended_late"),
            ("specific", "specific_provision"),
            ("general", "general_provision"),
        )
    )
    return f"""
        WITH p AS ({positions}),
        b AS (SELECT t.loan_id, {sums} FROM {_T} t WHERE t.loan_id {ids} GROUP BY t.loan_id),
        c AS (
            SELECT c.loan_id, SUM(c.provisioning_value) AS value FROM {_C} c
            WHERE c.loan_id {ids} GROUP BY c.loan_id
        ),
        -- Each active loan: its end of day, what is booked, whether nothing but accrual and
        -- provisions can move on it, and its own group by days past due.
        o AS (
            SELECT l.id AS loan_id, l.borrower_id, l.product_id, l.debt_group, p.principal AS outstanding,
                   p.interest - COALESCE(b.interest, 0) AS accrued,
                   p.late_interest - COALESCE(b.late, 0) AS late_accrued,
                   COALESCE(b.specific, 0) AS booked_specific, COALESCE(b.general, 0) AS booked_general,
                   COALESCE(c.value, 0) AS collateral,
                   CASE WHEN p.whole = 1 AND l.restructured_group IS NULL AND NOT l.accrual_suspended
                        AND p.principal = COALESCE(b.principal, 0) AND p.overdue = COALESCE(b.overdue, 0)
                        AND COALESCE(b.suspended, 0) = 0 AND COALESCE(b.suspended_late, 0) = 0
                        AND p.interest >= 0 AND p.late_interest >= 0
                        AND p.interest >= COALESCE(b.interest, 0) AND p.late_interest >= COALESCE(b.late, 0)
                   THEN 1 ELSE 0 END AS fits,
                   {own} AS own
            FROM {_L} l
            JOIN {_P} pr ON pr.id = l.product_id
            LEFT JOIN p ON p.loan_id = l.id
            LEFT JOIN b ON b.loan_id = l.id
            LEFT JOIN c ON c.loan_id = l.id
            WHERE l.id {ids} AND l.status = %(active)s
        ),
        g AS (SELECT o.*, {group} AS grp FROM o),
        d AS (
            SELECT g.*, CASE WHEN g.fits = 1 AND g.grp = g.debt_group AND g.grp < %(non_accrual)s
                        THEN 1 ELSE 0 END AS fits_group
            FROM g
        )
        SELECT d.loan_id, d.product_id, d.accrued, d.late_accrued,
               CASE WHEN %(provisions)s = 1 THEN {specific} - d.booked_specific ELSE 0 END AS specific,
               CASE WHEN %(provisions)s = 1 THEN {general} - d.booked_general ELSE 0 END AS general
        FROM (SELECT d.*, {every} AS every FROM d) d
        JOIN {_P} pr ON pr.id = d.product_id
        WHERE d.every = 1
    """


def _positive(amount: str) -> str:
    return f"CASE WHEN {amount} > 0 THEN {amount} ELSE 0 END"


# Each step's event, and the table's column of each of its amounts: the others are 0 here (no
# receivable goes down, so nothing accrued in an earlier year is reversed).
_EVENTS = {
    Kind.ACCRUAL: (accounting.Accrual, {"interest": "t.accrued", "late_interest": "t.late_accrued"}),
    Kind.PROVISION: (accounting.Provision, {"specific": "t.specific", "general": "t.general"}),
}


def _combined(kind: str, shares: dict[str, dict[str, int]], key) -> dict[str, str]:
    """What a table row's loan moves, in SQL, on each target `key` gives a role (its account's
    code, or the role itself for a control): each of the step's amounts times the shares
    (`accounting.shares`) of the roles on that target, added; a target nothing moves on left out."""
    columns = _EVENTS[kind][1]
    terms: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, column in columns.items():
        for role, share in shares[name].items():
            terms[key(role)][column] += share
    return {
        target: "(" + " + ".join(f"{share} * {column}" for column, share in each.items() if share) + ")"
        for target, each in terms.items()
        if any(each.values())
    }


def _nets(kind: str, gl: GLMap) -> dict[str, str]:
    """Each account a loan's entry of the step moves on this product (by code), and in SQL its
    net, debit positive: roles that share an account net on it, as `accounting.lines` nets one
    loan's legs."""
    return _combined(kind, accounting.shares(_EVENTS[kind][0]).accounts, gl.codes.__getitem__)


def _controls(kind: str) -> dict[str, str]:
    """What the step does to each control account of a loan, in SQL (its sub-ledger row's columns)."""
    return _combined(kind, accounting.shares(_EVENTS[kind][0]).controls, str)


def _posts(kind: str) -> str:
    """Whether a loan posts the step: something changes on its controls (`postings.DayPostings`)."""
    return " OR ".join(f"{change} <> 0" for change in _controls(kind).values())


def _lines(batched: Batched, products: list[int]) -> None:
    """The steps' lines from the table's sums by product: per account, each loan's net, debits
    and credits apart, as `postings._summed` adds the loans' lines; and each row's amount, its
    loan's debits. Products whose accounts net alike share a statement."""
    gls = {pk: gl_map(product) for pk, product in LoanProduct.objects.in_bulk(products).items()}
    alike: dict[tuple, list[int]] = defaultdict(list)
    for pk, gl in gls.items():
        alike[tuple(tuple(_nets(kind, gl).values()) for kind in _EVENTS)].append(pk)
    lines: dict[str, list[Line]] = {kind: [] for kind in _EVENTS}
    counts = dict.fromkeys(_EVENTS, 0)
    amounts: dict[str, list[str]] = {kind: [] for kind in _EVENTS}
    with connection.cursor() as cursor:
        for nets, pks in alike.items():
            listed = ", ".join(map(str, pks))
            sums = []  # per step, the loans that post it, then each account's debits and credits
            for kind, each in zip(_EVENTS, nets, strict=True):
                sums.append(f"SUM(CASE WHEN {_posts(kind)} THEN 1 ELSE 0 END)")
                sums += [f"SUM({_positive(net)}), SUM({_positive(f'-{net}')})" for net in each]
                debits = " + ".join(_positive(net) for net in each) or "0"
                amounts[kind].append(f"WHEN t.product_id IN ({listed}) THEN {debits}")
            cursor.execute(
                f"SELECT t.product_id, {', '.join(sums)} FROM {_TABLE} t "
                f"WHERE t.product_id IN ({listed}) GROUP BY t.product_id"
            )
            for pk, *figures in cursor.fetchall():
                for kind in _EVENTS:
                    counts[kind] += figures.pop(0)
                    for code in _nets(kind, gls[pk]):
                        debit, credit = Decimal(figures.pop(0)), Decimal(figures.pop(0))
                        lines[kind] += [Line(code, debit=debit), Line(code, credit=credit)]
    batched.counts = {kind: count for kind, count in counts.items() if count}
    batched.lines = {
        kind: [line for line in each if line.debit or line.credit] for kind, each in lines.items()
    }
    batched.amounts = {kind: f"CASE {' '.join(each)} END" for kind, each in amounts.items() if each}


def _insert(cursor, kind: str, amount: str, day: date, entry_id: int) -> None:
    """The step's sub-ledger rows of the table's loans that post it, in one INSERT … SELECT
    (`amount`: each row's, in SQL)."""
    computed = {
        "loan_id": "t.loan_id",
        "kind": "%(kind)s",
        "value_date": "%(day)s",
        "booking_date": "%(day)s",
        "amount": amount,
        **dict.fromkeys(("principal", "interest", "late_interest", "penalty"), "0"),
        "journal_entry_id": "%(entry)s",
        **_controls(kind),
    }
    columns, values, params = queries.insert_columns(LoanTransaction, computed, now=timezone.now())
    cursor.execute(
        f"INSERT INTO {LoanTransaction._meta.db_table} ({columns}) SELECT {values} FROM {_TABLE} t "
        f"WHERE {_posts(kind)}",
        params | {"kind": str(kind), "day": day, "entry": entry_id},
    )

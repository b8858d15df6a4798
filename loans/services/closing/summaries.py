"""The portfolio summary of a closed day (`loans.models.PortfolioSummary`): written by close of
day once every chunk of the day is done, in the transaction that closes it, set-based in one
SELECT over the stored balances rows valid that day (SQLite and PostgreSQL); read by
the portfolio report and the home page (`loans.selectors.summaries`) instead of summing the
whole portfolio on each request; with it, what falls due in the days after it (`PortfolioDue`)
and what was disbursed and collected on it (`PortfolioFlow`).

A day's rows hold as long as its balances rows do: an event that writes a sub-loan's rows again
from a day (a back-dated repayment, a reversal, a write-off, a restructuring) drops the summaries
from that day on (`stale_from`), and the pages compute those days from the rows. A day's flows
change only with an event dated on it (back-dated, or reversed since), which writes the rows
again from that day at the latest: they go with the rest.
"""

from datetime import date

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from fund.models import Borrower
from loans import queries
from loans.models import (
    Loan,
    LoanBalance,
    LoanContract,
    LoanStatus,
    PortfolioDue,
    PortfolioFlow,
    PortfolioSummary,
)
from loans.portfolio import falling_due, moved

_COLUMNS = (
    "product_id",
    "borrower_type",
    "sector",
    "province",
    "district",
    "term_months",
    "officer_id",
    "debt_group",
    "active",
    "owing",
    "oldest_unpaid_due_date",
    "loans",
    "principal_in_term",
    "principal_overdue",
)


def write_summary(day: date) -> int:
    """The summary of `day` from the balances rows valid on it and each loan's product, borrower,
    officer and debt group now (close of day has just set it), written again if it was there.
    Call in the transaction that closes the day, after its chunks. Returns how many rows."""
    PortfolioSummary.objects.filter(day=day).delete()
    on = connection.ops.adapt_datefield_value(day)
    # Each loan's principal and oldest installment unpaid past its due date over its sub-loans,
    # then the loans summed by what the pages group and filter by.
    sql = f"""
        SELECT l.product_id, b.type, b.sector, b.province, b.district, c.term_months,
            l.created_by_id, l.debt_group, l.status = %s, per.in_term + per.overdue > 0, per.oldest,
            COUNT(*), SUM(per.in_term), SUM(per.overdue)
        FROM (
            SELECT loan_id, SUM(principal_in_term) AS in_term, SUM(principal_overdue) AS overdue,
                MIN(CASE WHEN oldest_unpaid_due_date < %s THEN oldest_unpaid_due_date END) AS oldest
            FROM {LoanBalance._meta.db_table}
            WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
            GROUP BY loan_id
        ) per
        JOIN {Loan._meta.db_table} l ON l.id = per.loan_id
        JOIN {Borrower._meta.db_table} b ON b.id = l.borrower_id
        LEFT JOIN {LoanContract._meta.db_table} c ON c.loan_id = l.id
        WHERE l.status = %s OR per.in_term + per.overdue > 0
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    """
    active = str(LoanStatus.ACTIVE)
    written = _insert(
        PortfolioSummary, _COLUMNS, day, sql, [active, on, on, on, active], written_at=timezone.now()
    )
    _write_dues(day)
    _write_flows(day)
    return written


def _write_dues(day: date) -> None:
    """What falls due in the `PortfolioDue.DAYS` days after `day`, as the portfolio report sums
    it (`loans.portfolio.falling_due`), by due date, product, borrower type and officer."""
    PortfolioDue.objects.filter(day=day).delete()
    by = (
        "due_date",
        "version__loan__product_id",
        "version__loan__borrower__type",
        "version__loan__created_by_id",
    )
    dues = (
        falling_due(day, PortfolioDue.DAYS)
        .order_by()
        .values(*by)
        .annotate(Count("version__loan_id", distinct=True), Sum("principal"), Sum("interest"))
    )
    columns = ("due_date", "product_id", "borrower_type", "officer_id", "loans", "principal", "interest")
    _insert(PortfolioDue, columns, day, *dues.query.sql_with_params())


def _write_flows(day: date) -> None:
    """What was disbursed and collected on `day`, as the portfolio report sums it
    (`loans.portfolio.moved`), by product, borrower type and officer."""
    PortfolioFlow.objects.filter(day=day).delete()
    by = ("loan__product_id", "loan__borrower__type", "loan__created_by_id")
    columns = (
        "product_id",
        "borrower_type",
        "officer_id",
        "disbursed",
        "principal",
        "interest",
        "late_interest",
    )
    for part in moved(day, day, by):
        _insert(PortfolioFlow, columns, day, *part.query.sql_with_params())


def _insert(model, columns: tuple[str, ...], day: date, sql: str, params, **same) -> int:
    """The rows `sql` selects (their values in `columns`' order) written as `day`'s rows of
    `model` (with the fields `same` gives every row): selected, then copied in. Not one
    INSERT … SELECT: PostgreSQL runs no parallel workers for a statement that writes, and these
    read the whole portfolio (the day's dues took twice as long so). Returns how many rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [dict(zip(columns, values, strict=True), day=day, **same) for values in cursor.fetchall()]
    queries.insert_many(model, rows)
    return len(rows)


def stale_from(day: date) -> None:
    """The balances rows from `day` on are written again, or events dated from `day` on changed:
    the summaries of those days go."""
    for model in (PortfolioSummary, PortfolioDue, PortfolioFlow):
        model.objects.filter(day__gte=day).delete()

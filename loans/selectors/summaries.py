"""Reading the portfolio summaries close of day writes (`loans.models.PortfolioSummary`,
`loans.services.closing.summaries`): a closed day's portfolio in a few hundred rows, not a sum
over every loan's balances rows.

A summary is read only while it says what the rows and the loans say: an event that rewrote the
rows of its day dropped it, and a borrower edited since it was written (who may have moved
district or changed type) makes the pages compute that day again (`usable`): one query on the
borrowers' `updated_at` index.
"""

from datetime import date, datetime

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum

from fund.models import Borrower
from loans.models import CloseOfDay, PortfolioSummary

# The report filters' lookups on a balances row's loan (`loans.views.reports.ReportForm.loans`)
# that a summary row answers, and its own field for each.
_FILTERS = {
    "loan__product": "product",
    "loan__borrower__type": "borrower_type",
    "loan__created_by": "officer",
}


def usable(day: date) -> bool:
    """Whether `day` has a summary that the rows and the borrowers still agree with."""
    return _agrees(PortfolioSummary.objects.filter(day=day).values_list("written_at", flat=True).first())


def usable_from(start: date, end: date) -> bool:
    """Whether every day from `start` to `end` has a summary that the rows and the borrowers
    still agree with (one query: the days' count and their earliest writing)."""
    days = PortfolioSummary.objects.filter(day__range=(start, end)).aggregate(
        days=Count("day", distinct=True), written=Min("written_at")
    )
    return days["days"] == (end - start).days + 1 and _agrees(days["written"])


def last_summarised(before: date) -> date | None:
    """The last day closed before `before` (the business date), if its summary is usable."""
    written = PortfolioSummary.objects.filter(day=OuterRef("business_date")).values("written_at")[:1]
    last = (
        CloseOfDay.objects.filter(business_date__lt=before)
        .annotate(written=Subquery(written))
        .values_list("business_date", "written")
        .first()
    )
    return last[0] if last is not None and _agrees(last[1]) else None


def _agrees(written: datetime | None) -> bool:
    # All of a day's rows are written at once, at the same moment. A borrower registered since
    # has no loan in them.
    return written is not None and not edited_since(written).exists()


def edited_since(written: datetime) -> QuerySet:
    """The borrowers registered by `written` and edited after it (on their `updated_at` index)."""
    return Borrower.objects.filter(updated_at__gt=written, created_at__lte=written).order_by()


def summary_rows(
    day: date, loans: Q | None, model=PortfolioSummary, *, until: date | None = None
) -> QuerySet | None:
    """The summary rows (`model`: or `PortfolioDue`, `PortfolioFlow`) of `day` (to `until`) of
    `loans` (a filter on balances rows' loans, None: all), or None when the filter is one a
    summary cannot answer (an area)."""
    where = _on_summary(loans) if loans is not None else Q()
    return None if where is None else model.objects.filter(where, day__range=(day, until or day)).order_by()


def _on_summary(loans: Q) -> Q | None:
    if loans.negated or (loans.connector != Q.AND and len(loans.children) > 1):
        return None
    where = Q()
    for child in loans.children:
        if isinstance(child, Q):
            part = _on_summary(child)
            if part is None:
                return None
            where &= part
        elif child[0] in _FILTERS:
            where &= Q(**{_FILTERS[child[0]]: child[1]})
        else:
            return None
    return where


def principal_sum() -> Sum:
    """Principal in term and overdue, summed (over balances rows or summary rows alike)."""
    return Sum("principal_in_term") + Sum("principal_overdue")

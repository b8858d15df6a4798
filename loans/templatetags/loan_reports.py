"""`{% portfolio_overview as overview %}`: the portfolio by debt group at the last close of day
(from its summary; the business date when there is none) and at the month ends before it, for
the fund's managers on the home page
(`loans/reports/_overview.html`), which the fund app's home view cannot compute itself (the fund
app does not import loans)."""

from django import template

from fund.selectors import fund_or_none
from loans.arrears import GROUPS
from loans.dashboard import portfolio_overview as overview
from loans.selectors.summaries import last_summarised
from loans.views.reports import groups_chart

register = template.Library()


@register.simple_tag
def portfolio_overview() -> dict | None:
    """The overview's table and chart as of the last day closed (None before the fund is set up).
    Its debt groups and arrears are close of day's; the business date's repayments show once it
    is closed, as a fund's managers read their portfolio. Without a summary of that day (never
    closed, or changed since by a back-dated event), the business date from the current rows."""
    fund = fund_or_none()
    if fund is None:
        return None
    closed = last_summarised(fund.business_date)
    day = closed or fund.business_date
    points = overview(day, par_days=fund.par_days, summarised=closed is not None)
    return {
        "as_of": day,
        "closed": closed is not None,
        "latest": points[-1],
        "groups": list(GROUPS),
        "groups_chart": groups_chart(points),
    }

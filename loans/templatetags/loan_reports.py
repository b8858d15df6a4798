"""`{% portfolio_overview as overview %}`: the portfolio by debt group on the business date and
at the month ends before it, for the fund's managers on the home page
(`loans/reports/_overview.html`), which the fund app's home view cannot compute itself (the fund
app does not import loans)."""

from django import template

from fund.selectors import fund_or_none
from loans.arrears import GROUPS
from loans.dashboard import portfolio_overview as overview
from loans.views.reports import groups_chart

register = template.Library()


@register.simple_tag
def portfolio_overview() -> dict | None:
    """The overview's table and chart as of the business date (None before the fund is set up)."""
    fund = fund_or_none()
    if fund is None:
        return None
    points = overview(fund.business_date, par_days=fund.par_days)
    return {
        "as_of": fund.business_date,
        "latest": points[-1],
        "groups": list(GROUPS),
        "groups_chart": groups_chart(points),
    }

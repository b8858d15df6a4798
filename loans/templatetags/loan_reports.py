"""`{% portfolio_overview as overview %}`: the portfolio's month-end trend up to the business date,
for the fund's managers on the home page (`loans/reports/_overview.html`), which the fund app's
home view cannot compute itself (the fund app does not import loans)."""

from django import template

from fund.models import Fund
from loans.arrears import trend
from loans.views.reports import trend_context

register = template.Library()


@register.simple_tag
def portfolio_overview() -> dict | None:
    """The trend's table and charts as of the business date (None before the fund is set up)."""
    fund = Fund.objects.first()
    if fund is None:
        return None
    points = trend(fund.business_date)
    return {"as_of": fund.business_date, "latest": points[-1] if points else None, **trend_context(points)}

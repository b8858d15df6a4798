"""Accounting periods: the recent months, closing and reopening them."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import run_action
from common.xlsx import workbook_bytes, xlsx_response
from ledger import reports
from ledger.forms import ReopenForm
from ledger.models import Period, PeriodState
from ledger.services import close_period, reopen_period

MONTHS_SHOWN = 24


def _recent_months(today: dt.date) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    months = []
    for _step in range(MONTHS_SHOWN):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@login_required
@permission_required("ledger.view_period", raise_exception=True)
def periods(request):
    today = timezone.localdate()
    months = _recent_months(today)
    known = {
        (p.year, p.month): p
        for p in Period.objects.filter(year__gte=months[-1][0]).prefetch_related("events__actor")
    }
    rows = []
    for year, month in months:
        period = known.get((year, month))
        rows.append(
            {
                "year": year,
                "month": month,
                "closed": bool(period and period.state == PeriodState.CLOSED),
                "ended": dt.date(year, month, 1) <= today.replace(day=1) - dt.timedelta(days=1),
                "events": list(period.events.all()) if period else [],
            }
        )
    return render(request, "ledger/periods.html", {"rows": rows, "reopen_form": ReopenForm()})


@login_required
@permission_required(["ledger.view_period", "ledger.export_ledger"], raise_exception=True)
def periods_export(request):
    periods = Period.objects.prefetch_related("events__actor")
    return xlsx_response(workbook_bytes(reports.periods_sheet(periods)), "ky-ke-toan.xlsx")


@login_required
@permission_required("ledger.close_period", raise_exception=True)
@require_POST
def period_close(request, year, month):
    close = lambda: close_period(actor=request.user, year=year, month=month)  # noqa: E731
    return _change(request, Period(year=year, month=month), close, _("closed"))


@login_required
@permission_required("ledger.reopen_period", raise_exception=True)
@require_POST
def period_reopen(request, year, month):
    form = ReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    reopen = lambda: reopen_period(actor=request.user, year=year, month=month, reason=reason)  # noqa: E731
    return _change(request, Period(year=year, month=month), reopen, _("reopened"))


def _change(request, period: Period, call, done: str):
    if run_action(request, call):
        messages.success(request, _("%(period)s is %(done)s.") % {"period": period, "done": done})
    return redirect("ledger:periods")

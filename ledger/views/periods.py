"""Accounting periods: the recent months, closing and reopening them."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.views import run_action
from common.xlsx import workbook_bytes, xlsx_response
from ledger import reports
from ledger.forms import ReopenForm
from ledger.models import JournalEntry, Period, PeriodState
from ledger.selectors import books_open_on
from ledger.services import close_period, close_year, reopen_period, reopen_year
from ledger.services.periods import close_preview
from ledger.services.year_end import SOURCE_YEAR_END

MONTHS_SHOWN = 24


def _recent_months(today: dt.date, opened: dt.date | None) -> list[tuple[int, int]]:
    """The last MONTHS_SHOWN months to this one, newest first; none before the books opened."""
    year, month = today.year, today.month
    first = (opened.year, opened.month) if opened else (0, 0)
    months = []
    for _step in range(MONTHS_SHOWN):
        if (year, month) < first:
            break
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@login_required
@permission_required("ledger.view_period", raise_exception=True)
def periods(request):
    today = timezone.localdate()
    months = _recent_months(today, books_open_on())
    known = {
        (p.year, p.month): p
        for p in Period.objects.filter(year__gte=months[-1][0] if months else today.year).prefetch_related(
            "events__actor"
        )
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
    context = {"rows": rows, "years": _years(today, months), "reopen_form": ReopenForm()}
    return render(request, "ledger/periods.html", context)


def _years(today: dt.date, months: list[tuple[int, int]]) -> list[dict]:
    """The ended years of the months shown, each with its closing entries and their reversals."""
    years = sorted({year for year, _month in months if year < today.year}, reverse=True)
    entries = JournalEntry.objects.filter(source_kind=SOURCE_YEAR_END, source_ref__in=[str(y) for y in years])
    entries = list(entries.select_related("created_by", "reversed_by__created_by").order_by("pk"))
    rows = []
    for year in years:
        closings = [entry for entry in entries if entry.source_ref == str(year)]
        standing = [entry for entry in closings if not hasattr(entry, "reversed_by")]
        rows.append({"year": year, "closing": standing[-1] if standing else None, "entries": closings})
    return rows


@login_required
@permission_required(["ledger.view_period", "ledger.export_ledger"], raise_exception=True)
def periods_export(request):
    periods = Period.objects.prefetch_related("events__actor")
    return xlsx_response(workbook_bytes(reports.periods_sheet(periods)), "ky-ke-toan.xlsx")


@login_required
@permission_required("ledger.close_period", raise_exception=True)
@require_http_methods(["GET", "POST"])
def period_close(request, year, month):
    """A close is confirmed: the page says what it checks and finds, and a POST closes the month
    only when it confirms (the periods page's button asks for this page)."""
    if request.method == "GET" or "confirm" not in request.POST:
        try:
            preview = close_preview(year, month)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("ledger:periods")
        period = Period(year=year, month=month)
        return render(request, "ledger/period_close.html", {"period": period, "preview": preview})
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


@login_required
@permission_required("ledger.close_period", raise_exception=True)
@require_POST
def year_close(request, year):
    if run_action(request, lambda: close_year(actor=request.user, year=year)):
        messages.success(request, _("The year %(year)s is closed.") % {"year": year})
    return redirect("ledger:periods")


@login_required
@permission_required("ledger.reopen_period", raise_exception=True)
@require_POST
def year_reopen(request, year):
    form = ReopenForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if run_action(request, lambda: reopen_year(actor=request.user, year=year, reason=reason)):
        messages.success(request, _("The closing of %(year)s is reversed.") % {"year": year})
    return redirect("ledger:periods")

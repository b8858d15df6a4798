"""The trial balance (as of a date, and for a period in the accountants' layout) and an
account's ledger, on the page and as .xlsx."""

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse

from common.paging import keyset_asked
from common.views import bound_filters
from common.xlsx import streamed_response, workbook_bytes, xlsx_response
from ledger import reports, selectors
from ledger.forms import AsOfForm, LedgerDetailForm, PeriodTrialBalanceForm


def _trial_balance(request):
    form, chosen = bound_filters(request, AsOfForm)
    as_of = chosen.get("as_of") or selectors.reporting_date()
    return form, selectors.trial_balance(as_of=as_of, include_zero=chosen.get("include_zero", False))


@login_required
@permission_required("ledger.view_journalentry", raise_exception=True)
def trial_balance(request):
    form, balance = _trial_balance(request)
    return render(request, "ledger/trial_balance.html", {"form": form, "balance": balance})


@login_required
@permission_required(["ledger.view_journalentry", "ledger.export_ledger"], raise_exception=True)
def trial_balance_export(request):
    _form, balance = _trial_balance(request)
    filename = f"bang-can-doi-tai-khoan-{balance.as_of.isoformat()}.xlsx"
    return xlsx_response(workbook_bytes(*reports.trial_balance_sheets(balance)), filename)


def _period_trial_balance(request):
    form = PeriodTrialBalanceForm(request.GET)  # nothing given: this month to the reporting date
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    balance = selectors.period_trial_balance(
        start=data["date_from"], end=data["date_to"], include_zero=data.get("include_zero", False)
    )
    return form, balance


@login_required
@permission_required("ledger.view_journalentry", raise_exception=True)
def period_trial_balance(request):
    form, balance = _period_trial_balance(request)
    status = 400 if balance is None else 200
    return render(
        request, "ledger/period_trial_balance.html", {"form": form, "balance": balance}, status=status
    )


@login_required
@permission_required(["ledger.view_journalentry", "ledger.export_ledger"], raise_exception=True)
def period_trial_balance_export(request):
    form, balance = _period_trial_balance(request)
    if balance is None:
        return render(
            request, "ledger/period_trial_balance.html", {"form": form, "balance": None}, status=400
        )
    filename = f"bang-can-doi-so-phat-sinh-{balance.start:%Y%m%d}-{balance.end:%Y%m%d}.xlsx"
    return xlsx_response(workbook_bytes(*reports.period_trial_balance_sheets(balance)), filename)


def _ledger_detail(request):
    form = LedgerDetailForm(request.GET or None)
    if not form.is_valid():
        return form, None
    account, start, end = (form.cleaned_data[name] for name in ("account", "date_from", "date_to"))
    return form, selectors.ledger_page(code=account, date_from=start, date_to=end, **keyset_asked(request))


@login_required
@permission_required("ledger.view_journalentry", raise_exception=True)
def ledger_detail(request):
    form, detail = _ledger_detail(request)
    status = 400 if request.GET and detail is None else 200
    return render(request, "ledger/ledger_detail.html", {"form": form, "detail": detail}, status=status)


@login_required
@permission_required(["ledger.view_journalentry", "ledger.export_ledger"], raise_exception=True)
def ledger_detail_export(request):
    form = LedgerDetailForm(request.GET or None)
    if not form.is_valid():
        return render(request, "ledger/ledger_detail.html", {"form": form, "detail": None}, status=400)
    code, start, end = (form.cleaned_data[name] for name in ("account", "date_from", "date_to"))
    if selectors.ledger_line_count(code=code, date_from=start, date_to=end) > settings.EXPORT_BACKGROUND_ROWS:
        # Too long to write while the browser waits: the reports' export jobs write it in a task.
        return redirect(f"{reverse('loans:general_ledger_export')}?{request.GET.urlencode()}")
    ledger = selectors.ledger_stream(code=code, date_from=start, date_to=end)
    closing = selectors.account_balance(code=code, as_of=end)
    filename = f"so-cai-{code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    return streamed_response(filename, reports.ledger_sheet(ledger, closing))

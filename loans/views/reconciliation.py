"""The loans' sub-ledger against the GL as of a date (`manage.py reconcile` as pages): the
control accounts, the loans and entries that carry an account's difference, a loan's rows;
and the home page's "check again"."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.forms import DATE
from common.views import run_action
from common.xlsx import workbook_bytes, xlsx_response
from fund.models import Fund
from fund.views.common import fund_required
from ledger.models import Account
from loans import reconciliation_reports
from loans.models import Loan
from loans.selectors.reconciliation import account_drill_down, loan_transactions, reconciliation
from loans.services.closing import reconciling

PERMISSIONS = list(reconciling.PERMISSIONS)


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=DATE)


def _as_of(request, fund: Fund):
    """The date asked for (default: the business date), or the form with its errors."""
    form = AsOfForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    return form, (form.cleaned_data.get("as_of") if form.is_bound else None) or fund.business_date


def _reconciling(view):
    """A page of the reconciliation: for accountants, once the fund is set up, as of the date
    asked for (`view` gets the form and the date; a date it cannot read: the form again, 400)."""

    @login_required
    @permission_required(PERMISSIONS, raise_exception=True)
    @fund_required
    @wraps(view)
    def wrapped(request, *args, fund: Fund, **kwargs):
        form, as_of = _as_of(request, fund)
        if as_of is None:
            return render(request, "loans/reconciliation.html", {"form": form, "rows": None}, status=400)
        return view(request, *args, form=form, as_of=as_of, **kwargs)

    return wrapped


@_reconciling
def reconciliation_page(request, *, form, as_of):
    rows = reconciliation(as_of=as_of)
    context = {"form": form, "as_of": as_of, "rows": rows, "agrees": not any(row.difference for row in rows)}
    return render(request, "loans/reconciliation.html", context)


@login_required
@require_POST
@fund_required
def check_books(request, *, fund: Fund):
    """The home page's "check again": the books checked as of the business date in a worker."""
    if run_action(request, lambda: reconciling.queue_check(actor=request.user)):
        messages.success(request, _("The books are being checked; the result shows here when it is ready."))
    return redirect("home")


@_reconciling
def reconciliation_export(request, *, form, as_of):
    rows = reconciliation(as_of=as_of)
    found = [account_drill_down(code=row.code, as_of=as_of) for row in rows if row.difference]
    content = workbook_bytes(*reconciliation_reports.reconciliation_sheets(rows, found, as_of=as_of))
    return xlsx_response(content, f"doi-chieu-so-chi-tiet-so-cai-{as_of.isoformat()}.xlsx")


def _drill_down(code: str, as_of):
    try:
        return account_drill_down(code=code, as_of=as_of)
    except Account.DoesNotExist:
        raise Http404(_("No loan product posts to account %(code)s.") % {"code": code}) from None


@_reconciling
def reconciliation_account(request, code: str, *, form, as_of):
    return render(
        request, "loans/reconciliation_account.html", {"form": form, "found": _drill_down(code, as_of)}
    )


@_reconciling
def reconciliation_loan(request, code: str, pk: int, *, form, as_of):
    loan = get_object_or_404(Loan.objects.select_related("borrower", "contract"), pk=pk)
    found = _drill_down(code, as_of)
    rows = loan_transactions(loan=loan, code=code, as_of=as_of)
    context = {
        "form": form,
        "found": found,
        "loan": loan,
        "rows": rows,
        "total": sum((figure for _row, figure in rows), 0),
        "entries": [entry for entry in found.entries if loan.pk in entry.loans],
    }
    return render(request, "loans/reconciliation_loan.html", context)

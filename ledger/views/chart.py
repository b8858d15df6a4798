"""The chart of accounts: the list with balances, adding and editing accounts, .xlsx out and in."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.views import start_import_job, submit_form
from common.xlsx import xlsx_response
from ledger import reports, selectors
from ledger.forms import AccountCreateForm, AccountEditForm, ChartImportForm
from ledger.models import Account
from ledger.services import create_account, update_account


@login_required
@permission_required("ledger.view_account", raise_exception=True)
def chart(request):
    as_of = selectors.reporting_date()
    return render(
        request,
        "ledger/chart.html",
        {"title": _("Chart of accounts"), "rows": selectors.chart(as_of=as_of), "as_of": as_of},
    )


@login_required
@permission_required(["ledger.view_account", "ledger.export_ledger"], raise_exception=True)
def chart_export(request):
    content = reports.chart_workbook(selectors.chart(), as_of=selectors.reporting_date())
    return xlsx_response(content, "he-thong-tai-khoan.xlsx")


@login_required
@permission_required(["ledger.add_account", "ledger.change_account"], raise_exception=True)
def chart_import(request):
    form = ChartImportForm(request.POST or None, request.FILES or None)
    started = start_import_job(
        request,
        form,
        permission="ledger.change_account",
        kind="chart",
        title=_("Import the chart of accounts"),
        task="ledger.import_chart",
    )
    if started is not None:
        return started
    status = 400 if request.method == "POST" else 200
    return render(request, "ledger/chart_import.html", {"form": form}, status=status)


@login_required
@permission_required("ledger.add_account", raise_exception=True)
def account_create(request):
    form = AccountCreateForm(request.POST or None, initial={"parent": request.GET.get("parent", "")})
    return submit_form(
        request,
        form,
        # The form's `parent` is the parent account's code.
        lambda: create_account(
            actor=request.user,
            parent_code=form.cleaned_data["parent"],
            **{name: value for name, value in form.cleaned_data.items() if name != "parent"},
        ),
        lambda account: (_("Account %(account)s is added.") % {"account": account}, reverse("ledger:chart")),
    ) or _form_page(request, form, _("New account"))


@login_required
@permission_required("ledger.change_account", raise_exception=True)
def account_edit(request, code):
    account = get_object_or_404(Account, code=code)
    form = AccountEditForm.for_account(account, request.POST or None)
    return submit_form(
        request,
        form,
        lambda: update_account(actor=request.user, account=account, **form.cleaned_data),
        lambda saved: (_("Account %(account)s is saved.") % {"account": saved}, reverse("ledger:chart")),
    ) or _form_page(request, form, _("Account %(account)s") % {"account": account})


def _form_page(request, form, title):
    status = 400 if request.method == "POST" else 200
    return render(request, "ledger/account_form.html", {"form": form, "title": title}, status=status)

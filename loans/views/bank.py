"""Bank reconciliation pages, for accountants: the fund's bank accounts, each one's statement
layout, importing a statement, its lines (matched, suggested, unmatched) with what to do about
each, and the periods marked reconciled."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.dates import format_date
from common.forms import run_service
from common.money import format_vnd
from common.text import row_id
from common.views import bound_filters, run_action, submit_form
from fund.views.common import form_page, fund_required
from loans.forms import (
    LineRepaymentForm,
    PeriodForm,
    ReasonForm,
    StatementImportForm,
    StatementLinesForm,
    StatementMappingForm,
)
from loans.models import BankStatement, ReconciledPeriod, StatementLine, StatementMapping
from loans.models.bank import TARGETS
from loans.selectors.bank import (
    account_summaries,
    balance_check,
    cited_contract,
    get_bank_account,
    line_candidates,
    reconciled_periods,
    statement_lines,
)
from loans.services.bank.importing import import_statement
from loans.services.bank.mapping import save_mapping
from loans.services.bank.matching import (
    confirm_match,
    match_again,
    match_line,
    record_line_repayment,
    reject_match,
)
from loans.services.bank.reconciling import reconcile_period, reopen_period


def _banking(view):
    """A bank reconciliation page: for those who reconcile the bank, once the fund is set up."""

    @login_required
    @permission_required("loans.reconcile_bank", raise_exception=True)
    @fund_required
    @wraps(view)
    def wrapped(request, *args, fund, **kwargs):
        return view(request, *args, **kwargs)

    return wrapped


@_banking
def bank_accounts(request):
    return render(request, "loans/bank/accounts.html", {"summaries": account_summaries()})


@_banking
def bank_mapping(request, code: str):
    account = get_bank_account(code)
    mapping = StatementMapping.objects.filter(account=account).first()
    form = StatementMappingForm(request.POST or None, instance=mapping)
    return form_page(
        request,
        form=form,
        save=lambda: save_mapping(actor=request.user, account=account, fields=form.service_fields()),
        done=lambda _m: (_("Statement layout saved."), reverse("loans:bank_import", args=[code])),
        title=_("Statement layout of %(account)s") % {"account": account},
        intro=_(
            "Name each column as its header reads in the bank's file (for example “Ngày giao dịch”), "
            "not by its letter; leave empty the columns the bank does not give."
        ),
        back_url=reverse("loans:bank_lines", args=[code]),
        submit=_("Save"),
    )


@_banking
def bank_import(request, code: str):
    account = get_bank_account(code)
    mapping = StatementMapping.objects.filter(account=account).first()
    if mapping is None:
        messages.info(request, _("Say first how this account's statements are laid out."))
        return redirect("loans:bank_mapping", code=code)
    form = StatementImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = run_service(
            form,
            lambda: import_statement(actor=request.user, account=account, file=upload, file_name=upload.name),
        )
    context = {
        "account": account,
        "mapping": mapping,
        "form": form,
        "report": report,
        "recent": BankStatement.objects.filter(account=account).select_related("imported_by")[:10],
    }
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render(request, "loans/bank/import.html", context, status=status)


@_banking
def bank_lines(request, code: str):
    account = get_bank_account(code)
    filters, chosen = bound_filters(request, StatementLinesForm)
    period_form = PeriodForm(
        request.POST or None, initial={"first_date": chosen.get("first"), "last_date": chosen.get("last")}
    )
    if request.method == "POST" and period_form.is_valid():
        period = run_service(
            period_form,
            lambda: reconcile_period(actor=request.user, account=account, **period_form.cleaned_data),
        )
        if period is not None:
            messages.success(request, _("The period %(period)s is reconciled.") % {"period": period})
            return redirect("loans:bank_lines", code=code)
    lines = statement_lines(
        account=account,
        status=chosen.get("status", ""),
        first=chosen.get("first"),
        last=chosen.get("last"),
    )
    context = {
        "account": account,
        "filters": filters,
        "lines": lines[:500],
        "more": max(lines.count() - 500, 0),
        "period_form": period_form,
        "periods": reconciled_periods(account),
        "check": balance_check(account, chosen.get("last")),
    }
    return render(request, "loans/bank/lines.html", context, status=400 if period_form.errors else 200)


@_banking
@require_POST
def bank_match_again(request, code: str):
    account = get_bank_account(code)
    count = match_again(actor=request.user, account=account)
    messages.success(request, _("%(count)s more lines matched or suggested.") % {"count": count})
    return redirect("loans:bank_lines", code=code)


def _line_action(service, done: str):
    @_banking
    @require_POST
    def view(request, pk: int):
        line = get_object_or_404(StatementLine.objects.select_related("account"), pk=pk)
        if run_action(request, lambda: service(actor=request.user, line=line)):
            messages.success(request, done)
        return redirect(reverse("loans:bank_lines", args=[line.account.code]) + f"#line-{line.pk}")

    return view


line_confirm = _line_action(confirm_match, gettext_lazy("Match confirmed."))
line_reject = _line_action(reject_match, gettext_lazy("Match rejected: the line is unmatched."))


@_banking
def line_match(request, pk: int):
    """An unmatched line and the transactions it may be (its amount and direction, within the
    account's window of days, on no line yet): the accountant picks one."""
    line = get_object_or_404(
        StatementLine.objects.select_related("account"), pk=pk, status=StatementLine.Status.UNMATCHED
    )
    back = reverse("loans:bank_lines", args=[line.account.code]) + f"#line-{line.pk}"
    if request.method == "POST":
        kind, target = request.POST.get("kind", ""), row_id(request.POST.get("target"))
        if kind not in TARGETS or target is None:
            messages.error(request, _("Choose one of the transactions listed."))
            return redirect("loans:bank_line_match", pk=line.pk)
        if run_action(request, lambda: match_line(actor=request.user, line=line, kind=kind, pk=target)):
            messages.success(request, _("Line matched."))
            return redirect(back)
        return redirect("loans:bank_line_match", pk=line.pk)
    window = StatementMapping.objects.get(account_id=line.account_id).match_days
    context = {"line": line, "candidates": line_candidates(line, window), "window": window, "back": back}
    return render(request, "loans/bank/line_match.html", context)


@_banking
def line_repayment(request, pk: int):
    """An unmatched credit recorded as a repayment: the loan found in its description, the
    amount, date and bank account from the line; one click to record."""
    line = get_object_or_404(
        StatementLine.objects.select_related("account"),
        pk=pk,
        status=StatementLine.Status.UNMATCHED,
        direction=StatementLine.Direction.CREDIT,
    )
    contract = cited_contract(line)
    form = LineRepaymentForm(request.POST or None, initial={"contract": contract.number if contract else ""})

    def done(repayment):
        message = _("Repayment of %(amount)s dated %(date)s recorded and matched to the line.") % {
            "amount": format_vnd(repayment.amount),
            "date": format_date(repayment.value_date),
        }
        return message, reverse("loans:bank_lines", args=[line.account.code]) + f"#line-{line.pk}"

    def save():
        data = form.cleaned_data
        return record_line_repayment(
            actor=request.user,
            line=line,
            loan=data["loan"],
            share=data["share"],
            prepayment_mode=data["prepayment_mode"],
        )

    response = submit_form(request, form, save, done)
    if response is not None:
        return response
    context = {"form": form, "line": line, "loan": contract.loan if contract else None}
    return render(request, "loans/bank/line_repayment.html", context, status=400 if form.errors else 200)


@_banking
def period_reopen(request, pk: int):
    period = get_object_or_404(
        ReconciledPeriod.objects.select_related("account"), pk=pk, reopened_at__isnull=True
    )
    form = ReasonForm(request.POST or None)
    back = reverse("loans:bank_lines", args=[period.account.code])
    return form_page(
        request,
        form=form,
        save=lambda: reopen_period(actor=request.user, period=period, reason=form.cleaned_data["reason"]),
        done=lambda p: (_("The period %(period)s is reopened.") % {"period": p}, back),
        title=_("Reopen the reconciled period %(period)s") % {"period": period},
        back_url=back,
        submit=_("Reopen"),
    )

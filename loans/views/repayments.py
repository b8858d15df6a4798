"""Repayments: the officer enters one (with the payoff for its date), an accountant reverses one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from common.dates import format_date
from common.forms import run_service
from common.money import format_vnd
from fund.selectors import current_fund
from loans.forms import PayoffQuoteForm, ReasonForm, RepaymentForm
from loans.models import LoanStatus, Repayment
from loans.selectors.access import get_loan_for
from loans.selectors.position import loan_position
from loans.services.servicing.repayments import (
    default_account,
    record_repayment,
    repayment_reversal_entries,
    reverse_repayment,
)
from loans.views.previews import entry_then


@login_required
def repayment_new(request, pk: int):
    """The repayment form, with what the loan owes on a date (`?on=`, by default the business date)."""
    loan = get_loan_for(request.user, pk)
    if not request.user.has_perm("loans.add_repayment"):
        raise PermissionDenied
    quote_form = PayoffQuoteForm(request.GET if "on" in request.GET else None)
    day = quote_form.cleaned_data["on"] if quote_form.is_valid() else current_fund().business_date
    form = RepaymentForm(request.POST or None, loan=loan, on=day)
    if request.method == "POST" and form.is_valid():
        repayment = run_service(
            form, lambda: record_repayment(actor=request.user, loan=loan, entry=form.entry())
        )
        if repayment is not None and repayment.loan_id != loan.pk:
            form.add_error(None, _("This form was already used for another loan. Open a new one."))
        elif repayment is not None:
            return _recorded(request, repayment)
    if form.is_bound and form.cleaned_data.get("value_date"):
        day = form.cleaned_data["value_date"]
    context = {
        "form": form,
        "quote_form": quote_form,
        "loan": loan,
        "on": day,
        "position": loan_position(loan, as_of=day),
        "usual_accounts": [(label, default_account(value)) for value, label in Repayment.Channel.choices],
    }
    status = 400 if form.errors else 200
    return render(request, "loans/repayment_form.html", context, status=status)


def _recorded(request, repayment: Repayment):
    messages.success(
        request,
        _("Repayment of %(amount)s dated %(date)s recorded.")
        % {"amount": format_vnd(repayment.amount), "date": format_date(repayment.value_date)},
    )
    if repayment.loan.status == LoanStatus.CLOSED:
        messages.success(request, _("The loan is repaid in full and closed."))
    return redirect("loans:loan_detail", pk=repayment.loan_id)


@login_required
def repayment_reverse(request, pk: int):
    """The repayment and a reason; then the entry its reversal posts; then, confirmed, the reversal."""
    if not request.user.has_perm("loans.reverse_repayment"):
        raise PermissionDenied
    repayment = get_object_or_404(
        Repayment.objects.select_related("loan__borrower", "share__member", "account", "recorded_by"), pk=pk
    )
    form = ReasonForm(request.POST or None)
    context = {"form": form, "repayment": repayment, "loan": repayment.loan}
    asked = {"actor": request.user, "repayment": repayment}
    done = entry_then(request, form, context, repayment_reversal_entries, reverse_repayment, asked)
    if done is not None:
        messages.success(
            request,
            _("Repayment of %(amount)s dated %(date)s reversed.")
            % {"amount": format_vnd(done.amount), "date": format_date(done.value_date)},
        )
        return redirect("loans:loan_detail", pk=repayment.loan_id)
    return render(request, "loans/repayment_reverse.html", context, status=400 if form.errors else 200)

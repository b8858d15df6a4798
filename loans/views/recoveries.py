"""Recoveries: money received on a written-off loan, entered by an officer or an accountant, and
reversed by an accountant when entered in error; and the end of the loan's off-balance tracking."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from common.dates import format_date
from common.forms import run_service
from common.money import format_vnd
from loans.forms import ReasonForm
from loans.models import Recovery, WriteOff
from loans.risk_forms import RecoveryForm
from loans.selectors.access import get_loan_for
from loans.selectors.recoveries import off_balance
from loans.services.risk import (
    RecoveryInput,
    end_tracking,
    record_recovery,
    recovery_reversal_entry,
    reverse_recovery,
    tracking_end_entry,
)
from loans.views.previews import entry_then


@login_required
def recovery_new(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if not request.user.has_perm("loans.add_recovery"):
        raise PermissionDenied
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = RecoveryInput(
            value_date=data["value_date"],
            amount=data["amount"],
            channel=data["channel"],
            account=data["account"],
            reference=data["reference"],
        )
        recovery = run_service(form, lambda: record_recovery(actor=request.user, loan=loan, entry=entry))
        if recovery is not None:
            messages.success(
                request,
                _("Recovery of %(amount)s dated %(date)s recorded.")
                % {"amount": format_vnd(recovery.amount.amount), "date": format_date(recovery.value_date)},
            )
            return redirect("loans:loan_detail", pk=loan.pk)
    context = {"form": form, "loan": loan, "off_balance": off_balance(loan.pk)}
    return render(request, "loans/recovery_form.html", context, status=400 if form.errors else 200)


@login_required
def recovery_reverse(request, pk: int):
    """The recovery and a reason; then the entry its reversal posts; then, confirmed, the reversal."""
    if not request.user.has_perm("loans.reverse_recovery"):
        raise PermissionDenied
    recovery = get_object_or_404(Recovery.objects.select_related("account", "recorded_by"), pk=pk)
    loan = get_loan_for(request.user, recovery.loan_id)
    form = ReasonForm(request.POST or None)
    context = {"form": form, "recovery": recovery, "loan": loan}
    asked = {"actor": request.user, "recovery": recovery}
    if entry_then(request, form, context, recovery_reversal_entry, reverse_recovery, asked) is not None:
        messages.success(
            request,
            _("Recovery of %(amount)s dated %(date)s reversed.")
            % {"amount": format_vnd(recovery.amount.amount), "date": format_date(recovery.value_date)},
        )
        return redirect("loans:loan_detail", pk=loan.pk)
    return render(request, "loans/recovery_reverse.html", context, status=400 if form.errors else 200)


@login_required
def tracking_end(request, pk: int):
    """The write-off and a reason; then the entry ending its tracking posts; then, confirmed, the end."""
    if not request.user.has_perm("loans.end_off_balance"):
        raise PermissionDenied
    loan = get_loan_for(request.user, pk)
    write_off = get_object_or_404(WriteOff, loan_id=loan.pk)
    form = ReasonForm(request.POST or None)
    context = {"form": form, "write_off": write_off, "loan": loan, "off_balance": off_balance(loan.pk)}
    asked = {"actor": request.user, "write_off": write_off}
    if (ended := entry_then(request, form, context, tracking_end_entry, end_tracking, asked)) is not None:
        messages.success(
            request, _("Off-balance tracking ended on %(date)s.") % {"date": format_date(ended.ended_on)}
        )
        return redirect("loans:loan_detail", pk=loan.pk)
    return render(request, "loans/tracking_end.html", context, status=400 if form.errors else 200)

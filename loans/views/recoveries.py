"""Recoveries: money received on a written-off loan, entered by an officer or an accountant."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.dates import format_date
from common.forms import run_service
from common.money import format_vnd
from loans.risk_forms import RecoveryForm
from loans.selectors.access import get_loan_for
from loans.selectors.recoveries import off_balance
from loans.services.risk import RecoveryInput, record_recovery


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

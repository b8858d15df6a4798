"""The officer's page to record the signed contract of an approved loan."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.views import submit_form
from loans.forms import ContractForm
from loans.selectors.access import get_loan_for
from loans.services.origination.contracts import sign_contract


@login_required
def contract_sign(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if not request.user.has_perm("loans.add_loancontract"):
        raise PermissionDenied
    form = ContractForm(request.POST or None, loan=loan)
    status = 400 if request.method == "POST" else 200
    return submit_form(
        request,
        form,
        lambda: sign_contract(actor=request.user, loan=loan, terms=form.terms()),
        lambda contract: (
            _("Contract %(number)s recorded.") % {"number": contract.number},
            reverse("loans:loan_detail", args=[loan.pk]),
        ),
    ) or render(request, "loans/contract_form.html", {"form": form, "loan": loan}, status=status)

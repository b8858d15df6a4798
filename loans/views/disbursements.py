"""Tranches: the officer enters one, an accountant authorizes (posts) or cancels it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.forms import run_service
from common.money import format_vnd
from common.paging import numbered
from common.views import run_action
from ledger.selectors import named_lines
from loans.forms import DisbursementForm, ReasonForm
from loans.models import Disbursement
from loans.selectors.access import get_loan_for
from loans.selectors.servicing import left_to_disburse, pending_disbursements
from loans.services.servicing.disbursements import (
    authorize_disbursement,
    cancel_disbursement,
    entry_to_authorize,
    record_disbursement,
)


@login_required
def disbursement_new(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if not request.user.has_perm("loans.add_disbursement"):
        raise PermissionDenied
    left = left_to_disburse(loan)
    form = DisbursementForm(request.POST or None, loan=loan, left=left)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tranche = run_service(
            form,
            lambda: record_disbursement(
                actor=request.user,
                loan=loan,
                value_date=data["value_date"],
                amount=data["amount"],
                account=data["account"],
                memo=data["memo"],
                share_amounts=form.share_amounts(),
                idempotency_key=f"form:{data['key']}",
            ),
        )
        if tranche is not None and tranche.loan_id != loan.pk:
            form.add_error(None, _("This form was already used for another loan. Open a new one."))
        elif tranche is not None:
            messages.success(
                request,
                _("Tranche of %(amount)s entered; it waits for an accountant's authorization.")
                % {"amount": format_vnd(tranche.amount)},
            )
            return redirect("loans:loan_detail", pk=loan.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "loan": loan, "left": left}
    return render(request, "loans/disbursement_form.html", context, status=status)


def _may_see_tranches(user) -> bool:
    return user.has_perm("loans.authorize_disbursement") or user.has_perm("loans.add_disbursement")


@login_required
def tranches(request):
    """Tranches waiting for authorization: accountants authorize them; they or officers cancel."""
    if not _may_see_tranches(request.user):
        raise PermissionDenied
    context = {
        "page": numbered(request, pending_disbursements()),
        "can_authorize": request.user.has_perm("loans.authorize_disbursement"),
    }
    return render(request, "loans/tranches.html", context)


def _decided(request, tranche, call, done: str):
    """Run a decision on a tranche; a refusal (four eyes, no funds...) comes back as a message."""
    if run_action(request, call):
        messages.success(
            request, done % {"amount": format_vnd(tranche.amount), "loan": tranche.loan.reference}
        )
    return redirect("loans:tranches")


@login_required
@require_http_methods(["GET", "POST"])
@permission_required("loans.authorize_disbursement", raise_exception=True)
def tranche_authorize(request, pk: int):
    """Authorizing pays money out: the page first shows the entry it will post, and a POST posts
    it only when it confirms (the tranches list's button asks for this page)."""
    tranche = get_object_or_404(Disbursement.objects.select_related("loan__borrower", "account"), pk=pk)
    if tranche.status != Disbursement.Status.PENDING:
        messages.info(request, _("This tranche is no longer waiting for authorization."))
        return redirect("loans:tranches")
    if request.method == "GET" or "confirm" not in request.POST:
        entry = entry_to_authorize(tranche)
        context = {"tranche": tranche, "entry": entry, "lines": named_lines(entry.lines)}
        return render(request, "loans/tranche_confirm.html", context)
    return _decided(
        request,
        tranche,
        lambda: authorize_disbursement(actor=request.user, disbursement=tranche),
        _("Tranche of %(amount)s for %(loan)s authorized and posted."),
    )


@login_required
@require_POST
def tranche_cancel(request, pk: int):
    if not _may_see_tranches(request.user):
        raise PermissionDenied
    tranche = get_object_or_404(Disbursement, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _decided(
        request,
        tranche,
        lambda: cancel_disbursement(actor=request.user, disbursement=tranche, reason=reason),
        _("Tranche of %(amount)s for %(loan)s cancelled."),
    )

"""The approvers' pages: what waits for a decision, and the decision on one application."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal import services
from appraisal.forms import ApproveForm, ReasonForm
from appraisal.selectors import (
    AUTHORITY_FILTERS,
    appraisal_figures,
    decision_for,
    decision_loans,
    decisions_of,
)
from appraisal.views.common import errors_as_messages, loan_and_appraisal
from common.forms import run_service
from common.paging import numbered
from loans.models import LoanStatus


def _require_decider(user) -> None:
    if not user.has_perm("loans.decide_loan"):
        raise PermissionDenied


@login_required
def decisions(request):
    """What waits for a decision; `?authority=within` or `beyond` shows only those the user may
    take or those beyond its authority (any other value: all of them)."""
    _require_decider(request.user)
    user, shown = request.user, request.GET.get("authority", "")
    shown = shown if shown in AUTHORITY_FILTERS else ""
    # Two lists on one screen, each paged by a parameter of its own.
    waiting = numbered(request, decision_loans(user, shown=shown), param="waiting")
    approved = numbered(request, decision_loans(user, status=LoanStatus.APPROVED), param="approved")
    return render(
        request,
        "appraisal/decisions.html",
        {
            "waiting": decisions_of(user, waiting),
            "waiting_page": waiting,
            "authority": shown,
            "approved": decisions_of(user, approved),
            "approved_page": approved,
        },
    )


def _page(request, loan, appraisal, *, bound: dict | None = None):
    forms = {
        "approve": ApproveForm(loan=loan, appraisal=appraisal),
        "reject": ReasonForm(initial={"expected_status": loan.status}),
        "undo": ReasonForm(initial={"expected_status": loan.status}),
        **(bound or {}),
    }
    decision = decision_for(request.user, loan)
    shown = set()
    if decision.can_decide:
        shown = {LoanStatus.APPRAISED: {"approve", "reject"}, LoanStatus.APPROVED: {"undo"}}.get(
            loan.status, set()
        )
    errors_as_messages(request, [form for name, form in (bound or {}).items() if name not in shown])
    context = {
        "loan": loan,
        "appraisal": appraisal,
        "figures": appraisal_figures(appraisal),
        "decision": decision,
        "forms": forms,
    }
    return render(request, "appraisal/decide.html", context)


@login_required
def decide(request, pk: int):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    _require_decider(request.user)
    return _page(request, loan, appraisal)


def _act(request, pk: int, name: str, make_form, act, done: str):
    loan, appraisal = loan_and_appraisal(request.user, pk)
    _require_decider(request.user)
    form = make_form(loan, appraisal, request.POST)
    if form.is_valid() and run_service(form, lambda: act(form, loan)) is not None:
        messages.success(request, done % {"ref": loan.reference})
        return redirect("loans:loan_detail", pk=loan.pk)
    return _page(request, loan, appraisal, bound={name: form})


@login_required
@require_POST
def approve(request, pk: int):
    return _act(
        request,
        pk,
        "approve",
        lambda loan, appraisal, data: ApproveForm(data, loan=loan, appraisal=appraisal),
        lambda form, loan: services.approve_loan(
            actor=request.user,
            loan=loan,
            terms=form.terms(),
            expected_status=form.cleaned_data["expected_status"],
            note=form.cleaned_data["note"],
        ),
        _("%(ref)s approved."),
    )


def _with_reason(request, pk: int, name: str, service, done: str):
    """A decision that takes a reason (reject, undo an approval)."""
    return _act(
        request,
        pk,
        name,
        lambda loan, appraisal, data: ReasonForm(data),
        lambda form, loan: service(
            actor=request.user,
            loan=loan,
            reason=form.cleaned_data["reason"],
            expected_status=form.cleaned_data["expected_status"],
        ),
        done,
    )


@login_required
@require_POST
def reject(request, pk: int):
    return _with_reason(request, pk, "reject", services.reject_loan, _("%(ref)s rejected."))


@login_required
@require_POST
def undo_approval(request, pk: int):
    return _with_reason(
        request,
        pk,
        "undo",
        services.undo_approval,
        _("The approval of %(ref)s is undone; it is appraised again."),
    )

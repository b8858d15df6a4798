"""Loan actions: the list (waiting first), a request per kind from the loan page, the request
with its approve / reject / withdraw buttons, and the printable decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.files import document_response
from common.forms import run_service
from common.transitions import allowed
from common.views import run_action
from fund.forms import DocumentForm
from fund.selectors import current_fund
from ledger.selectors import named_lines
from loans.action_forms import DecisionForm, OptionalDocumentForm, RequestForm
from loans.models.actions import ActionKind, ActionStatus
from loans.selectors.access import get_loan_for
from loans.selectors.actions import action_documents_visible_to, action_for, action_list
from loans.services.actions import (
    add_action_document,
    approve_action,
    entries_on_approval,
    kind_of,
    reject_action,
    request_action,
    withdraw_action,
)


@login_required
@permission_required("loans.view_loanaction", raise_exception=True)
def actions(request):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    rows = action_list(
        request.user,
        status=status if status in ActionStatus.values else "",
        kind=kind if kind in ActionKind.values else "",
    )[:500]
    context = {
        "actions": rows,
        "statuses": ActionStatus.choices,
        "kinds": ActionKind.choices,
        "status": status,
        "kind": kind,
    }
    return render(request, "loans/actions/list.html", context)


def _spec(code: str):
    try:
        return kind_of(code)
    except ValidationError:
        raise Http404 from None


@login_required
def action_new(request, pk: int, kind: str):
    loan = get_loan_for(request.user, pk)
    spec = _spec(kind)
    if not request.user.has_perm(spec.request_permission):
        raise PermissionDenied
    if loan.is_group_loan and not spec.group_loans:  # said before the officer fills the form in
        messages.error(request, _("A household group's loan cannot be restructured here yet."))
        return redirect(loan.get_absolute_url())
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = import_string(spec.form)(data, loan=loan)
    reason = RequestForm(data)
    document = OptionalDocumentForm(data, files, prefix="doc")
    if request.method == "POST" and all([form.is_valid(), reason.is_valid(), document.is_valid()]):
        done = run_service(
            form,
            lambda: request_action(
                actor=request.user,
                loan=loan,
                kind=spec.kind,
                payload=form.cleaned_data,
                reason=reason.cleaned_data["reason"],
                document=document.upload(),
            ),
        )
        if done is not None:
            messages.success(
                request, _("%(action)s requested; an approver decides on it.") % {"action": spec.label}
            )
            return redirect(done.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    context = {"loan": loan, "spec": spec, "form": form, "reason_form": reason, "document_form": document}
    return render(request, "loans/actions/request.html", context, status=status)


def _decision_form(spec, loan, data=None):
    """The approver's choices (the kind's `approver_fields`), or None when it has none."""
    if not spec.approver_fields:
        return None
    return import_string(spec.form)(data, loan=loan, prefix="choice").only(spec.approver_fields)


@login_required
def action_detail(request, pk: int):
    user = request.user
    action = action_for(user, pk)
    context = _context(action)
    spec = context["spec"]
    context |= {
        "documents": action.documents.select_related("document_type", "uploaded_by"),
        "can_decide": allowed(action, "approve", user) and user.pk != action.requested_by_id,
        "can_withdraw": allowed(action, "withdraw", user),
        "can_add_document": action.status == ActionStatus.REQUESTED
        and user.has_perm(spec.request_permission),
        "decision_form": DecisionForm(),
        "choice_form": _decision_form(spec, action.loan),
        "document_form": DocumentForm(),
    }
    return render(request, "loans/actions/detail.html", context)


def _context(action) -> dict:
    """What the request's page and its printed decision both show: the action, its loan and kind,
    and the kind's description of its terms."""
    spec = _spec(action.kind)
    try:
        facts = spec.describe(spec.decode(action.terms))
    except ValidationError:
        facts = []
    return {"action": action, "loan": action.loan, "spec": spec, "facts": facts}


@login_required
@require_POST
def action_decide(request, pk: int, decision: str):
    action = action_for(request.user, pk)
    spec = _spec(action.kind)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(action.get_absolute_url())
    note = form.cleaned_data["note"]
    if decision == "approve":
        choice = _decision_form(spec, action.loan, request.POST)
        if choice is not None and not choice.is_valid():
            for errors in choice.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(action.get_absolute_url())
        asked = {"actor": request.user, "action": action, "note": note}
        asked["decision"] = choice.cleaned_data if choice is not None else None
        if "confirm" not in request.POST:
            return _confirm_approval(request, action, asked, [form, choice])
        if run_action(request, lambda: approve_action(**asked)):
            messages.success(request, _("Approved and applied on the business date."))
    elif decision == "reject":
        if run_action(request, lambda: reject_action(actor=request.user, action=action, note=note)):
            messages.success(request, _("Request rejected."))
    elif decision == "withdraw":
        if run_action(request, lambda: withdraw_action(actor=request.user, action=action, note=note)):
            messages.success(request, _("Request withdrawn."))
    else:
        raise Http404
    return redirect(action.get_absolute_url())


def _confirm_approval(request, action, asked: dict, forms: list):
    """Approving applies the action and posts what it does: a page first shows the entries it
    will post (refusals come back to the request's page), with the approver's choices and note
    carried to its confirm button."""
    entries = []
    if not run_action(request, lambda: entries.extend(entries_on_approval(**asked))):
        return redirect(action.get_absolute_url())
    forms = [form for form in forms if form is not None]
    context = _context(action) | {
        "entries": [(entry, named_lines(entry.lines)) for entry in entries],
        "forms": forms,
        "chosen": _chosen(forms),
    }
    return render(request, "loans/actions/approve_confirm.html", context)


def _chosen(forms: list) -> list:
    """What the approver chose and wrote, shown beside the entries it leads to (the request's
    facts are what was asked for), a choice by its label."""
    shown = []
    for form in forms:
        for field in form:
            value = form.cleaned_data.get(field.name)
            if value in (None, ""):
                continue
            shown.append((field.label, dict(getattr(field.field, "choices", ())).get(value, value)))
    return shown


@login_required
@require_POST
def action_document_add(request, pk: int):
    action = action_for(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    elif run_action(
        request, lambda: add_action_document(actor=request.user, action=action, **form.cleaned_data)
    ):
        messages.success(request, _("Document added to the request."))
    return redirect(action.get_absolute_url())


# No login redirect: anyone who may not have the file, signed in or not, gets the same 404.
def action_document_download(request, pk: int):
    return document_response(action_documents_visible_to(request.user), pk=pk)


@login_required
def action_decision(request, pk: int):
    """The decision as the fund prints and signs it."""
    action = action_for(request.user, pk)
    context = _context(action) | {
        "fund": current_fund(),
        "signatures": [(_("Requested by"), action.requested_by), (_("Decided by"), action.decided_by)],
    }
    return render(request, "loans/actions/decision.html", context)

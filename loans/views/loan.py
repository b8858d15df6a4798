"""The loan page: one loan from application to closure, as its viewer may see it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django_fsm import can_proceed, has_transition_perm

from fund.selectors import is_coop_user
from loans.forms import ActionForm, DocumentForm
from loans.selectors import dossier_checklist, get_loan_for

# Notes a co-op may read on its own loan's history; the rest are the fund's internal remarks.
NOTES_A_COOP_SEES = {"submit", "withdraw", "reject"}


def _allowed(loan, name: str, user) -> bool:
    method = getattr(loan, name)
    return can_proceed(method) and has_transition_perm(method, user)


@login_required
def loan_detail(request, pk: int):
    user = request.user
    loan = get_loan_for(user, pk)
    coop = is_coop_user(user)
    events = [
        (event, not coop or event.transition in NOTES_A_COOP_SEES)
        for event in loan.events.select_related("actor")
    ]
    action_form = ActionForm(initial={"expected_status": loan.status})
    context = {
        "loan": loan,
        "is_coop": coop,
        "shares": loan.member_shares.select_related("member"),
        "dossier": dossier_checklist(loan),
        "events": events,
        "action_form": action_form,
        "can_edit": loan.status == "draft" and user.has_perm("loans.change_loan"),
        "can_submit": _allowed(loan, "submit", user),
        "can_withdraw": _allowed(loan, "withdraw", user),
        "can_add_document": user.has_perm("loans.add_loandocument")
        and loan.status in ("draft", "submitted", "appraising"),
        "document_form": DocumentForm(),
    }
    return render(request, "loans/loan_detail.html", context)

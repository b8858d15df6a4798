"""The co-op's own pages, made for a phone: its loans (stored balances, what is due and overdue,
the schedule, the statement, a payoff quote), its applications with their dossier, and the
officers' requests for documents. Every page reads through the staff pages' selectors, so a
co-op finds only its own borrower's (404 for anyone else's), and writes through their services
(the dossier's upload, submit and withdraw are the staff pages' own actions: `loans.portal.urls`).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import run_action
from fund.selectors import fund_or_none, is_coop_user
from loans.dashboard import coop_work
from loans.document_request_forms import AnswerForm
from loans.forms import ApplicationForm
from loans.selectors.access import get_loan_for, loans_visible_to
from loans.selectors.document_requests import open_requests, request_for
from loans.selectors.reminders import notices_visible_to
from loans.services.origination.document_requests import answer_request
from loans.views.applications import create_from_form, form_refused
from loans.views.loan import WITH_MONEY, application_context, money_context


def coop_only(view):
    """A page of a user acting for a co-op (linked to its borrower); the fund's staff have theirs."""

    @login_required
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not is_coop_user(request.user) or not request.user.borrower_id:
            raise PermissionDenied(_("These pages are for a co-op's own users."))
        return view(request, *args, **kwargs)

    return checked


@coop_only
def home(request):
    user = request.user
    visible = loans_visible_to(user)
    fund = fund_or_none()  # none yet: nothing lent, no figures (the home page does the same)
    context = {
        "borrower": user.borrower,
        "work": coop_work(user, fund.business_date) if fund else None,
        "applications": visible.exclude(status__in=WITH_MONEY).order_by("-pk")[:50],
        "loans": visible.filter(status__in=WITH_MONEY).order_by("-pk")[:50],
        "open_requests": list(open_requests(user)),
    }
    return render(request, "portal/home.html", context)


@coop_only
def loan(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if loan.status not in WITH_MONEY:
        return redirect("portal:application", pk=loan.pk)
    context = {
        "loan": loan,
        "is_coop": True,
        "shares": loan.member_shares.select_related("member"),
        "notices": notices_visible_to(request.user).filter(loan=loan)[:50],
        **money_context(request, loan, coop=True),
    }
    return render(request, "portal/loan.html", context)


@coop_only
def application(request, pk: int):
    user = request.user
    loan = get_loan_for(user, pk)
    context = {"loan": loan, "answer_form": AnswerForm(), **application_context(user, loan)}
    return render(request, "portal/application.html", context)


@coop_only
def apply(request):
    borrower = request.user.borrower
    form = ApplicationForm(request.POST or None, borrower=borrower)
    saved = _("Application %(ref)s saved. Add the dossier's documents, then submit it.")
    created = create_from_form(request, form, saved, "portal:application")
    return created or render(request, "portal/apply.html", {"form": form, "borrower": borrower})


@coop_only
@require_POST
def answer(request, pk: int):
    asked = request_for(request.user, pk)
    form = AnswerForm(request.POST, request.FILES)
    if not form_refused(request, form) and run_action(
        request,
        lambda: answer_request(
            actor=request.user, request=asked, uploads=[form.upload()], note=form.cleaned_data["answer"]
        ),
    ):
        messages.success(request, _("Thank you: the document is sent to the fund."))
    return redirect("portal:application", pk=asked.loan_id)

"""Pages for applications: the queue, the application form, documents, submit and withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.files import document_response
from common.paging import keyset
from common.text import row_id
from common.views import run_action, submit_form
from fund.models import Borrower, Fund
from fund.selectors import borrower_for, is_coop_user
from loans.forms import ActionForm, ApplicationForm, BorrowerChoiceForm, DocumentForm, LoanListFilter
from loans.models import Loan, LoanStatus
from loans.selectors.access import documents_visible_to, get_loan_for, loans_visible_to, status_counts
from loans.services.origination import applications as services

# The list's tabs, in the order a loan moves from application to closure.
QUEUE_TABS = [
    LoanStatus.DRAFT,
    LoanStatus.SUBMITTED,
    LoanStatus.APPRAISING,
    LoanStatus.APPRAISED,
    LoanStatus.APPROVED,
    LoanStatus.ACTIVE,
    LoanStatus.CLOSED,
    LoanStatus.REJECTED,
    LoanStatus.WITHDRAWN,
]


@login_required
@permission_required("loans.view_loan", raise_exception=True)
def application_list(request):
    filters = LoanListFilter(request.GET)
    fund = Fund.objects.first()
    coop = is_coop_user(request.user)
    loans = filters.filtered(
        loans_visible_to(request.user, coop=coop), business_date=fund and fund.business_date
    )
    counts = status_counts(loans)
    status, query = filters.cleaned_data.get("status", ""), filters.cleaned_data.get("q", "").strip()
    shown = loans.filter(status=status) if status else loans.filter(status__in=QUEUE_TABS)
    # Keyset pages, newest first: the last of 100 000 loans costs what the first does. Without a
    # search, the tabs' counts (one grouped count) already say how many are shown.
    count = None if query else sum(counts[value] for value in ([status] if status else QUEUE_TABS))
    if query:
        # Each side through its own trigram index on PostgreSQL (migrations fund 0018, loans 0021),
        # their loans united: an OR of the two conditions reads every loan to count them.
        named = Borrower.objects.filter(name__icontains=query).values("pk")
        by_name = Loan.objects.filter(borrower_id__in=named).order_by().values("pk")
        by_purpose = Loan.objects.filter(purpose__icontains=query).order_by().values("pk")
        shown = shown.filter(pk__in=by_name.union(by_purpose))
    tabs = [(value, LoanStatus(value).label, counts[value]) for value in QUEUE_TABS]
    return render(
        request,
        "loans/application_list.html",
        {
            "page": keyset(request, shown, ("-pk",), count=count),
            "tabs": tabs,
            "status": status,
            "q": query,
            "filters": filters,
            "is_coop": coop,
        },
    )


def _borrower_for_new_application(request):
    """The co-op user's own borrower, or the one the officer picked (?borrower=)."""
    user = request.user
    if is_coop_user(user):
        if not user.borrower_id:
            raise PermissionDenied(_("Your account is not linked to a co-operative yet."))
        return user.borrower
    asked = request.GET.get("borrower") or request.POST.get("borrower")
    if not asked:
        return None
    try:
        return borrower_for(user=user, pk=row_id(asked))
    except Borrower.DoesNotExist:
        raise Http404 from None


@login_required
@permission_required("loans.add_loan", raise_exception=True)
def application_new(request):
    borrower = _borrower_for_new_application(request)
    if borrower is None:
        form = BorrowerChoiceForm(request.GET or None, actor=request.user)
        return render(request, "loans/borrower_pick.html", {"form": form})
    form = ApplicationForm(request.POST or None, borrower=borrower)
    return create_from_form(
        request, form, _("Application %(ref)s saved as a draft."), "loans:loan_detail"
    ) or render(request, "loans/application_form.html", {"form": form, "borrower": borrower, "loan": None})


def create_from_form(request, form, saved: str, then: str):
    """An application form's POST (also the co-op portal's): a draft with the form's terms, then
    the `saved` message (with its %(ref)s) and the page `then` names; None while refused."""
    return submit_form(
        request,
        form,
        lambda: services.create_application(actor=request.user, terms=form.terms()),
        lambda loan: (saved % {"ref": loan.reference}, reverse(then, args=[loan.pk])),
    )


@login_required
def application_edit(request, pk: int):
    loan = get_loan_for(request.user, pk)
    if not request.user.has_perm("loans.change_loan"):
        raise PermissionDenied
    form = ApplicationForm(request.POST or None, borrower=loan.borrower, loan=loan)
    return submit_form(
        request,
        form,
        lambda: services.update_application(actor=request.user, loan=loan, terms=form.terms()),
        lambda saved: (_("Application saved."), reverse("loans:loan_detail", args=[loan.pk])),
    ) or render(
        request, "loans/application_form.html", {"form": form, "borrower": loan.borrower, "loan": loan}
    )


# `back`: the page each action returns to, the loan's (the co-op portal's URLs pass their own).
@login_required
@require_POST
def document_add(request, pk: int, back: str = "loans:loan_detail"):
    loan = get_loan_for(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form_refused(request, form) and run_action(
        request, lambda: services.add_document(actor=request.user, loan=loan, **form.cleaned_data)
    ):
        messages.success(request, _("Document added to the dossier."))
    return redirect(back, pk=loan.pk)


def form_refused(request, form) -> bool:
    """Whether a posted form is invalid; its errors become messages, field by field."""
    if form.is_valid():
        return False
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return True


# No login redirect: anyone who may not have the file, signed in or not, gets the same 404.
def document_download(request, pk: int):
    return document_response(documents_visible_to(request.user), pk=pk)


def run_transition(request, loan, transition, *, note_as: str = "note") -> bool:
    """A transition button: the service `transition` with the status the user saw and the note
    (passed as `note_as`), run as an action (True when done). A tampered button is a 404."""
    form = ActionForm(request.POST)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    return run_action(
        request,
        lambda: transition(
            actor=request.user, loan=loan, expected_status=data["expected_status"], **{note_as: data["note"]}
        ),
    )


@login_required
@require_POST
def submit(request, pk: int, back: str = "loans:loan_detail"):
    loan = get_loan_for(request.user, pk)
    if run_transition(request, loan, services.submit_application):
        messages.success(request, _("Application submitted for appraisal."))
    return redirect(back, pk=loan.pk)


@login_required
@require_POST
def withdraw(request, pk: int, back: str = "loans:loan_detail"):
    loan = get_loan_for(request.user, pk)
    if run_transition(request, loan, services.withdraw_application, note_as="reason"):
        messages.success(request, _("Application withdrawn."))
    return redirect(back, pk=loan.pk)

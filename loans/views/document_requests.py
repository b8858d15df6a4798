"""An officer's requests for documents on an application (the co-op answers in its portal)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import run_action
from loans.document_request_forms import DocumentRequestForm
from loans.selectors.access import get_loan_for
from loans.selectors.document_requests import requests_of
from loans.services.origination import document_requests as services
from loans.views.applications import form_refused


def document_requests_context(user, loan) -> dict:
    """The loan page's requests, and the form to ask when this user may ask now."""
    return {
        "document_requests": list(requests_of(loan)),
        "can_request_documents": loan.status in services.ASKABLE
        and user.has_perm("loans.add_documentrequest"),
        "document_request_form": DocumentRequestForm(),
    }


@login_required
@require_POST
def request_documents(request, pk: int):
    loan = get_loan_for(request.user, pk)
    form = DocumentRequestForm(request.POST)
    if form_refused(request, form):
        return redirect("loans:loan_detail", pk=loan.pk)
    message = form.cleaned_data["message"]
    user = request.user
    if run_action(request, lambda: services.request_documents(actor=user, loan=loan, message=message)):
        messages.success(request, _("The co-op is asked for the documents."))
    return redirect("loans:loan_detail", pk=loan.pk)

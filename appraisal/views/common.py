"""How every appraisal page finds its loan: as its viewer may see it, or not at all."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404

from appraisal.models import Appraisal
from loans.models import Loan
from loans.selectors.access import get_loan_for


def loan_and_appraisal(user, pk: int) -> tuple[Loan, Appraisal]:
    """The loan and its appraisal. Another co-op's loan is not found (404); a user who may see
    the loan but not appraisals (a co-op on its own loan) is refused (403)."""
    loan = get_loan_for(user, pk)
    if not user.has_perm("appraisal.view_appraisal"):
        raise PermissionDenied
    appraisal = Appraisal.objects.select_related("appraiser").filter(loan=loan).first()
    if appraisal is None:
        raise Http404
    appraisal.loan = loan
    return loan, appraisal


def errors_as_messages(request, forms) -> None:
    """The errors of forms a page will not show (their user may not act there, or no longer),
    as messages at the top of the page: a refusal is always seen."""
    for form in forms:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)

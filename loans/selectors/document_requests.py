"""Requests for documents: a loan's, and those a user may answer."""

from django.db.models import QuerySet
from django.http import Http404

from loans.models import DocumentRequest
from loans.selectors.access import loans_visible_to


def requests_of(loan) -> QuerySet[DocumentRequest]:
    return loan.document_requests.select_related("asked_by", "answered_by").prefetch_related("documents")


def request_for(user, pk: int) -> DocumentRequest:
    """The request if its loan is one the user may see; 404 otherwise."""
    try:
        return DocumentRequest.objects.select_related("loan").get(pk=pk, loan__in=loans_visible_to(user))
    except DocumentRequest.DoesNotExist:
        raise Http404 from None


def open_requests(user) -> QuerySet[DocumentRequest]:
    """The unanswered requests on the loans this user may see, oldest first."""
    return (
        DocumentRequest.objects.filter(answered_at__isnull=True, loan__in=loans_visible_to(user))
        .select_related("loan")
        .order_by("asked_at", "pk")
    )

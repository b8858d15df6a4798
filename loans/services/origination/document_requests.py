"""An officer asks a co-op for more documents on an application; the co-op answers by filing them.

Both are lines of the loan's history as well. The documents are filed as any dossier document
(`applications.add_document`: the same permission, bounds and validators).
"""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.text import cleaned_text
from fund.services.documents import DocumentUpload
from loans.models import DocumentRequest, Loan, LoanEvent, LoanStatus
from loans.queries import lock_loan_row
from loans.services.origination.applications import add_document

# While the dossier is still open to new documents and someone is looking at it.
ASKABLE = (LoanStatus.SUBMITTED, LoanStatus.APPRAISING)
REQUEST, ANSWER = "request_documents", "answer_documents"


def _history(loan: Loan, name: str, *, actor, note: str) -> None:
    LoanEvent.objects.create(
        loan=loan, transition=name, source=loan.status, target=loan.status, actor=actor, note=note
    )


@transaction.atomic
def request_documents(*, actor, loan: Loan, message: str) -> DocumentRequest:
    """Ask the co-op for what its dossier lacks, in words it can act on."""
    if not actor.has_perm("loans.add_documentrequest"):
        raise PermissionDenied(_("You are not allowed to ask for documents."))
    message = cleaned_text(message, "message", required=_("Say which documents are needed and why."))
    loan = lock_loan_row(loan.pk)
    if loan.status not in ASKABLE:
        raise ValidationError(
            _(
                "Documents are asked for while an application is submitted or being appraised; "
                "this one is %(status)s."
            )
            % {"status": loan.get_status_display().lower()}
        )
    request = DocumentRequest.objects.create(loan=loan, message=message, asked_by=actor)
    _history(loan, REQUEST, actor=actor, note=message)
    return request


@transaction.atomic
def answer_request(
    *, actor, request: DocumentRequest, uploads: Sequence[DocumentUpload], note: str = ""
) -> DocumentRequest:
    """File the documents asked for (at least one) with a note, and close the request. Who may
    is who may add to the dossier (`add_document`): the co-op itself, or an officer for it."""
    note = cleaned_text(note, "answer")
    if not uploads:
        raise ValidationError({"file": _("Add the document that was asked for.")})
    loan = lock_loan_row(request.loan_id)
    request = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise ValidationError(_("This request has already been answered."))
    documents = [add_document(actor=actor, loan=loan, **upload) for upload in uploads]
    request.documents.add(*documents)
    request.answer, request.answered_by, request.answered_at = note, actor, timezone.now()
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    names = ", ".join(str(document) for document in documents)
    _history(loan, ANSWER, actor=actor, note=f"{note}\n{names}".strip())
    return request

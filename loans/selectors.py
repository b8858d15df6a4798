"""Reads of loans that pages, reports and services share."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from fund.selectors import is_coop_user
from loans.models.loan import COMMITTED, Loan, LoanStatus


def loans_visible_to(user) -> QuerySet[Loan]:
    """Fund staff who may view loans see them all; a co-op user only its own borrower's."""
    loans = Loan.objects.select_related("borrower", "product")
    if not user.is_authenticated or not user.is_active or not user.has_perm("loans.view_loan"):
        return loans.none()
    if is_coop_user(user):
        return loans.filter(borrower_id=user.borrower_id) if user.borrower_id else loans.none()
    return loans


def get_loan_for(user, pk: int, *, for_update: bool = False) -> Loan:
    """The loan if this user may see it; 404 otherwise (never reveal another co-op's loan)."""
    loans = loans_visible_to(user)
    if for_update:
        loans = loans.select_for_update(of=("self",))
    try:
        return loans.get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404 from None


def status_counts(loans: QuerySet[Loan]) -> dict[str, int]:
    counts = dict(loans.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in LoanStatus.values}


def borrower_exposure(borrower_id: int, *, exclude_loan_id: int | None = None) -> Decimal:
    """What the borrower owes or has been promised: approved and active loans at their approved amount.

    Open applications do not count: they are not commitments yet.
    """
    loans = Loan.objects.filter(borrower_id=borrower_id, status__in=COMMITTED)
    if exclude_loan_id is not None:
        loans = loans.exclude(pk=exclude_loan_id)
    total = loans.aggregate(total=Coalesce(Sum(Coalesce("approved_amount", "amount")), Decimal(0)))["total"]
    return Decimal(total)


@dataclass(frozen=True)
class DossierLine:
    """One required document of the product, with the files that answer it (dossier or borrower's)."""

    document_type: object
    documents: list

    @property
    def received(self) -> bool:
        return bool(self.documents)


def dossier_checklist(loan: Loan) -> list[DossierLine]:
    """The product's required documents, each with the files found; then any other dossier files."""
    files: dict[int, list] = {}
    for document in loan.documents.select_related("document_type"):
        files.setdefault(document.document_type_id, []).append(document)
    for document in loan.borrower.documents.select_related("document_type"):
        files.setdefault(document.document_type_id, []).append(document)
    required = list(loan.product.required_documents.all())
    lines = [DossierLine(doc_type, files.pop(doc_type.pk, [])) for doc_type in required]
    extra = [d for d in loan.documents.select_related("document_type") if d.document_type_id in files]
    return lines + [DossierLine(d.document_type, [d]) for d in extra]


def missing_documents(loan: Loan) -> list:
    """The document types the product requires that neither the dossier nor the borrower's file has."""
    return [line.document_type for line in dossier_checklist(loan) if not line.received]

"""Reads an application needs: the borrower's exposure against the fund's limit, the dossier checklist."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from common.money import format_vnd
from fund.selectors import current_fund
from loans.models.loan import COMMITTED, Loan


def borrower_exposure(borrower_id: int, *, exclude_loan_id: int | None = None) -> Decimal:
    """What the borrower owes or has been promised: approved and active loans at their approved amount.

    Open applications do not count: they are not commitments yet.
    """
    loans = Loan.objects.filter(borrower_id=borrower_id, status__in=COMMITTED)
    if exclude_loan_id is not None:
        loans = loans.exclude(pk=exclude_loan_id)
    total = loans.aggregate(total=Coalesce(Sum(Coalesce("approved_amount", "amount")), Decimal(0)))["total"]
    return Decimal(total)


def exposure_problem(loan: Loan, amount: Decimal) -> str | None:
    """Why lending `amount` on this loan would take its borrower above the fund's limit per borrower."""
    already = borrower_exposure(loan.borrower_id, exclude_loan_id=loan.pk)
    limit = current_fund().exposure_limit
    if already + amount <= limit:
        return None
    return _(
        "With this loan %(borrower)s would owe or be promised %(total)s, above the fund's limit of "
        "%(limit)s per borrower (%(already)s already approved or lent)."
    ) % {
        "borrower": loan.borrower,
        "total": format_vnd(already + amount),
        "limit": format_vnd(limit),
        "already": format_vnd(already),
    }


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
    dossier = list(loan.documents.select_related("document_type"))
    for document in dossier:
        files.setdefault(document.document_type_id, []).append(document)
    for document in loan.borrower.documents.select_related("document_type"):
        files.setdefault(document.document_type_id, []).append(document)
    required = list(loan.product.required_documents.all())
    lines = [DossierLine(doc_type, files.pop(doc_type.pk, [])) for doc_type in required]
    extra = [d for d in dossier if d.document_type_id in files]
    return lines + [DossierLine(d.document_type, [d]) for d in extra]


def missing_documents(loan: Loan) -> list:
    """The document types the product requires that neither the dossier nor the borrower's file has."""
    return [line.document_type for line in dossier_checklist(loan) if not line.received]

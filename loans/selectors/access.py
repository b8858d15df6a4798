"""Which loans a user may see: every loan for fund staff, only its own borrower's for a co-op user."""

from django.db.models import Count, QuerySet
from django.http import Http404

from fund.selectors import is_coop_user
from loans.models.loan import Loan, LoanStatus


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

"""Which loans a user may see: every loan for fund staff, only its own borrower's for a co-op user."""

from django.db.models import Count, QuerySet
from django.http import Http404

from fund.models import User
from fund.roles import COOP_USER
from fund.selectors import is_coop_user
from loans.models import LoanDocument
from loans.models.loan import Loan, LoanStatus


def loans_visible_to(user, *, coop: bool | None = None) -> QuerySet[Loan]:
    """Fund staff who may view loans see them all; a co-op user only its own borrower's.
    `coop`: whether the user is a co-op's (`is_coop_user`), when the caller knows already."""
    loans = Loan.objects.select_related("borrower", "product")
    if not user.is_authenticated or not user.is_active or not user.has_perm("loans.view_loan"):
        return loans.none()
    if is_coop_user(user) if coop is None else coop:
        return loans.filter(borrower_id=user.borrower_id) if user.borrower_id else loans.none()
    return loans


def loan_officers() -> QuerySet[User]:
    """Who can be a loan's officer (the user who took its application): the active staff allowed
    to take one, through their role or a permission of their own. A co-op user may file its own
    application, and an administrator may do anything, but neither follows loans up."""
    taking = User.objects.with_perm(
        "loans.add_loan", include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
    )
    staff = taking.filter(borrower__isnull=True).exclude(groups__name=COOP_USER)
    return staff.order_by("last_name", "username")


def documents_visible_to(user) -> QuerySet[LoanDocument]:
    """Dossier documents of the loans the user may see, when the user may see dossiers at all."""
    if not user.has_perm("loans.view_loandocument"):
        return LoanDocument.objects.none()
    return LoanDocument.objects.filter(loan__in=loans_visible_to(user))


def get_loan_for(user, pk: int, *, coop: bool | None = None, related: tuple[str, ...] = ()) -> Loan:
    """The loan if this user may see it; 404 otherwise (never reveal another co-op's loan).
    Services lock it themselves (`loans.queries`). `coop`: as `loans_visible_to` takes it;
    `related`: relations read with it (`select_related`)."""
    try:
        return loans_visible_to(user, coop=coop).select_related(*related).get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404 from None


def status_counts(loans: QuerySet[Loan]) -> dict[str, int]:
    counts = dict(loans.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in LoanStatus.values}

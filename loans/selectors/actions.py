"""Loan actions as pages list them: requests waiting first, then the rest, newest first."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from loans.models import Loan
from loans.models.actions import ActionStatus, LoanAction, LoanActionDocument
from loans.selectors.access import loans_visible_to


def actions_visible_to(user) -> QuerySet[LoanAction]:
    """The actions on loans the user may see, when the user may see actions at all."""
    if not user.has_perm("loans.view_loanaction"):
        return LoanAction.objects.none()
    return LoanAction.objects.filter(loan__in=loans_visible_to(user)).select_related(
        "loan__borrower", "requested_by", "decided_by"
    )


def action_list(user, *, status: str = "", kind: str = "") -> QuerySet[LoanAction]:
    actions = actions_visible_to(user)
    if status:
        actions = actions.filter(status=status)
    if kind:
        actions = actions.filter(kind=kind)
    waiting = Case(
        When(status=ActionStatus.REQUESTED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return actions.order_by(waiting, "-pk")


def action_for(user, pk: int) -> LoanAction:
    """The action if the user may see it; 404 otherwise."""
    try:
        return actions_visible_to(user).select_related("loan__product", "loan__contract").get(pk=pk)
    except LoanAction.DoesNotExist:
        raise Http404 from None


def loan_actions(loan: Loan) -> QuerySet[LoanAction]:
    return LoanAction.objects.filter(loan=loan).select_related("requested_by", "decided_by").order_by("-pk")


def action_documents_visible_to(user) -> QuerySet[LoanActionDocument]:
    return LoanActionDocument.objects.filter(action__in=actions_visible_to(user))

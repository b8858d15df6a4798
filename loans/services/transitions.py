"""Applying a loan's FSM transition: the one place a loan's status changes.

Every use case that moves a loan calls `apply_transition` inside its own transaction. It
refuses a loan that someone else changed since the user looked at it; then, as every state
machine does (`common.transitions`), a transition the status does not allow and a user
without the permission; and it records the event (who, when, from, to, why).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition

from common.transitions import check
from loans.models import Loan, LoanEvent

SUBJECT = _("An application")
# How each action reads in a message: "An application that is draft cannot be <approved>".
ACTION_LABELS = {
    "submit": pgettext_lazy("loan action", "submitted"),
    "start_appraisal": pgettext_lazy("loan action", "taken into appraisal"),
    "complete_appraisal": pgettext_lazy("loan action", "marked appraised"),
    "approve": pgettext_lazy("loan action", "approved"),
    "reject": pgettext_lazy("loan action", "rejected"),
    "withdraw": pgettext_lazy("loan action", "withdrawn"),
    "undo_approval": pgettext_lazy("loan action", "returned to appraised"),
    "activate": pgettext_lazy("loan action", "activated"),
    "close": pgettext_lazy("loan action", "closed"),
    "reopen": pgettext_lazy("loan action", "reopened"),
    "deactivate": pgettext_lazy("loan action", "returned to approved"),
    "write_off": pgettext_lazy("loan action", "written off"),
    "void": pgettext_lazy("loan action", "voided"),
}

CHANGED_BY_SOMEONE_ELSE = _(
    "This loan was changed by someone else while you were looking at it (it is now %(status)s). "
    "Reload the page to see the change, then try again if it still applies."
)


def conflict(loan: Loan) -> ValidationError:
    fresh = Loan.objects.filter(pk=loan.pk).values_list("status", flat=True).first()
    label = Loan(status=fresh).get_status_display() if fresh else "?"
    return ValidationError(CHANGED_BY_SOMEONE_ELSE % {"status": label}, code="conflict")


def check_transition(loan: Loan, name: str, *, actor, expected_status: str | None = None) -> None:
    """Raise what `apply_transition` would refuse, before anything else is checked: a loan
    changed by someone else, a transition its status does not allow, a user without the
    permission."""
    if expected_status is not None and loan.status != expected_status:
        raise conflict(loan)
    check(loan, name, actor=actor, subject=SUBJECT, action=ACTION_LABELS.get(name, name))


def apply_transition(
    loan: Loan, name: str, *, actor, note: str = "", expected_status: str | None = None, **changes
) -> Loan:
    """Run transition `name` on `loan`, set `changes` on the row, save, and record the event.

    `expected_status` is the status the user saw when it chose the action (pages send it back);
    a different status now means someone else got there first. Call inside `transaction.atomic()`.
    """
    check_transition(loan, name, actor=actor, expected_status=expected_status)
    source = loan.status
    getattr(loan, name)()
    for field, value in changes.items():
        setattr(loan, field, value)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable after a conflict
            loan.save()
    except ConcurrentTransition:
        raise conflict(loan) from None
    LoanEvent.objects.create(
        loan=loan, transition=name, source=source, target=loan.status, actor=actor, note=note
    )
    return loan


def apply_transition_by_id(loan_id: int, name: str, *, actor, note: str = "") -> Loan:
    """`apply_transition` on the loan's row, for a money service that holds the loan as
    `loans.queries` read and locked it (a `ServicedLoan`, not the model)."""
    return apply_transition(Loan.objects.get(pk=loan_id), name, actor=actor, note=note)

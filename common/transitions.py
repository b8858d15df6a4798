"""Running a state machine's transition from a service: one check, one way of refusing.

Every FSM of the project (loan, product, borrower, month, tranche, repayment) moves through
`run(instance, name, actor=..., subject=..., action=...)`. It refuses a transition the row's
state does not allow with a ValidationError (code "invalid_transition") shaped "<An
application> that is <draft> cannot be <approved>.", and an actor whose role lacks the
transition's permission with PermissionDenied; then it runs the transition. Saving the row, and
anything more (an event row, an optimistic lock), is the caller's, in its transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

NOT_ALLOWED = _("Your role does not allow this. Ask the fund's administrator if you need it.")


def refusal(
    instance, name: str, *, actor, subject: str, action: str, refused: str | None = None
) -> ValidationError | PermissionDenied | None:
    """Why `actor` cannot run transition `name` on `instance` now (None when it can).

    `subject` names the row with its article ("A product"), `action` the transition as a past
    participle ("retired"); `refused` replaces the message where the row says it better
    ("06/2025 is already closed.").
    """
    method = getattr(instance, name)
    if not can_proceed(method):
        if refused is None:
            field = method._django_fsm.field.name
            refused = _("%(subject)s that is %(status)s cannot be %(action)s.") % {
                "subject": subject,
                "status": getattr(instance, f"get_{field}_display")().lower(),
                "action": action,
            }
        return ValidationError(refused, code="invalid_transition")
    if not has_transition_perm(method, actor):
        return PermissionDenied(NOT_ALLOWED)
    return None


def check(instance, name: str, *, actor, subject: str, action: str, refused: str | None = None) -> None:
    """Raise what `refusal` says, if anything."""
    problem = refusal(instance, name, actor=actor, subject=subject, action=action, refused=refused)
    if problem is not None:
        raise problem


def run(instance, name: str, *, actor, subject: str, action: str, refused: str | None = None) -> None:
    """Run transition `name` on `instance`, or raise what `refusal` says. The caller saves."""
    check(instance, name, actor=actor, subject=subject, action=action, refused=refused)
    getattr(instance, name)()


def allowed(instance, name: str, user) -> bool:
    """Whether a page should offer the transition to the user."""
    method = getattr(instance, name)
    return can_proceed(method) and has_transition_perm(method, user)

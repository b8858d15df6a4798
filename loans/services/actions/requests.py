"""Request, approve (and apply), reject and withdraw a loan action; file its documents.

Each is one transaction. Approving locks the loan as a money event does (`queries.lock_loan`)
before the action's row, so it queues behind a repayment on the same loan; it applies the
action on the business date before it commits, so an action is never approved and not applied.
"""

from collections.abc import Mapping
from typing import Any, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition

from common.money import round_vnd
from common.text import cleaned_text
from common.transitions import run
from fund.selectors import business_date, check_authority
from fund.services.common import require_permission
from fund.services.documents import DocumentUpload, file_document
from ledger.services import BusyNow, EntryDraft, what_it_would_post
from loans import queries
from loans.models import Loan, LoanEvent
from loans.models.actions import ActionStatus, LoanAction, LoanActionDocument
from loans.services.actions.registry import ActionKind, Applying, kind_of

SUBJECT = gettext_lazy("A request")
ACTIONS = {
    "approve": gettext_lazy("approved"),
    "apply": gettext_lazy("applied"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
}


def request_action(
    *,
    actor,
    loan: Loan,
    kind: str,
    payload: Any,
    reason: str,
    document: DocumentUpload | None = None,
) -> LoanAction:
    """Ask for an action on the loan. `payload`: the kind's dataclass, or its fields as a mapping."""
    spec = kind_of(kind)
    require_permission(actor, spec.request_permission)
    if isinstance(payload, Mapping):
        payload = spec.decode(payload)
    reason = cleaned_text(reason, "reason", required=_("Say why this is asked for."))
    with transaction.atomic():
        row = queries.lock_loan_row(loan.pk)
        _check_loan(spec, row)
        _check_not_excluded(spec, row, payload, actor)
        today = business_date()
        spec.validate(row, payload, business_date=today)
        action = LoanAction(
            loan=row,
            kind=spec.kind,
            payload=spec.encode(payload),
            amount=round_vnd(spec.authority_amount(row, payload)),
            reason=reason,
            requested_by=actor,
            requested_on=today,
        )
        try:
            with transaction.atomic():
                action.save()
        except IntegrityError:
            raise ValidationError(_("This loan already has a request of this kind waiting.")) from None
        if document is not None:
            file_document(LoanActionDocument, actor=actor, action=action, **document)
    return action


def approve_action(
    *, actor, action: LoanAction, note: str = "", decision: Mapping | None = None
) -> LoanAction:
    """Approve the request and apply it on the business date. `decision`: the approver's choice
    of the kind's `approver_fields` (others are refused)."""
    spec = kind_of(action.kind)
    note = cleaned_text(note, "note")
    with transaction.atomic():
        loan = queries.lock_loan(action.loan_id)
        row = _locked(action)
        run(row, "approve", actor=actor, subject=SUBJECT, action=ACTIONS["approve"])
        model_loan = Loan.objects.select_related("product", "borrower").get(pk=row.loan_id)
        _check_loan(spec, model_loan)
        row.decision = _decision(spec, row.payload, decision or {})
        payload = spec.decode(row.terms)
        if actor.pk == row.requested_by_id:
            raise PermissionDenied(_("You asked for this, so someone else must approve it."))
        _check_not_excluded(spec, model_loan, payload, actor)
        today = business_date()
        spec.validate(model_loan, payload, business_date=today)
        row.amount = round_vnd(spec.authority_amount(model_loan, payload))
        check_authority(actor, row.amount)
        _decided(row, actor, note, today)
        _save(row)
        # Applied before the kind does its work: a replay of the loan then takes it as an event.
        run(row, "apply", actor=actor, subject=SUBJECT, action=ACTIONS["apply"])
        row.applied_on = today
        _save(row)
        outcome = spec.apply(
            Applying(action=row, loan=loan, payload=payload, actor=actor, business_date=today)
        )
        row.outcome = outcome or ""
        LoanAction.objects.filter(pk=row.pk).update(outcome=row.outcome)
        status = Loan.objects.values_list("status", flat=True).get(pk=row.loan_id)
        if status == model_loan.status:  # else the kind's transition wrote the history line
            LoanEvent.objects.create(
                loan_id=row.loan_id,
                transition=row.kind,
                source=status,
                target=status,
                actor=actor,
                note=f"{spec.label}: {row.outcome}" if row.outcome else spec.label,
            )
    return row


def entries_on_approval(
    *, actor, action: LoanAction, note: str = "", decision: Mapping | None = None
) -> list[EntryDraft]:
    """What approving the request would post, by the same checks and figures, keeping nothing:
    what the approver sees before confirming. Refused as `approve_action` would be, and while
    another transaction holds the loan (or the day, or the year's counter) past a moment."""
    try:
        return what_it_would_post(
            lambda: approve_action(actor=actor, action=action, note=note, decision=decision)
        )
    except BusyNow:
        raise ValidationError(
            _(
                "Other postings on this loan or the books are under way right now (another person,"
                " an import or close of day): approve again in a moment to see what it posts."
            )
        ) from None


def reject_action(*, actor, action: LoanAction, note: str) -> LoanAction:
    """Refuse the request; the note says why (required)."""
    return _close(action, "reject", actor=actor, note=cleaned_text(note, "note", required=_("Say why.")))


def withdraw_action(*, actor, action: LoanAction, note: str = "") -> LoanAction:
    """Take the request back (whoever asked for it, or anyone who may ask for its kind)."""
    return _close(action, "withdraw", actor=actor, note=cleaned_text(note, "note"))


def _close(action: LoanAction, transition: str, *, actor, note: str) -> LoanAction:
    """End the request without applying it (rejected or withdrawn), noting who and why."""
    with transaction.atomic():
        row = _locked(action)
        run(row, transition, actor=actor, subject=SUBJECT, action=ACTIONS[transition])
        _decided(row, actor, note, business_date())
        _save(row)
    return row


def add_action_document(*, actor, action: LoanAction, **upload: Unpack[DocumentUpload]) -> LoanActionDocument:
    """File one more document with a request while it waits."""
    require_permission(actor, kind_of(action.kind).request_permission)
    with transaction.atomic():
        row = _locked(action)
        if row.status != ActionStatus.REQUESTED:
            raise ValidationError(_("Documents can be added only while the request waits for approval."))
        return file_document(LoanActionDocument, actor=actor, action=row, **upload)


# --- checks -------------------------------------------------------------------------------


def _check_loan(spec: ActionKind, loan: Loan) -> None:
    if loan.status not in spec.loan_statuses:
        raise ValidationError(
            _("%(action)s is not possible on a loan that is %(status)s.")
            % {"action": spec.label, "status": loan.get_status_display().lower()},
            code="loan_status",
        )


def _check_not_excluded(spec: ActionKind, loan: Loan, payload, actor) -> None:
    why = spec.excluded(loan, payload).get(actor.pk)
    if why:
        raise PermissionDenied(why)


def _decision(spec: ActionKind, payload: dict, decision: Mapping) -> dict:
    """The approver's choices as the payload stores them: only the kind's `approver_fields`,
    each read as the payload reads it (refused by name when it cannot be)."""
    unknown = sorted(set(decision) - set(spec.approver_fields))
    if unknown:
        raise ValidationError({name: _("The approver cannot change this.") for name in unknown})
    encoded = spec.encode(spec.decode({**payload, **decision}))
    return {name: encoded[name] for name in decision}


def _locked(action: LoanAction) -> LoanAction:
    row = LoanAction.objects.select_for_update(of=("self",)).get(pk=action.pk)
    if action.status != row.status:
        raise ValidationError(
            _("This request was decided by someone else meanwhile (it is now %(status)s). Reload the page.")
            % {"status": row.get_status_display().lower()},
            code="conflict",
        )
    return row


def _decided(row: LoanAction, actor, note: str, today) -> None:
    row.decided_by, row.decided_on, row.decided_at, row.decision_note = actor, today, timezone.now(), note


def _save(row: LoanAction) -> None:
    try:
        with transaction.atomic():
            row.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("This request was decided by someone else meanwhile. Reload the page.")
        ) from None

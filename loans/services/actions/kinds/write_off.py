"""Write-off (xử lý rủi ro): asked for by an officer, approved at the management board's level
(the authority level without an upper limit), applied by `loans.services.risk`."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from common.dates import format_date
from common.money import ONE_DONG, ZERO, format_vnd
from fund.models import AuthorityLevel
from loans import queries
from loans.models.actions import ActionKind as Kind
from loans.services.actions.registry import ActionKind, Applying
from loans.services.risk import apply_write_off, write_off_problem


@dataclass(frozen=True)
class WriteOffPayload:
    """Nothing to choose: the whole debt is written off on the day the board's approval applies."""


def validate(loan, payload: WriteOffPayload, *, business_date) -> None:
    if problem := write_off_problem(loan):
        raise ValidationError(problem)
    booked = queries.booked([loan.pk]).get(loan.pk)
    if booked is None or booked.outstanding <= 0:
        raise ValidationError(_("The loan owes no principal on the books: there is nothing to write off."))


def board_amount(loan, payload) -> Decimal:
    """One đồng above what any level with a limit covers: only the level without one, the
    management board, approves a write-off. (Not MAX_AMOUNT: SQLite cannot read it back exactly.)"""
    top = AuthorityLevel.objects.filter(max_amount__isnull=False).aggregate(top=Max("max_amount"))["top"]
    return (top or ZERO) + ONE_DONG


def apply(applying: Applying) -> str:
    record = apply_write_off(actor=applying.actor, loan=applying.action.loan)
    return _(
        "%(principal)s principal (%(specific)s from the specific provision, %(general)s from the "
        "general provision, %(expense)s to expense) and %(interest)s interest written off, tracked "
        "off-balance until %(until)s."
    ) % {
        "principal": format_vnd(record.principal.amount),
        "specific": format_vnd(record.from_specific.amount),
        "general": format_vnd(record.from_general.amount),
        "expense": format_vnd(record.to_expense.amount),
        "interest": format_vnd(record.interest.amount),
        "until": format_date(record.tracked_until),
    }


KIND = ActionKind(
    kind=Kind.WRITE_OFF,
    payload=WriteOffPayload,
    form="loans.risk_forms.WriteOffForm",
    validate=validate,
    authority_amount=board_amount,
    apply=apply,
)

"""What every appraisal use case does first: lock the loan, check it may go on, check who acts."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from appraisal.models import Appraisal
from common.names import person_name
from fund.services.common import require_permission
from loans.models import Loan, LoanStatus
from loans.queries import lock_loan_row


def locked(loan: Loan) -> Loan:
    """The loan row, locked until the transaction ends: two users acting on it queue."""
    return lock_loan_row(loan.pk)


def seen_status(loan: Loan, expected_status: str | None) -> str:
    """The status the user acted on: the one it sent back, else that of the loan it passed in.

    Compared with the locked row, a difference means someone else moved the loan meanwhile.
    """
    return expected_status if expected_status is not None else loan.status


def appraisal_to_edit(*, actor, loan: Loan) -> Appraisal:
    """The appraisal, for its own appraiser to change while the application is being appraised.

    Call inside `transaction.atomic()`: the loan stays locked until the change is saved.
    """
    require_permission(actor, "loans.appraise_loan")
    row = locked(loan)
    if row.status != LoanStatus.APPRAISING:
        raise ValidationError(
            _("The appraisal can be changed only while the application is being appraised; it is %(status)s.")
            % {"status": row.get_status_display().lower()},
            code="not_appraising",
        )
    appraisal = Appraisal.objects.select_related("appraiser").get(loan=row)
    if appraisal.appraiser_id != actor.pk:
        raise PermissionDenied(
            _("%(name)s is appraising this application; only they can change the appraisal.")
            % {"name": person_name(appraisal.appraiser)}
        )
    appraisal.loan = row
    return appraisal


def check_four_eyes(*, actor, appraisal: Appraisal) -> None:
    if appraisal.appraiser_id == actor.pk:
        raise PermissionDenied(_("You appraised this application, so someone else must decide on it."))

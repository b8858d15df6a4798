"""Undoing a committed portfolio import, while nothing else has touched its loans.

As Apache Fineract's "undo disbursal", which is refused once a loan has a transaction of its
own ("undo the transactions first"): an import is undone only while its loans hold nothing but
what it wrote. Anything else naming one of them — a repayment, a tranche, a restructuring or
write-off request, a notice, a sub-ledger row other than its opening one — refuses it, and so
does a close of day since the commit: it ages, accrues and provisions every active loan in
entries shared with the rest of the portfolio (Fineract reverses a loan's accruals with the
disbursal; here they cannot be taken apart from the other loans'), so the import's loans are
then part of the books' history.

Undoing posts nothing new but the reversal of the opening entry (the ledger is append-only),
mirrors each loan's opening sub-ledger row with a reversal row pointing at it, drops the loans'
stored balances (as a reversed only tranche does: they never owed anything) and the write-offs
of the loans it brought in written off, voids the loans
(an FSM transition, recorded) and frees their contract numbers, so the same file can be
brought in again. The borrowers and households it registered stay: the voided loans name
them, and importing the file again finds them registered.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.text import LONG_TEXT_MAX
from fund.services.common import require_permission
from ledger.services import EntryDraft, reversal_of, reverse_entry
from loans import queries
from loans.models import (
    CloseOfDay,
    Collateral,
    Loan,
    LoanBalance,
    LoanContract,
    LoanEvent,
    LoanMemberShare,
    LoanOpening,
    LoanTransaction,
    PortfolioImport,
    ScheduleVersion,
    WriteOff,
)
from loans.services.closing.summaries import stale_from
from loans.services.onboarding.importing import COMMIT_PERMISSION
from loans.services.servicing.settling import reversal_values
from loans.services.transitions import apply_transition

NAMED = 5  # the loans a refusal names; the rest are counted
# What the import itself wrote for each loan (`importing.write`), by the model naming the loan:
# all of their rows (None), or those the filter keeps; any other row naming a loan is an event.
OWN = {
    LoanContract: None,
    LoanOpening: None,
    ScheduleVersion: None,
    LoanBalance: None,
    LoanMemberShare: None,
    LoanEvent: Q(transition="bring_in"),
    LoanTransaction: Q(kind=LoanTransaction.Kind.OPENING),
    WriteOff: None,  # a loan brought in written off; one written off here has a sub-ledger row too
    # Its collateral moves no money: the voided loan keeps it, as it keeps its contract.
    Collateral: None,
}


def undo_problem(batch: PortfolioImport, loan_ids: list[int]) -> str | None:
    """Why the import cannot be undone now, or None."""
    if batch.state != PortfolioImport.State.COMMITTED:
        return _("This import is %(state)s: only a committed one is undone.") % {
            "state": batch.get_state_display().lower()
        }
    closed = CloseOfDay.objects.filter(closed_at__gt=batch.committed_at).order_by("business_date").first()
    if closed is not None:
        return _(
            "Close of day has run since the import (business date %(date)s): its loans have accrued, "
            "aged and been provisioned with the rest of the portfolio, so the import can no longer be undone."
        ) % {"date": format_date(closed.business_date)}
    touched = _touched(loan_ids)
    if touched:
        contracts = LoanContract.objects.filter(loan_id__in=touched).order_by("loan_id")
        numbers = list(contracts.values_list("number", flat=True))
        named = ", ".join(numbers[:NAMED]) + (f" (+{len(numbers) - NAMED})" if len(numbers) > NAMED else "")
        return _(
            "Loans of this import have had other events since it (%(loans)s): a repayment, a tranche, a "
            "request or an entry. Undo those first, or correct the loans one by one."
        ) % {"loans": named}
    return None


def _touched(loan_ids: list[int]) -> set[int]:
    """The loans that a row other than the import's own names."""
    touched: set[int] = set()
    for relation in Loan._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        model, name = relation.related_model, relation.field.name
        if model in OWN and OWN[model] is None:
            continue
        rows = model._default_manager.filter(**{f"{name}_id__in": loan_ids})
        if model in OWN:
            rows = rows.exclude(OWN[model])
        touched |= set(rows.values_list(f"{name}_id", flat=True).distinct())
    return touched


def undo_portfolio(*, actor, batch: PortfolioImport, reason: str) -> PortfolioImport:
    """Undo a committed import: by an accountant who may commit imports, not the one who
    committed it (four eyes, as the commit), once, while nothing else has touched its loans."""
    with transaction.atomic():
        batch = (
            PortfolioImport.objects.select_for_update(of=("self",))
            .select_related("journal_entry")
            .get(pk=batch.pk)
        )
        reason = _allowed(actor, batch, reason)
        queries.hold_the_day_shared()  # its loans' balances go: not while close of day sums a day
        loans = list(
            Loan.objects.select_for_update()
            .filter(
                pk__in=LoanTransaction.objects.filter(journal_entry=batch.journal_entry).values("loan_id")
            )
            .order_by("pk")
        )
        loan_ids = [loan.pk for loan in loans]
        if problem := undo_problem(batch, loan_ids):
            raise ValidationError(problem)
        entry = reverse_entry(entry=batch.journal_entry, reason=_undo_memo(batch, reason), created_by=actor)
        _reverse_openings(loan_ids, entry)
        rows = LoanBalance.objects.filter(loan_id__in=loan_ids)
        if first := rows.aggregate(first=Min("valid_from"))["first"]:
            stale_from(first)
        rows.delete()
        WriteOff.objects.filter(loan_id__in=loan_ids, journal_entry=batch.journal_entry).delete()
        note = _("Its import was undone: %(reason)s") % {"reason": reason}
        for loan in loans:
            apply_transition(loan, "void", actor=actor, note=note)
        _free_contract_numbers(loan_ids, batch)
        batch.undo()
        batch.undone_by, batch.undone_at, batch.undo_entry = actor, timezone.now(), entry
        batch.save()
    return batch


def entry_to_undo(*, actor, batch: PortfolioImport, reason: str) -> EntryDraft:
    """The entry undoing the import would post: its opening entry reversed (what the page shows
    before the undo is confirmed). Refused as `undo_portfolio` would refuse it now."""
    reason = _allowed(actor, batch, reason)
    if problem := undo_problem(batch, list(batch.openings.values_list("loan_id", flat=True).distinct())):
        raise ValidationError(problem)
    return reversal_of(batch.journal_entry, reason=_undo_memo(batch, reason))


def _allowed(actor, batch: PortfolioImport, reason: str) -> str:
    """The reason given, stripped, once `actor` may undo `batch`: an accountant who may commit
    imports, not the one who committed it."""
    require_permission(actor, COMMIT_PERMISSION)
    reason = (reason or "").strip()
    if not reason or len(reason) > LONG_TEXT_MAX:
        message = _("Say why the import is undone, in at most %(count)s characters.")
        raise ValidationError({"reason": [message % {"count": LONG_TEXT_MAX}]})
    if batch.committed_by_id == actor.pk:
        raise PermissionDenied(_("Another user undoes the import: not the one who committed it."))
    return reason


def _undo_memo(batch: PortfolioImport, reason: str) -> str:
    memo = _("Import %(file)s undone: %(reason)s") % {"file": batch.file_name, "reason": reason.strip()}
    return memo[:255]


def _reverse_openings(loan_ids: list[int], entry) -> None:
    """Each opening sub-ledger row mirrored by a reversal row on the reversing entry."""
    LoanTransaction.objects.bulk_create(
        [
            LoanTransaction(**reversal_values(row, entry=entry, on=row.value_date))
            for row in LoanTransaction.objects.filter(loan_id__in=loan_ids, kind=LoanTransaction.Kind.OPENING)
        ],
        batch_size=2000,
    )


def _free_contract_numbers(loan_ids: list[int], batch: PortfolioImport) -> None:
    """A voided loan keeps its contract under a number marked with the import, so the number is
    free for the loan brought in again."""
    mark = f"~{batch.pk}"
    contracts = list(LoanContract.objects.filter(loan_id__in=loan_ids))
    for contract in contracts:
        contract.number = contract.number[: 64 - len(mark)] + mark
    LoanContract.objects.bulk_update(contracts, ["number"], batch_size=2000)

"""Booking a loan's money event that settles no installment (write-off, recovery, tranche
reversal, a restructuring's step): its journal entry by the posting rules, and its line in the
loan's sub-ledger with what it did to each control account. In the caller's transaction."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from common.money import ZERO
from fund import accounting
from fund.accounting import Leg
from ledger.models import JournalEntry
from ledger.services import EntryDraft, post_entry
from loans.models import LoanTransaction
from loans.models.money import control_values


@dataclass(frozen=True)
class Posted:
    entry: JournalEntry
    moved: list[Leg]  # the event's legs, for callers that split what it moved
    controls: dict[str, Decimal]


def draft(loan, event, *, value_date: date, memo: str, key: str, source_kind: str) -> EntryDraft:
    """The entry `post_event` posts for the event (what a page shows before it is confirmed)."""
    return _draft(loan, event, accounting.legs(event, loan.gl), value_date, memo, key, source_kind)


def post_event(loan, event, *, actor, value_date: date, memo: str, key: str, source_kind: str) -> Posted:
    """Post the event for the loan (a `ServicedLoan` or a loan with its `gl`); entering it again
    with the same `key` returns the entry posted the first time."""
    moved = accounting.legs(event, loan.gl)
    entry = post_entry(_draft(loan, event, moved, value_date, memo, key, source_kind), created_by=actor)
    return Posted(entry, moved, accounting.controls(event, loan.gl, moved=moved))


def _draft(loan, event, moved: list[Leg], value_date, memo, key, source_kind) -> EntryDraft:
    return EntryDraft(
        value_date=value_date,
        memo=memo,
        lines=accounting.lines(event, loan.gl, moved=moved),
        idempotency_key=f"loans:{key}",
        source_kind=source_kind,
        source_ref=loan.reference,
    )


def record(
    loan,
    posted: Posted,
    *,
    kind: str,
    value_date: date,
    booking_date: date,
    amount: Decimal,
    principal: Decimal = ZERO,
    **links,
) -> LoanTransaction:
    """The event's sub-ledger line: no interest, late interest or penalty paid (those are a
    repayment's). `links`: the row it comes from (`disbursement=`...)."""
    return LoanTransaction.objects.create(
        loan_id=loan.pk,
        kind=kind,
        value_date=value_date,
        booking_date=booking_date,
        amount=amount,
        principal=principal,
        interest=ZERO,
        late_interest=ZERO,
        penalty=ZERO,
        journal_entry=posted.entry,
        **links,
        **control_values(posted.controls),
    )

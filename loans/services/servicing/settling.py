"""Bringing the stored loan in line with its replayed life, after any money event.

After a tranche, a repayment or a reversal the engine replays each sub-loan. Every repayment
whose allocation now differs from what the sub-ledger holds for it (the new one, or later ones
after a back-dated repayment or a reversal) is posted again: its current entry reversed and a
new one posted, so the sub-ledger and the GL both follow the allocation. A changed schedule is
stored as a new version. A loan with nothing left to pay closes; a closed one that owes again
reopens.

The usual repayment is the last event of its sub-loan: dated on or after every tranche and every
other repayment. Nothing before it in the replay changed, so the allocations already held are
still right and only it is posted, without reading the sub-ledger back; and the schedule can
only have changed if the repayment itself made a new version (a prepayment).
"""

import hashlib
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from common.money import ZERO
from fund import accounting
from fund.accounting import Booked
from fund.selectors import current_fund
from ledger.services import EntryDraft, bounded_memo, post_entry, reversal_of, reverse_entry
from loans import queries
from loans.domain.engine import OVERDUE_PRINCIPAL, PREPAYMENT, Allocation, Payment, Result, Tranche, replay
from loans.models import (
    LoanMemberShare,
    LoanStatus,
    LoanTransaction,
    Repayment,
    ScheduleRow,
    ScheduleVersion,
)
from loans.models.money import CONTROL_COLUMNS, control_values
from loans.queries import ServicedLoan
from loans.replaying import changes_of, loan_terms, parts_of
from loans.services.servicing import balances
from loans.services.transitions import apply_transition_by_id

NOTHING_BOOKED = Booked()
PORTIONS = ("principal", "interest", "late_interest", "penalty")
_REASONS = {
    "disbursement": ScheduleVersion.Reason.DISBURSEMENT,
    "tranche": ScheduleVersion.Reason.TRANCHE,
    "prepayment": ScheduleVersion.Reason.PREPAYMENT,
    "migration": ScheduleVersion.Reason.MIGRATION,
    "extension": ScheduleVersion.Reason.EXTENSION,
    "rescheduling": ScheduleVersion.Reason.RESCHEDULING,
}


def settle(
    loan: ServicedLoan,
    *,
    actor,
    correction: bool = False,
    business_date: date | None = None,
    new: Repayment | None = None,
    since: date | None = None,
) -> list[Result]:
    """Post what the replay says and store the schedule and the balances; call inside the use
    case's transaction, with the loan locked (`queries.lock_loan`). `correction`: the change
    comes from a reversal; `business_date`: the fund's, if the caller has it; `new`: the
    repayment just recorded; `since`: the earliest value date the change touches otherwise (a
    tranche's, a reversed repayment's; None: the balances are written from the first tranche)."""
    business_date = business_date or current_fund().business_date
    terms = loan_terms(loan.contract)
    changes = changes_of([loan.pk]).get(loan.pk, []) if loan.has_changes else []
    results = []
    for share in parts_of(loan):
        share_id = share.pk if share else None
        tranches, payments, current = queries.events_and_balance(loan.pk, share_id)
        ours = new is not None and new.share_id == share_id
        changed = new is None or ours  # another household's repayment changes nothing of this sub-loan
        since_day = new.value_date if ours else since
        rewrite = (
            balances.rewrite_from(loan.pk, share_id, tranches, current, since=since_day) if changed else None
        )
        result = replay(
            terms,
            tranches=tranches,
            payments=payments,
            as_of=business_date,
            balances_from=rewrite.day if rewrite else None,
            changes=changes,
        )
        if rewrite is not None:
            balances.store_balances(rewrite, result)
        # Posting takes the year's entry counter, held until commit: post last.
        if ours and _is_last(new, tranches, payments):
            _post_last(loan, share, result, new, actor=actor, business_date=business_date)
        elif changed:
            _post_allocations(loan, share, result, actor=actor, business_date=business_date)
            _store_schedule(loan, share, result, on=business_date if correction else None)
        results.append(result)
    repaid = bool(results) and all(result.is_repaid for result in results)
    if loan.status == LoanStatus.ACTIVE and repaid:
        apply_transition_by_id(loan.pk, "close", actor=actor, note=_("Principal and all interest repaid."))
    elif loan.status == LoanStatus.CLOSED and not repaid:
        apply_transition_by_id(
            loan.pk, "reopen", actor=actor, note=_("A repayment was reversed: the loan owes again.")
        )
    return results


def _is_last(new: Repayment, tranches: list[Tranche], payments: list[Payment]) -> bool:
    """Whether the replay takes `new` after every other event of its sub-loan: by value date, and
    on one day tranches first, then repayments in the order they were recorded (`payments`')."""
    day, position = new.value_date, next(i for i, p in enumerate(payments) if p.key == f"r{new.pk}")
    return (
        all(t.value_date <= day for t in tranches)
        and all(p.value_date <= day for p in payments[:position])
        and all(p.value_date < day for p in payments[position + 1 :])
    )


def _post_last(loan, share, result: Result, new: Repayment, *, actor, business_date) -> None:
    """Post the sub-loan's last event, a repayment; store the schedule if it made a new one."""
    key = f"r{new.pk}"
    # Nothing was posted on the loan since it was locked: its books are as the lock read them.
    allocation = result.allocations[key]
    post_repayment(loan, new, allocation, actor=actor, attempt=1, booked_on=business_date, booked=loan.booked)
    if any(version.cause == key for version in result.versions):
        _store_schedule(loan, share, result, on=None)


def _posted(loan: ServicedLoan, share: LoanMemberShare | None) -> dict[int, tuple[dict[str, Decimal], int]]:
    """For each repayment, what the sub-ledger holds as paid by it net of corrections (principal
    as paid, not as the change in what is owed), and how many times it was posted."""
    rows = (
        LoanTransaction.objects.filter(loan_id=loan.pk, share=share, repayment__isnull=False)
        .values("repayment")
        .annotate(
            *(Sum(name) for name in PORTIONS),
            posted=Count("pk", filter=Q(kind=LoanTransaction.Kind.REPAYMENT)),
        )
    )
    return {
        row["repayment"]: (
            {name: row[f"{name}__sum"] * (-1 if name == "principal" else 1) for name in PORTIONS},
            row["posted"],
        )
        for row in rows
    }


def _post_allocations(loan, share, result: Result, *, actor, business_date) -> None:
    """Post each repayment whose allocation is not what the sub-ledger holds."""
    posted = _posted(loan, share)
    changed = {}
    for key, allocation in result.allocations.items():
        pk = int(key.removeprefix("r"))
        held, _count = posted.get(pk, (None, 0))
        if held != {name: getattr(allocation, name) for name in PORTIONS}:
            changed[pk] = allocation
    if not changed:
        return
    for repayment in Repayment.objects.filter(pk__in=changed).select_related("account").order_by("pk"):
        held, count = posted.get(repayment.pk, (None, 0))
        if held is not None:
            reverse_repayment_posting(
                repayment,
                actor=actor,
                on=business_date,
                reason=_("Allocation recomputed after an earlier repayment changed."),
            )
        post_repayment(
            loan,
            repayment,
            changed[repayment.pk],
            actor=actor,
            attempt=count + 1,
            on=business_date if held is not None else None,
            booked_on=business_date,
        )


def post_repayment(
    loan: ServicedLoan,
    repayment: Repayment,
    allocation: Allocation,
    *,
    actor,
    attempt: int,
    booked_on: date,
    on=None,
    booked: Booked | None = None,
) -> LoanTransaction:
    """Post one repayment's allocation, as the posting rules say (`fund.accounting`).
    `on`: its value date if not the repayment's (a correction's); `booked_on`: the business date;
    `booked`: what the loan's sub-ledger holds, when the caller has it (else read here)."""
    value_date = on or repayment.value_date
    reference = loan.contract.number
    if booked is None:
        booked = queries.booked([loan.pk]).get(loan.pk, NOTHING_BOOKED)
    overdue = sum((p.amount for p in allocation.parts if p.slot == OVERDUE_PRINCIPAL), ZERO)
    event = accounting.Repayment(
        principal=allocation.principal,
        interest=allocation.interest,
        late_interest=allocation.late_interest,
        penalty=allocation.penalty,
        received_into=repayment.account.code,
        contract=reference,
        receipt=repayment.reference,
        # From the overdue account only what close of day moved there: within the product's
        # days of grace, principal past its due date is still in term.
        overdue_principal=min(overdue, max(booked.overdue_principal, ZERO)),
        accruing=not loan.accrual_suspended,
        booked=booked,
    )
    entry = post_entry(
        EntryDraft(
            value_date=value_date,
            memo=_("Repayment of %(loan)s, contract %(contract)s")
            % {"loan": loan.reference, "contract": reference},
            lines=accounting.lines(event, loan.gl),
            idempotency_key=f"loans:repayment:{repayment.pk}:{attempt}",
            source_kind="repayment",
            source_ref=loan.reference,
        ),
        created_by=actor,
    )
    return queries.insert(
        LoanTransaction(
            loan_id=loan.pk,
            share_id=repayment.share_id,
            kind=LoanTransaction.Kind.REPAYMENT,
            value_date=value_date,
            booking_date=booked_on,
            amount=allocation.total,
            principal=-allocation.principal,
            interest=allocation.interest,
            late_interest=allocation.late_interest,
            penalty=allocation.penalty,
            repayment=repayment,
            journal_entry=entry,
            **control_values(accounting.controls(event, loan.gl)),
        )
    )


def reverse_repayment_posting(repayment: Repayment, *, actor, on, reason: str) -> LoanTransaction:
    """Undo the repayment's current posting in the GL and the sub-ledger."""
    current = _current_posting(repayment)
    entry = reverse_entry(entry=current.journal_entry, reason=_memo(reason), created_by=actor, value_date=on)
    return LoanTransaction.objects.create(**reversal_values(current, entry=entry, on=on), repayment=repayment)


def repayment_reversal_draft(repayment: Repayment, *, on, reason: str) -> EntryDraft:
    """The entry `reverse_repayment_posting` posts (what a page shows before it is confirmed)."""
    return reversal_of(_current_posting(repayment).journal_entry, reason=_memo(reason), value_date=on)


def _current_posting(repayment: Repayment) -> LoanTransaction:
    return (
        repayment.transactions.filter(kind=LoanTransaction.Kind.REPAYMENT, reversed_by__isnull=True)
        .select_related("journal_entry")
        .get()
    )


def _memo(reason: str) -> str:
    # The reason may be longer than a journal memo: the repayment keeps it whole.
    return bounded_memo(reason)


def reversal_values(row: LoanTransaction, *, entry, on) -> dict:
    """A sub-ledger row's mirror, dated `on`, posted by the reversing `entry`."""
    return {
        "loan_id": row.loan_id,
        "share_id": row.share_id,
        "kind": LoanTransaction.Kind.REVERSAL,
        "value_date": on,
        "booking_date": on,
        "amount": row.amount.amount,
        "principal": -row.principal.amount,
        "interest": -row.interest.amount,
        "late_interest": -row.late_interest.amount,
        "penalty": -row.penalty.amount,
        "reverses": row,
        "journal_entry": entry,
        **{name: -getattr(row, name) for name in CONTROL_COLUMNS},
    }


def schedule_fingerprint(rows) -> str:
    """A digest of a schedule's rows (engine rows or installments): equal rows, equal digest."""
    key = [
        (getattr(r, "kind", "scheduled"), r.number, r.due_date, r.principal, r.interest, r.opening_principal)
        for r in rows
    ]
    return hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()


def schedule_row_values(row) -> dict:
    """The values of the `ScheduleRow` an engine row is stored as, but its version's and position."""
    return {
        "kind": ScheduleRow.Kind.PREPAYMENT if row.kind == PREPAYMENT else ScheduleRow.Kind.SCHEDULED,
        "number": row.number,
        "due_date": row.due_date,
        "period_start": row.period_start,
        "interest_from": row.interest_from,
        "principal": row.principal,
        "interest": row.interest,
        "opening_principal": row.opening_principal,
    }


def _store_schedule(loan, share, result: Result, *, on) -> None:
    """A new version when the schedule differs from the latest stored one. `on`: a correction's date."""
    if not result.versions:
        return
    fingerprint = schedule_fingerprint(result.rows)
    latest = (
        ScheduleVersion.objects.filter(loan_id=loan.pk, share=share)
        .order_by("-number")
        .values_list("number", "fingerprint")
        .first()
    )
    if latest is not None and latest[1] == fingerprint:
        return
    last = result.versions[-1]
    version = ScheduleVersion.objects.create(
        loan_id=loan.pk,
        share=share,
        number=latest[0] + 1 if latest else 1,
        effective_date=on or last.effective_date,
        reason=ScheduleVersion.Reason.CORRECTION if on else _REASONS[last.reason],
        fingerprint=fingerprint,
    )
    ScheduleRow.objects.bulk_create(
        ScheduleRow(version=version, position=position, **schedule_row_values(row))
        for position, row in enumerate(result.rows)
    )

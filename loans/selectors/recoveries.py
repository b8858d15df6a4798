"""The written-off loans and what was recovered on them: the loan page's figures and the
recoveries report (page and .xlsx, `loans.report_sheets`)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from common.money import ZERO
from loans.models import LoanTransaction, Recovery, WriteOff


@dataclass(frozen=True)
class RecoveryLine:
    """A loan written off by the report's date: what was written off, recovered in the period
    and in all, and what is still pursued off-balance on that date."""

    loan_id: int
    reference: str
    contract: str
    borrower: str
    written_off_on: date
    tracked_until: date
    principal: Decimal
    interest: Decimal
    recovered_in_period: Decimal
    recovered: Decimal
    off_balance: Decimal


def off_balance(loan_id: int, *, as_of: date | None = None) -> Decimal:
    """What the loan's sub-ledger holds written off and not yet recovered (memo 0041 and 0042)."""
    rows = LoanTransaction.objects.filter(loan_id=loan_id)
    if as_of is not None:
        rows = rows.filter(value_date__lte=as_of)
    held = rows.aggregate(principal=Sum("written_off_principal"), interest=Sum("written_off_interest"))
    return (held["principal"] or ZERO) + (held["interest"] or ZERO)


def recoveries(*, start: date, end: date, loans: Q | None = None) -> dict:
    """The recoveries report: its `lines` (`recovery_lines`), their `totals`, and its `start`."""
    lines = recovery_lines(start=start, end=end, loans=loans)
    totals = {
        name: sum((getattr(line, name) for line in lines), ZERO)
        for name in ("principal", "interest", "recovered_in_period", "recovered", "off_balance")
    }
    return {"lines": lines, "totals": totals, "start": start}


def recovery_lines(*, start: date, end: date, loans: Q | None = None) -> list[RecoveryLine]:
    """Every loan written off by `end` (of those `loans` picks, a filter on `loan__`), by date."""
    write_offs = WriteOff.objects.filter(written_off_on__lte=end).select_related(
        "loan__borrower", "loan__contract"
    )
    if loans is not None:
        write_offs = write_offs.filter(loans)
    write_offs = list(write_offs.order_by("written_off_on", "loan_id"))
    ids = [write_off.loan_id for write_off in write_offs]
    in_all, before = _recovered(ids, end), _recovered(ids, start - timedelta(days=1))
    # Net of the recoveries reversed in the period, those of earlier periods too.
    in_period = {pk: total - before.get(pk, ZERO) for pk, total in in_all.items()}
    in_period |= {pk: -total for pk, total in before.items() if pk not in in_all}
    held = (
        LoanTransaction.objects.filter(loan_id__in=ids, value_date__lte=end)
        .order_by()
        .values_list("loan_id")
        .annotate(principal=Sum("written_off_principal"), interest=Sum("written_off_interest"))
    )
    left = {loan_id: principal + interest for loan_id, principal, interest in held}
    return [
        RecoveryLine(
            loan_id=write_off.loan_id,
            reference=write_off.loan.reference,
            contract=write_off.loan.contract.number,
            borrower=str(write_off.loan.borrower),
            written_off_on=write_off.written_off_on,
            tracked_until=write_off.tracked_until,
            principal=write_off.principal.amount,
            interest=write_off.interest.amount,
            recovered_in_period=in_period.get(write_off.loan_id) or ZERO,
            recovered=in_all.get(write_off.loan_id) or ZERO,
            off_balance=left.get(write_off.loan_id, ZERO),
        )
        for write_off in write_offs
    ]


def _recovered(loan_ids: list[int], day: date) -> dict[int, Decimal]:
    """What was recovered on each loan by `day`: its recoveries dated by then but those
    reversed by then."""
    rows = Recovery.objects.filter(loan_id__in=loan_ids, value_date__lte=day).exclude(reversed_on__lte=day)
    return dict(rows.order_by().values_list("loan_id").annotate(total=Sum("amount")))

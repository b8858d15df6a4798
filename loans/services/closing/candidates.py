"""Which loans the close of a business date looks at.

Month end (and every day when the fund posts accrual daily) brings every loan's interest and
provisions to the books: every active loan, and closed ones that still hold something on them.
An ordinary day touches only the loans with something that day, found on the current stored
balances rows (`loans.models.LoanBalance`) and the sub-ledger's booking dates:
- an installment falling due, or overdue from the next day (`next_due_date` up to the day after);
- days past due reaching the first day of a debt group, or a product's days before overdue;
- a money event booked that day or the day before (a repayment entered while the day closed,
  on a loan it had not locked yet, is booked on the day closed: the next close picks it up);
- with the fund's borrower rule, every other active loan of the borrowers of those.
"""

from bisect import bisect_right
from datetime import date, timedelta
from typing import NamedTuple

from django.db.models import F, Q, Sum

from common.db import Among
from fund.models import LoanProduct
from loans.models import Loan, LoanBalance, LoanStatus, LoanTransaction
from loans.models.money import CONTROL_COLUMNS, MONEY_KINDS

ONE_DAY = timedelta(days=1)


def loans_to_close(
    day: date,
    *,
    full: bool,
    worst_of_borrower: bool,
    borrowers: tuple[int, int | None] = (0, None),
    found: list[int] | None = None,
) -> list[int]:
    """The ids of the loans the close of `day` looks at, in id order (the order they are locked in).
    `full`: every loan (the day posts accrual and provisions for every loan, or the calendar
    changed since the last close). `borrowers`: only the loans of the borrowers with ids after
    the first and up to the second (None: no end), a chunk's. `found`: on an ordinary day, the
    chunk's loans as the run's start found them (`chunks`), not searched for again."""
    within = Q(borrower_id__gt=borrowers[0]) if borrowers[0] else Q()
    if borrowers[1] is not None:
        within &= Q(borrower_id__lte=borrowers[1])
    if full:
        ids = set(_active().filter(within).order_by().values_list("pk", flat=True)) | _closed_with_balances(
            within
        )
    elif found is not None:
        ids = set(found)
    else:
        ids = _touched(day, within)
    if worst_of_borrower and ids and not full:  # full: every active loan of the range is in already
        # The borrowers as a list: as a subquery the planner joins it to every active loan.
        borrowers = set(Loan.objects.filter(Among("pk", ids)).values_list("borrower_id", flat=True))
        ids |= set(_active().filter(Among("borrower_id", borrowers)).order_by().values_list("pk", flat=True))
    return sorted(ids)


class Chunk(NamedTuple):
    after: int  # the borrower ids after this one
    last: int | None  # up to this one (None: no end)
    found: list[int] | None  # on an ordinary day, the loans found in it (None: a full day's)


def chunks(day: date, *, full: bool, size: int) -> list[Chunk]:
    """The close of `day` cut into chunks of about `size` loans, by borrower (a borrower's
    loans in one chunk): each chunk's (after, up to] borrower ids, the last one open-ended, so
    that together they cover every borrower, also one whose loan has something only later. On
    an ordinary day each chunk also gets the loans found in it, so that a chunk does not search
    the whole portfolio again: chunks would cost more as the portfolio grows."""
    ids = loans_to_close(day, full=full, worst_of_borrower=False)
    owned = sorted(Loan.objects.filter(Among("pk", ids)).values_list("borrower_id", "pk"))
    borrowers = [borrower for borrower, _pk in owned]
    bounds, after = [], 0
    for start in range(size, len(borrowers), size):
        last = borrowers[start - 1]
        if last > after and last < borrowers[-1]:
            bounds.append((after, last))
            after = last
    bounds.append((after, None))
    # `owned` is in borrower order: each chunk's loans are the next slice of it.
    cuts = [bisect_right(borrowers, last) for _after, last in bounds[:-1]]
    slices = zip([0, *cuts], [*cuts, len(owned)], strict=True)
    return [
        Chunk(after, last, None if full else [pk for _borrower, pk in owned[start:end]])
        for (after, last), (start, end) in zip(bounds, slices, strict=True)
    ]


def _active():
    return Loan.objects.filter(status=LoanStatus.ACTIVE)


def _closed_with_balances(within: Q) -> set[int]:
    """Closed loans whose sub-ledger still holds something (a provision to release)."""
    closed = Loan.objects.filter(within, status=LoanStatus.CLOSED)
    sums = (
        LoanTransaction.objects.filter(loan__in=closed)
        .values("loan_id")
        .annotate(**{f"{name}_sum": Sum(name) for name in CONTROL_COLUMNS})
    )
    held = Q()
    for name in CONTROL_COLUMNS:
        held |= ~Q(**{f"{name}_sum": 0})
    return set(sums.filter(held).values_list("loan_id", flat=True))


def _touched(day: date, within: Q) -> set[int]:
    current = LoanBalance.objects.filter(valid_to__isnull=True).order_by()
    if within:
        current = current.filter(loan__in=Loan.objects.filter(within))
    # Every product's bands (a handful of rows): those of products with no active loan find no
    # current row, and asking which products have one would read every loan, for each chunk.
    products = LoanProduct.objects.order_by()
    starts, grace = set(), set()
    for pk, days, *bands in products.values_list(
        "pk", "overdue_grace_days", *(f"group{group}_from_days" for group in (2, 3, 4, 5))
    ):
        starts.update(bands)
        if days:
            grace.add(pk)
    # Each a range scan of its own index (`LoanBalance`'s): one OR over them would read every row.
    wanted = [
        Q(next_due_date__lte=day + ONE_DAY),
        Q(oldest_unpaid_due_date__in=[day - timedelta(days=start) for start in starts]),
    ]
    if grace:  # what fell due may move to overdue on any day within the days of grace
        wanted.append(Q(oldest_unpaid_due_date__isnull=False, loan__product__in=grace))
    touched = [current.filter(condition).values_list("loan_id", flat=True) for condition in wanted]
    # A loan written off today may have had a repayment first: it is off the books, not closed.
    events = (
        LoanTransaction.objects.filter(booking_date__gte=day - ONE_DAY, kind__in=MONEY_KINDS)
        .exclude(loan__status=LoanStatus.WRITTEN_OFF)
        .order_by()
    )
    if within:
        events = events.filter(loan__in=Loan.objects.filter(within))
    return set(touched[0].union(*touched[1:], events.values_list("loan_id", flat=True)))


def corrected(loan_ids, day: date) -> set[int]:
    """Of the loans, those with an event booked on `day` (or the day before, as `_touched`) that
    changes days already closed: dated before the day it was booked, or a reversal. Their
    recomputed interest is booked at once (`days.close_steps`), not left to the month end."""
    rows = LoanTransaction.objects.filter(Among("loan_id", loan_ids), booking_date__gte=day - ONE_DAY).filter(
        Q(value_date__lt=F("booking_date")) | Q(kind=LoanTransaction.Kind.REVERSAL)
    )
    # Unordered: the model's order (by loan) joins every loan of the portfolio, for each chunk.
    return set(rows.order_by().values_list("loan_id", flat=True))

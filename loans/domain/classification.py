"""Debt classification and provisions, as close of day applies them (DESIGN.md "Domain rules").

Pure: days past due, groups and amounts in, groups and amounts out. The bands, rates and the
borrower rule are the product's and the fund's data, passed in.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from common.money import ZERO, round_vnd

LOSS = 5  # the last group: no general provision on it (its specific provision is the whole)


def days_past_due(oldest_unpaid_due_date: date | None, day: date) -> int:
    """On `day`: days since the oldest installment still unpaid fell due (0 when none is late)."""
    if oldest_unpaid_due_date is None or oldest_unpaid_due_date >= day:
        return 0
    return (day - oldest_unpaid_due_date).days


def group_for(days: int, starts: Iterable[int]) -> int:
    """The debt group of `days` past due, given the first day of groups 2, 3, 4 and 5."""
    return 1 + sum(1 for start in starts if days >= start)


def held_group(own: int, held: int | None, *, paid_on_time: int, cure: int) -> tuple[int, int | None]:
    """A restructured loan's group and the group it is still held at: it does not improve on the
    group it had when restructured (`held`) until `cure` installments have fallen due and been
    paid on time since; then its own group again, and the hold ends."""
    if held is None or paid_on_time >= cure:
        return own, None
    return max(own, held), held


def borrower_groups(
    own: dict[int, int], borrower_of: dict[int, int], *, worst_of_borrower: bool
) -> dict[int, int]:
    """Each loan's group: its own, or the worst of its borrower's loans when the fund says so."""
    if not worst_of_borrower:
        return dict(own)
    worst: dict[int, int] = {}
    for loan, group in own.items():
        borrower = borrower_of[loan]
        worst[borrower] = max(worst.get(borrower, 1), group)
    return {loan: worst[borrower_of[loan]] for loan in own}


def specific_provision(outstanding: Decimal, collateral: Decimal, rate: Decimal) -> Decimal:
    """The group's rate on the principal the collateral allowed for provisioning does not cover."""
    return round_vnd(max(outstanding - collateral, ZERO) * rate)


def general_provision(outstanding: Decimal, group: int, rate: Decimal) -> Decimal:
    """The general rate on the principal of a loan in groups 1 to 4."""
    return round_vnd(outstanding * rate) if group < LOSS else ZERO

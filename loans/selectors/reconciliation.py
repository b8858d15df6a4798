"""The loans' sub-ledger against the GL, per control account, as of a date.

Every posting a loan makes is a journal entry and a sub-ledger row saying what it did to each
of the loan's control accounts (`LoanTransaction`, `fund.accounting.controls`); both carry the
posting's date, the value date of the journal entry (a back-dated event's own date, close of
day's the day it closed). Summed per account over the loans whose product posts to it, the
sub-ledger must give the account's GL balance on every date: a difference is a posting made
to a control account outside the loans (a manual entry) or a defect.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from common.money import ZERO
from fund.accounting import CONTROLS, account, gl_map
from fund.models import LoanProduct
from ledger.models import Account
from ledger.selectors import account_balances
from loans.models import LoanTransaction
from loans.models.money import CONTROL_COLUMNS


@dataclass(frozen=True)
class ControlAccount:
    code: str
    name: str
    loans: Decimal  # the sub-ledger's figure, as the account's balance (debit less credit)
    gl: Decimal

    @property
    def difference(self) -> Decimal:
        return self.loans - self.gl


def reconciliation(*, as_of: date) -> list[ControlAccount]:
    """Each control account the loan products post to, with the loans' figure and the GL's on
    `as_of`, by account code."""
    sums = (
        LoanTransaction.objects.filter(value_date__lte=as_of)
        .values("loan__product_id")
        .annotate(total_principal=Sum("principal"), **{name: Sum(name) for name in CONTROL_COLUMNS})
    )
    figures: dict[str, Decimal] = defaultdict(Decimal)
    maps = {
        product.pk: gl_map(product)
        for product in LoanProduct.objects.filter(loans__transactions__isnull=False).distinct()
    }
    for gl in maps.values():
        for role in CONTROLS:
            figures[account(gl, role)] += ZERO
    for row in sums:
        gl = maps[row["loan__product_id"]]
        held = {name: row[name] for name in CONTROL_COLUMNS} | {
            "principal": row["total_principal"] - row["overdue_principal"]
        }
        for role, sign in CONTROLS.items():
            figures[account(gl, role)] += held[role] * sign
    balances = account_balances(codes=figures, as_of=as_of)
    names = {account.code: account.name for account in Account.objects.filter(code__in=figures)}
    return [ControlAccount(code, names[code], figures[code], balances[code]) for code in sorted(figures)]

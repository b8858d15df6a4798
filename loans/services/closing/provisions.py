"""Provisions on demand: between month ends, an accountant brings every loan's specific and
general provisions to what its debt group and collateral require on the business date (before
a report to the supervising department, say). Month end does the same as a step of close of day.

No replay is needed: every money event keeps the sub-ledger's principal at what the loan owes,
and the debt group is the one close of day last set.
"""

import uuid

from django.db import transaction

from common.money import ZERO
from fund.accounting import Booked
from fund.models import Fund, LoanProduct
from fund.services.common import locked_fund, require_permission
from ledger.drafts import Line
from loans import queries
from loans.models import Loan, LoanTransaction
from loans.services.closing import candidates
from loans.services.closing.days import PERMISSION, collateral_values, loan_provisions
from loans.services.closing.postings import DayPostings


@transaction.atomic
def provision_now(*, actor) -> int:
    """Post the provisions' differences on the business date; returns how many loans changed."""
    require_permission(actor, PERMISSION)
    postings = _provisions(locked_fund())  # the fund locked: not while a close of day runs
    postings.post(actor=actor)
    return postings.count


@transaction.atomic
def provisions_to_post(*, actor) -> tuple[int, list[Line]]:
    """What `provision_now` would post now, posting nothing: how many loans change, and the
    entry's lines (for the accountant to confirm)."""
    require_permission(actor, PERMISSION)
    postings = _provisions(Fund.objects.get())
    return postings.count, postings.summed(LoanTransaction.Kind.PROVISION)


def _provisions(fund: Fund) -> DayPostings:
    ids = candidates.loans_to_close(fund.business_date, full=True, worst_of_borrower=False)
    queries.lock_loans(ids)
    loans = Loan.objects.in_bulk(ids)
    products = LoanProduct.objects.in_bulk({loan.product_id for loan in loans.values()})
    booked = queries.booked(ids)
    collateral = collateral_values(ids)
    # A key of its own each time: a second run the same day posts only what changed since.
    postings = DayPostings(fund.business_date, key=f"loans:provision:{uuid.uuid4().hex[:12]}")
    for pk in ids:
        loan, held = loans[pk], booked.get(pk, Booked())
        product, outstanding = products[loan.product_id], held.principal + held.overdue_principal
        group = loan.debt_group if outstanding else 1
        provisions = loan_provisions(product, group, outstanding, collateral.get(pk, ZERO))
        postings.add_provisions(queries.lock_loan(pk), held, *provisions)
    return postings

"""Reads the servicing pages share: a loan's tranches and repayments, what is left to disburse."""

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from common.money import ZERO
from loans.models import Disbursement, LoanMemberShare, Repayment
from loans.models.loan import Loan


def loan_disbursements(loan: Loan) -> QuerySet[Disbursement]:
    return loan.disbursements.select_related("account", "recorded_by", "decided_by").order_by(
        "value_date", "pk"
    )


def loan_repayments(loan: Loan) -> QuerySet[Repayment]:
    return loan.repayments.select_related("share__member", "account", "recorded_by", "reversed_by").order_by(
        "value_date", "pk"
    )


def left_to_disburse(loan: Loan, tranches: list[Disbursement] | None = None) -> Decimal:
    """The contract's amount less every tranche entered and not cancelled (`tranches`: the loan's,
    when the caller has them already)."""
    contract = getattr(loan, "contract", None)
    if contract is None:
        return ZERO
    if tranches is None:
        drawn = loan.disbursements.exclude(status__in=Disbursement.NOT_DRAWN).aggregate(
            total=Coalesce(Sum("amount"), Decimal(0))
        )["total"]
    else:
        drawn = sum((t.amount.amount for t in tranches if t.status != Disbursement.Status.CANCELLED), ZERO)
    return contract.amount.amount - Decimal(drawn)


def pending_disbursements() -> QuerySet[Disbursement]:
    """Tranches waiting for an accountant's authorization, oldest first."""
    return (
        Disbursement.objects.filter(status=Disbursement.Status.PENDING)
        .select_related("loan__borrower", "loan__contract", "account", "recorded_by")
        .order_by("value_date", "pk")
    )


def contracted_shares(loan: Loan) -> QuerySet[LoanMemberShare]:
    """The households of a group loan that have an amount in its contract."""
    return loan.member_shares.filter(contract_amount__isnull=False).select_related("member")

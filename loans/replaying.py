"""The bridge between stored loans and the engine: terms and events in, results out.

A loan is one sub-loan, or one per household share for a household group; the engine replays
each on its own (`parts_of`).
"""

from datetime import date

from loans.engine import LoanTerms, Payment, Result, Tranche, replay
from loans.models import Disbursement, Loan, LoanContract, LoanMemberShare, Repayment


def loan_terms(contract: LoanContract) -> LoanTerms:
    return LoanTerms(
        annual_rate=contract.annual_rate,
        term_months=contract.term_months,
        method=contract.amortization,
        principal_frequency=contract.principal_frequency,
        interest_frequency=contract.interest_frequency,
        grace_months=contract.grace_months,
        first_due_date=contract.first_due_date,
        basis=contract.day_count,
        overdue_multiplier=contract.overdue_multiplier,
        unpaid_interest_rate=contract.unpaid_interest_rate,
        allocation_order=tuple(contract.allocation_order),
    )


def parts_of(loan: Loan) -> list[LoanMemberShare | None]:
    """The sub-loans: each household share of a group loan, or the loan itself (None)."""
    if loan.is_group_loan:
        return list(loan.member_shares.filter(contract_amount__isnull=False).select_related("member"))
    return [None]


def tranches_of(loan: Loan, share: LoanMemberShare | None) -> list[Tranche]:
    authorized = Disbursement.objects.filter(loan=loan, status=Disbursement.Status.AUTHORIZED).order_by("pk")
    if share is None:
        return [
            Tranche(f"d{pk}", day, amount)
            for pk, day, amount in authorized.values_list("pk", "value_date", "amount")
        ]
    return [
        Tranche(f"d{part.disbursement_id}", part.disbursement.value_date, part.amount.amount)
        for part in share.disbursements.filter(disbursement__in=authorized)
        .select_related("disbursement")
        .order_by("disbursement_id")
    ]


def payments_of(loan: Loan, share: LoanMemberShare | None, *, excluding: int | None = None) -> list[Payment]:
    repayments = Repayment.objects.filter(loan=loan, share=share, status=Repayment.Status.POSTED).order_by(
        "pk"
    )
    if excluding is not None:
        repayments = repayments.exclude(pk=excluding)
    return [
        Payment(f"r{pk}", value_date, amount, mode)
        for pk, value_date, amount, mode in repayments.values_list(
            "pk", "value_date", "amount", "prepayment_mode"
        )
    ]


def replay_part(loan: Loan, share: LoanMemberShare | None, *, as_of: date) -> Result:
    """The sub-loan on `as_of`, from its signed terms and every posted tranche and repayment."""
    return replay(
        loan_terms(loan.contract),
        tranches=tranches_of(loan, share),
        payments=payments_of(loan, share),
        as_of=as_of,
    )

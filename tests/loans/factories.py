"""Loans at each step of their life, made through the real services.

The fund's records come from `tests.fund.factories`. An approved loan is approved the way the
appraisal app does it, through `apply_transition`, so these tests need no appraisal.
"""

import datetime as dt
from decimal import Decimal

from fund.models import Borrower, LoanProduct
from loans.models import Loan
from loans.services.origination.applications import ApplicationTerms, create_application, submit_application
from loans.services.origination.contracts import ContractTerms, sign_contract
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from loans.services.transitions import apply_transition
from tests.fund.factories import BorrowerFactory, LoanProductFactory


def product(**fields) -> LoanProduct:
    """Monthly equal principal at 12 %/year, 10 million to 1 billion, 3 to 12 months."""
    return LoanProductFactory(**{"annual_rate": Decimal("0.12"), "max_grace_months": 3, **fields})


def submitted_loan(
    *,
    officer,
    borrower: Borrower | None = None,
    loan_product: LoanProduct | None = None,
    amount=Decimal(120_000_000),
    term_months=12,
    shares=(),
) -> Loan:
    terms = ApplicationTerms(
        borrower=borrower or BorrowerFactory(),
        product=loan_product or product(),
        amount=amount,
        term_months=term_months,
        purpose="Mua phân bón và giống lúa vụ xuân",
        shares=shares,
    )
    return submit_application(actor=officer, loan=create_application(actor=officer, terms=terms))


def approved_loan(*, officer, approver, appraiser, **application) -> Loan:
    """Appraised and approved at the requested terms and the product's rate."""
    loan = submitted_loan(officer=officer, **application)
    apply_transition(loan, "start_appraisal", actor=appraiser)
    apply_transition(loan, "complete_appraisal", actor=appraiser)
    apply_transition(
        loan,
        "approve",
        actor=approver,
        approved_amount=loan.amount.amount,
        approved_term_months=loan.term_months,
        approved_rate=loan.product.annual_rate,
        decided_on=loan.submitted_on,
    )
    for share in loan.member_shares.all():
        share.approved_amount = share.amount
        share.save()
    return Loan.objects.get(pk=loan.pk)


def signed_loan(*, officer, signed_on: dt.date, number="HĐ-01/2026", **approval) -> Loan:
    loan = approved_loan(officer=officer, **approval)
    shares = {share.pk: share.amount.amount for share in loan.member_shares.all()} or None
    sign_contract(
        actor=officer,
        loan=loan,
        terms=ContractTerms(
            number=number,
            signed_on=signed_on,
            amount=loan.approved_amount.amount,
            term_months=loan.approved_term_months,
            share_amounts=shares,
        ),
    )
    return Loan.objects.get(pk=loan.pk)


def active_loan(*, officer, accountant, on: dt.date, account, **approval) -> Loan:
    """Signed and disbursed in full on `on` from `account`."""
    loan = signed_loan(officer=officer, signed_on=on, **approval)
    tranche = record_disbursement(
        actor=officer, loan=loan, value_date=on, amount=loan.contract.amount.amount, account=account
    )
    authorize_disbursement(actor=accountant, disbursement=tranche)
    return Loan.objects.get(pk=loan.pk)

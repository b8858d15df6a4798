"""Signing the contract: the final terms of an approved loan, before its first tranche."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.dates import format_date
from common.errors import FieldErrors
from common.money import MAX_AMOUNT, format_percent, format_vnd
from fund.selectors import current_fund
from fund.services.common import require_permission
from loans.domain.engine import LoanTerms
from loans.domain.schedule import ScheduleError
from loans.domain.terms import Limits, terms_errors
from loans.models import Loan, LoanContract, LoanStatus
from loans.queries import lock_loan_row
from loans.replaying import fund_calendar


@dataclass(frozen=True)
class ContractTerms:
    """What the officer types when the contract is signed. Rate None: the approved rate.

    `share_amounts` (household share id -> amount) only for a household group's loan.
    """

    number: str
    signed_on: date
    amount: Decimal
    term_months: int
    grace_months: int = 0
    first_due_date: date | None = None
    annual_rate: Decimal | None = None
    share_amounts: dict[int, Decimal] | None = None


@transaction.atomic
def sign_contract(*, actor, loan: Loan, terms: ContractTerms) -> LoanContract:
    """Record (or, until the first tranche, correct) the signed contract of an approved loan."""
    require_permission(actor, "loans.add_loancontract")
    loan = lock_loan_row(loan.pk)
    if loan.status != LoanStatus.APPROVED:
        raise ValidationError(
            _("A contract is signed for an approved loan; this one is %(status)s.")
            % {"status": loan.get_status_display().lower()}
        )
    if not loan.nothing_disbursed():
        raise ValidationError(_("A tranche is already entered: the contract can no longer change."))
    errors = _terms_errors(loan, terms)
    if errors:
        raise ValidationError(errors)
    values = {
        "number": terms.number.strip(),
        "signed_on": terms.signed_on,
        "amount": terms.amount,
        "term_months": terms.term_months,
        "annual_rate": terms.annual_rate if terms.annual_rate is not None else loan.approved_rate,
        "grace_months": terms.grace_months,
        "first_due_date": terms.first_due_date,
        "signed_by": actor,
        **LoanContract.product_terms(loan.product),
    }
    try:
        with transaction.atomic():
            contract, _created = LoanContract.objects.update_or_create(loan=loan, defaults=values)
    except IntegrityError:
        raise ValidationError({"number": _("Another loan already has this contract number.")}) from None
    if loan.is_group_loan:
        for share in loan.member_shares.all():
            share.contract_amount = terms.share_amounts.get(share.pk) or None
            share.save(update_fields=["contract_amount", "contract_amount_currency"])
    return contract


def _terms_errors(loan: Loan, terms: ContractTerms) -> dict[str, list[str]]:
    errors = FieldErrors()
    refuse = errors.refuse

    product, fund = loan.product, current_fund()
    business_date = fund.business_date
    if not terms.number or not terms.number.strip():
        refuse("number", _("Enter the contract number."))
    if terms.signed_on > business_date:
        refuse(
            "signed_on",
            _("The contract cannot be signed after the business date (%(date)s).")
            % {"date": format_date(business_date)},
        )
    elif loan.decided_on and terms.signed_on < loan.decided_on:
        refuse(
            "signed_on",
            _("The contract cannot be signed before the loan was approved (%(date)s).")
            % {"date": format_date(loan.decided_on)},
        )
    rate = terms.annual_rate if terms.annual_rate is not None else loan.approved_rate
    # The contract may set its own rate, within the fund's highest and the approved one (below);
    # the product's ranges hold.
    limits = Limits.of(product, rate_cap=fund.max_annual_rate, product_rate=False)
    problems = terms_errors(
        amount=terms.amount,
        term_months=terms.term_months,
        annual_rate=rate,
        grace_months=terms.grace_months,
        limits=limits,
    )
    for field, message in problems.items():
        refuse(field, message)
    # The approver's decision bounds the contract (four eyes): no more money, time or interest.
    approved = loan.approved_amount.amount
    if "amount" not in problems and terms.amount > approved:
        refuse(
            "amount",
            _("The contract cannot lend more than the %(approved)s approved.")
            % {"approved": format_vnd(approved)},
        )
    if "term_months" not in problems and terms.term_months > loan.approved_term_months:
        refuse(
            "term_months",
            _("The contract cannot run longer than the %(months)s months approved.")
            % {"months": loan.approved_term_months},
        )
    if "annual_rate" not in problems and rate > loan.approved_rate:
        refuse(
            "annual_rate",
            _("The contract cannot charge more than the %(rate)s a year approved.")
            % {"rate": format_percent(loan.approved_rate)},
        )
    if terms.first_due_date is not None and terms.first_due_date <= terms.signed_on:
        refuse("first_due_date", _("The first due date comes after the signing date."))
    if loan.is_group_loan:
        _check_share_amounts(loan, terms, refuse)
    if not errors:
        _check_schedule(product, terms, rate, refuse)
    return errors


def _check_share_amounts(loan: Loan, terms: ContractTerms, refuse) -> None:
    amounts = terms.share_amounts or {}
    shares = {share.pk: share for share in loan.member_shares.select_related("member")}
    if set(amounts) - set(shares):
        refuse("share_amounts", _("Only the households of this loan can have a share."))
        return
    refused = False
    for pk, amount in amounts.items():
        share = shares[pk]
        limit = (share.approved_amount or share.amount).amount
        if amount is None or amount < 0 or amount != amount.to_integral_value():
            refuse("share_amounts", _("%(member)s: a whole number of đồng.") % {"member": share.member})
            refused = True
        elif amount > limit:
            refuse(
                "share_amounts",
                _("%(member)s: more than the %(limit)s approved.")
                % {"member": share.member, "limit": format_vnd(limit)},
            )
            refused = True
    # The sum only once each amount is sound: a refused one may be too long to even show.
    total = sum((a for a in amounts.values() if a), Decimal(0))
    if not refused and terms.amount is not None and terms.amount <= MAX_AMOUNT and total != terms.amount:
        refuse(
            "share_amounts",
            _("The households' amounts add up to %(total)s, not the contract's %(amount)s.")
            % {"total": format_vnd(total), "amount": format_vnd(terms.amount)},
        )


def _check_schedule(product, terms: ContractTerms, rate: Decimal, refuse) -> None:
    """The terms must make a schedule: tried from the signing date, the earliest disbursement."""
    loan_terms = LoanTerms.of_product(
        product,
        annual_rate=rate,
        term_months=terms.term_months,
        grace_months=terms.grace_months,
        first_due_date=terms.first_due_date,
        calendar=fund_calendar(),
    )
    try:
        loan_terms.schedule_terms(principal=terms.amount, start=terms.signed_on)
    except ScheduleError as error:
        for field, message in error.errors.items():
            refuse(
                field if field in ("term_months", "grace_months", "first_due_date") else "__all__", message
            )

"""Loan applications up to the appraisal: create, edit, attach documents, submit, withdraw.

A draft may be incomplete; submitting it checks every rule of the product and the fund, so
that appraisers only ever see applications the fund could lend on.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import FieldErrors
from common.money import MAX_AMOUNT, format_vnd
from common.text import cleaned_text, too_long
from fund.models import Borrower, HouseholdMember, LoanProduct
from fund.selectors import current_fund, is_coop_user
from fund.services import freeze_product
from fund.services.documents import DocumentUpload, file_document
from loans.domain.terms import Limits, amount_problem, term_problem
from loans.models import Loan, LoanDocument, LoanMemberShare, LoanStatus
from loans.queries import lock_loan_row
from loans.selectors.origination import exposure_problem, missing_documents
from loans.services.transitions import apply_transition


@dataclass(frozen=True)
class ApplicationTerms:
    """What an application asks for. `shares` only for a household group: (member, amount)."""

    borrower: Borrower
    product: LoanProduct
    amount: Decimal
    term_months: int
    purpose: str
    proposed_collateral: str = ""
    shares: Sequence[tuple[HouseholdMember, Decimal]] = ()


def _check_acts_for(actor, borrower: Borrower) -> None:
    """A co-op user acts only for its own borrower."""
    if is_coop_user(actor) and actor.borrower_id != borrower.pk:
        raise PermissionDenied(_("You can only apply for your own co-operative."))


def _terms_errors(terms: ApplicationTerms) -> dict[str, list[str]]:
    """Every way the requested terms break the product's rules, by form field."""
    errors = FieldErrors()
    refuse = errors.refuse

    borrower, product = terms.borrower, terms.product
    if borrower.status != Borrower.Status.ACTIVE:
        refuse(
            "borrower",
            _("%(borrower)s is %(status)s and cannot borrow.")
            % {"borrower": borrower, "status": borrower.get_status_display().lower()},
        )
    if not product.is_offered:
        refuse("product", _("The product %(product)s is no longer offered.") % {"product": product.name})
    if not product.allows(borrower.type):
        refuse(
            "product",
            _("%(product)s does not lend to a %(type)s.")
            % {"product": product.name, "type": borrower.get_type_display()},
        )
    limits = Limits.of(product, rate_cap=current_fund().max_annual_rate)
    for field, problem in (
        ("amount", amount_problem(terms.amount, limits)),
        ("term_months", term_problem(terms.term_months, limits)),
    ):
        if problem:
            refuse(field, problem)
    if not terms.purpose or not terms.purpose.strip():
        refuse("purpose", _("Say what the loan is for."))
    for name in ("purpose", "proposed_collateral"):
        if problem := too_long(getattr(terms, name) or ""):
            refuse(name, problem)
    _check_shares(terms, refuse)
    return errors


def _check_shares(terms: ApplicationTerms, refuse) -> None:
    if not terms.borrower.is_household_group:
        if terms.shares:
            refuse("shares", _("Only a household group's loan is split among households."))
        return
    if not terms.shares:
        refuse("shares", _("A household group's loan lists each household's share."))
        return
    members = [member for member, _amount in terms.shares]
    if len({m.pk for m in members}) != len(members):
        refuse("shares", _("Each household appears once."))
    refused = False
    for member, amount in terms.shares:
        if member.borrower_id != terms.borrower.pk or not member.is_current:
            refuse("shares", _("%(member)s is not a current member of this group.") % {"member": member})
        if amount is None or amount <= 0 or amount != amount.to_integral_value() or amount > MAX_AMOUNT:
            refuse(
                "shares", _("%(member)s: the share is a whole number of đồng above 0.") % {"member": member}
            )
            refused = True
    # The sum only once each share is sound: a refused one may be too long to even show.
    total = sum((amount or Decimal(0) for _member, amount in terms.shares), Decimal(0))
    if not refused and terms.amount is not None and terms.amount <= MAX_AMOUNT and total != terms.amount:
        refuse(
            "shares",
            _("The households' shares add up to %(total)s, not the amount of %(amount)s.")
            % {"total": format_vnd(total), "amount": format_vnd(terms.amount)},
        )


def _save_terms(loan: Loan, terms: ApplicationTerms) -> None:
    loan.borrower = terms.borrower
    loan.product = terms.product
    loan.amount = terms.amount
    loan.term_months = terms.term_months
    loan.purpose = terms.purpose.strip()
    loan.proposed_collateral = terms.proposed_collateral.strip()
    loan.save()
    loan.member_shares.all().delete()
    LoanMemberShare.objects.bulk_create(
        LoanMemberShare(loan=loan, member=member, amount=amount) for member, amount in terms.shares
    )


@transaction.atomic
def create_application(*, actor, terms: ApplicationTerms) -> Loan:
    if not actor.has_perm("loans.add_loan"):
        raise PermissionDenied(_("You are not allowed to create loan applications."))
    _check_acts_for(actor, terms.borrower)
    errors = _terms_errors(terms)
    if errors:
        raise ValidationError(errors)
    loan = Loan(created_by=actor)
    _save_terms(loan, terms)
    return loan


@transaction.atomic
def update_application(*, actor, loan: Loan, terms: ApplicationTerms) -> Loan:
    if not actor.has_perm("loans.change_loan"):
        raise PermissionDenied(_("You are not allowed to change loan applications."))
    _check_acts_for(actor, loan.borrower)
    _check_acts_for(actor, terms.borrower)
    loan = lock_loan_row(loan.pk)
    if loan.status != LoanStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed; this application is %(status)s.")
            % {"status": loan.get_status_display().lower()}
        )
    errors = _terms_errors(terms)
    if errors:
        raise ValidationError(errors)
    _save_terms(loan, terms)
    return loan


@transaction.atomic
def add_document(*, actor, loan: Loan, **upload: Unpack[DocumentUpload]) -> LoanDocument:
    if not actor.has_perm("loans.add_loandocument"):
        raise PermissionDenied(_("You are not allowed to add documents to a dossier."))
    _check_acts_for(actor, loan.borrower)
    if loan.status not in (LoanStatus.DRAFT, LoanStatus.SUBMITTED, LoanStatus.APPRAISING):
        raise ValidationError(
            _("The dossier of an application that is %(status)s is closed.")
            % {"status": loan.get_status_display().lower()}
        )
    return file_document(LoanDocument, actor=actor, loan=loan, **upload)


def _terms_of(loan: Loan) -> ApplicationTerms:
    shares = [(share.member, share.amount.amount) for share in loan.member_shares.select_related("member")]
    return ApplicationTerms(
        borrower=loan.borrower,
        product=loan.product,
        amount=loan.amount.amount,
        term_months=loan.term_months,
        purpose=loan.purpose,
        proposed_collateral=loan.proposed_collateral,
        shares=shares,
    )


@transaction.atomic
def submit_application(*, actor, loan: Loan, expected_status: str | None = None, note: str = "") -> Loan:
    """Submit a draft for appraisal once the product's and the fund's rules all hold."""
    _check_acts_for(actor, loan.borrower)
    errors = _terms_errors(_terms_of(loan)) if loan.status == LoanStatus.DRAFT else {}
    if loan.status == LoanStatus.DRAFT:
        problem = exposure_problem(loan, loan.amount.amount)
        if problem:
            errors.setdefault("amount", []).append(problem)
        missing = missing_documents(loan)
        if missing:
            errors.setdefault("documents", []).append(
                _("The dossier lacks: %(documents)s.") % {"documents": ", ".join(d.name for d in missing)}
            )
    if errors:
        raise ValidationError(errors)
    loan = apply_transition(
        loan,
        "submit",
        actor=actor,
        note=note,
        expected_status=expected_status,
        submitted_on=current_fund().business_date,
    )
    freeze_product(product=loan.product)
    return loan


@transaction.atomic
def withdraw_application(*, actor, loan: Loan, reason: str, expected_status: str | None = None) -> Loan:
    _check_acts_for(actor, loan.borrower)
    reason = cleaned_text(reason, "reason", required=_("Say why the application is withdrawn."))
    return apply_transition(loan, "withdraw", actor=actor, note=reason, expected_status=expected_status)

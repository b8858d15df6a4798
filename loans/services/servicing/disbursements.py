"""Disbursement (giải ngân): an officer enters a tranche, an accountant authorizes and posts it.

Authorizing posts the tranche as the posting rules say (`fund.accounting`), once: the tranche
row is locked and a repeated or concurrent authorization finds it already posted. Every step
holds the loan (`queries.lock_loan`), as every money event does. The first tranche makes the
loan active.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from common.dates import format_date
from common.errors import FieldErrors
from common.money import ONE_DONG, ZERO, format_vnd, split_vnd
from common.text import cleaned_text
from common.transitions import check, run
from fund import accounting
from fund.selectors import current_fund, value_date_problem
from fund.services.common import require_permission
from ledger.models import Account
from ledger.selectors import account_balance
from ledger.services import EntryDraft, post_entry
from loans import replaying
from loans.domain.engine import LoanEventError
from loans.models import Disbursement, DisbursementShare, Loan, LoanMemberShare, LoanStatus, LoanTransaction
from loans.queries import ServicedLoan, lock_loan
from loans.services.servicing.settling import settle
from loans.services.transitions import apply_transition_by_id

TRANCHE = gettext_lazy("A tranche")  # as a refused transition names it


@transaction.atomic
def record_disbursement(
    *,
    actor,
    loan: Loan,
    value_date: date,
    amount: Decimal,
    account: Account,
    memo: str = "",
    share_amounts: dict[int, Decimal] | None = None,
    idempotency_key: str = "",
) -> Disbursement:
    """Enter a tranche for authorization. A group loan's tranche is split among its households
    (`share_amounts`, by share id; by default in proportion to what each has left to draw).
    Entering it again with the same `idempotency_key` returns it unchanged."""
    require_permission(actor, "loans.add_disbursement")
    loan = lock_loan(loan.pk)
    if idempotency_key:
        entered = Disbursement.objects.filter(idempotency_key=idempotency_key).first()
        if entered is not None:
            return entered
    errors = _tranche_errors(loan, value_date, amount, account)
    if errors:
        raise ValidationError(errors)
    disbursement = Disbursement.objects.create(
        loan_id=loan.pk,
        value_date=value_date,
        amount=amount,
        account=account,
        memo=memo.strip(),
        recorded_by=actor,
        idempotency_key=idempotency_key,
    )
    if loan.is_group_loan:
        split = share_amounts or _split_by_what_is_left(loan, amount)
        _check_split(loan, amount, split)
        DisbursementShare.objects.bulk_create(
            DisbursementShare(disbursement=disbursement, share_id=pk, amount=part)
            for pk, part in split.items()
            if part
        )
    return disbursement


def _drawn(loan: ServicedLoan) -> Decimal:
    total = (
        Disbursement.objects.filter(loan_id=loan.pk)
        .exclude(status__in=Disbursement.NOT_DRAWN)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or ZERO


def _status_problem(loan: ServicedLoan) -> str | None:
    if loan.status in (LoanStatus.APPROVED, LoanStatus.ACTIVE):
        return None
    return _("Only an approved or active loan is disbursed; this one is %(status)s.") % {
        "status": loan.get_status_display().lower()
    }


def _tranche_errors(
    loan: ServicedLoan, value_date: date, amount: Decimal, account: Account
) -> dict[str, list[str]]:
    errors = FieldErrors()
    refuse = errors.refuse

    if problem := _status_problem(loan):
        refuse("__all__", problem)
        return errors
    contract = loan.contract
    if contract is None:
        refuse("__all__", _("Record the signed contract before the first tranche."))
        return errors
    fund = current_fund()
    if problem := value_date_problem(value_date, fund=fund):
        refuse("value_date", problem)
    if value_date < contract.signed_on:
        refuse(
            "value_date",
            _("A tranche cannot come before the contract was signed (%(date)s).")
            % {"date": format_date(contract.signed_on)},
        )
    authorized = Disbursement.objects.filter(loan_id=loan.pk, status=Disbursement.Status.AUTHORIZED)
    last = authorized.order_by("-value_date").first()
    if last is not None and value_date < last.value_date:
        refuse(
            "value_date",
            _("A tranche cannot come before the previous one (%(date)s).")
            % {"date": format_date(last.value_date)},
        )
    first = authorized.order_by("value_date").first()
    if first is not None:
        terms = replaying.loan_terms(contract).schedule_terms(principal=ONE_DONG, start=first.value_date)
        if value_date >= terms.maturity_date:
            refuse(
                "value_date",
                _("The loan matures on %(date)s: no tranche on or after that day.")
                % {"date": format_date(terms.maturity_date)},
            )
    if amount is None or amount <= 0 or amount != amount.to_integral_value():
        refuse("amount", _("The amount is a whole number of đồng above 0."))
    else:
        left = contract.amount - _drawn(loan)
        if amount > left:
            refuse(
                "amount",
                _("Only %(left)s of the contract's %(total)s is left to disburse.")
                % {"left": format_vnd(left), "total": format_vnd(contract.amount)},
            )
    if not fund.lending_accounts.filter(pk=account.pk).exists():
        refuse("account", _("Choose one of the fund's cash or bank accounts it lends from."))
    return errors


def _left_per_share(loan: ServicedLoan) -> dict[int, Decimal]:
    drawn = dict(
        DisbursementShare.objects.filter(disbursement__loan_id=loan.pk)
        .exclude(disbursement__status__in=Disbursement.NOT_DRAWN)
        .values_list("share")
        .annotate(total=Sum("amount"))
    )
    return {
        share.pk: share.contract_amount.amount - (drawn.get(share.pk) or ZERO)
        for share in LoanMemberShare.objects.filter(loan_id=loan.pk, contract_amount__isnull=False)
    }


def _split_by_what_is_left(loan: ServicedLoan, amount: Decimal) -> dict[int, Decimal]:
    """`amount` shared in proportion to what each household has left to draw."""
    return split_vnd(amount, {pk: rest for pk, rest in _left_per_share(loan).items() if rest > 0})


def _check_split(loan: ServicedLoan, amount: Decimal, split: dict[int, Decimal]) -> None:
    left = _left_per_share(loan)
    problems = []
    for pk, part in split.items():
        if pk not in left:
            problems.append(_("A tranche goes only to the households in the contract."))
        elif part < 0:
            problems.append(_("A household's part cannot be negative."))
        elif part > left[pk]:
            problems.append(
                _("A household's part is more than it has left to draw (%(left)s).")
                % {"left": format_vnd(left[pk])}
            )
    if sum(split.values(), ZERO) != amount:
        problems.append(_("The households' parts do not add up to the tranche."))
    if problems:
        raise ValidationError({"share_amounts": problems})


@transaction.atomic
def authorize_disbursement(*, actor, disbursement: Disbursement) -> Disbursement:
    """Authorize and post a tranche (not by whoever entered it). Posting twice is impossible."""
    disbursement = (
        Disbursement.objects.select_for_update(of=("self",)).select_related("account").get(pk=disbursement.pk)
    )
    if disbursement.status == Disbursement.Status.AUTHORIZED:
        return disbursement  # someone (or a double click) already did: nothing more to post
    authorized = pgettext_lazy("tranche", "authorized")
    check(disbursement, "authorize", actor=actor, subject=TRANCHE, action=authorized)
    if disbursement.recorded_by_id == actor.pk:
        raise PermissionDenied(_("Whoever entered a tranche cannot authorize it: ask another accountant."))
    loan = lock_loan(disbursement.loan_id)
    # A tranche left waiting while its loan was repaid and closed must not pay out (nor reopen it).
    if problem := _status_problem(loan):
        raise ValidationError(problem)
    _check_funds(disbursement)
    amount = disbursement.amount.amount
    entry = post_entry(
        _entry(disbursement, reference=loan.reference, contract=loan.contract.number, gl=loan.gl),
        created_by=actor,
    )
    parts = list(disbursement.shares.all()) if loan.is_group_loan else [None]
    booked_on = current_fund().business_date
    LoanTransaction.objects.bulk_create(
        LoanTransaction(
            loan_id=loan.pk,
            share_id=part.share_id if part else None,
            kind=LoanTransaction.Kind.DISBURSEMENT,
            value_date=disbursement.value_date,
            booking_date=booked_on,
            amount=part.amount.amount if part else amount,
            principal=part.amount.amount if part else amount,
            interest=ZERO,
            late_interest=ZERO,
            penalty=ZERO,
            disbursement=disbursement,
            journal_entry=entry,
        )
        for part in parts
    )
    disbursement.authorize()  # checked above, before anything was posted
    disbursement.decided_by, disbursement.decided_at = actor, timezone.now()
    disbursement.save()
    if loan.status == LoanStatus.APPROVED:
        apply_transition_by_id(loan.pk, "activate", actor=actor, note=_("First tranche paid out."))
    try:
        # The loan as it is now (active), its lock already held.
        settle(lock_loan(loan.pk), actor=actor, since=disbursement.value_date)
    except LoanEventError as error:
        raise ValidationError(str(error)) from None
    return disbursement


def entry_to_authorize(disbursement: Disbursement) -> EntryDraft:
    """The entry authorizing the tranche would post, read without a lock: what its confirmation
    shows (the checks run when it is authorized)."""
    accounts = (f"product__{name}" for name in accounting.product_fields().values())
    loan = Loan.objects.select_related("contract", *accounts).get(pk=disbursement.loan_id)
    gl = accounting.gl_map(loan.product)
    return _entry(disbursement, reference=loan.reference, contract=loan.contract.number, gl=gl)


def _entry(disbursement: Disbursement, *, reference: str, contract: str, gl: accounting.GLMap) -> EntryDraft:
    """The tranche's entry: what it pays out from the lending account to the loan's principal."""
    return EntryDraft(
        value_date=disbursement.value_date,
        memo=_("Disbursement of %(loan)s, contract %(contract)s") % {"loan": reference, "contract": contract},
        lines=accounting.lines(
            accounting.Disbursement(
                amount=disbursement.amount.amount, paid_from=disbursement.account.code, contract=contract
            ),
            gl,
        ),
        idempotency_key=f"loans:disbursement:{disbursement.pk}",
        source_kind="disbursement",
        source_ref=reference,
    )


def _check_funds(disbursement: Disbursement) -> None:
    """The lending account must hold the tranche on its date and still today (nothing overdrawn)."""
    code = disbursement.account.code
    business_date = current_fund().business_date
    available = min(
        account_balance(code=code, as_of=disbursement.value_date),
        account_balance(code=code, as_of=max(business_date, disbursement.value_date)),
    )
    if available < disbursement.amount.amount:
        raise ValidationError(
            _("Account %(account)s holds %(available)s: it cannot pay out %(amount)s.")
            % {
                "account": disbursement.account,
                "available": format_vnd(available),
                "amount": format_vnd(disbursement.amount.amount),
            }
        )


@transaction.atomic
def cancel_disbursement(*, actor, disbursement: Disbursement, reason: str) -> Disbursement:
    """Cancel a tranche still waiting: the officer who entered tranches, or the accountant asked
    to authorize it, may."""
    require_permission(actor, "loans.add_disbursement", "loans.authorize_disbursement")
    disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    lock_loan(disbursement.loan_id)  # held as by every money event: the loan's other tranches wait
    reason = cleaned_text(reason, "reason", required=_("Say why the tranche is cancelled."))
    run(disbursement, "cancel", actor=actor, subject=TRANCHE, action=pgettext_lazy("tranche", "cancelled"))
    disbursement.decided_by, disbursement.decided_at = actor, timezone.now()
    disbursement.cancel_reason = reason
    disbursement.save()
    return disbursement

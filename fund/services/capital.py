"""The fund's capital: where it comes from and each amount received, posted to the ledger."""

import datetime as dt
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.money import is_whole_dong
from fund import accounting
from fund.models import CapitalReceipt, CapitalSource, User
from fund.selectors import value_date_problem
from fund.services.common import locked_fund, require_permission
from ledger.models import Account
from ledger.services import EntryDraft, post_entry


def create_capital_source(
    *, actor: User, kind: str, name: str, account: Account | None = None, notes: str = ""
) -> CapitalSource:
    """A source of capital; its account defaults to the chart's account for its kind."""
    require_permission(actor, "fund.add_capitalsource")
    with transaction.atomic():
        # Names are unique per fund: the lock makes a form sent twice at once queue and be refused.
        fund = locked_fund()
        if account is None and kind in CapitalSource.DEFAULT_ACCOUNT_CODES:
            account = Account.objects.filter(code=CapitalSource.DEFAULT_ACCOUNT_CODES[kind]).first()
        source = CapitalSource(fund=fund, kind=kind, name=name, account=account, notes=notes)
        source.full_clean()
        source.save()
    return source


def record_capital_receipt(
    *,
    actor: User,
    source: CapitalSource,
    amount: Decimal,
    account: Account,
    value_date: dt.date | None = None,
    memo: str = "",
    key: uuid.UUID | None = None,
) -> CapitalReceipt:
    """Record money received from a capital source into one of the fund's cash or bank accounts,
    posted as the posting rules say (`fund.accounting`).

    `key` makes a resubmitted form harmless: a receipt already recorded under it is returned.
    """
    require_permission(actor, "fund.add_capitalreceipt")
    if not isinstance(amount, Decimal) or amount <= 0 or not is_whole_dong(amount):
        raise ValidationError({"amount": _("The amount is a positive whole number of đồng.")})
    with transaction.atomic():
        # The lock queues a form sent twice at once: the second then finds the first's receipt.
        fund = locked_fund()
        if key is not None:
            existing = CapitalReceipt.objects.filter(key=key).first()
            if existing is not None:
                return existing
        receipt = CapitalReceipt(
            source=source,
            amount=amount,
            account=account,
            value_date=value_date or fund.business_date,
            memo=memo,
            key=key or uuid.uuid4(),
            created_by=actor,
        )
        _check_receipt(receipt, fund)
        receipt.journal_entry = post_entry(
            EntryDraft(
                value_date=receipt.value_date,
                memo=receipt.memo or _("Capital received: %(source)s") % {"source": source.name},
                lines=accounting.lines(
                    accounting.CapitalReceipt(
                        amount=amount, received_into=account.code, capital_account=source.account.code
                    )
                ),
                idempotency_key=f"fund.capital-receipt:{receipt.key}",
                source_kind="capital",
                source_ref=str(receipt.key),
            ),
            created_by=actor,
        )
        receipt.save()
    return receipt


def _check_receipt(receipt: CapitalReceipt, fund) -> None:
    errors = {}
    if not fund.lending_accounts.filter(pk=receipt.account.pk).exists():
        errors["account"] = _("Choose one of the fund's cash or bank accounts.")
    if problem := value_date_problem(receipt.value_date, fund=fund):
        errors["value_date"] = problem
    if errors:
        raise ValidationError(errors)
    receipt.full_clean(exclude=["journal_entry"])

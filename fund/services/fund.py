"""Setting up the fund, its business date and its approval authority levels."""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from fund.models import AuthorityLevel, Fund, User
from fund.models.accounts import account_problem
from fund.models.fund import DEFAULT_FUND_ACCOUNTS
from fund.services.calendar import calendar_changed, rest_weekdays_problem, seed_public_holidays
from fund.services.common import assign_fields, locked_fund, refused_if_taken, require_permission
from ledger.models import Account

FUND_FIELDS = (
    "name",
    "legal_form",
    "province",
    "address",
    "tax_code",
    "charter_capital",
    "exposure_cap",
    "exposure_charter_share",
    "max_annual_rate",
    "non_accrual_from_group",
    "worst_group_per_borrower",
    "cure_installments",
    "accrual_posting",
    "rest_weekdays",
    "aging_buckets",
    "par_days",
    "off_balance_years",
    "reminder_days_before",
    "overdue_notice_days",
    "other_receivables_account",
    "refunds_payable_account",
)


def set_up_fund(
    *, actor: User, fields: Mapping[str, Any], business_date: dt.date, lending_accounts: Iterable[Account]
) -> Fund:
    """Create the installation's one fund; its business date starts on the given day."""
    require_permission(actor, "fund.add_fund")
    if business_date > timezone.localdate():
        raise ValidationError({"business_date": _("The business date cannot be after today.")})
    fund = Fund(business_date=business_date, opened_on=business_date)
    for name, code in DEFAULT_FUND_ACCOUNTS.items():
        setattr(fund, name, Account.objects.filter(code=code).first())
    assign_fields(fund, fields, FUND_FIELDS)
    with refused_if_taken(fund):
        accounts = _checked_lending_accounts(lending_accounts)
        fund.full_clean()  # its one-row constraint refuses a second fund
        fund.save()
        fund.lending_accounts.set(accounts)
        seed_public_holidays(fund, actor=actor)
    return fund


def update_fund(
    *, actor: User, fields: Mapping[str, Any], lending_accounts: Iterable[Account] | None = None
) -> Fund:
    """Change the fund's settings. The business date moves only by close of day."""
    require_permission(actor, "fund.change_fund")
    with transaction.atomic():
        fund = locked_fund()
        rest_weekdays = fund.rest_weekdays
        if "rest_weekdays" in fields and (problem := rest_weekdays_problem(fund, fields["rest_weekdays"])):
            raise ValidationError({"rest_weekdays": problem})
        assign_fields(fund, fields, FUND_FIELDS)
        accounts = _checked_lending_accounts(lending_accounts) if lending_accounts is not None else None
        fund.full_clean()
        fund.save()
        if accounts is not None:
            fund.lending_accounts.set(accounts)
        if fund.rest_weekdays != rest_weekdays:
            calendar_changed(fund)
    return fund


def next_business_date(fund: Fund) -> Fund:
    """Close of day's last step: the business date becomes the next day, never beyond today's
    calendar date (Asia/Ho_Chi_Minh). Only close of day calls it (`loans.services.closing`),
    with the fund locked (`locked_fund`), in the transaction that closed the day."""
    refuse_day_not_over(fund)
    fund.business_date += dt.timedelta(days=1)
    fund.save(update_fields=["business_date"])
    return fund


def refuse_day_not_over(fund: Fund) -> None:
    """Close of day's first check: the business date must be over (before today's date)."""
    if fund.business_date + dt.timedelta(days=1) > timezone.localdate():
        raise ValidationError(
            _("%(date)s is not over yet: its close of day runs from tomorrow.")
            % {"date": format_date(fund.business_date)}
        )


def create_authority_level(
    *, actor: User, name: str, max_amount: Decimal | None, holders: Iterable[User] = ()
) -> AuthorityLevel:
    require_permission(actor, "fund.add_authoritylevel")
    with transaction.atomic():
        # Levels are unique by name and limit within the fund: the lock queues twin requests.
        level = AuthorityLevel(fund=locked_fund(), name=name, max_amount=max_amount)
        return _save_level(level, holders)


def update_authority_level(
    *, actor: User, level: AuthorityLevel, name: str, max_amount: Decimal | None, holders: Iterable[User]
) -> AuthorityLevel:
    require_permission(actor, "fund.change_authoritylevel")
    with transaction.atomic():
        locked_fund()  # as when creating one
        level = AuthorityLevel.objects.select_for_update().get(pk=level.pk)
        level.name, level.max_amount = name, max_amount
        return _save_level(level, holders)


def _save_level(level: AuthorityLevel, holders: Iterable[User]) -> AuthorityLevel:
    holders = list(holders)
    inactive = [user.username for user in holders if not user.is_active]
    if inactive:
        raise ValidationError(
            {"holders": _("These users are inactive: %(users)s.") % {"users": ", ".join(inactive)}}
        )
    level.full_clean()
    level.save()
    level.holders.set(holders)
    return level


def _checked_lending_accounts(accounts: Iterable[Account]) -> list[Account]:
    accounts = list(accounts)
    if not accounts:
        raise ValidationError({"lending_accounts": _("Choose at least one cash or bank account.")})
    problems = [
        problem for account in accounts if (problem := account_problem(account, expected_type="asset"))
    ]
    if problems:
        raise ValidationError({"lending_accounts": problems})
    return accounts

"""Money columns the way every fund table stores them: whole đồng, VND only."""

from django.db import models
from djmoney.models.fields import MoneyField

from common.money import MONEY_DIGITS

VND = "VND"


def vnd_field(verbose_name, **kwargs) -> MoneyField:
    """A MoneyField in whole đồng (DESIGN.md: max_digits=18, decimal_places=0, VND)."""
    return MoneyField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=0, default_currency=VND, **kwargs)


def vnd_only(table: str, *fields: str) -> list[models.CheckConstraint]:
    """Check constraints keeping each money column's currency at VND (NULL for an empty amount)."""
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{name}_currency": VND}) | models.Q(**{f"{name}_currency__isnull": True}),
            name=f"{table}_{name}_vnd",
        )
        for name in fields
    ]

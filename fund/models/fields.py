"""Columns the way every fund table declares them: money in whole đồng, VND only, and the
ledger's rows (accounts, journal entries) a record posts to."""

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


def ledger_account(verbose_name=None, **kwargs) -> models.ForeignKey:
    """An account of the chart the row posts to or from: it stays while the row does (PROTECT),
    and the ledger, which knows nothing of the other apps, gets no reverse accessor."""
    return models.ForeignKey(
        "ledger.Account", verbose_name=verbose_name, on_delete=models.PROTECT, related_name="+", **kwargs
    )


def posted_entry(**kwargs) -> models.ForeignKey:
    """The journal entry that posted the row (PROTECT, no reverse accessor: see ledger_account)."""
    return models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+", **kwargs)

"""Declarations that recur across the apps' models: who did something to a row (and when), and
the database's own checks that a choice column holds one of its choices and that a column is
above zero."""

from django.conf import settings
from django.db import models


def staff_user(verbose_name=None, **kwargs) -> models.ForeignKey:
    """The user who did something to the row (created, entered, decided, closed it): the user
    stays while the row does (PROTECT), and gets no reverse accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


def who_and_when(by=None, at=None, *, later: bool = False) -> tuple[models.ForeignKey, models.DateTimeField]:
    """The user who did something to the row and the moment they did, as a pair of fields
    (`entered_by, entered_at = who_and_when(...)`): stamped as the row is written, or, `later`,
    empty until a transition fills both in (authorized, reversed, reopened)."""
    if later:
        return staff_user(by, null=True, blank=True), models.DateTimeField(at, null=True, blank=True)
    return staff_user(by), models.DateTimeField(at, auto_now_add=True)


def one_of(table: str, field: str, values) -> models.CheckConstraint:
    """`table_field_valid`: the column holds one of `values` (its choices), whoever writes it."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": list(values)}), name=f"{table}_{field}_valid"
    )


def positive(field: str, *, name: str) -> models.CheckConstraint:
    """The column is above zero (an amount, a weight, a sequence), whoever writes it."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__gt": 0}), name=name)

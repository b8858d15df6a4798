"""Queryset pieces the list pages' selectors share."""

from typing import Any, TypeVar

from django.db.models import QuerySet

Rows = TypeVar("Rows", bound=QuerySet)


def filter_given(queryset: Rows, **lookups: Any) -> Rows:
    """`queryset` filtered by each lookup that has a value: a filter left empty means any."""
    return queryset.filter(**{lookup: value for lookup, value in lookups.items() if value})

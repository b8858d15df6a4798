"""What every fund service does first: check the actor's permission, apply typed fields."""

from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _


def require_permission(actor, *permissions: str) -> None:
    """The actor must hold one of `permissions`."""
    if actor is None or not actor.is_active or not any(actor.has_perm(p) for p in permissions):
        raise PermissionDenied(
            _("Your role does not allow this. Ask the fund's administrator if you need it.")
        )


def refuse_unknown_fields(
    model: type[models.Model], fields: Mapping[str, Any], allowed: Collection[str]
) -> None:
    """A field name outside `allowed` is a programming error, not user input."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"{model.__name__} fields not settable here: {', '.join(unknown)}")


def assign_fields(instance: models.Model, fields: Mapping[str, Any], allowed: Collection[str]) -> None:
    refuse_unknown_fields(type(instance), fields, allowed)
    for name, value in fields.items():
        setattr(instance, name, value)

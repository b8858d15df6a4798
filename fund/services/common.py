"""What fund services share: the actor's permission, typed fields, the locked fund, and a
save that a twin request may have beaten."""

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from fund.models import Fund
from fund.selectors import current_fund


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


def locked_fund() -> Fund:
    """The fund, its row locked until the transaction ends: changes to the fund, or to what must
    be unique within it, queue behind one another (a form sent twice at once is then refused or
    finds the first one's work). Call inside `transaction.atomic()`."""
    return Fund.objects.select_for_update().get(pk=current_fund().pk)


@contextmanager
def refused_if_taken(instance: models.Model) -> Iterator[None]:
    """Run the saving of a new `instance` in one transaction. Its unique values were checked
    before saving, but a twin request (a form sent twice at once) may have saved them since:
    checked again then, it is refused with the constraint's own message."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        instance.validate_constraints()
        raise

"""Issuing and revoking API tokens: a user for itself, an administrator for anyone."""

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.models import ApiToken, User
from fund.models.tokens import key_hash

# A token outlives no more than this; a longer-lived machine gets a new one before it ends.
MAX_DAYS = 366
_NAME_MAX = ApiToken._meta.get_field("name").max_length


def _check_may_manage(actor, user: User) -> None:
    if actor is None or not actor.is_active or (actor.pk != user.pk and not actor.is_superuser):
        raise PermissionDenied(_("Only the token's user or an administrator may do this."))


def issue_token(*, actor, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`, valid `days` days; its key is returned once and never stored."""
    _check_may_manage(actor, user)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Say what will use the token.")]
    elif len(name) > _NAME_MAX:
        errors["name"] = [_("At most %(limit)s characters.") % {"limit": _NAME_MAX}]
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [_("Between 1 and %(limit)s days.") % {"limit": MAX_DAYS}]
    if not user.is_active:
        errors.setdefault("__all__", []).append(_("An inactive user cannot have tokens."))
    if errors:
        raise ValidationError(errors)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:8],
            key_hash=key_hash(key),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
    return token, key


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> ApiToken:
    """End a token now; revoking one already revoked changes nothing."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    _check_may_manage(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token

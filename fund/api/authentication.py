"""Who calls the API: a person logged in (the session) or a machine with a token.

A token is sent as `Authorization: Token <key>` (or `Bearer <key>`). It acts as its user, with
that user's roles, but it may only read and record repayments: what needs a person's judgement
(reversing, authorizing, deciding) asks for a session (`PersonLoggedIn`).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from fund.models import ApiToken
from fund.selectors import usable_token

# `last_used_at` is written at most this often per token: not one write per request.
_LAST_USED_EVERY = 60


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Token <key>."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = usable_token(key) if len(key) <= 100 else None
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > _LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes an unauthenticated call a 401 (with this challenge) rather than a 403.
        return "Token"


class PersonLoggedIn(permissions.BasePermission):
    """The call must come from a person logged in, not from a token."""

    message = _("This needs a person logged in; an API token may not do it.")

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiToken)


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>, made on the API tokens page; shown once, revocable, with an expiry.",
        }

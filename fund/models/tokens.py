"""API tokens: how a machine (the Farmers' Union's collection system, the bank) calls the API as
one user, without that user's password.

Only a hash of the key is kept: the key is shown once, when it is made, and cannot be read back.
A token ends at its expiry or when revoked, whichever comes first.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def key_hash(key: str) -> str:
    """The stored form of a key. A key is 32 random bytes, so a plain SHA-256 is enough: there is
    nothing to guess, unlike a password, that a slow hash would protect."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. the bank's system."))
    # The key's first characters, shown to tell the user's tokens apart.
    prefix = models.CharField(_("begins with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

"""Names as pages show them: those kept in both languages (an account, a document type) in the
user's language, and a user by name."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.languages import language


def person_name(user) -> str:
    """A user the way every page and sheet names one: the full name, else the login name ("" for
    nobody)."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def localized_name(name_vi: str, name_en: str) -> str:
    """The name in the current language: Vietnamese unless English is chosen."""
    return name_en if language().startswith("en") else name_vi


class BilingualName(models.Model):
    """A name in Vietnamese and in English; `name` is the one in the user's language."""

    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return localized_name(self.name_vi, self.name_en)

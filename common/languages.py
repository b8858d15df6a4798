"""Which language a text is written in, outside a request too. No models here: the loan core
(`loans.domain`) formats amounts through `common.money`, and must load no database code."""

from django.conf import settings
from django.utils.translation import get_language


def language() -> str:
    """The active language; the site's where none is active (management commands, workers)."""
    return get_language() or settings.LANGUAGE_CODE

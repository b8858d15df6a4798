"""The bound every free text has: a note, a purpose, a reason; and a row's id read from text."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext as _

# A page of text; anything longer belongs in a document attached to the record.
LONG_TEXT_MAX = 4000


def long_text(verbose_name, **kwargs) -> models.TextField:
    """A TextField of at most LONG_TEXT_MAX characters: its forms say so (max_length) and the
    model refuses more (full_clean), which a TextField's max_length alone does not."""
    return models.TextField(
        verbose_name, max_length=LONG_TEXT_MAX, validators=[MaxLengthValidator(LONG_TEXT_MAX)], **kwargs
    )


def too_long(text: str) -> str | None:
    """The refusal for a text a service stores without full_clean, or None when it fits."""
    if len(text) > LONG_TEXT_MAX:
        return _("At most %(limit)s characters (this has %(count)s).") % {
            "limit": LONG_TEXT_MAX,
            "count": len(text),
        }
    return None


def cleaned_text(value: str | None, field: str, *, required: str | None = None) -> str:
    """`value` stripped, as a service stores it; refused on `field` when it is empty and
    `required` (the message to show) or too long."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: required})
    if problem := too_long(value):
        raise ValidationError({field: problem})
    return value


def row_id(text: str | None) -> int | None:
    """A row's id as a query string or a form sends it, or None: ASCII digits only (int() also
    reads "١" and str.isdigit() takes "²") and short enough for a 64-bit key."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 19 else None

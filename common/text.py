"""The bound every free text has: a note, a purpose, a reason."""

from django.core.validators import MaxLengthValidator
from django.db import models

# A page of text; anything longer belongs in a document attached to the record.
LONG_TEXT_MAX = 4000


def long_text(verbose_name, **kwargs) -> models.TextField:
    """A TextField of at most LONG_TEXT_MAX characters: its forms say so (max_length) and the
    model refuses more (full_clean), which a TextField's max_length alone does not."""
    return models.TextField(
        verbose_name, max_length=LONG_TEXT_MAX, validators=[MaxLengthValidator(LONG_TEXT_MAX)], **kwargs
    )

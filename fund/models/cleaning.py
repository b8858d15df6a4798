"""What every fund model does before `full_clean` validates typed input."""

import re

from django.db import models
from django_fsm import FSMFieldMixin

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


class CleanInputMixin:
    """Trim typed text and phone separators before validation, so `" "` counts as empty and
    `0912 345 678` as `0912345678`; leave protected state fields alone (only transitions move
    them, and `clean_fields` would otherwise try to assign them)."""

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin) and field.protected:
                exclude.add(field.name)
            elif isinstance(field, models.CharField | models.TextField) and not field.choices:
                value = getattr(self, field.attname)
                if isinstance(value, str):
                    value = value.strip()
                    if field.name == "phone":
                        value = _PHONE_SEPARATORS.sub("", value)
                    setattr(self, field.attname, value)
        super().clean_fields(exclude=exclude)

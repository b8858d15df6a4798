"""What every fund model does before `full_clean` validates typed input."""

import re
from functools import cache

from django.db import models
from django_fsm import FSMFieldMixin

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


class CleanInputMixin:
    """Trim typed text and phone separators before validation, so `" "` counts as empty and
    `0912 345 678` as `0912345678`; leave protected state fields alone (only transitions move
    them, and `clean_fields` would otherwise try to assign them)."""

    def clean_fields(self, exclude=None):
        protected, typed = _kinds(type(self))
        for name, attname in typed:
            value = getattr(self, attname)
            if isinstance(value, str):
                value = value.strip()
                if name == "phone":
                    value = _PHONE_SEPARATORS.sub("", value)
                setattr(self, attname, value)
        super().clean_fields(exclude={*(exclude or ()), *protected})


@cache
def _kinds(model) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A model's protected state fields, and its typed text fields (name, attname): worked out
    once, not for each row an import checks."""
    protected, typed = [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, FSMFieldMixin) and field.protected:
            protected.append(field.name)
        elif isinstance(field, models.CharField | models.TextField) and not field.choices:
            typed.append((field.name, field.attname))
    return tuple(protected), tuple(typed)

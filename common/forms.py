"""Form pieces every app's pages use: amounts in đồng, percentages, service errors.

Forms only parse what was typed; services validate and save. `ServiceModelForm` takes its
fields from the model but skips the model's own validation (the service does that once), and
`show_service_errors` puts what a service refused on the form, field by field.
"""

import dataclasses
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from common.money import MAX_AMOUNT, amount_of, format_vnd, parse_vnd

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
Input = TypeVar("Input")


def show_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's errors on the form: on their field when the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            # A form may name the service's fields it has no input for (`service_error_labels`).
            label = getattr(form, "service_error_labels", {}).get(field, field.replace("_", " "))
            form.add_error(None, [f"{label}: {message}" for e in errors for message in e.messages])


class DateRangeForm(forms.Form):
    """From and to, either left empty; the end may not come before the start."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end comes before the start."))
        return data


class VNDField(forms.CharField):
    """An amount in whole đồng, typed `1.500.000`, `1,500,000` or `1500000`, at most MAX_AMOUNT."""

    default_error_messages = {
        "invalid": _("Enter a whole number of đồng, e.g. 1.500.000."),
        "too_large": _("An amount is at most %(limit)s đồng."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        amount = amount_of(value)
        if isinstance(amount, int | Decimal):
            return format_vnd(amount, with_unit=False)
        return value

    def to_python(self, value) -> Decimal | None:
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            amount = parse_vnd(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if abs(amount) > MAX_AMOUNT:
            raise ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"limit": format_vnd(MAX_AMOUNT, with_unit=False)},
            )
        return amount


class PercentField(forms.DecimalField):
    """A fraction typed as a percentage: `6,6` or `6.6` is stored as 0.066."""

    def __init__(self, *, places: int = 4, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(decimal_places=places, **kwargs)

    def prepare_value(self, value):
        """A stored rate as the page beside it shows it: 6,60 in Vietnamese, 6.60 in English
        (two places at least, more if the rate has them)."""
        if isinstance(value, Decimal):
            percent = (value * 100).normalize()
            places = max(2, -percent.as_tuple().exponent)
            return formats.number_format(percent, decimal_pos=places)
        return value

    def to_python(self, value) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip().replace(",", ".")
        percent = super().to_python(value)
        if percent is None:
            return None
        try:
            return percent / 100
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        # DecimalField would count digits of the fraction; the model checks the range.
        forms.Field.validate(self, value)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: the service validates the whole row and saves it."""

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


def cleaned_input(kind: type[Input], form: forms.BaseForm, **computed: Any) -> Input:
    """A service's input dataclass from a valid form: each of its fields the form has, as typed,
    then what the form works out itself (`computed`) over them; its defaults fill the rest."""
    names = {field.name for field in dataclasses.fields(kind)}
    typed = {name: value for name, value in form.cleaned_data.items() if name in names}
    return kind(**{**typed, **computed})


def run_service(form: forms.BaseForm, call: Callable[[], Any]) -> Any | None:
    """Call a service; its refusal goes onto the form and None comes back, never a 500."""
    try:
        return call()
    except ValidationError as exc:
        show_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None

"""Amounts as strings of whole đồng ("1500000"): JSON numbers would pass through floats in many
clients, and an amount of đồng has no fraction to lose."""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import MONEY_DIGITS, amount_of

_DIGITS = re.compile(rf"-?[0-9]{{1,{MONEY_DIGITS}}}")
VND_PATTERN = rf"^-?[0-9]{{1,{MONEY_DIGITS}}}$"


@extend_schema_field({"type": "string", "pattern": VND_PATTERN, "example": "1500000"})
class VNDField(serializers.Field):
    """Whole đồng, written as a string of digits; read from one (a service decides the range)."""

    default_error_messages = {
        "invalid": _('A whole number of đồng as a string of digits, e.g. "1500000".'),
    }

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str) or not _DIGITS.fullmatch(data):
            self.fail("invalid")
        return Decimal(data)

    def to_representation(self, value) -> str:
        return str(int(amount_of(value)))


@extend_schema_field(OpenApiTypes.STR)
class RateField(serializers.Field):
    """A rate per year as a decimal fraction in a string ("0.066" is 6.6 %/year); read only."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return format(Decimal(value).normalize(), "f")


@extend_schema_field({"type": "string", "pattern": r"^[0-9]+\.[0-9]{6}$", "example": "0.031250"})
class RatioField(serializers.Field):
    """A share of a whole as a decimal fraction in a string, to six places ("0.031250" is
    3.125 %); read only."""

    PLACES = Decimal("0.000001")

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return str(Decimal(value).quantize(self.PLACES))

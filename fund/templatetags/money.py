"""Amounts and rates the way a Vietnamese fund writes them.

`{{ amount|vnd }}` gives `1.234.567 ₫` in Vietnamese and `1,234,567 VND` in English;
`{{ rate|annual_rate }}` turns a stored annual fraction (0.0660) into `6,60 %`.
Display only: nothing here rounds an amount that is posted or stored.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import get_language

register = template.Library()


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    amount = getattr(value, "amount", value)  # a Money, or a plain number
    try:
        return Decimal(str(amount))
    except ArithmeticError:
        return None


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def _is_vietnamese() -> bool:
    return (get_language() or "vi").startswith("vi")


def format_vnd(value, *, with_unit: bool = True) -> str:
    amount = _as_decimal(value)
    if amount is None:
        return ""
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    sign = "-" if whole < 0 else ""
    vietnamese = _is_vietnamese()
    text = sign + _group(str(abs(whole)), "." if vietnamese else ",")
    if not with_unit:
        return text
    return f"{text}\u00a0₫" if vietnamese else f"{text}\u00a0VND"


@register.filter
def vnd(value) -> str:
    return format_vnd(value)


@register.filter
def vnd_number(value) -> str:
    """The amount without its unit, for table columns headed with the currency."""
    return format_vnd(value, with_unit=False)


@register.filter
def percent(value, places: int = 2) -> str:
    """A fraction (0.0660) as a percentage (6,60 % / 6.60 %)."""
    fraction = _as_decimal(value)
    if fraction is None:
        return ""
    text = f"{fraction * 100:.{int(places)}f}"
    if _is_vietnamese():
        text = text.replace(".", ",")
    return f"{text}\u00a0%"

"""Amounts and rates the way a Vietnamese fund writes them.

`{{ amount|vnd }}` gives `1.234.567 ₫` in Vietnamese and `1,234,567 VND` in English;
`{{ rate|percent }}` turns a stored fraction (0.0660) into `6,60 %`; `{{ count|number }}` groups a
count's thousands the same way (`1.234` / `1,234`).
Display only: nothing here rounds an amount that is posted or stored.
"""

from django import template

from common.money import format_percent, format_vnd

register = template.Library()


@register.filter
def vnd(value) -> str:
    return format_vnd(value)


@register.filter
def vnd_number(value) -> str:
    """The amount without its unit, for table columns headed with the currency."""
    return format_vnd(value, with_unit=False)


# A count (loans, rows, pages): its thousands grouped as an amount's are.
register.filter("number", vnd_number)


@register.filter
def percent(value, places: int = 2) -> str:
    """A fraction (0.0660) as a percentage (6,60 % / 6.60 %)."""
    return format_percent(value, places)

"""Whole-đồng arithmetic. Money is `Decimal`; this is where an amount becomes whole đồng."""

import re
from decimal import ROUND_HALF_UP, Decimal

from common.languages import language

ZERO = Decimal(0)
ONE_DONG = Decimal(1)
# Every money column is MoneyField(max_digits=MONEY_DIGITS, decimal_places=0): no amount
# beyond MAX_AMOUNT đồng can be stored, so none is accepted.
MONEY_DIGITS = 18
MAX_AMOUNT = Decimal(10) ** MONEY_DIGITS - 1


def amount_of(value):
    """A money column's value as its amount: a Money's `Decimal`; a plain number or None as given."""
    return getattr(value, "amount", value)


def round_vnd(amount: Decimal) -> Decimal:
    """Half-up to whole đồng: the one rounding rule of the project (DESIGN.md)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts are Decimal, not {type(amount).__name__}")
    return amount.quantize(ONE_DONG, rounding=ROUND_HALF_UP)


def split_vnd(amount: Decimal, weights: dict) -> dict:
    """Whole-đồng `amount` shared among the keys of `weights` (positive) in proportion to them.

    Rounded cumulatively (each part is the rounded running total less the one before), so the
    parts add up to `amount` exactly, none is negative, and none exceeds its weight when the
    weights add up to `amount` or more.
    """
    total = sum(weights.values(), ZERO)
    parts, running, given = {}, ZERO, ZERO
    for key, weight in weights.items():
        running += weight
        upto = round_vnd(amount * running / total)
        parts[key] = upto - given
        given = upto
    return parts


def is_whole_dong(amount: Decimal) -> bool:
    return amount == amount.to_integral_value()


# Plain digits, or digits grouped by threes with one kind of separator throughout.
_WHOLE_DONG = re.compile(r"-?(\d+|\d{1,3}(\.\d{3})+|\d{1,3}(,\d{3})+)")
_UNITS = ("₫", "VND", "vnd", "đ", "Đ")


def parse_vnd(text: str) -> Decimal:
    """Read an amount typed the Vietnamese or the English way: `1.234.567`, `1,234,567`, `1234567`.

    Raises ValueError for anything else, including decimals such as `1234.5`: a whole number
    of đồng cannot be guessed from it.
    """
    cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "")
    for unit in _UNITS:
        cleaned = cleaned.removesuffix(unit)
    if not _WHOLE_DONG.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a whole number of đồng")
    return Decimal(cleaned.replace(".", "").replace(",", ""))


# --- showing amounts -------------------------------------------------------------


def as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    amount = amount_of(value)
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() else None


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def is_vietnamese() -> bool:
    return language().startswith("vi")


def format_vnd(value, *, with_unit: bool = True) -> str:
    amount = as_decimal(value)
    if amount is None:
        return ""
    # Not quantize: it raises beyond the context's 28 digits, and text of any size can be shown.
    whole = amount.to_integral_value(rounding=ROUND_HALF_UP)
    sign = "-" if whole < 0 else ""
    vietnamese = is_vietnamese()
    text = sign + _group(f"{abs(whole):f}", "." if vietnamese else ",")
    if not with_unit:
        return text
    return f"{text}\u00a0₫" if vietnamese else f"{text}\u00a0VND"


def format_percent(value, places: int = 2) -> str:
    """A fraction (0.0660) as a percentage: `6,60 %` in Vietnamese, `6.60 %` in English."""
    fraction = as_decimal(value)
    if fraction is None:
        return ""
    text = f"{fraction * 100:.{int(places)}f}"
    if is_vietnamese():
        text = text.replace(".", ",")
    return f"{text}\u00a0%"

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from common.money import MAX_AMOUNT, format_vnd, parse_vnd, round_vnd, split_vnd


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.5", 1), ("1.49", 1), ("2.5", 3), ("-2.5", -3), ("1234567.499", 1234567), ("7", 7)],
)
def test_round_vnd_is_half_up_to_whole_dong(amount, rounded):
    assert round_vnd(Decimal(amount)) == Decimal(rounded)


def test_round_vnd_refuses_floats():
    with pytest.raises(TypeError):
        round_vnd(0.5)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1234567", 1234567),
        ("1.500.000 ₫", 1500000),
        ("2,000 VND", 2000),
        ("-500", -500),
    ],
)
def test_parse_vnd_reads_both_ways_of_grouping(text, amount):
    assert parse_vnd(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["1234.5", "1,5", "1.234,567", "12.34.567", "abc", "", "1e6", "NaN"])
def test_parse_vnd_refuses_what_it_cannot_read_for_sure(text):
    with pytest.raises(ValueError):
        parse_vnd(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_parse_vnd_reads_back_what_we_print(n):
    assert parse_vnd(f"{n:,}".replace(",", ".")) == n
    assert parse_vnd(f"{n:,}") == n


@given(
    weights=st.lists(st.integers(1, 10**12), min_size=1, max_size=30),
    share=st.fractions(0, 1),
)
def test_split_vnd_adds_up_and_keeps_each_part_within_its_weight(weights, share):
    total = sum(weights)
    amount = Decimal(total * share.numerator // share.denominator)
    parts = split_vnd(amount, {i: Decimal(w) for i, w in enumerate(weights)})
    assert sum(parts.values()) == amount
    assert all(0 <= parts[i] <= w for i, w in enumerate(weights))
    assert all(abs(parts[i] - amount * w / total) < 1 for i, w in enumerate(weights))


def test_split_vnd_of_ties_never_gives_a_negative_part():
    # Four equal halves of 2 đồng: rounding each half up would give 1+1+1 and leave -1.
    assert list(split_vnd(Decimal(2), dict.fromkeys("abcd", Decimal(1))).values()) == [1, 0, 1, 0]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal(10) ** 30, "1.000.000.000.000.000.000.000.000.000.000"),
        (Decimal("-1E+40"), "-10" + ".000" * 13),
        (MAX_AMOUNT, "999.999.999.999.999.999"),
        (Decimal("Infinity"), ""),
        (Decimal("NaN"), ""),
    ],
)
def test_format_vnd_shows_any_amount_without_raising(value, shown):
    with translation.override("vi"):
        assert format_vnd(value, with_unit=False) == shown

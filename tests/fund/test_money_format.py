from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import translation
from djmoney.money import Money

from fund.templatetags.money import percent, vnd, vnd_number


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (Decimal("1234567"), "1.234.567\u00a0₫", "1,234,567\u00a0VND"),
        (Money(1000, "VND"), "1.000\u00a0₫", "1,000\u00a0VND"),
        (-999, "-999\u00a0₫", "-999\u00a0VND"),
        (0, "0\u00a0₫", "0\u00a0VND"),
        (Decimal("2500000.5"), "2.500.001\u00a0₫", "2,500,001\u00a0VND"),
    ],
)
def test_amounts_follow_the_language(value, vi, en):
    with translation.override("vi"):
        assert vnd(value) == vi
    with translation.override("en"):
        assert vnd(value) == en


def test_empty_values_show_nothing():
    assert vnd(None) == ""
    assert vnd("") == ""


def test_numbers_without_unit_and_rates():
    with translation.override("vi"):
        assert vnd_number(Decimal("100000000")) == "100.000.000"
        assert percent(Decimal("0.066")) == "6,60\u00a0%"
    with translation.override("en"):
        assert percent(Decimal("0.066")) == "6.60\u00a0%"
        assert percent(Decimal("0.0055"), 3) == "0.550\u00a0%"


@pytest.mark.parametrize(
    ("language", "words"),
    [("vi", ["51–100 trên 1.234", "Trang 2/25"]), ("en", ["51–100 of 1,234", "Page 2 of 25"])],
)
def test_a_lists_counts_have_their_thousands_grouped(rf, language, words):
    page = Paginator(range(1234), 50).page(2)
    with translation.override(language):
        shown = render_to_string("common/_pages.html", {"page": page}, request=rf.get("/"))
    assert all(word in shown for word in words)

from decimal import Decimal

import pytest
from django.utils import translation

from common.forms import PercentField


@pytest.mark.parametrize(("language", "separator"), [("vi", ","), ("en", ".")])
def test_a_rate_is_prefilled_as_the_users_language_writes_it_and_parses_back(language, separator):
    field = PercentField()
    with translation.override(language):
        assert field.prepare_value(Decimal("0.066")) == f"6{separator}60"
        assert field.prepare_value(Decimal("0.06625")) == f"6{separator}625"
        assert field.clean(field.prepare_value(Decimal("0.066"))) == Decimal("0.066")

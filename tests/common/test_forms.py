from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import translation

from common.forms import ModelMultipleChoiceField, PercentField


@pytest.mark.parametrize(("language", "separator"), [("vi", ","), ("en", ".")])
def test_a_rate_is_prefilled_as_the_users_language_writes_it_and_parses_back(language, separator):
    field = PercentField()
    with translation.override(language):
        assert field.prepare_value(Decimal("0.066")) == f"6{separator}60"
        assert field.prepare_value(Decimal("0.06625")) == f"6{separator}625"
        assert field.clean(field.prepare_value(Decimal("0.066"))) == Decimal("0.066")


@pytest.mark.django_db
@pytest.mark.parametrize("key", [str(10**30), str(-(10**30)), str(2**63)])
def test_a_choice_of_several_records_refuses_a_key_beyond_any_id(key):
    field = ModelMultipleChoiceField(queryset=Group.objects.all())
    chosen = Group.objects.create(name="chosen")
    with pytest.raises(ValidationError) as refused:
        field.clean([str(chosen.pk), key])
    assert refused.value.code == "invalid_choice"
    assert list(field.clean([str(chosen.pk)])) == [chosen]

"""A filter kept as JSON for a task (`common.db.q_data`) is the same filter read back; `in` on
an integer column leaves out numbers beyond it (`common.db.IntegerIn`)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q

from common.db import q_data, q_from_data


def test_a_filter_comes_back_from_json_as_it_was():
    q = (Q(loan__product=7) | ~Q(loan__borrower__type__in=["htx", "tht"])) & Q(rate__gte="0.0660")
    assert q_from_data(json.loads(json.dumps(q_data(q)))) == q
    assert q_data(None) is None and q_from_data(None) is None


def test_rows_dates_and_decimals_are_kept_as_what_their_lookups_take():
    q = Q(loan__product=Group(pk=3), valid_from__lte=dt.date(2026, 3, 31), amount=Decimal("1.50"))
    assert q_from_data(q_data(q)) == Q(loan__product=3, valid_from__lte="2026-03-31", amount="1.50")


def test_anything_else_is_refused():
    with pytest.raises(TypeError):
        q_data(Q(value=object()))


@pytest.mark.django_db
@pytest.mark.parametrize("key", [10**30, -(10**30), 2**63])
def test_a_number_beyond_an_integer_column_is_among_nothing(key):
    chosen = Group.objects.create(name="chosen")
    assert list(Group.objects.filter(pk__in=[chosen.pk, key])) == [chosen]
    assert not Group.objects.filter(pk__in=[key]).exists()
    assert Group.objects.exclude(pk__in=[key]).count() == Group.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("key", [str(10**30), str(-(10**30)), str(2**63)])
def test_a_choice_of_several_records_refuses_a_key_beyond_any_id(key):
    field = forms.ModelMultipleChoiceField(queryset=Group.objects.all())
    chosen = Group.objects.create(name="chosen")
    with pytest.raises(ValidationError) as refused:
        field.clean([str(chosen.pk), key])
    assert refused.value.code == "invalid_choice"
    assert list(field.clean([str(chosen.pk)])) == [chosen]

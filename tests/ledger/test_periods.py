from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ledger.models import Period, PeriodEvent, PeriodState
from ledger.services import close_period, reopen_period
from tests.ledger.factories import post

pytestmark = pytest.mark.django_db


def test_closing_and_reopening_are_recorded_with_who_and_why(accountant):
    close_period(actor=accountant, year=2025, month=6, reason="Khóa sổ tháng 6")
    reopen_period(actor=accountant, year=2025, month=6, reason="Bổ sung chứng từ")
    period = Period.objects.get(year=2025, month=6)
    assert period.state == PeriodState.OPEN
    events = list(period.events.order_by("at", "pk").values_list("action", "actor", "reason"))
    assert events == [
        ("close", accountant.pk, "Khóa sổ tháng 6"),
        ("reopen", accountant.pk, "Bổ sung chứng từ"),
    ]
    assert post(value_date=date(2025, 6, 30)).value_date == date(2025, 6, 30)


def test_a_month_is_closed_only_once_and_reopened_only_when_closed(accountant):
    close_period(actor=accountant, year=2025, month=6)
    with pytest.raises(ValidationError, match="06/2025 is already closed"):
        close_period(actor=accountant, year=2025, month=6)
    with pytest.raises(ValidationError, match="07/2025 is not closed"):
        reopen_period(actor=accountant, year=2025, month=7, reason="?")
    assert PeriodEvent.objects.count() == 1


def test_reopening_needs_a_reason(accountant):
    close_period(actor=accountant, year=2025, month=6)
    with pytest.raises(ValidationError) as refused:
        reopen_period(actor=accountant, year=2025, month=6, reason=" ")
    assert refused.value.message_dict == {"reason": ["Say why the month is reopened."]}
    assert Period.objects.get(year=2025, month=6).state == PeriodState.CLOSED


def test_the_current_month_cannot_be_closed(accountant):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="has not ended yet"):
        close_period(actor=accountant, year=today.year, month=today.month)
    with pytest.raises(ValidationError, match="Choose a month"):
        close_period(actor=accountant, year=2025, month=13)
    assert not Period.objects.exists()


def test_only_those_allowed_close_and_reopen(officer, accountant):
    with pytest.raises(PermissionDenied):
        close_period(actor=officer, year=2025, month=6)
    close_period(actor=accountant, year=2025, month=6)
    with pytest.raises(PermissionDenied):
        reopen_period(actor=officer, year=2025, month=6, reason="x")


def test_the_state_is_changed_only_by_its_transitions(accountant):
    period = close_period(actor=accountant, year=2025, month=6)
    with pytest.raises(AttributeError):
        period.state = PeriodState.OPEN  # protected FSM field

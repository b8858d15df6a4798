"""The fund's calendar of non-working days: seeding, the past never changing, who may change it,
its page, and the calendar kept in memory."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from common.dates import format_date
from fund import roles, selectors, services
from fund.models import Fund, NonWorkingDay
from fund.services.calendar import add_non_working_days, remove_non_working_day
from ledger.models import Account
from tests.fund.factories import FundFactory

TET_2026 = [dt.date(2026, 2, day) for day in range(16, 21)]


@pytest.fixture
def fund(db):
    return FundFactory(business_date=dt.date(2026, 1, 10), opened_on=dt.date(2026, 1, 10), rest_weekdays=[6])


def test_a_new_fund_gets_the_public_holidays_after_its_first_business_date(accountant):
    fund = services.set_up_fund(
        actor=accountant,
        fields={"name": "Quỹ", "legal_form": "coop_provincial", "province": "Huế", "charter_capital": 10**10},
        business_date=dt.date(2026, 1, 5),
        lending_accounts=Account.objects.filter(code="11211"),
    )
    days = set(NonWorkingDay.objects.values_list("date", flat=True))
    assert set(TET_2026) <= days and dt.date(2027, 2, 6) in days  # this year's Tết and next year's
    assert dt.date(2026, 1, 1) not in days  # before the first business date: never in a schedule
    assert min(days) > fund.business_date and max(days).year == 2027
    assert fund.rest_weekdays == [6]
    assert selectors.calendar_days().holidays == frozenset(days)


def test_an_accountant_adds_tet_as_a_range_and_removes_a_day(fund, accountant):
    assert (
        add_non_working_days(actor=accountant, first=TET_2026[0], last=TET_2026[-1], name="  Tết   Bính Ngọ ")
        == 5
    )
    assert list(NonWorkingDay.objects.values_list("date", "name")) == [
        (day, "Tết Bính Ngọ") for day in TET_2026
    ]
    assert add_non_working_days(actor=accountant, first=TET_2026[0], name="Tết") == 0  # already off
    remove_non_working_day(actor=accountant, day=TET_2026[-1])
    assert selectors.calendar_days().holidays == frozenset(TET_2026[:-1])


@pytest.mark.parametrize("day", [dt.date(2026, 1, 10), dt.date(2026, 1, 1)])
def test_a_day_on_or_before_the_business_date_is_never_added_nor_removed(fund, accountant, day):
    NonWorkingDay.objects.create(date=dt.date(2026, 1, 1), name="Tết Dương lịch")
    business_date = re.escape(format_date(dt.date(2026, 1, 10)))
    with pytest.raises(ValidationError, match=f"on or before the business date \\({business_date}\\)"):
        add_non_working_days(actor=accountant, first=day, last=day + dt.timedelta(days=3), name="Nghỉ")
    with pytest.raises(ValidationError, match="on or before the business date"):
        remove_non_working_day(actor=accountant, day=dt.date(2026, 1, 1))
    assert list(NonWorkingDay.objects.values_list("date", flat=True)) == [dt.date(2026, 1, 1)]


def test_bad_ranges_and_names_are_refused_field_by_field(fund, accountant):
    with pytest.raises(ValidationError) as refused:
        add_non_working_days(actor=accountant, first=dt.date(2026, 3, 5), last=dt.date(2026, 3, 4), name=" ")
    assert set(refused.value.message_dict) == {"name", "last"}
    with pytest.raises(ValidationError, match="at most 31 days"):
        add_non_working_days(
            actor=accountant, first=dt.date(2026, 3, 1), last=dt.date(2026, 4, 30), name="Nghỉ"
        )
    with pytest.raises(ValidationError, match="at most 100 characters"):
        add_non_working_days(actor=accountant, first=dt.date(2026, 3, 1), name="x" * 101)
    with pytest.raises(ValidationError, match="not a non-working day"):
        remove_non_working_day(actor=accountant, day=dt.date(2026, 3, 1))
    assert not NonWorkingDay.objects.exists()


def test_only_an_accountant_or_an_admin_changes_the_calendar(fund, officer, accountant):
    with pytest.raises(PermissionDenied):
        add_non_working_days(actor=officer, first=TET_2026[0], name="Tết")
    add_non_working_days(actor=accountant, first=TET_2026[0], name="Tết")
    with pytest.raises(PermissionDenied):
        remove_non_working_day(actor=officer, day=TET_2026[0])
    assert NonWorkingDay.objects.count() == 1


def test_the_page_lists_a_year_and_lets_an_accountant_add_and_remove(fund, client, officer, accountant):
    add_non_working_days(actor=accountant, first=TET_2026[0], last=TET_2026[-1], name="Tết Bính Ngọ")
    client.force_login(officer)
    page = client.get(reverse("fund:calendar") + "?year=2026").content.decode()
    assert page.count("Tết Bính Ngọ") == 5 and "16/02/2026" in page
    assert reverse("fund:calendar_remove") not in page  # an officer only looks
    assert client.post(reverse("fund:calendar"), {"first": "2026-04-26", "name": "Giỗ Tổ"}).status_code == 200
    assert not NonWorkingDay.objects.filter(date=dt.date(2026, 4, 26)).exists()
    assert client.post(reverse("fund:calendar_remove"), {"date": "2026-02-16"}).status_code == 403

    client.force_login(accountant)
    response = client.post(
        reverse("fund:calendar"), {"first": "2026-04-26", "last": "", "name": "Giỗ Tổ"}, follow=True
    )
    assert "Đã thêm 1 ngày nghỉ." in response.content.decode()  # the interface speaks Vietnamese
    response = client.post(reverse("fund:calendar"), {"first": "2026-01-05", "name": "Nghỉ"})
    assert "không sau ngày nghiệp vụ của quỹ (10/01/2026)" in response.content.decode()
    response = client.post(reverse("fund:calendar_remove"), {"date": "2026-02-16"}, follow=True)
    assert not NonWorkingDay.objects.filter(date=dt.date(2026, 2, 16)).exists()
    assert response.redirect_chain[-1][0].endswith("?year=2026")
    assert client.get(reverse("fund:calendar") + "?year=abc").status_code == 200


def test_a_coop_user_does_not_see_the_calendar(fund, client, coop_user):
    client.force_login(coop_user)
    assert client.get(reverse("fund:calendar")).status_code == 403


def test_the_weekly_rest_days_change_only_on_the_first_business_date(fund, accountant):
    services.update_fund(actor=accountant, fields={"rest_weekdays": [5, 6]})
    assert selectors.calendar_days().rest_weekdays == frozenset({5, 6})
    Fund.objects.update(business_date=dt.date(2026, 1, 11))
    with pytest.raises(ValidationError, match="only on the fund's first business date"):
        services.update_fund(actor=accountant, fields={"rest_weekdays": [6]})
    with pytest.raises(ValidationError, match="at least one working day"):
        Fund(rest_weekdays=list(range(7))).clean()


def test_the_calendar_is_read_once_and_again_only_when_it_changes(
    fund, accountant, django_assert_num_queries
):
    selectors.current_fund()
    first = selectors.calendar_days()
    with django_assert_num_queries(0):
        assert selectors.calendar_days() is first
    # Changed elsewhere (another process): seen as soon as the fund row is read again.
    NonWorkingDay.objects.create(date=TET_2026[0], name="Tết")
    Fund.objects.update(calendar_token="00000000-0000-0000-0000-000000000001")
    selectors.current_fund()
    assert selectors.calendar_days().holidays == frozenset({TET_2026[0]})


def test_the_page_names_who_added_a_day_and_links_to_the_fund_and_close_of_day(
    fund, client, officer, user_with_role
):
    accountant = user_with_role(roles.ACCOUNTANT, first_name="Dung", last_name="Phạm Thị")
    add_non_working_days(actor=accountant, first=TET_2026[0], last=None, name="Tết Bính Ngọ")
    client.force_login(accountant)
    page = client.get(reverse("fund:calendar") + "?year=2026").content.decode()
    assert f">{accountant.get_full_name()} ·" in page and f">{accountant.username} ·" not in page
    assert reverse("fund:fund_detail") in page and reverse("loans:close_of_day") in page
    client.force_login(officer)  # an officer does not close days: no link to it
    page = client.get(reverse("fund:calendar") + "?year=2026").content.decode()
    assert reverse("fund:fund_detail") in page and reverse("loans:close_of_day") not in page


def test_the_page_offers_to_change_the_weekly_rest_days_only_while_they_can_change(fund, client, accountant):
    client.force_login(accountant)
    assert reverse("fund:fund_edit") in client.get(reverse("fund:calendar")).content.decode()
    Fund.objects.update(business_date=fund.business_date + dt.timedelta(days=1))
    assert reverse("fund:fund_edit") not in client.get(reverse("fund:calendar")).content.decode()


@pytest.mark.parametrize(("language", "written"), [("vi", "21/02/2026"), ("en", "21 Feb 2026")])
def test_a_refusal_writes_its_date_as_the_users_language_does(fund, accountant, language, written):
    """One date format per language (issue 20), in a service's message too."""
    with translation.override(language), pytest.raises(ValidationError) as refused:
        remove_non_working_day(actor=accountant, day=dt.date(2026, 2, 21))
    assert written in refused.value.messages[0]

"""Admin pages (the fund's and other apps'), as a superuser sends them bad input: the form comes
back with the field's message, an action acts on nothing, a list is shown, and nothing changes
(no 500)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule

from fund.models import BorrowerDocument, HouseholdMember
from fund.models.borrowers import BorrowerStatus
from tests.fund.factories import BorrowerFactory

pytestmark = pytest.mark.django_db
BEYOND_ANY_ID = str(10**30)


@pytest.fixture
def admin_client(client, user_with_role):
    client.force_login(user_with_role(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("key", [BEYOND_ANY_ID, f"-{BEYOND_ANY_ID}"])
def test_a_group_given_a_permission_beyond_any_id_is_refused_on_the_field(admin_client, key):
    permission = Permission.objects.first()
    response = admin_client.post(
        reverse("admin:auth_group_add"), {"name": "Kiểm soát", "permissions": [permission.pk, key]}
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["permissions"]
    assert not Group.objects.filter(name="Kiểm soát").exists()


def test_a_users_groups_beyond_any_id_are_refused_on_the_field(admin_client, officer):
    response = admin_client.post(
        reverse("admin:fund_user_change", args=[officer.pk]),
        {"username": officer.username, "groups": [BEYOND_ANY_ID], "user_permissions": [BEYOND_ANY_ID]},
    )
    assert response.status_code == 200
    assert {"groups", "user_permissions"} <= set(response.context["adminform"].form.errors)


@pytest.mark.parametrize(
    ("changelist", "action", "answer"),
    [
        ("admin:auth_group_changelist", "delete_selected", 200),  # asks to confirm deleting no rows
        ("admin:django_celery_beat_periodictask_changelist", "enable_tasks", 302),
        ("admin:axes_accessattempt_changelist", "delete_selected", 200),
    ],
)
def test_an_action_on_a_row_beyond_any_id_acts_on_nothing(admin_client, changelist, action, answer):
    groups = set(Group.objects.all())
    response = admin_client.post(reverse(changelist), {"action": action, "_selected_action": [BEYOND_ANY_ID]})
    assert response.status_code == answer
    assert set(Group.objects.all()) == groups


@pytest.mark.parametrize(("changelist", "action"), [
    ("admin:auth_group_changelist", "delete_selected"),
    ("admin:fund_borrower_changelist", "suspend_borrowers"),
    ("admin:fund_apitoken_changelist", "revoke"),
])  # fmt: skip
def test_an_action_on_a_selection_that_is_no_id_acts_on_nothing(admin_client, changelist, action):
    group, borrower = Group.objects.create(name="Kiểm soát"), BorrowerFactory()
    response = admin_client.post(
        reverse(changelist), {"action": action, "_selected_action": ["abc"], "index": 0}
    )
    assert response.status_code in (200, 302)
    assert Group.objects.filter(pk=group.pk).exists()
    borrower.refresh_from_db()
    assert borrower.status == BorrowerStatus.ACTIVE


@pytest.mark.parametrize("page", ["admin:fund_householdmember_add", "admin:fund_borrowerdocument_add"])
def test_a_borrower_typed_as_letters_is_refused_on_the_field(admin_client, page):
    response = admin_client.post(reverse(page), {"borrower": "abc"})
    assert response.status_code == 200
    assert "borrower" in response.context["adminform"].form.errors
    assert not HouseholdMember.objects.exists() and not BorrowerDocument.objects.exists()


def test_a_users_borrower_typed_as_letters_is_refused_on_the_field(admin_client, officer):
    url = reverse("admin:fund_user_change", args=[officer.pk])
    response = admin_client.post(url, {"username": officer.username, "borrower": "abc"})
    assert response.status_code == 200
    assert "borrower" in response.context["adminform"].form.errors
    officer.refresh_from_db()
    assert officer.borrower_id is None


def _list_filters():
    for model, model_admin in admin.site._registry.items():
        for spec in model_admin.list_filter:
            path = spec[0] if isinstance(spec, tuple) else spec
            if isinstance(path, str):
                yield reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), path


@pytest.mark.parametrize("key", [BEYOND_ANY_ID, f"-{BEYOND_ANY_ID}", f"1,{BEYOND_ANY_ID}"])
@pytest.mark.parametrize("lookup", ["", "__exact", "__in", "__lt", "__gte"])
def test_a_list_filtered_on_a_key_beyond_any_id_is_shown(admin_client, lookup, key):
    # Every admin list's filters (a capital receipt's source, a document's type, a user's groups:
    # foreign keys), as a query string can name them.
    answers = {
        (changelist, path): admin_client.get(changelist, {path + lookup: key}).status_code
        for changelist, path in _list_filters()
    }
    assert set(answers.values()) <= {200, 302}  # 302: a value the filter refuses (?e=1)


@pytest.mark.parametrize("bounds", ["abc", "ab", "1"])
def test_a_list_filtered_on_a_range_that_is_not_two_bounds_is_refused(admin_client, bounds):
    # The admin hands a range's query string value over as it comes: one text, never two bounds.
    answers = {
        (changelist, path): admin_client.get(changelist, {f"{path}__range": bounds})
        for changelist, path in _list_filters()
    }
    assert {(key, answer.status_code) for key, answer in answers.items()} == {(key, 302) for key in answers}
    assert all(answer.url.endswith("?e=1") for answer in answers.values())


@pytest.mark.parametrize("minute", ["-1", "99", "*/0", "abc", "5-1", "60", BEYOND_ANY_ID])
def test_a_crontab_with_a_minute_out_of_range_is_refused_on_the_field(admin_client, minute):
    form = {"minute": minute, "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
            "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    schedules = set(CrontabSchedule.objects.all())
    response = admin_client.post(reverse("admin:django_celery_beat_crontabschedule_add"), form)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["minute"]
    assert set(CrontabSchedule.objects.all()) == schedules


@pytest.mark.parametrize("field", ["hour", "day_of_week", "day_of_month", "month_of_year"])
def test_a_crontab_refuses_a_negative_value_in_any_field(admin_client, field):
    schedule = CrontabSchedule.objects.create(minute="7", hour="6")
    form = {"minute": "7", "hour": "6", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
            "timezone": "UTC", field: "-1"}  # fmt: skip
    url = reverse("admin:django_celery_beat_crontabschedule_change", args=[schedule.pk])
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    schedule.refresh_from_db()
    assert (schedule.hour, getattr(schedule, field)) == ("6", "6" if field == "hour" else "*")

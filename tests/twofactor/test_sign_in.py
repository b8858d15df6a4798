"""A second factor is required of approvers, accountants and administrators, optional for the
others; recovery codes sign in once; an administrator's reset is on the audit trail."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fund import roles
from fund.services.tokens import issue_token
from tests.factories import TEST_PASSWORD


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def log_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, **extra)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


@pytest.mark.parametrize("role", [roles.APPROVER, roles.ACCOUNTANT])
def test_a_required_role_without_a_second_factor_must_set_one_up_before_anything_else(
    client, user_with_role, role
):
    user = user_with_role(role)
    log_in(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:enrol"))
    assert client.get(reverse("fund:borrower_list")).status_code == 302


def test_an_administrator_is_asked_for_the_code_in_the_admin_too(client, admin_user):
    enrolled(admin_user)
    client.post(reverse("admin:login"), {"username": admin_user.username, "password": "password"})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:verify"))


def test_a_wrong_code_keeps_the_door_shut_and_the_right_one_opens_it(client, approver, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a failure otherwise makes the next try wait a second
    device = enrolled(approver)
    log_in(client, approver)
    refused = client.post(reverse("twofactor:verify"), {"code": "000000", "next": reverse("home")})
    assert refused.status_code == 400
    assert client.get(reverse("home")).status_code == 302
    accepted = client.post(
        reverse("twofactor:verify"), {"code": current_code(device), "next": reverse("home")}
    )
    assert accepted.status_code == 302 and accepted["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    "target", ["nowhere", "loans:applications", "https://evil.example/", "//evil.example/"]
)
def test_a_next_that_is_not_a_path_of_the_site_goes_home(client, officer, target):
    log_in(client, officer)  # no second factor: the verify page sends it on at once
    response = client.get(reverse("twofactor:verify"), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("twofactor:verify"), {"next": "/loans/"})["Location"] == "/loans/"


def test_enrolment_confirms_the_app_gives_recovery_codes_that_each_work_once(client, accountant):
    log_in(client, accountant)
    assert client.get(reverse("twofactor:enrol")).status_code == 200
    device = TOTPDevice.objects.get(user=accountant, confirmed=False)
    page = client.post(reverse("twofactor:enrol"), {"code": current_code(device), "next": "/"})
    codes = page.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("home")).status_code == 200  # verified by the enrolment itself
    # Enrolment is on the audit trail: the device made, then confirmed.
    trail = LogEntry.objects.get_for_object(TOTPDevice.objects.get(user=accountant)).order_by("pk")
    assert [entry.action for entry in trail] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert trail.last().changes["confirmed"] == [False, True]
    assert trail.last().actor == accountant

    client.post(reverse("logout"))
    log_in(client, accountant)
    assert client.post(reverse("twofactor:verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    log_in(client, accountant)
    assert client.post(reverse("twofactor:verify"), {"code": codes[0]}).status_code == 400  # used


def test_others_need_none_but_once_enrolled_give_it_too(client, officer):
    log_in(client, officer)
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    enrolled(officer)
    log_in(client, officer)
    assert client.get(reverse("home")).status_code == 302


def test_an_api_session_waits_for_the_second_factor_but_a_token_is_not_asked(client, accountant):
    enrolled(accountant)
    log_in(client, accountant)
    session = client.get("/api/v1/products/")
    assert session.status_code == 403
    assert session.json()["code"] == "second_factor_required"
    _token, key = issue_token(actor=accountant, user=accountant, name="bank", days=30)
    machine = client.__class__().get("/api/v1/products/", HTTP_AUTHORIZATION=f"Token {key}")
    assert machine.status_code == 200


def test_an_administrators_reset_removes_both_factors_and_is_on_the_trail(client, admin_user, approver):
    device = enrolled(approver)
    StaticDevice.objects.create(user=approver, name="recovery", confirmed=True)
    TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    client.force_login(admin_user)
    session = client.session
    admin_device = TOTPDevice.objects.get(user=admin_user)
    session["otp_device_id"] = admin_device.persistent_id
    session.save()
    response = client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_second_factor", "_selected_action": [device.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=approver).exists()
    assert not StaticDevice.objects.filter(user=approver).exists()
    deletions = LogEntry.objects.filter(action=LogEntry.Action.DELETE, actor=admin_user)
    assert {entry.content_type.model for entry in deletions} == {"totpdevice", "staticdevice"}
    # The approver must enrol again at its next sign-in.
    approver_client = client.__class__()
    log_in(approver_client, approver)
    assert approver_client.get(reverse("home"))["Location"].startswith(reverse("twofactor:enrol"))


def test_a_required_user_cannot_turn_it_off_and_an_unverified_one_cannot_either(client, approver, officer):
    enrolled(officer)
    log_in(client, officer)
    client.post(reverse("twofactor:remove"))
    assert TOTPDevice.objects.filter(user=officer).exists()  # not verified yet: not allowed

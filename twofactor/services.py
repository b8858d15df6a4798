"""Enrolling a second factor, checking it at sign-in, and resetting it.

The authenticator app is a TOTP device (RFC 6238, django-otp); the recovery codes are one static
device with single-use codes, for a lost phone. The audit trail records each device created,
confirmed and deleted, and by whom (`audit.registry`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor.selectors import authenticator, second_factor_required

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"


def start_enrolment(*, actor) -> TOTPDevice:
    """The authenticator `actor` is setting up: the one begun before, or a new secret."""
    if authenticator(actor) is not None:
        raise ValidationError(_("You already have an authenticator app; remove it first to set up another."))
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
        return device or TOTPDevice.objects.create(user=actor, name=_("Authenticator app"), confirmed=False)


def confirm_enrolment(*, actor, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator with a code it shows, and issue the recovery codes."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
        if device is None:
            raise ValidationError({"code": _("There is no authenticator being set up; start again.")})
        if not device.verify_token(code):
            wrong = _("The code is not right. Check the phone's clock and try again.")
            raise ValidationError({"code": wrong})
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return device, _replace_recovery_codes(actor)


def new_recovery_codes(*, actor) -> list[str]:
    """New recovery codes for `actor`; the old ones stop working."""
    if authenticator(actor) is None:
        raise ValidationError(_("Set up an authenticator app first."))
    with transaction.atomic():
        return _replace_recovery_codes(actor)


def _replace_recovery_codes(user) -> list[str]:
    for old in StaticDevice.objects.filter(user=user):
        old.delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(*, user, code: str) -> Device:
    """The device that accepts `code` (an authenticator's or an unused recovery code). Repeated
    failures slow down (django-otp's throttling)."""
    device = match_token(user, "".join(code.split()).lower())
    if device is None:
        raise ValidationError({"code": _("The code is not right, or was already used.")})
    return device


def _remove_devices(user) -> None:
    # One by one, so the audit trail records each deletion.
    for device in [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]:
        device.delete()


def remove_own(*, actor) -> None:
    """A user for whom a second factor is optional stops using one."""
    if second_factor_required(actor):
        raise ValidationError(_("Your roles require a second factor; an administrator can reset it."))
    with transaction.atomic():
        _remove_devices(actor)


def reset(*, actor, user) -> None:
    """An administrator resets `user`'s second factor (a lost phone and no recovery code left):
    at its next request it signs in with its password and enrols again."""
    if not actor.has_perm("otp_totp.delete_totpdevice"):
        raise PermissionDenied
    with transaction.atomic():
        _remove_devices(user)

"""Who must give a second factor at sign-in, and what each user has enrolled."""

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fund.roles import roles_of


def second_factor_required(user) -> bool:
    """Approvers, accountants and administrators (`TWO_FACTOR_ROLES`, anyone who may enter the
    admin) must sign in with a second factor; for the others it is optional."""
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or bool(set(roles_of(user)) & set(settings.TWO_FACTOR_ROLES))


def authenticator(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if it enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def must_verify(user) -> bool:
    """Whether this signed-in user gives a second factor: required of it, or enrolled anyway."""
    return second_factor_required(user) or authenticator(user) is not None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()

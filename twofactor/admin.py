"""Administrators see who has a second factor and reset it (a lost phone): the reset goes
through the service, so the audit trail records each device deleted and by whom."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor import services

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.action(description=_("Reset two-factor sign-in of these users"), permissions=["reset"])
def reset_second_factor(modeladmin, request, queryset):
    users = {device.user for device in queryset.select_related("user")}
    try:
        for user in users:
            services.reset(actor=request.user, user=user)
    except PermissionDenied:
        modeladmin.message_user(request, _("You may not reset second factors."), messages.ERROR)
        return
    names = ", ".join(sorted(map(str, users)))
    modeladmin.message_user(request, _("Reset for: %(users)s.") % {"users": names})


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Read-only: the secret is never shown; the only change is the reset."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__first_name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    actions = [reset_second_factor]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting one device would leave the recovery codes; the reset removes both.
        return False

    def has_reset_permission(self, request):
        return request.user.has_perm("otp_totp.delete_totpdevice")

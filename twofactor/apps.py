from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = _("Two-factor sign-in")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from twofactor.middleware import remember_at_sign_in

        user_logged_in.connect(remember_at_sign_in, dispatch_uid="twofactor-remember")

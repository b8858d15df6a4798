from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "fund"
    verbose_name = _("Fund")

    def ready(self):
        from . import roles

        # Permissions of every app exist only after migrate; grant them to the roles then.
        post_migrate.connect(roles.grant_role_permissions, sender=self, dispatch_uid="fund.grant_roles")
        # Registered now: a web process without a broker runs the tasks eagerly (see loans' ready).
        from . import tasks  # noqa: F401

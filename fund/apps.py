from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "fund"
    verbose_name = _("Fund")

    def ready(self):
        from ledger.selectors import register_books_open

        from . import roles
        from .selectors import opening_date

        register_books_open(opening_date)  # the ledger's periods start with the fund

        # Permissions of every app exist only after migrate; grant them to the roles then.
        post_migrate.connect(roles.grant_role_permissions, sender=self, dispatch_uid="fund.grant_roles")

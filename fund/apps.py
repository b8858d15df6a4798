from django.apps import AppConfig
from django.core.management import call_command
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
        # Registered now: a web process without a broker runs the tasks eagerly (see loans' ready).
        from . import tasks  # noqa: F401

        # The database cache's table (settings.shared_cache), when the cache is the database.
        post_migrate.connect(_cache_table, sender=self, dispatch_uid="fund.cache_table")


def _cache_table(using, verbosity=1, **kwargs):
    call_command("createcachetable", database=using, verbosity=verbosity)

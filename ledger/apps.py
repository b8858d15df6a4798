from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        # Registered now: a web process without a broker runs the tasks eagerly (see loans' ready).
        from . import tasks  # noqa: F401

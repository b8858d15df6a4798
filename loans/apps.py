from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Loans")

    def ready(self):
        from django.db.backends.signals import connection_created

        from ledger.services.periods import register_close_check
        from loans.accrual_sql import register_sqlite
        from loans.selectors.reconciliation import month_close_refusals

        register_close_check(  # a month closes once the loans' books agree
            month_close_refusals,
            _(
                "Close of day has run through the month's last day, and on that day the loans' "
                "sub-ledger agrees with the GL on every control account."
            ),
        )
        connection_created.connect(register_sqlite)  # close of day's exact amounts on SQLite
        # Celery finds the tasks only when a worker starts: a web process without a broker runs
        # them eagerly, so they must be registered here, or it would try to reach a broker.
        import loans.tasks  # noqa: F401

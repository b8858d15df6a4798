"""The books checked after close of day, and again when an accountant asks: the loans'
sub-ledger against the GL as of the business date (`loans.selectors.reconciliation`), kept as a
`ReconciliationCheck` for the accountant's home page, in a worker (here, without a broker)."""

from datetime import date

from celery import current_app
from django.db import transaction

from fund.selectors import current_fund
from fund.services.common import require_permission
from loans.models import ReconciliationCheck
from loans.selectors.reconciliation import reconciliation

# Who may look at the reconciliation, and ask for it again.
PERMISSIONS = ("loans.view_loantransaction", "ledger.view_journalentry")


def check_books(*, as_of: date, actor=None) -> ReconciliationCheck:
    """Reconcile as of `as_of` and keep what differs (`actor` None: close of day did)."""
    rows = reconciliation(as_of=as_of)
    return ReconciliationCheck.objects.create(
        as_of=as_of,
        checked_by=actor,
        accounts=len(rows),
        differences=[[row.code, str(row.difference)] for row in rows if row.difference],
    )


def queue_check(*, actor=None) -> None:
    """Check the books as of the business date once the caller's transaction commits."""
    if actor is not None:
        for permission in PERMISSIONS:
            require_permission(actor, permission)
    as_of = current_fund().business_date.isoformat()
    user = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: current_app.signature("loans.check_books", args=(as_of, user)).apply_async()
    )

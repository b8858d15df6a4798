"""What the audit trail follows: the fund's master data and settings, each change kept by
django-auditlog with who, when, from which address and every field before and after.

Loans' money, states and postings are not here: their own rows (events, the journal) already
say who did what and when, and they are never edited."""

from auditlog.registry import auditlog
from django.apps import apps
from django.utils.translation import gettext_lazy as _

# By model: the options of `auditlog.register` (fields left out are bookkeeping a change of
# the record does not consist of, or secrets).
FOLLOWED: dict[str, dict] = {
    "fund.Borrower": {},
    "fund.HouseholdMember": {},
    "fund.BorrowerDocument": {},
    "fund.DocumentType": {},
    "fund.LoanProduct": {"m2m_fields": {"required_documents"}},
    # The business date moves with every close of day, which keeps its own record of runs.
    "fund.Fund": {"exclude_fields": ["business_date"]},
    "fund.AuthorityLevel": {},
    "fund.CapitalSource": {},
    "fund.NonWorkingDay": {},
    "fund.ApiToken": {"exclude_fields": ["key_hash", "last_used_at"]},
    # A password change is recorded as one, without the hash.
    "fund.User": {
        "exclude_fields": ["last_login"],
        "mask_fields": ["password"],
        "m2m_fields": {"groups", "user_permissions"},
    },
    "ledger.Account": {},
    "loans.LoanDocument": {},
    "loans.LoanActionDocument": {},
    # Lockouts: a failure recorded, an attempt deleted by an administrator (an unlock).
    "axes.AccessAttempt": {
        "include_fields": ["username", "ip_address", "failures_since_start", "locked_out"],
    },
    # The periodic jobs (nightly close of day, backups...): their settings, not each run.
    "django_celery_beat.PeriodicTask": {"exclude_fields": ["last_run_at", "total_run_count", "date_changed"]},
    # Second factors enrolled and reset; never their secrets or counters.
    "otp_totp.TOTPDevice": {"include_fields": ["user", "name", "confirmed"]},
    "otp_static.StaticDevice": {"include_fields": ["user", "name", "confirmed"]},
}


def follow_master_data() -> None:
    for label, options in FOLLOWED.items():
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        # Other tables' keys to this record (its documents, its loans) are not its fields.
        reverse = [
            field.name for field in model._meta.get_fields() if field.auto_created and not field.concrete
        ]
        exclude = [*options.get("exclude_fields", []), *reverse]
        auditlog.register(model, **{**options, "exclude_fields": exclude})


def hidden(value: str) -> str:
    """What a masked field shows (AUDITLOG_MASK_CALLABLE): that it changed, nothing of it."""
    return str(_("(hidden)"))

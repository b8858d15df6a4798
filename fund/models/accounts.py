"""Whether a ledger account can take the fund's postings."""

from django.utils.translation import gettext as _


def account_problem(account, *, expected_type: str | None = None) -> str | None:
    """Why a journal line could not go to this account, or None when it can."""
    if not account.active:
        return _("Account %(code)s is inactive.") % {"code": account.code}
    if account.children.exists():
        return _("Account %(code)s has sub-accounts; choose one of them.") % {"code": account.code}
    if expected_type and account.type != expected_type:
        return _("Account %(code)s is not of the right type for this posting.") % {"code": account.code}
    return None

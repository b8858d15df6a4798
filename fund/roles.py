"""The five roles of a fund's users, kept as Django groups.

A data migration creates the groups. Which permissions each role holds is declared
next to the models they protect: any installed app may have a `roles` module with
`ROLE_PERMISSIONS = {role: ["app_label.codename", ...]}`. After every `migrate`
the groups are given exactly the declared permissions, so the code is the single
source of truth for these five roles (a fund may add groups of its own beside them).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _

from common.apps import app_modules

FUND_OFFICER = "fund_officer"
APPRAISER = "appraiser"
APPROVER = "approver"
ACCOUNTANT = "accountant"
COOP_USER = "coop_user"

ROLE_LABELS = {
    FUND_OFFICER: _("Fund officer"),
    APPRAISER: _("Appraiser"),
    APPROVER: _("Approver"),
    ACCOUNTANT: _("Accountant"),
    COOP_USER: _("Co-op user"),
}
ROLES = tuple(ROLE_LABELS)


def declared_role_permissions() -> dict[str, set[str]]:
    """Every installed app's declared permissions, merged by role."""
    declared: dict[str, set[str]] = {role: set() for role in ROLES}
    for app_config, module in app_modules("roles"):
        for role, permissions in getattr(module, "ROLE_PERMISSIONS", {}).items():
            if role not in declared:
                raise ValueError(f"{app_config.name}.roles names an unknown role {role!r}")
            declared[role].update(permissions)
    return declared


def grant_role_permissions(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Give each role group exactly its declared permissions (a post_migrate receiver)."""
    from django.contrib.auth.models import Group, Permission

    # post_migrate runs per app; make sure the permissions of apps after this one exist too.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, names in declared_role_permissions().items():
        unknown = sorted(names - by_name.keys())
        if unknown:
            raise ValueError(f"Role {role} declares permissions that do not exist: {', '.join(unknown)}")
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_name[name] for name in names])


def roles_of(user) -> list[str]:
    """The role codes a user holds, in the canonical order."""
    if not user.is_authenticated:
        return []
    names = {group.name for group in user.groups.all()}
    return [role for role in ROLES if role in names]


_SEE_BORROWERS = [
    "fund.view_borrower",
    "fund.view_householdmember",
    "fund.view_borrowerdocument",
    "fund.view_documenttype",
    "fund.view_loanproduct",
]
_STAFF = [*_SEE_BORROWERS, "fund.view_fund", "fund.view_nonworkingday"]

# Co-op users also see only their own borrower: `fund.selectors.visible_borrowers` scopes them.
ROLE_PERMISSIONS = {
    FUND_OFFICER: [
        *_STAFF,
        "fund.add_borrower",
        "fund.change_borrower",
        "fund.add_householdmember",
        "fund.change_householdmember",
        "fund.add_borrowerdocument",
    ],
    APPRAISER: _STAFF,
    APPROVER: [
        *_STAFF,
        "fund.view_authoritylevel",
        "fund.view_capitalsource",
        "fund.view_capitalreceipt",
    ],
    ACCOUNTANT: [
        *_STAFF,
        "fund.add_nonworkingday",
        "fund.delete_nonworkingday",
        "fund.add_fund",
        "fund.change_fund",
        "fund.advance_business_date",
        "fund.view_capitalsource",
        "fund.add_capitalsource",
        "fund.change_capitalsource",
        "fund.view_capitalreceipt",
        "fund.add_capitalreceipt",
        "fund.view_authoritylevel",
        "fund.add_authoritylevel",
        "fund.change_authoritylevel",
        "fund.add_loanproduct",
        "fund.change_loanproduct",
        "fund.add_documenttype",
        "fund.change_documenttype",
    ],
    COOP_USER: _SEE_BORROWERS,
}

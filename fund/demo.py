"""The fund app's part of the demo: one user per role, with known demo passwords."""

from django.contrib.auth.models import Group
from django.db import transaction

from fund.models import User
from fund.roles import ACCOUNTANT, APPRAISER, APPROVER, COOP_USER, FUND_OFFICER, ROLE_LABELS

DEMO_PASSWORD_SUFFIX = "-demo-2026"

DEMO_USERS = [
    # username, full name, roles
    ("officer", "Nguyễn Văn An", [FUND_OFFICER]),
    ("appraiser", "Trần Thị Bình", [APPRAISER]),
    ("approver", "Lê Văn Cường", [APPROVER]),
    ("accountant", "Phạm Thị Dung", [ACCOUNTANT]),
    ("coop", "Hoàng Văn Em", [COOP_USER]),
]


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


@transaction.atomic
def load(*, stdout) -> None:
    rows = []
    for username, full_name, roles in DEMO_USERS:
        # Vietnamese names put the family name first; keep the whole name in one field.
        user, _created = User.objects.update_or_create(
            username=username, defaults={"first_name": full_name, "last_name": "", "is_active": True}
        )
        user.set_password(demo_password(username))
        user.save(update_fields=["password"])
        user.groups.set(Group.objects.filter(name__in=roles))
        rows.append((username, demo_password(username), ", ".join(str(ROLE_LABELS[r]) for r in roles)))

    admin, _created = User.objects.update_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "is_active": True}
    )
    admin.set_password(demo_password("admin"))
    admin.save(update_fields=["password"])
    rows.append(("admin", demo_password("admin"), "superuser (/admin/)"))

    stdout.write("Demo users (username / password / role):")
    for username, password, role in rows:
        stdout.write(f"  {username:<12} {password:<24} {role}")

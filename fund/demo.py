"""The fund app's part of the demo: one user per role, with known demo passwords, and the
demo fund (`fund.demo_data`): its capital posted to the ledger, approval levels, three loan
products and a dozen borrowers of every type with their households.

Run twice, same data: users are reset; records are created only where missing (by their
natural keys), so a demo that has moved on (products versioned, business date advanced)
keeps its history.
"""

import datetime as dt
import uuid

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from fund import demo_data, services
from fund.models import AuthorityLevel, Borrower, CapitalSource, DocumentType, Fund, LoanProduct, User
from fund.roles import ACCOUNTANT, APPRAISER, APPROVER, COOP_USER, FUND_OFFICER, ROLE_LABELS
from ledger.models import Account

# Receipts get fixed keys, so running the demo again finds them instead of posting again.
_DEMO_KEYS = uuid.UUID("9d5c1f0e-3b7a-4c53-9a51-2f6b8e0c4d17")

DEMO_PASSWORD_SUFFIX = "-demo-2026"

DEMO_USERS = [
    # username, full name, roles
    ("officer", "Nguyễn Văn An", [FUND_OFFICER]),
    ("appraiser", "Trần Thị Bình", [APPRAISER]),
    ("approver", "Lê Văn Cường", [APPROVER]),
    ("accountant", "Phạm Thị Dung", [ACCOUNTANT]),
    # A second accountant: asks for a tranche the first one authorized to be reversed.
    ("accountant2", "Đỗ Thị Giang", [ACCOUNTANT]),
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

    users = {user.username: user for user in User.objects.filter(username__in=[row[0] for row in rows])}
    _load_fund(users["accountant"])
    _load_products(users["accountant"])
    _load_borrowers(users["officer"])
    coop = Borrower.objects.get(tax_code=demo_data.COOP_USER_BORROWER)
    services.link_user_to_borrower(actor=users["admin"], user=users["coop"], borrower=coop)
    stdout.write(
        f"Demo fund: {Fund.objects.get().name}; {LoanProduct.objects.count()} products, "
        f"{Borrower.objects.count()} borrowers; user coop acts for {coop.name}."
    )


def demo_start() -> dt.date:
    """The demo fund opens on the first day of the month five months ago, so that its loans'
    first months of repayments (loans/demo.py) happen before today rather than after it."""
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - 5, 12)
    return dt.date(year, month + 1, 1)


def _load_fund(accountant: User) -> None:
    accounts = {a.code: a for a in Account.objects.filter(code__in=_receipt_and_lending_codes())}
    if not Fund.objects.exists():
        services.set_up_fund(
            actor=accountant,
            fields=demo_data.FUND,
            business_date=demo_start(),
            lending_accounts=[accounts[code] for code in demo_data.LENDING_ACCOUNTS],
        )
    for name, limit, holders in demo_data.AUTHORITY_LEVELS:
        if not AuthorityLevel.objects.filter(name=name).exists():
            services.create_authority_level(
                actor=accountant,
                name=name,
                max_amount=limit,
                holders=User.objects.filter(username__in=holders),
            )
    for kind, name, receipts in demo_data.CAPITAL:
        source = CapitalSource.objects.filter(name=name).first() or services.create_capital_source(
            actor=accountant, kind=kind, name=name
        )
        for number, amount, code in receipts:
            services.record_capital_receipt(
                actor=accountant,
                source=source,
                amount=amount,
                account=accounts[code],
                key=uuid.uuid5(_DEMO_KEYS, f"capital-{number}"),
            )


def _receipt_and_lending_codes() -> set[str]:
    return set(demo_data.LENDING_ACCOUNTS) | {
        code for _k, _n, receipts in demo_data.CAPITAL for *_r, code in receipts
    }


def _load_products(accountant: User) -> None:
    for spec in demo_data.PRODUCTS:
        if LoanProduct.objects.filter(code=spec["code"]).exists():
            continue
        fields = {name: value for name, value in spec.items() if name != "documents"}
        documents = DocumentType.objects.filter(code__in=spec["documents"])
        services.create_product(actor=accountant, fields=fields, required_documents=documents)


def _load_borrowers(officer: User) -> None:
    for row in demo_data.BORROWERS:
        fields = dict(zip(demo_data.BORROWER_FIELDS, row, strict=True))
        key = {name: fields[name] for name in ("province", "district", "commune", "registration_number")}
        borrower = Borrower.objects.filter(**key).first() or services.create_borrower(
            actor=officer, fields=fields
        )
        for head, id_number, village, union_member in demo_data.HOUSEHOLDS.get(
            borrower.registration_number, []
        ):
            if not borrower.members.filter(id_number=id_number).exists():
                services.add_household_member(
                    actor=officer,
                    borrower=borrower,
                    fields={
                        "head_of_household": head,
                        "id_number": id_number,
                        "address": village,
                        "farmers_union_member": union_member,
                    },
                )

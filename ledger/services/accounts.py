"""The accountant's changes to the chart of accounts: add, rename, (de)activate, delete, import.

The chart's shape protects what was posted: a sub-account's code extends its parent's and
shares its type; an account that has postings gets no sub-accounts (they would hide its
balance); an account keeps its code, type and parent once made; an account with a balance,
or with active sub-accounts, stays active. Locks on the accounts involved make these hold
against postings in flight (on PostgreSQL the commit-time check sees the change too).
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from common.jobs import ImportOutcome
from common.money import ZERO, format_vnd
from common.xlsx import CellError, read_table
from ledger.models import Account, AccountType, JournalLine
from ledger.reports import chart_column_label, chart_input_columns


def create_account(
    *,
    actor: AbstractBaseUser,
    code: str,
    name_vi: str,
    name_en: str,
    type: str,  # noqa: A002 - the model's field
    parent_code: str = "",
    active: bool = True,
) -> Account:
    _require(actor, "ledger.add_account")
    with transaction.atomic():
        return _create(
            code=code, name_vi=name_vi, name_en=name_en, type=type, parent_code=parent_code, active=active
        )


def update_account(
    *, actor: AbstractBaseUser, account: Account, name_vi: str, name_en: str, active: bool
) -> Account:
    """Rename an account or change whether it is in use; its code, type and parent stay."""
    _require(actor, "ledger.change_account")
    with transaction.atomic():
        return _update(Account.objects.select_for_update().get(pk=account.pk), name_vi, name_en, active)


def delete_account(*, actor: AbstractBaseUser, account: Account) -> None:
    """Delete an account made by mistake: only one that was never posted to and has no sub-accounts."""
    _require(actor, "ledger.delete_account")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if JournalLine.objects.filter(account=account).exists():
            raise ValidationError(
                _("Account %(code)s has postings; deactivate it instead.") % {"code": account.code}
            )
        if account.children.exists():
            raise ValidationError(_("Account %(code)s has sub-accounts.") % {"code": account.code})
        Account.objects.filter(pk=account.pk).delete()


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def import_chart(*, actor: AbstractBaseUser, file) -> ImportSummary:
    """Add and update accounts from an .xlsx sheet (the layout `export` writes), all or nothing.

    New codes are created, parents before sub-accounts; existing codes get their names and
    active flag from the sheet. Every problem is reported with its row and column.
    """
    _require(actor, "ledger.add_account")
    _require(actor, "ledger.change_account")
    table = read_table(file, chart_input_columns(), header_row=None)
    if table.errors:
        raise ValidationError([str(e) for e in table.errors])
    errors: list[str] = []
    created = updated = unchanged = 0
    rows = sorted(table.rows, key=lambda row: row[1]["code"])  # a parent's code sorts before its children's
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, values in rows:
            code = values["code"]
            if code in seen:
                message = _("Also on row %(row)s.") % {"row": seen[code]}
                errors.append(str(CellError(number, chart_column_label("code"), message)))
                continue
            seen[code] = number
            try:
                with transaction.atomic():
                    existing = Account.objects.select_for_update().filter(code=code).first()
                    if existing is None:
                        _create(
                            code=code,
                            name_vi=values["name_vi"],
                            name_en=values["name_en"] or values["name_vi"],
                            type=values["type"],
                            parent_code=values["parent"] or "",
                            active=values["active"] is not False,
                        )
                        created += 1
                        continue
                    _same_place(existing, values)
                    active = existing.active if values["active"] is None else values["active"]
                    name_en = values["name_en"] or existing.name_en
                    if (existing.name_vi, existing.name_en, existing.active) == (
                        values["name_vi"],
                        name_en,
                        active,
                    ):
                        unchanged += 1
                        continue
                    _update(existing, values["name_vi"], name_en, active)
                    updated += 1
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    column = chart_column_label(field) if field in _COLUMN_OF_FIELD else code
                    errors.extend(str(CellError(number, column, message)) for message in messages)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


def import_chart_job(job, file) -> ImportOutcome:
    """An uploaded chart imported by its task (`common.jobs.run_import`, as the user who asked);
    a refusal's messages (each naming its row) are the job's errors."""
    summary = import_chart(actor=job.requested_by, file=file)
    counts = {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged}
    line = _("Chart imported: %(created)s accounts added, %(updated)s updated, %(unchanged)s unchanged.")
    return ImportOutcome(rows=sum(counts.values()), lines=[line % counts])


# --- internals ---------------------------------------------------------------------

_COLUMN_OF_FIELD = {"code", "name_vi", "name_en", "type", "parent", "active"}


def _require(actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You may not change the chart of accounts."))


def _create(*, code, name_vi, name_en, type, parent_code, active) -> Account:  # noqa: A002
    account = Account(code=(code or "").strip(), name_vi=(name_vi or "").strip(), type=type, active=active)
    account.name_en = (name_en or "").strip()
    problems = new_account_problems(account, parent_code=parent_code, lock=True)
    if problems:
        raise ValidationError(problems)
    account.save()
    return account


def new_account_problems(account: Account, *, parent_code: str, lock: bool = False) -> dict[str, list[str]]:
    """What keeps `account` (not saved yet) out of the chart under `parent_code`, by field.

    Sets `account.parent`. With `lock`, the parent stays locked until the transaction ends:
    a posting to it in flight and this new sub-account cannot both succeed.
    """
    problems: dict[str, list[str]] = {}
    parent_code = (parent_code or "").strip()
    if Account.objects.filter(code=account.code).exists():
        problems["code"] = [_("There is already an account %(code)s.") % {"code": account.code}]
    if parent_code:
        parents = Account.objects.select_for_update() if lock else Account.objects
        parent = parents.filter(code=parent_code).first()
        if parent is None:
            problems["parent"] = [_("There is no account %(code)s.") % {"code": parent_code}]
        else:
            account.parent = parent
            for field, message in _placement_problems(account, parent):
                problems.setdefault(field, []).append(message)
    _add_model_problems(account, problems, exclude=["parent"])
    return problems


def change_problems(account: Account, *, active: bool) -> dict[str, list[str]]:
    """What keeps `account` (with its new names set) from being saved with `active`, by field."""
    problems: dict[str, list[str]] = {}
    was_active = Account.objects.filter(pk=account.pk, active=True).exists()
    if was_active and not active:
        balance = _balance(account)
        if balance:
            problems["active"] = [
                _("Account %(code)s has a balance of %(balance)s; it stays active until it is zero.")
                % {"code": account.code, "balance": format_vnd(balance)}
            ]
        if account.children.filter(active=True).exists():
            problems.setdefault("active", []).append(_("Deactivate its sub-accounts first."))
    _add_model_problems(account, problems, exclude=["parent", "code"])
    return problems


def _placement_problems(account: Account, parent: Account) -> list[tuple[str, str]]:
    problems = []
    if not account.code.startswith(parent.code) or account.code == parent.code:
        problems.append(
            ("code", _("A sub-account's code extends its parent's: %(parent)s…") % {"parent": parent.code})
        )
    if account.type != parent.type:
        label = AccountType(parent.type).label
        problems.append(("type", _("A sub-account has its parent's type (%(type)s).") % {"type": label}))
    if JournalLine.objects.filter(account=parent).exists():
        problems.append(
            (
                "parent",
                _("Account %(code)s has postings, so it cannot get sub-accounts.") % {"code": parent.code},
            )
        )
    return problems


def _add_model_problems(account: Account, problems: dict[str, list[str]], *, exclude: list[str]) -> None:
    try:
        account.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)


def _update(account: Account, name_vi: str, name_en: str, active: bool) -> Account:
    account.name_vi, account.name_en = (name_vi or "").strip(), (name_en or "").strip()
    problems = change_problems(account, active=active)
    if problems:
        raise ValidationError(problems)
    account.active = active
    account.save(update_fields=["name_vi", "name_en", "active"])
    return account


def _balance(account: Account):
    sums = JournalLine.objects.filter(account=account).aggregate(
        d=Sum("debit", default=ZERO), c=Sum("credit", default=ZERO)
    )
    return sums["d"] - sums["c"]


def _same_place(existing: Account, values: dict) -> None:
    """An import may not move an existing account or change its type."""
    errors = {}
    if values["type"] != existing.type:
        errors["type"] = _("The type of an existing account does not change (it is %(type)s).") % {
            "type": AccountType(existing.type).label
        }
    parent_code = existing.parent.code if existing.parent_id else ""
    if (values["parent"] or "") != parent_code:
        errors["parent"] = _("The parent of an existing account does not change (it is %(parent)s).") % {
            "parent": parent_code or "—"
        }
    if errors:
        raise ValidationError(errors)

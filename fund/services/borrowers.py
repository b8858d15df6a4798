"""Registering borrowers, their households and their documents."""

from collections.abc import Mapping
from typing import Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common.transitions import run
from fund.models import Borrower, BorrowerDocument, HouseholdMember, User
from fund.selectors import visible_borrowers
from fund.services.common import assign_fields, refused_if_taken, require_permission
from fund.services.documents import DocumentUpload, file_document

BORROWER_FIELDS = (
    "type",
    "name",
    "registration_number",
    "tax_code",
    "province",
    "district",
    "commune",
    "address",
    "representative",
    "representative_title",
    "phone",
    "sector",
    "member_count",
    "founded_on",
    "notes",
)
MEMBER_FIELDS = (
    "head_of_household",
    "id_number",
    "address",
    "phone",
    "farmers_union_member",
    "joined_on",
    "left_on",
)
# The borrower's transitions, as they read in a refusal: "A borrower that is ... cannot be <suspended>".
STATUS_ACTIONS = {
    "suspend": pgettext_lazy("borrower action", "suspended"),
    "reactivate": pgettext_lazy("borrower action", "reactivated"),
    "dissolve": pgettext_lazy("borrower action", "dissolved"),
}


def _locked(actor: User, borrower: Borrower) -> Borrower:
    # Through the actor's view of borrowers: a co-op user can never reach another's record.
    return visible_borrowers(actor).select_for_update().get(pk=borrower.pk)


def create_borrower(*, actor: User, fields: Mapping[str, Any]) -> Borrower:
    require_permission(actor, "fund.add_borrower")
    borrower = Borrower()
    assign_fields(borrower, fields, BORROWER_FIELDS)
    with refused_if_taken(borrower):  # the same registration number, sent twice at once
        borrower.full_clean()
        borrower.save()
    return borrower


def update_borrower(*, actor: User, borrower: Borrower, fields: Mapping[str, Any]) -> Borrower:
    require_permission(actor, "fund.change_borrower")
    with transaction.atomic():
        borrower = _locked(actor, borrower)
        was_group = borrower.is_household_group
        assign_fields(borrower, fields, BORROWER_FIELDS)
        if was_group and not borrower.is_household_group and borrower.members.exists():
            raise ValidationError(
                {"type": _("This group has households; only a household borrowing group can have them.")}
            )
        borrower.full_clean()
        borrower.save()
    return borrower


def change_borrower_status(*, actor: User, borrower: Borrower, action: str) -> Borrower:
    """Suspend, reactivate or dissolve a borrower (`action` is one of STATUS_ACTIONS)."""
    require_permission(actor, "fund.change_borrower")
    if action not in STATUS_ACTIONS:
        raise TypeError(f"unknown borrower action {action!r}")
    with transaction.atomic():
        borrower = _locked(actor, borrower)
        run(borrower, action, actor=actor, subject=_("A borrower"), action=STATUS_ACTIONS[action])
        borrower.save(update_fields=["status", "updated_at"])
    return borrower


def add_household_member(*, actor: User, borrower: Borrower, fields: Mapping[str, Any]) -> HouseholdMember:
    require_permission(actor, "fund.add_householdmember")
    with transaction.atomic():
        borrower = _locked(actor, borrower)
        member = HouseholdMember(borrower=borrower)
        assign_fields(member, fields, MEMBER_FIELDS)
        member.full_clean()
        member.save()
    return member


def update_household_member(
    *, actor: User, member: HouseholdMember, fields: Mapping[str, Any]
) -> HouseholdMember:
    require_permission(actor, "fund.change_householdmember")
    with transaction.atomic():
        _locked(actor, member.borrower)
        member = HouseholdMember.objects.select_for_update().get(pk=member.pk)
        assign_fields(member, fields, MEMBER_FIELDS)
        member.full_clean()
        member.save()
    return member


def add_borrower_document(
    *, actor: User, borrower: Borrower, **upload: Unpack[DocumentUpload]
) -> BorrowerDocument:
    require_permission(actor, "fund.add_borrowerdocument")
    with transaction.atomic():
        borrower = _locked(actor, borrower)
        return file_document(BorrowerDocument, actor=actor, borrower=borrower, **upload)


def link_user_to_borrower(*, actor: User, user: User, borrower: Borrower | None) -> User:
    """Make `user` act for `borrower` (a co-op user), or unlink it with None."""
    require_permission(actor, "fund.change_user")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.borrower = borrower
        user.clean()
        user.save(update_fields=["borrower"])
    return user


# --- a portfolio brought in (loans.services.onboarding) ---------------------------------------


def checked_borrower(fields: Mapping[str, Any]) -> tuple[Borrower, dict[str, list[str]]]:
    """A new borrower from an imported row and its problems field by field, checked as the form
    checks it but for what it shares with other rows (the import matches those itself)."""
    borrower = Borrower()
    assign_fields(borrower, fields, BORROWER_FIELDS)
    return borrower, _problems(borrower, exclude=[])


def checked_member(
    borrower: Borrower, fields: Mapping[str, Any]
) -> tuple[HouseholdMember, dict[str, list[str]]]:
    """A new household of `borrower` (maybe not saved yet) from an imported row, and its problems."""
    member = HouseholdMember(borrower=borrower)
    assign_fields(member, fields, MEMBER_FIELDS)
    return member, _problems(member, exclude=["borrower"])


def _problems(instance, *, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return error.message_dict
    return {}


def bring_in_borrowers(
    *, actor: User, borrowers: list[Borrower], members: list[HouseholdMember], source_fund: str
) -> None:
    """Save the borrowers and households of a portfolio brought in, checked already
    (`checked_borrower`, `checked_member`), in bulk, each tagged with the fund they come from.
    Call inside the import's transaction."""
    require_permission(actor, "fund.add_borrower", "loans.commit_portfolioimport")
    for borrower in borrowers:
        borrower.source_fund = source_fund
    Borrower.objects.bulk_create(borrowers, batch_size=2000)
    for member in members:
        member.borrower_id = member.borrower.pk  # the group's id, now that it has one
    HouseholdMember.objects.bulk_create(members, batch_size=2000)

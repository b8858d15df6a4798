"""Bulk import of borrowers, and of the households of borrowing groups, from .xlsx.

All or nothing: every row is checked the way the borrower form checks it, every problem is
reported with its row and column, and one bad row means nothing is imported. The template
each import reads is downloadable, in the user's language, with a sheet of instructions.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from common.jobs import ImportOutcome
from common.languages import language
from common.xlsx import CellError, Column, InputColumn, Sheet, import_template, read_table
from fund.models import Borrower, HouseholdMember, User
from fund.selectors import household_groups_by_registration
from fund.services.borrowers import BORROWER_FIELDS, add_household_member, create_borrower
from fund.services.common import require_permission

BORROWERS = "borrowers"
HOUSEHOLDS = "households"
PERMISSIONS = {BORROWERS: "fund.add_borrower", HOUSEHOLDS: "fund.add_householdmember"}

# Names the fund's staff use for each type, besides the code and the label in either language.
_TYPE_ALIASES = {
    "hợp tác xã": Borrower.Type.COOPERATIVE,
    "tổ hợp tác": Borrower.Type.COOPERATIVE_GROUP,
    "liên hiệp hợp tác xã": Borrower.Type.COOP_UNION,
    "tổ vay vốn": Borrower.Type.HOUSEHOLD_GROUP,
}
YES_NO = {"x": True, "1": True, "yes": True, "có": True, "0": False, "no": False, "không": False}


@dataclass
class ImportReport:
    created: int = 0
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def _headers(model, name: str) -> list[str]:
    """A column's header in Vietnamese and in English; the first is the user's language."""
    names = []
    for chosen in (language(), "vi", "en"):
        with translation.override(chosen):
            names.append(_label(model, name))
    return list(dict.fromkeys(names))


def _choices(enum, aliases: dict | None = None) -> dict[str, str]:
    accepted = {value.lower(): value for value in enum.values}
    for chosen in ("vi", "en"):
        with translation.override(chosen):
            accepted.update({str(label).lower(): value for value, label in enum.choices})
    accepted.update(aliases or {})
    return accepted


def borrower_columns() -> list[InputColumn]:
    kinds = {"member_count": "integer", "founded_on": "date"}
    choices = {"type": _choices(Borrower.Type, _TYPE_ALIASES), "sector": _choices(Borrower.Sector)}
    return [
        InputColumn(
            name,
            _headers(Borrower, name),
            kind=kinds.get(name, "text"),
            required=not Borrower._meta.get_field(name).blank,
            choices=choices.get(name, {}),
        )
        for name in BORROWER_FIELDS
    ]


def household_columns() -> list[InputColumn]:
    group_number = [_("Group's registration or decision number")]
    group_commune = [_("Group's commune")]
    with translation.override("en"):
        group_number.append(_("Group's registration or decision number"))
        group_commune.append(_("Group's commune"))
    return [
        InputColumn("group_number", group_number),
        InputColumn("group_commune", group_commune, required=False),
        InputColumn("head_of_household", _headers(HouseholdMember, "head_of_household")),
        InputColumn("id_number", _headers(HouseholdMember, "id_number")),
        InputColumn("address", _headers(HouseholdMember, "address")),
        InputColumn("phone", _headers(HouseholdMember, "phone"), required=False),
        InputColumn(
            "farmers_union_member",
            _headers(HouseholdMember, "farmers_union_member"),
            required=False,
            choices=YES_NO,
        ),
        InputColumn("joined_on", _headers(HouseholdMember, "joined_on"), kind="date", required=False),
    ]


# --- reading -------------------------------------------------------------------------------


def import_file(*, actor: User, kind: str, file) -> ImportReport:
    """Import borrowers or households from an .xlsx upload; nothing is saved unless every row is good."""
    if kind not in PERMISSIONS:
        raise ValueError(f"unknown import {kind!r}")
    require_permission(actor, PERMISSIONS[kind])
    if kind == BORROWERS:
        return _import(actor, file, borrower_columns(), _create_borrower)
    return _import(actor, file, household_columns(), _HouseholdRows().create)


def import_job(job, file) -> ImportOutcome:
    """An uploaded file imported by its task (`common.jobs.run_import`, as the user who asked)."""
    report = import_file(actor=job.requested_by, kind=job.kind, file=file)
    if not report.ok:
        return ImportOutcome(errors=report.errors)
    return ImportOutcome(
        rows=report.created, lines=[_("%(count)s rows imported.") % {"count": report.created}]
    )


def _import(actor: User, file, columns: list[InputColumn], create: Callable) -> ImportReport:
    read = read_table(file, columns)
    report = ImportReport(errors=list(read.errors))
    labels = {column.key: column.label for column in columns}
    unreadable = {(error.row, error.column) for error in read.errors}
    with transaction.atomic():
        for row, values in read.rows:
            try:
                create(actor, values)
                report.created += 1
            except ValidationError as exc:
                for key, messages in _by_field(exc).items():
                    column = labels.get(key, _("row"))
                    if (row, column) not in unreadable:
                        report.errors.extend(CellError(row, column, message) for message in messages)
        if report.errors:
            # All or nothing: one bad row and the rows before it are undone too.
            transaction.set_rollback(True)
            report.created = 0
    report.errors.sort(key=lambda error: error.row)
    return report


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [m for e in errors for m in e.messages] for key, errors in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: exc.messages}


def _create_borrower(actor: User, values: dict) -> None:
    fields = {name: value for name, value in values.items() if value is not None}
    # Empty optional text is "", as the form gives it.
    fields.update({name: "" for name in BORROWER_FIELDS if name not in fields and _is_text(name)})
    create_borrower(actor=actor, fields=fields)


def _is_text(name: str) -> bool:
    return Borrower._meta.get_field(name).get_internal_type() in {"CharField", "TextField"}


def member_fields(values: dict) -> dict:
    """A household row of `household_columns` as a household member's fields."""
    return {
        "head_of_household": values["head_of_household"] or "",
        "id_number": values["id_number"] or "",
        "address": values["address"] or "",
        "phone": values.get("phone") or "",
        "farmers_union_member": bool(values.get("farmers_union_member")),
        "joined_on": values.get("joined_on"),
    }


class _HouseholdRows:
    """Adds each row's household to its group, found among the groups already registered."""

    def __init__(self):
        self.groups: dict[str, list[Borrower]] | None = None

    def create(self, actor: User, values: dict) -> None:
        group = self._group(values["group_number"], values.get("group_commune"))
        add_household_member(actor=actor, borrower=group, fields=member_fields(values))

    def _group(self, number: str | None, commune: str | None) -> Borrower:
        if number is None:
            raise ValidationError({"group_number": _("This cell is required.")})
        if self.groups is None or number not in self.groups:
            self.groups = (self.groups or {}) | household_groups_by_registration([number])
        candidates = self.groups.get(number, [])
        if commune:
            candidates = [g for g in candidates if g.commune.lower() == commune.strip().lower()]
        if not candidates:
            raise ValidationError(
                {"group_number": _("No household borrowing group has this number; register the group first.")}
            )
        if len(candidates) > 1:
            raise ValidationError(
                {
                    "group_commune": _(
                        "Several household groups have this number; fill in the group's commune."
                    )
                }
            )
        return candidates[0]


# --- the templates -------------------------------------------------------------------------


# An example row of each template, by column: it imports on the demo fund (a co-operative not
# registered yet; a household of the demo's group 12/QĐ-HND); the fund replaces it with its own.
EXAMPLES = {
    BORROWERS: {
        "type": Borrower.Type.COOPERATIVE,
        "name": "Hợp tác xã Nông nghiệp Hòa Bình (ví dụ)",
        "registration_number": "1000999001",
        "tax_code": "1000999001",
        "province": "Thái Bình",
        "district": "Vũ Thư",
        "commune": "Hòa Bình",
        "address": "Thôn Đông, xã Hòa Bình",
        "representative": "Nguyễn Văn An",
        "representative_title": "Giám đốc",
        "phone": "0912000001",
        "sector": Borrower.Sector.CROPS,
        "member_count": "30",
        "founded_on": "15/03/2018",
        "notes": "",
    },
    HOUSEHOLDS: {
        "group_number": "12/QĐ-HND",
        "group_commune": "Vũ Hội",
        "head_of_household": "Nguyễn Thị Ví Dụ",
        "id_number": "034190009999",
        "address": "Thôn Đông",
        "phone": "0977000001",
        "farmers_union_member": "x",
        "joined_on": "01/03/2025",
    },
}
_ENUMS = {"type": Borrower.Type, "sector": Borrower.Sector}


def template_bytes(kind: str) -> bytes:
    """A workbook to fill in: the data sheet's headers and an example row (its type and sector
    in the user's language), dropdowns for every closed list, then a sheet explaining each
    column."""
    columns = borrower_columns() if kind == BORROWERS else household_columns()
    title = _("Borrowers") if kind == BORROWERS else _("Households")
    example = [
        _ENUMS[c.key](EXAMPLES[kind][c.key]).label if c.key in _ENUMS else EXAMPLES[kind][c.key]
        for c in columns
    ]
    data = Sheet(title=title, columns=[Column(c.label, "text") for c in columns], rows=[example])
    return import_template(
        data,
        [(c.label, c.required, _explain(c)) for c in columns],
        note=_(
            "Fill in the first sheet, one row each, under its header row, in place of the example "
            "row. Any bad row stops the whole import."
        ),
        dropdowns=dropdowns(columns),
        text_columns=len(columns),
    )


def dropdowns(columns: list[InputColumn]) -> dict[int, list[str]]:
    """The closed lists of a borrower or household sheet, by column: the types and sectors in
    the user's language, yes or no."""
    lists = {}
    for index, column in enumerate(columns):
        if column.key in _ENUMS:
            lists[index] = [str(label) for label in _ENUMS[column.key].labels]
        elif column.choices is YES_NO:
            lists[index] = [_("yes"), _("no")]
    return lists


def _explain(column: InputColumn) -> str:
    if column.key in _ENUMS:
        labels = [str(label) for label in _ENUMS[column.key].labels]
        return _("One of: %(values)s") % {"values": "; ".join(labels)}
    if column.choices:
        return _("yes or no (x is yes; empty is no)")
    hints = {
        "date": _("a date, dd/mm/yyyy"),
        "integer": _("a whole number"),
        "group_number": _("the number of a household borrowing group already registered"),
        "group_commune": _("only needed when two groups have the same number"),
    }
    return hints.get(column.key) or hints.get(column.kind) or _("text")

"""Repayments imported from an .xlsx file: all rows or none, and never twice.

Every row is read and checked first; any problem is reported with its row and column and
nothing is posted. Each row's repayment carries a key made from what it says (contract, date,
amount, channel, reference, household), so a row already imported — the same file twice, or a
corrected file that repeats rows — is skipped instead of posted again.
"""

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.jobs import ImportOutcome
from common.money import ZERO, format_vnd
from common.xlsx import CellError, Column, InputColumn, Sheet, import_template, read_table
from fund.models import Borrower
from fund.selectors import current_fund
from fund.services.common import require_permission
from loans.models import LoanContract, LoanStatus, Repayment, RepaymentImport
from loans.queries import lock_loans
from loans.services.servicing.repayments import RepaymentInput, input_key, record_repayment

_CHANNELS = {
    "tiền mặt": Repayment.Channel.CASH,
    "cash": Repayment.Channel.CASH,
    "chuyển khoản": Repayment.Channel.BANK_TRANSFER,
    "bank transfer": Repayment.Channel.BANK_TRANSFER,
    "hội nông dân": Repayment.Channel.FARMERS_UNION,
    "qua hội nông dân": Repayment.Channel.FARMERS_UNION,
    "farmers' union": Repayment.Channel.FARMERS_UNION,
    "farmers union": Repayment.Channel.FARMERS_UNION,
}
_MODES = {
    "giảm số tiền trả các kỳ": Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
    "lower installments": Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
    "rút ngắn thời hạn": Repayment.PrepaymentMode.SHORTEN_TERM,
    "shorten term": Repayment.PrepaymentMode.SHORTEN_TERM,
}
COLUMNS = [
    InputColumn("contract", ["Số hợp đồng", "Contract number"]),
    InputColumn("value_date", ["Ngày trả", "Value date"], kind="date"),
    InputColumn("amount", ["Số tiền", "Amount"], kind="money"),
    InputColumn("channel", ["Hình thức", "Channel"], choices=_CHANNELS),
    InputColumn("reference", ["Số chứng từ", "Reference"], required=False),
    InputColumn("household", ["Số CCCD chủ hộ", "Household ID number"], required=False),
    InputColumn("mode", ["Khoản trả trước", "Prepayment"], required=False, choices=_MODES),
]


@dataclass
class ImportReport:
    posted: list[Repayment] = field(default_factory=list)
    skipped: int = 0
    errors: list[CellError] = field(default_factory=list)
    batch: RepaymentImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# What the dropdowns offer: names the import accepts (`_CHANNELS`, `_MODES`).
CHANNEL_NAMES = ["Tiền mặt", "Chuyển khoản", "Qua Hội nông dân"]
MODE_NAMES = ["Giảm số tiền trả các kỳ", "Rút ngắn thời hạn"]


def _explained() -> dict[str, str]:
    return {
        "contract": _("the loan contract's number, as on the loan's page"),
        "value_date": _("the day the money was received, dd/mm/yyyy, up to the business date"),
        "amount": _("a whole number of đồng, e.g. 1.500.000"),
        "channel": _("One of: %(values)s") % {"values": "; ".join(CHANNEL_NAMES)},
        "reference": _(
            "the receipt's or the transfer's number; rows with the same figures need different ones"
        ),
        "household": _("for a household group's loan: the ID number of the household that pays"),
        "mode": _("when the amount is more than is due: %(values)s") % {"values": "; ".join(MODE_NAMES)},
    }


def template_workbook() -> bytes:
    """The file to fill in: the headers over empty rows, dropdowns for the channel and what a
    prepayment changes, and a sheet explaining each column with an example row (a repayment of
    the fund's first active loan, dated its business date). The example is on that sheet, not
    in the rows: a file uploaded as it was downloaded posts nothing."""
    headers = [
        Column(str(c.headers[0]), "money" if c.kind == "money" else "date" if c.kind == "date" else "text")
        for c in COLUMNS
    ]
    example = [
        _example_contract(),
        current_fund().business_date,
        1_000_000,
        "Chuyển khoản",
        "UNC 0012",
        "",
        MODE_NAMES[0],
    ]
    keys = [c.key for c in COLUMNS]
    return import_template(
        Sheet(title="Trả nợ", columns=headers, rows=[]),
        [(str(c.headers[0]), c.required, _explained()[c.key]) for c in COLUMNS],
        note=_(
            "Fill in the first sheet, one repayment a row; the last column below shows an example "
            "row. Any bad row stops the whole import."
        ),
        dropdowns={keys.index("channel"): CHANNEL_NAMES, keys.index("mode"): MODE_NAMES},
        example=example,
    )


def _example_contract() -> str:
    """The contract of the fund's first active loan to a borrower other than a household group
    (whose rows name the household), or a made-up number."""
    number = (
        LoanContract.objects.filter(loan__status=LoanStatus.ACTIVE)
        .exclude(loan__borrower__type=Borrower.Type.HOUSEHOLD_GROUP)
        .order_by("number")
        .values_list("number", flat=True)
        .first()
    )
    return number or "HĐ-01/2026/QHT"


def import_repayments(*, actor, file, file_name: str) -> ImportReport:
    """Post every row of `file`, or none of them; the report says which rows are wrong and why."""
    require_permission(actor, "loans.add_repaymentimport")
    table = read_table(file, COLUMNS)
    report = ImportReport(errors=list(table.errors))
    unreadable = {error.row for error in table.errors}
    entries = _resolve([(n, values) for n, values in table.rows if n not in unreadable], report)
    if report.errors:
        report.errors.sort(key=lambda error: error.row)
        return report
    file.seek(0)  # the file's size is bounded (read_table): it can be read whole to be hashed
    sha256 = hashlib.sha256(file.read()).hexdigest()
    try:
        with transaction.atomic():
            # Every loan of the file held first: see `lock_loans`.
            lock_loans(loan.pk for _number, loan, _entry in entries)
            report.batch = RepaymentImport.objects.create(
                file_name=file_name[:255],
                sha256=sha256,
                rows=0,
                skipped=0,
                total=ZERO,
                imported_by=actor,
            )
            for number, loan, entry in entries:
                _post_row(number, loan, entry, actor, report)
            if report.errors:
                raise _Refused
            if not report.posted:
                raise _NothingNew
            report.batch.rows, report.batch.skipped = len(report.posted), report.skipped
            report.batch.total = sum((r.amount.amount for r in report.posted), ZERO)
            report.batch.save()
    except _Refused:
        report.posted, report.batch = [], None
    except _NothingNew:
        report.batch = None
    return report


def import_job(job, file) -> ImportOutcome:
    """An uploaded file imported by its task (`common.jobs.run_import`, as the user who asked):
    the repayments posted, the rows skipped, or the rows refused."""
    report = import_repayments(actor=job.requested_by, file=file, file_name=job.file_name)
    if not report.ok:
        return ImportOutcome(errors=report.errors)
    posted, skipped = len(report.posted), report.skipped
    outcome = ImportOutcome(rows=posted + skipped)
    if not posted:
        outcome.lines.append(
            ngettext(
                "Nothing new: the %(rows)s row was imported before.",
                "Nothing new: all %(rows)s rows were imported before.",
                skipped,
            )
            % {"rows": skipped}
        )
        return outcome
    outcome.lines.append(
        ngettext("%(rows)s repayment posted.", "%(rows)s repayments posted.", posted) % {"rows": posted}
    )
    if skipped:
        outcome.lines.append(
            ngettext(
                "%(rows)s row was imported before and is skipped.",
                "%(rows)s rows were imported before and are skipped.",
                skipped,
            )
            % {"rows": skipped}
        )
    outcome.lines.append(_("Total: %(amount)s") % {"amount": format_vnd(report.batch.total)})
    # Each posted row with its loan, contract and household: read them at once.
    prefetch_related_objects(report.posted, "loan__contract", "share__member")
    outcome.head = [
        _("Loan"),
        _("Contract"),
        _("Household"),
        _("Value date"),
        _("Amount"),
        _("Channel"),
        _("Reference"),
    ]
    outcome.table = [
        [
            r.loan.reference,
            r.loan.contract.number,
            str(r.share.member) if r.share else "",
            f"{r.value_date:%d/%m/%Y}",
            format_vnd(r.amount.amount),
            str(r.get_channel_display()),
            r.reference,
        ]
        for r in report.posted
    ]
    return outcome


class _Refused(Exception):
    """A row was refused: roll back every row."""


class _NothingNew(Exception):
    """Every row was imported before: keep no empty batch."""


def _post_row(number, loan, entry, actor, report: ImportReport) -> None:
    if Repayment.objects.filter(idempotency_key=entry.idempotency_key).exists():
        report.skipped += 1
        return
    try:
        report.posted.append(record_repayment(actor=actor, loan=loan, entry=entry, batch=report.batch))
    except (ValidationError, PermissionDenied) as error:
        for field_name, messages in _messages(error):
            report.errors.append(CellError(number, _column_label(field_name), " ".join(messages)))


def _resolve(rows, report: ImportReport) -> list[tuple]:
    """Each row's loan, household and entry; problems go in the report, by row."""
    contracts = {
        c.number: c
        for c in LoanContract.objects.filter(
            number__in=[values["contract"] for _n, values in rows]
        ).select_related("loan", "loan__borrower")
    }
    seen: dict[str, int] = {}
    entries = []
    for number, values in rows:
        contract = contracts.get(values["contract"])
        if contract is None:
            report.errors.append(
                CellError(number, str(COLUMNS[0].label), _("No loan has this contract number."))
            )
            continue
        loan = contract.loan
        if loan.status != LoanStatus.ACTIVE:
            report.errors.append(
                CellError(
                    number,
                    str(COLUMNS[0].label),
                    _("This loan is %(status)s, not active.") % {"status": loan.get_status_display().lower()},
                )
            )
            continue
        share = _share(loan, values.get("household"), number, report)
        if share is False:
            continue
        entry = RepaymentInput(
            value_date=values["value_date"],
            amount=values["amount"],
            channel=values["channel"],
            reference=values.get("reference") or "",
            share=share,
            prepayment_mode=values.get("mode") or Repayment.PrepaymentMode.LOWER_INSTALLMENTS,
        )
        key = input_key(loan, entry)
        if key in seen:
            report.errors.append(
                CellError(
                    number,
                    _("row"),
                    _("Repeats row %(row)s: give each repayment its own reference.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        entries.append((number, loan, RepaymentInput(**{**entry.__dict__, "idempotency_key": key})))
    return entries


def _share(loan, id_number, number, report):
    """The household share a group loan's row is for (None for other loans; False if wrong)."""
    label = str(COLUMNS[5].label)
    if not loan.is_group_loan:
        if id_number:
            report.errors.append(
                CellError(number, label, _("Only a household group's loan names a household."))
            )
            return False
        return None
    share = loan.member_shares.filter(member__id_number=str(id_number or "").strip()).first()
    if share is None:
        report.errors.append(
            CellError(number, label, _("Give the ID number of a household of this group loan."))
        )
        return False
    return share


_FIELD_COLUMNS = {
    "value_date": 1,
    "amount": 2,
    "channel": 3,
    "reference": 4,
    "share": 5,
    "prepayment_mode": 6,
}


def _column_label(field_name: str) -> str:
    index = _FIELD_COLUMNS.get(field_name)
    return str(COLUMNS[index].label) if index is not None else _("row")


def _messages(error) -> list[tuple[str, list[str]]]:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [(name, [m for e in errors for m in e.messages]) for name, errors in error.error_dict.items()]
    return [("", list(getattr(error, "messages", [str(error)])))]

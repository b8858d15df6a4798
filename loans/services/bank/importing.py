"""Bank statements imported from the bank's .xlsx or CSV file, laid out as the account's mapping
says: every line or none, and never a line twice.

Every row is read and checked first; any problem is reported with its row and column and
nothing is kept. Each line's fingerprint (account, dates, direction, amount, reference,
description and its ordinal among identical lines of the file) is unique in the database, so a
statement imported again — or a longer one that repeats its lines — adds only what is new. The
new lines are matched at once (`matching.match_lines`).
"""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import MAX_AMOUNT, parse_vnd
from common.text import LONG_TEXT_MAX
from common.xlsx import CellError, InputColumn, read_table
from fund.services.common import require_permission
from ledger.models import Account
from loans.models import BankStatement, ReconciledPeriod, StatementLine, StatementMapping
from loans.services.bank.matching import match_lines

_REFERENCE_LIMIT = StatementLine._meta.get_field("reference").max_length
_ZERO_CENTS = re.compile(r"[.,]0{1,2}$")  # "1.500.000,00" or "1,500,000.00": whole đồng with cents


@dataclass
class StatementReport:
    statement: BankStatement | None = None
    added: int = 0
    skipped: int = 0
    counts: dict = field(default_factory=dict)  # status -> new lines
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _columns(mapping: StatementMapping) -> list[InputColumn]:
    def column(key, name, **kwargs):
        return [InputColumn(key, [name], **kwargs)] if name else []

    date = {"kind": "date", "date_formats": (mapping.date_format,)}
    return [
        *column("booking_date", mapping.booking_date_column, **date),
        *column("value_date", mapping.value_date_column, required=False, **date),
        *column("description", mapping.description_column, required=False),
        *column("reference", mapping.reference_column, required=False),
        *column("credit", mapping.credit_column, required=False),
        *column("debit", mapping.debit_column, required=False),
        *column("amount", mapping.amount_column),
        *column("balance", mapping.balance_column, required=False),
    ]


def import_statement(*, actor, account: Account, file, file_name: str) -> StatementReport:
    """Keep every new line of the statement `file` and match them, or keep nothing and say why."""
    require_permission(actor, "loans.reconcile_bank")
    mapping = StatementMapping.objects.filter(account=account).first()
    if mapping is None:
        raise ValidationError({"file": _("Set how this account's statements are laid out first.")})
    columns = _columns(mapping)
    table = read_table(
        file, columns, header_row=mapping.header_row, is_csv=file_name.lower().endswith(".csv")
    )
    report = StatementReport(errors=list(table.errors))
    labels = {column.key: column.label for column in columns}
    lines = []
    for number, values in table.rows:
        line = _line(account, number, values, labels, report)
        if line is not None:
            lines.append(line)
    if report.errors:
        report.errors.sort(key=lambda error: error.row)
        return report
    _fingerprint(lines)
    file.seek(0)  # bounded by read_table: read whole to be hashed
    sha256 = hashlib.sha256(file.read()).hexdigest()
    with transaction.atomic():
        # One import per account at a time: the second of two at once finds the first's lines.
        StatementMapping.objects.select_for_update().get(pk=mapping.pk)
        known = set(
            StatementLine.objects.filter(fingerprint__in=[line.fingerprint for line in lines]).values_list(
                "fingerprint", flat=True
            )
        )
        new = [line for line in lines if line.fingerprint not in known]
        report.skipped = len(lines) - len(new)
        _refuse_reconciled(account, new, report)
        if report.errors or not new:
            return report
        report.statement = BankStatement.objects.create(
            account=account,
            file_name=file_name[:255],
            sha256=sha256,
            first_date=min(line.booking_date for line in lines),
            last_date=max(line.booking_date for line in lines),
            lines_added=len(new),
            lines_skipped=report.skipped,
            imported_by=actor,
        )
        for line in new:
            line.statement = report.statement
        new = StatementLine.objects.bulk_create(new)
        match_lines(account=account, lines=new, window=mapping.match_days)
        report.added = len(new)
        report.counts = Counter(line.status for line in new)
    return report


def _line(account, number: int, values: dict, labels: dict, report: StatementReport) -> StatementLine | None:
    errors = []

    def refuse(key: str, message: str) -> None:
        errors.append(CellError(number, labels.get(key, _("row")), message))

    amounts = {}
    for key in ("credit", "debit", "amount", "balance"):
        try:
            amounts[key] = _amount(values.get(key))
        except ValueError:
            refuse(key, _("%(value)r is not an amount in whole đồng.") % {"value": values.get(key)})
    credit, debit, signed = amounts.get("credit"), amounts.get("debit"), amounts.get("amount")
    if "amount" in labels:
        credit, debit = (signed, None) if signed and signed > 0 else (None, -signed if signed else None)
    if not errors and bool(credit) == bool(debit):
        refuse(
            "amount" if "amount" in labels else "credit",
            _("A line is either money in or money out, above 0."),
        )
    amount = credit or debit
    if amount is not None and (amount < 0 or amount > MAX_AMOUNT):
        refuse(
            "amount" if "amount" in labels else ("credit" if credit else "debit"), _("Not a possible amount.")
        )
    if amounts.get("balance") is not None and abs(amounts["balance"]) > MAX_AMOUNT:
        refuse("balance", _("Not a possible amount."))
    for key in ("booking_date", "value_date"):
        if values.get(key) is not None and values[key] > timezone.localdate():
            refuse(key, _("After today: no statement has such a line yet."))
    description, reference = values.get("description") or "", values.get("reference") or ""
    if len(description) > LONG_TEXT_MAX:
        refuse("description", _("At most %(limit)s characters.") % {"limit": LONG_TEXT_MAX})
    if len(reference) > _REFERENCE_LIMIT:
        refuse("reference", _("At most %(limit)s characters.") % {"limit": _REFERENCE_LIMIT})
    if errors or values.get("booking_date") is None:
        report.errors.extend(errors)
        return None
    return StatementLine(
        account=account,
        row=number,
        booking_date=values["booking_date"],
        value_date=values.get("value_date") or values["booking_date"],
        direction=StatementLine.Direction.CREDIT if credit else StatementLine.Direction.DEBIT,
        amount=amount,
        description=description,
        reference=reference,
        balance=amounts.get("balance"),
    )


def _amount(text) -> Decimal | None:
    """A bank's amount cell: `1.500.000`, `1,500,000.00`, `-250.000`, `(250,000)`; empty or `-`: None."""
    text = (text or "").strip()
    if text in ("", "-"):
        return None
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = _ZERO_CENTS.sub("", text.strip("()").removeprefix("-").strip())
    amount = parse_vnd(text)
    return -amount if negative else amount


def _fingerprint(lines: list[StatementLine]) -> None:
    """Each line's fingerprint; identical lines of one file count as the first, second, ..."""
    seen: Counter = Counter()
    for line in lines:
        facts = "|".join(
            [
                str(line.account_id),
                line.booking_date.isoformat(),
                line.value_date.isoformat(),
                line.direction,
                str(line.amount),
                " ".join(line.reference.split()),
                " ".join(line.description.split()),
            ]
        )
        seen[facts] += 1
        line.fingerprint = hashlib.sha256(f"{facts}|{seen[facts]}".encode()).hexdigest()


def _refuse_reconciled(account, lines: list[StatementLine], report: StatementReport) -> None:
    """A new line may not fall in a period already reconciled: reopen the period first."""
    periods = list(ReconciledPeriod.objects.filter(account=account, reopened_at__isnull=True))
    for line in lines:
        for period in periods:
            if period.first_date <= line.booking_date <= period.last_date:
                message = _("This line is new but falls in the period %(period)s, already reconciled.")
                report.errors.append(CellError(line.row, _("row"), message % {"period": period}))

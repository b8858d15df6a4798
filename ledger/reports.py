"""The ledger's tables as .xlsx sheets (common.xlsx does the writing), and the chart's file layout.

Headers are in the user's language (Vietnamese by default); amounts are numbers with
`#,##0`. The chart's sheet is also what `import_chart` reads back: its headers are accepted
in Vietnamese and in English, whatever language the file was exported in.
"""

import itertools
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.dates import format_datetime
from common.documents import heading, signatures
from common.names import person_name
from common.xlsx import Column, InputColumn, Sheet, import_template
from ledger.models import SOURCE_LABELS, AccountType, Period, readable_reference
from ledger.selectors import ChartRow, LedgerStream, PeriodTrialBalance, TrialBalance

# --- the chart of accounts, out and back in ---------------------------------------

CHART_COLUMNS = [  # key, header, export width
    ("code", gettext_noop("Account code"), 12),
    ("name_vi", gettext_noop("Name in Vietnamese"), 44),
    ("name_en", gettext_noop("Name in English"), 40),
    ("type", gettext_noop("Type"), 14),
    ("parent", gettext_noop("Parent account"), 12),
    ("active", gettext_noop("Active"), 10),
]


def chart_sheet(rows: Iterable[ChartRow], *, as_of: date | None = None) -> Sheet:
    columns = [Column(_(header), "text", width) for _key, header, width in CHART_COLUMNS]
    codes = {}
    values = []
    for row in rows:
        codes[row.pk] = row.code
        values.append(
            (
                row.code,
                row.name_vi,
                row.name_en,
                row.type_label,
                codes.get(row.parent_id, ""),
                _("yes") if row.active else _("no"),
            )
        )
    # Its heading sits above the header row `import_chart` finds: the file goes back in as it is
    # (so no signatures under it: they would be read as accounts).
    title = _("Chart of accounts")
    return Sheet(title=title, columns=columns, rows=values, heading=heading(title, as_of=as_of))


def chart_workbook(rows: Iterable[ChartRow], *, as_of: date) -> bytes:
    """The chart as its import's template: the accounts under the heading (each goes back in
    unchanged), dropdowns for the type and the active flag, and a sheet explaining the columns."""
    rows = list(rows)
    sheet = chart_sheet(rows, as_of=as_of)
    hints = {
        "code": _("digits; a sub-account's code extends its parent's"),
        "name_vi": _("text"),
        "name_en": _("text"),
        "type": _("One of: %(values)s") % {"values": "; ".join(str(label) for label in AccountType.labels)},
        "parent": _("the parent account's code; empty for a top-level account"),
        "active": _("yes or no; empty: yes for a new account, unchanged for an existing one"),
    }
    keys = [key for key, _header, _width in CHART_COLUMNS]
    return import_template(
        sheet,
        [(chart_column_label(key), key not in _OPTIONAL, hints[key]) for key in keys],
        note=_(
            "Add or change accounts on the first sheet, parents before their sub-accounts; an "
            "existing code takes the names and the active flag given there."
        ),
        dropdowns={
            keys.index("type"): [str(label) for label in AccountType.labels],
            keys.index("active"): [_("yes"), _("no")],
        },
        rows=len(rows) + 500,
    )


_OPTIONAL = {"name_en", "parent", "active"}


def chart_input_columns() -> list[InputColumn]:
    """The columns `import_chart` reads: headers, types and yes/no in either language."""
    types = {}
    for kind in AccountType:
        types[kind.value] = kind.value
        types.update((label.lower(), kind.value) for label in _both(kind.label))
    answers = {"1": True, "0": False, "x": True}
    answers.update((word.lower(), True) for word in _both("yes"))
    answers.update((word.lower(), False) for word in _both("no"))
    return [
        InputColumn(
            key,
            _both(header),
            required=key not in _OPTIONAL,
            choices={"type": types, "active": answers}.get(key, {}),
        )
        for key, header, _width in CHART_COLUMNS
    ]


def chart_column_label(key: str) -> str:
    return next(_(header) for k, header, _width in CHART_COLUMNS if k == key)


def _both(text) -> list[str]:
    """A source string as the user reads it, in Vietnamese and in English (first: the user's)."""
    found = [_(str(text))]
    for language in ("vi", "en"):
        with translation.override(language):
            found.append(_(str(text)))
    return list(dict.fromkeys(found))


# --- the journal (sổ nhật ký chung) -----------------------------------------------------

# The accountants' forms are Vietnamese whatever the page's language, as the fund files them.
FORM_S03A = "Mẫu số S03a-DN (Thông tư 200/2014/TT-BTC)"
FORM_S03B = "Mẫu số S03b-DN (Thông tư 200/2014/TT-BTC)"
_ENTRY = [
    Column("Ngày ghi sổ", "date"),
    Column("Số hiệu chứng từ", "text", 13),
    Column("Diễn giải", "text", 40),
]
_REFERENCE, _ACCOUNT = Column("Tham chiếu", "text", 16), Column("Số hiệu tài khoản", "text", 10)
_MOVEMENTS = [
    Column("Số phát sinh - Nợ", "money", total=True),
    Column("Số phát sinh - Có", "money", total=True),
]
_JOURNAL_COLUMNS = [
    *_ENTRY,
    Column("Nguồn", "text", 16),
    _REFERENCE,
    Column("STT dòng", "integer", 8),
    _ACCOUNT,
    *_MOVEMENTS,
]


def journal_sheet(
    lines: Iterable[tuple], *, start: date | None = None, end: date | None = None, notes: Sequence[str] = ()
) -> Sheet:
    """Form S03a-DN: every line of the entries in posting order, with what posted it (its
    source, named) and the reference people know it by (the line's contract, else the
    entry's: a loan's number, the entry reversed), numbered down the book."""
    with translation.override("vi"):
        sources = {kind: str(label) for kind, label in SOURCE_LABELS.items()}
        signed = {
            "heading": heading("Sổ nhật ký chung", as_of=end, start=start, notes=notes, form=FORM_S03A),
            "signatures": signatures("report"),
        }
    rows = (
        (
            value_date,
            f"{year}-{sequence:06d}",
            memo,
            sources.get(kind, kind),
            reference or readable_reference(source_ref),
            number,
            code,
            debit,
            credit,
        )
        for number, (
            year,
            sequence,
            value_date,
            memo,
            kind,
            source_ref,
            code,
            reference,
            debit,
            credit,
        ) in enumerate(lines, start=1)
    )
    return Sheet(
        title="Sổ nhật ký chung", columns=_JOURNAL_COLUMNS, rows=rows, totals_label="Tổng cộng", **signed
    )


# --- trial balance -----------------------------------------------------------------------


def trial_balance_sheets(balance: TrialBalance) -> list[Sheet]:
    """One sheet per section, each with its totals: on-balance and off-balance balance apart."""
    sheets = []
    for section in balance.sections:
        title = _("Off-balance accounts") if section.off_balance else _("Trial balance")
        columns = [
            Column(_("Account code"), "text", 12),
            Column(_("Account name"), "text", 44),
            Column(_("Debits posted"), "money", total=True),
            Column(_("Credits posted"), "money", total=True),
            Column(_("Debit balance"), "money", total=True),
            Column(_("Credit balance"), "money", total=True),
        ]
        # Sums of the postable accounts only: a parent's row repeats its sub-accounts.
        rows = [
            (row.code, row.name, row.debits, row.credits, row.debit_balance, row.credit_balance)
            for row in section.rows
            if row.postable
        ]
        sheets.append(
            Sheet(
                title=title,
                columns=columns,
                rows=rows,
                heading=heading(title, as_of=balance.as_of),
                totals_label=_("Total"),
                signatures=signatures("report"),
            )
        )
    return sheets


# --- trial balance for a period (bảng cân đối số phát sinh) ------------------------------

FORM_S06 = "Mẫu số S06-DN (Thông tư 200/2014/TT-BTC)"
_PERIOD_COLUMNS = [
    Column("Số hiệu tài khoản", "text", 12),
    Column("Tên tài khoản", "text", 44),
    Column("Số dư đầu kỳ - Nợ", "money"),
    Column("Số dư đầu kỳ - Có", "money"),
    Column("Số phát sinh trong kỳ - Nợ", "money"),
    Column("Số phát sinh trong kỳ - Có", "money"),
    Column("Số dư cuối kỳ - Nợ", "money"),
    Column("Số dư cuối kỳ - Có", "money"),
]


def period_trial_balance_sheets(balance: PeriodTrialBalance) -> list[Sheet]:
    """The page's rows, parents (synthetic accounts) with their leaves, and each section's
    totals over its leaves (a parent's figures are its leaves' again: a SUM of the column would
    count them twice, so the totals are figures)."""
    sheets = []
    for section in balance.sections:
        title = "Tài khoản ngoài bảng" if section.off_balance else "Bảng cân đối số phát sinh"
        rows = [[row.code, "    " * row.depth + row.name_vi, *row.figures] for row in section.rows]
        rows.append(["Tổng cộng", "", *section.totals.values()])
        with translation.override("vi"):
            signed = {
                "heading": heading(title, as_of=balance.end, start=balance.start, form=FORM_S06),
                "signatures": signatures("report"),
            }
        sheets.append(Sheet(title=title, columns=_PERIOD_COLUMNS, rows=rows, **signed))
    return sheets


# --- an account's ledger (sổ cái) ------------------------------------------------------

_LEDGER_COLUMNS = [
    *_ENTRY,
    _REFERENCE,
    _ACCOUNT,
    Column("Tài khoản đối ứng", "text", 10),
    *_MOVEMENTS,
    Column("Số dư - Nợ", "money"),
    Column("Số dư - Có", "money"),
]


def _sides(balance: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """A balance in its column: debit or credit."""
    return (balance, None) if balance >= 0 else (None, -balance)


def ledger_sheet(ledger: LedgerStream, closing: Decimal) -> Sheet:
    """Form S03b-DN for one account (its sub-accounts' lines with it): the opening balance,
    each line against its contra-account with the balance after it, the period's movements
    summed, then the closing balance (`closing`, the books' own figure)."""
    account = ledger.account
    with translation.override("vi"):
        signed = {
            "heading": heading(
                "Sổ cái",
                as_of=ledger.date_to,
                start=ledger.date_from,
                notes=[f"Tài khoản: {account.code} – {account.name_vi}"],
                form=FORM_S03B,
            ),
            "signatures": signatures("report"),
        }
    opening = [
        [ledger.date_from, "", "Số dư đầu kỳ", "", account.code, "", None, None, *_sides(ledger.opening)]
    ]
    rows = (
        [
            r.value_date,
            r.number,
            r.memo,
            r.reference,
            r.account_code,
            r.contra,
            r.debit,
            r.credit,
            *_sides(r.balance),
        ]
        for r in ledger.rows
    )
    return Sheet(
        title=account.code,
        columns=_LEDGER_COLUMNS,
        rows=itertools.chain(opening, rows),
        totals_label="Cộng số phát sinh trong kỳ",
        after=[["Số dư cuối kỳ", "", "", "", account.code, "", None, None, *_sides(closing)]],
        **signed,
    )


# --- periods -------------------------------------------------------------------------------


def periods_sheet(periods: Iterable[Period]) -> Sheet:
    columns = [
        Column(_("Month"), "text", 10),
        Column(_("State"), "text", 12),
        Column(_("Action"), "text", 12),
        Column(_("By"), "text", 24),
        Column(_("At"), "text", 18),
        Column(_("Reason"), "text", 48),
    ]
    rows = []
    for period in periods:
        for event in period.events.all():
            rows.append(
                (
                    str(period),
                    period.get_state_display(),
                    event.get_action_display(),
                    person_name(event.actor),
                    format_datetime(event.at),
                    event.reason,
                )
            )
    return Sheet(
        title=_("Accounting periods"), columns=columns, rows=rows, heading=heading(_("Accounting periods"))
    )

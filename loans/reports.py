"""A loan's statement (sao kê) and repayment schedule (lịch trả nợ) as .xlsx sheets.

Both are documents the fund hands to the borrower and files with the contract, so their
layout is fixed and Vietnamese, whatever the page's language — the way the repayment import's
columns are (`loans.services.servicing.imports`). Amounts are numbers with `#,##0` (common.xlsx).
"""

from django.utils import translation

from common.dates import format_date
from common.documents import Heading, heading, signatures
from common.xlsx import Column, Sheet, summed
from loans.models import Loan, LoanTransaction
from loans.selectors.position import LoanPosition
from loans.selectors.schedule import (
    DUE_TODAY,
    OVERDUE,
    PAID,
    PARTLY_PAID,
    UPCOMING,
    WRITTEN_OFF,
    GroupLine,
    Schedule,
    ScheduleLine,
    group_schedule,
    schedule_of,
)
from loans.selectors.statement import StatementLine

_KINDS = {
    LoanTransaction.Kind.DISBURSEMENT: "Giải ngân",
    LoanTransaction.Kind.REPAYMENT: "Trả nợ",
    LoanTransaction.Kind.REVERSAL: "Hủy bút toán trả nợ",
}
_STATES = {
    PAID: "Đã trả",
    PARTLY_PAID: "Đã trả một phần",
    OVERDUE: "Quá hạn",
    DUE_TODAY: "Đến hạn hôm nay",
    UPCOMING: "Chưa đến hạn",
    WRITTEN_OFF: "Đã xử lý rủi ro",
}
TOTALS = "Tổng cộng"


def _signed(title: str, loan: Loan, as_of, *notes: str) -> dict:
    """The heading (the fund, the title, the borrower and contract, the date) and the block
    the borrower's representative and the fund sign, in Vietnamese."""
    contract = loan.contract
    signed_on = format_date(contract.signed_on)
    party = f"Bên vay: {loan.borrower.name} · Hợp đồng số {contract.number} ngày {signed_on}"
    with translation.override("vi"):
        dated = heading(f"{title} {loan.reference}", as_of=as_of)
        # The borrower and contract, then the date: the statement reads as it always has.
        made = Heading(dated.fund, dated.title, [party, *dated.lines, *notes])
        return {"heading": made, "signatures": signatures("statement")}


def statement_sheet(loan: Loan, lines: list[StatementLine], *, as_of, with_entries: bool) -> Sheet:
    """Every transaction of the loan's sub-ledger with the principal outstanding after it.

    `with_entries` adds the journal entry's number (for the fund's staff, not for the co-op).
    """
    group = loan.is_group_loan
    columns = [
        Column("Ngày giá trị", "date"),
        Column("Loại giao dịch", width=22),
        *([Column("Hộ vay", width=26)] if group else []),
        *summed("Số tiền giải ngân", "Trả gốc", "Trả lãi", "Trả lãi chậm trả", "Trả lãi trên lãi chậm trả"),
        Column("Dư nợ gốc", "money"),
        *([Column("Số bút toán", width=14)] if with_entries else []),
    ]
    rows = []
    for line in lines:
        tx = line.transaction
        rows.append(
            [
                tx.value_date,
                _KINDS[tx.kind],
                *([str(tx.share.member) if tx.share else ""] if group else []),
                line.disbursed,
                line.principal_repaid,
                tx.interest.amount,
                tx.late_interest.amount,
                tx.penalty.amount,
                line.balance,
                *([tx.journal_entry.number] if with_entries else []),
            ]
        )
    return Sheet(
        title="Sao kê",
        columns=columns,
        rows=rows,
        **_signed("Sao kê khoản vay", loan, as_of),
        totals_label=TOTALS,
    )


# A due date's amounts: the group's total sheet has just these, a household's or a single
# loan's schedule numbers its rows and says how each stands.
_DUE_DATE_COLUMNS = [
    Column("Ngày đến hạn", "date"),
    Column("Dư nợ gốc đầu kỳ", "money"),
    *summed("Gốc", "Lãi", "Tổng phải trả", "Đã trả", "Lãi chậm trả còn nợ", "Còn phải trả"),
]
_SCHEDULE_COLUMNS = [Column("Kỳ", width=8), *_DUE_DATE_COLUMNS, Column("Tình trạng", width=16)]


def _due_date_cells(line: ScheduleLine | GroupLine) -> list:
    return [
        line.row.due_date,
        line.row.opening_principal,
        line.principal,
        line.interest,
        line.total,
        line.paid,
        line.late_charges,
        line.left,
    ]


def _schedule_rows(schedule: Schedule) -> list[list]:
    return [
        ["Trả trước" if line.is_prepayment else line.row.number, *_due_date_cells(line), _STATES[line.state]]
        for line in schedule.lines
    ]


def schedule_sheets(loan: Loan, position: LoanPosition) -> list[Sheet]:
    """The schedule in force with what is paid and left of each row; for a household group, the
    group's total (due dates summed) and then a sheet per household."""
    signed = _signed("Lịch trả nợ khoản vay", loan, position.as_of)
    if not loan.is_group_loan:
        (part,) = position.parts
        schedule = schedule_of(part.result, written_off_on=position.written_off_on)
        return [
            Sheet(
                title="Lịch trả nợ",
                columns=_SCHEDULE_COLUMNS,
                rows=_schedule_rows(schedule),
                **signed,
                totals_label=TOTALS,
            )
        ]
    total = group_schedule(position)
    sheets = [
        Sheet(
            title="Cả tổ",
            columns=_DUE_DATE_COLUMNS,
            rows=[_due_date_cells(line) for line in total.lines],
            **signed,
            totals_label=TOTALS,
        )
    ]
    for number, part in enumerate(position.parts, start=1):
        member = part.household
        household = f"Hộ vay: {member} (CCCD {member.id_number})"
        sheets.append(
            Sheet(
                # Sheet names are at most 31 characters and unique: number them.
                title=f"Hộ {number} {member}"[:31],
                columns=_SCHEDULE_COLUMNS,
                rows=_schedule_rows(schedule_of(part.result, written_off_on=position.written_off_on)),
                **_signed("Lịch trả nợ khoản vay", loan, position.as_of, household),
                totals_label=TOTALS,
            )
        )
    return sheets

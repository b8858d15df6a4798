"""The arrears aging, the arrears list and the debt classification and provisioning report as
.xlsx sheets (`loans.arrears` computes them): fixed Vietnamese layouts, the way the fund sends
them up whatever the page's language; amounts are numbers with `#,##0` (common.xlsx)."""

from collections.abc import Callable
from datetime import date

from django.db.models import Min, Q

from common.xlsx import Chart, Column, Sheet
from fund.selectors import current_fund
from loans.arrears import Aging, ArrearsLine, GroupLine, aging, arrears_list, classification, reported
from loans.reports import TOTALS
from loans.selectors.balances import balances_as_of

_BUCKET_COLUMNS = [
    Column("Số ngày quá hạn", width=16),
    Column("Số khoản vay", "integer", total=True),
    Column("Gốc quá hạn", "money", total=True),
    Column("Lãi quá hạn", "money", total=True),
    Column("Lãi chậm trả", "money", total=True),
    Column("Tổng nợ quá hạn", "money", total=True),
    Column("Dư nợ gốc của các khoản vay", "money", total=True),
]
_PAR_COLUMNS = [
    Column("Chỉ tiêu", width=34),
    Column("Dư nợ gốc", "money"),
    Column("Tỷ lệ trên tổng dư nợ", "percent", width=14),
]
_ARREARS_COLUMNS = [
    Column("Số hồ sơ", width=16),
    Column("Bên vay", width=30),
    Column("Loại bên vay", width=18),
    Column("Xã/phường", width=18),
    Column("Quận/huyện", width=18),
    Column("Điện thoại", width=14),
    Column("Cán bộ tín dụng", width=20),
    Column("Sản phẩm", width=22),
    Column("Gốc quá hạn", "money", total=True),
    Column("Lãi quá hạn", "money", total=True),
    Column("Lãi chậm trả", "money", total=True),
    Column("Tổng nợ quá hạn", "money", total=True),
    Column("Số ngày quá hạn", "integer"),
    Column("Nhóm nợ", "integer", width=9),
    Column("Ngày trả gần nhất", "date", width=14),
    Column("Ngày đến hạn tiếp theo", "date", width=14),
]
_GROUP_COLUMNS = [
    Column("Nhóm nợ", width=12),
    Column("Số khoản vay", "integer", total=True),
    Column("Dư nợ gốc", "money", total=True),
    Column("Giá trị TSBĐ được khấu trừ", "money", total=True),
    Column("Dự phòng cụ thể phải trích", "money", total=True),
    Column("Dự phòng cụ thể đã trích", "money", total=True),
    Column("Chênh lệch dự phòng cụ thể", "money", total=True),
    Column("Dự phòng chung phải trích", "money", total=True),
    Column("Dự phòng chung đã trích", "money", total=True),
    Column("Chênh lệch dự phòng chung", "money", total=True),
]
LATE_INTEREST_NOTE = "Lãi chậm trả: lãi trên gốc quá hạn và lãi trên lãi chậm trả, tính đến ngày báo cáo."


def _preamble(title: str, day: date, *notes: str) -> list[str]:
    return [title, current_fund().name, f"Đến ngày {day:%d/%m/%Y}", *notes]


def aging_sheets(report: Aging) -> list[Sheet]:
    rows = [
        [
            f"{bucket.label} ngày",
            bucket.loans,
            bucket.overdue_principal,
            bucket.overdue_interest,
            bucket.late_interest,
            bucket.overdue,
            bucket.outstanding,
        ]
        for bucket in report.buckets
    ]
    par = [
        [f"PAR{days} (quá hạn trên {days} ngày)", outstanding, ratio]
        for days, outstanding, ratio in report.par
    ]
    par.append(["Tổng dư nợ gốc", report.gross_outstanding, None])
    return [
        Sheet(
            title="Tuổi nợ quá hạn",
            columns=_BUCKET_COLUMNS,
            rows=rows,
            preamble=_preamble("Phân tích tuổi nợ quá hạn", report.as_of, LATE_INTEREST_NOTE),
            totals_label=TOTALS,
            chart=Chart("Nợ quá hạn theo số ngày quá hạn", columns=(2, 3, 4), y_title="đồng"),
        ),
        Sheet(
            title="PAR",
            columns=_PAR_COLUMNS,
            rows=par,
            preamble=_preamble("Danh mục có rủi ro", report.as_of),
        ),
    ]


def arrears_sheet(lines: list[ArrearsLine], day: date) -> Sheet:
    rows = (
        [
            line.reference,
            line.borrower,
            line.borrower_type,
            line.commune,
            line.district,
            line.phone,
            line.officer,
            line.product,
            line.figures.overdue_principal,
            line.figures.overdue_interest,
            line.figures.late_interest,
            line.figures.overdue,
            line.figures.days,
            line.figures.group,
            line.last_payment,
            line.figures.next_due_date,
        ]
        for line in lines
    )
    return Sheet(
        title="Danh sách nợ quá hạn",
        columns=_ARREARS_COLUMNS,
        rows=rows,
        preamble=_preamble("Danh sách khoản vay quá hạn", day, LATE_INTEREST_NOTE),
        totals_label=TOTALS,
    )


def _group_rows(lines: list[GroupLine]) -> list[list]:
    return [
        [
            f"Nhóm {line.group}",
            line.loans,
            line.outstanding,
            line.collateral,
            line.specific_required,
            line.specific_booked,
            line.specific_difference,
            line.general_required,
            line.general_booked,
            line.general_difference,
        ]
        for line in lines
    ]


def classification_sheets(
    restated: list[GroupLine], as_reported: list[GroupLine] | None, day: date
) -> list[Sheet]:
    """The restated report (as the books now say), and the one frozen at the month's close."""
    sheets = [
        Sheet(
            title="Phân loại nợ",
            columns=_GROUP_COLUMNS,
            rows=_group_rows(restated),
            preamble=_preamble(
                "Phân loại nợ và trích lập dự phòng rủi ro (số liệu điều chỉnh theo ngày giá trị)",
                day,
                "Đã trích: số dư dự phòng trên sổ chi tiết khoản vay theo ngày giá trị đến ngày báo cáo.",
            ),
            totals_label=TOTALS,
            chart=Chart("Dư nợ theo nhóm nợ", columns=(2,), y_title="đồng"),
        )
    ]
    if as_reported is not None:
        sheets.append(
            Sheet(
                title="Đã báo cáo",
                columns=_GROUP_COLUMNS,
                rows=_group_rows(as_reported),
                preamble=_preamble(
                    "Phân loại nợ và trích lập dự phòng rủi ro (số liệu đã báo cáo khi khóa sổ cuối tháng)",
                    day,
                ),
                totals_label=TOTALS,
            )
        )
    return sheets


# What `manage.py report NAME` writes: each report's sheets as of a date, and its file name.
REPORTS: dict[str, tuple[Callable[[date, Q | None], list[Sheet]], str]] = {
    "aging": (lambda day, loans: aging_sheets(aging(day, loans=loans)), "tuoi-no-qua-han"),
    "arrears": (lambda day, loans: [arrears_sheet(arrears_list(day, loans=loans), day)], "no-qua-han"),
    "classification": (
        # As reported is the whole portfolio at a month's close: not shown for some loans only.
        lambda day, loans: classification_sheets(
            classification(day, loans=loans), reported(day) if loans is None else None, day
        ),
        "phan-loai-no",
    ),
}


def _arrears_rows(day: date, loans: Q | None) -> int:
    """The arrears list's rows, the loans in arrears on `day`, counted without computing them."""
    rows = balances_as_of(day) if loans is None else balances_as_of(day).filter(loans)
    per_loan = rows.order_by().values("loan_id").annotate(oldest=Min("oldest_unpaid_due_date"))
    return per_loan.filter(oldest__lt=day).count()


# How many rows a report's sheets will have, counted cheaply: a long one is written by a task
# (`loans.services.exports`). A report not named here has a few rows.
ROW_COUNTS: dict[str, Callable[[date, Q | None], int]] = {"arrears": _arrears_rows}

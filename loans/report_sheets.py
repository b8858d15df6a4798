"""The loan reports as .xlsx sheets — arrears aging, arrears list, debt classification and
provisioning (`loans.arrears`), portfolio (`loans.portfolio`), month-end trend, the merger
report for the board (`loans.selectors.merger`) — and the
accountants' trial balance for a period (`ledger.reports`): fixed Vietnamese layouts, the way the
fund sends them up whatever the page's language; amounts are numbers with `#,##0` (common.xlsx)."""

from collections.abc import Callable
from datetime import date

from django.db.models import Q
from django.utils import translation

from common.dates import format_date
from common.documents import heading, signatures
from common.xlsx import Chart, Column, Sheet, summed
from fund.models import Borrower
from ledger.reports import ledger_sheet, period_trial_balance_sheets
from ledger.selectors import account_balance, ledger_stream, period_trial_balance
from loans.arrears import (
    GROUPS,
    Aging,
    ArrearsLine,
    Classification,
    GroupLine,
    MonthEnd,
    aging,
    arrears_list,
    debt_classification,
    in_arrears,
    trend,
)
from loans.portfolio import DIMENSIONS, Due, Flow, Holdings, expected, flows, holdings
from loans.reports import TOTALS
from loans.selectors.merger import DIMENSIONS as MERGER_DIMENSIONS
from loans.selectors.merger import MergerReport
from loans.selectors.recoveries import RecoveryLine, recovery_lines
from loans.selectors.summaries import usable

_BUCKET_COLUMNS = [
    Column("Số ngày quá hạn", width=16),
    Column("Số khoản vay", "integer", total=True),
    *summed("Gốc quá hạn", "Lãi quá hạn", "Lãi chậm trả", "Tổng nợ quá hạn", "Dư nợ gốc của các khoản vay"),
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
    *summed("Gốc quá hạn", "Lãi quá hạn", "Lãi chậm trả", "Tổng nợ quá hạn"),
    Column("Số ngày quá hạn", "integer"),
    Column("Nhóm nợ", "integer", width=9),
    Column("Ngày trả gần nhất", "date", width=14),
    Column("Ngày đến hạn tiếp theo", "date", width=14),
]
_GROUP_COLUMNS = [
    Column("Nhóm nợ", width=12),
    Column("Số khoản vay", "integer", total=True),
    *summed(
        "Dư nợ gốc",
        "Giá trị TSBĐ được khấu trừ",
        "Dự phòng cụ thể phải trích",
        "Dự phòng cụ thể đã trích",
        "Chênh lệch dự phòng cụ thể",
        "Dự phòng chung phải trích",
        "Dự phòng chung đã trích",
        "Chênh lệch dự phòng chung",
    ),
]
LATE_INTEREST_NOTE = "Lãi chậm trả: lãi trên gốc quá hạn và lãi trên lãi chậm trả, tính đến ngày báo cáo."


def _signed(title: str, day: date, *notes: str, start: date | None = None) -> dict:
    """The heading (the fund, the title, the date or period, the business date) and the
    signature block of a report, in Vietnamese as the fund files it."""
    with translation.override("vi"):
        return {
            "heading": heading(title, as_of=day, start=start, notes=notes),
            "signatures": signatures("report"),
        }


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
            **_signed("Phân tích tuổi nợ quá hạn", report.as_of, LATE_INTEREST_NOTE),
            totals_label=TOTALS,
            chart=Chart("Nợ quá hạn theo số ngày quá hạn", columns=(2, 3, 4), y_title="đồng"),
        ),
        Sheet(
            title="PAR",
            columns=_PAR_COLUMNS,
            rows=par,
            **_signed("Danh mục có rủi ro", report.as_of),
        ),
    ]


def arrears_sheet(lines: list[ArrearsLine], day: date) -> Sheet:
    with translation.override("vi"):
        types = {value: str(label) for value, label in Borrower.Type.choices}
    rows = (
        [
            line.reference,
            line.borrower,
            types[line.borrower_type],
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
        **_signed("Danh sách khoản vay quá hạn", day, LATE_INTEREST_NOTE),
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


def classification_sheets(report: Classification) -> list[Sheet]:
    """The restated report (as the books now say), and the one frozen at the month's close."""
    sheets = [
        _group_sheet(
            "Phân loại nợ",
            report.restated,
            "Phân loại nợ và trích lập dự phòng rủi ro (số liệu điều chỉnh theo ngày giá trị)",
            report.as_of,
            "Đã trích: số dư dự phòng trên sổ chi tiết khoản vay theo ngày giá trị đến ngày báo cáo.",
            chart=Chart("Dư nợ theo nhóm nợ", columns=(2,), y_title="đồng"),
        )
    ]
    if report.reported is not None:
        sheets.append(
            _group_sheet(
                "Đã báo cáo",
                report.reported,
                "Phân loại nợ và trích lập dự phòng rủi ro (số liệu đã báo cáo khi khóa sổ cuối tháng)",
                report.as_of,
            )
        )
    return sheets


def _group_sheet(title: str, lines: list[GroupLine], *heading, chart: Chart | None = None) -> Sheet:
    """A sheet of the classification, a row per debt group and their totals; `heading`: `_signed`'s."""
    return Sheet(
        title=title,
        columns=_GROUP_COLUMNS,
        rows=_group_rows(lines),
        **_signed(*heading),
        totals_label=TOTALS,
        chart=chart,
    )


# --- portfolio -----------------------------------------------------------------------------

_DIMENSION_HEADERS = {
    "product": "Sản phẩm",
    "borrower_type": "Loại bên vay",
    "sector": "Ngành nghề (mục đích vay)",
    "district": "Quận/huyện, tỉnh",
    "term": "Thời hạn",
}
_DIMENSION_TITLES = {
    "product": "Theo sản phẩm",
    "borrower_type": "Theo loại bên vay",
    "sector": "Theo ngành nghề",
    "district": "Theo địa bàn",
    "term": "Theo thời hạn",
}
_FLOW_COLUMNS = [
    Column("Sản phẩm", width=30),
    *summed("Giải ngân", "Thu gốc", "Thu lãi", "Thu lãi chậm trả", "Tổng thu"),
]
_DUE_COLUMNS = [
    Column("Ngày đến hạn", width=24),
    Column("Số khoản vay", "integer"),
    *summed("Gốc", "Lãi", "Tổng phải thu"),
]


def portfolio_sheets(
    held: Holdings, moved: list[Flow], due: list[Due], *, start: date, days: int
) -> list[Sheet]:
    """The outstanding by each breakdown (a sheet each), the period's money in and out, and what
    falls due in the `days` days after the date."""
    day = held.as_of
    sheets = []
    with translation.override("vi"):  # the labels of choices (borrower types, sectors, terms)
        for name, _title, _label in DIMENSIONS:
            rows = [
                [str(line.label), line.loans, line.outstanding, line.outstanding / held.outstanding]
                for line in held.by[name]
            ]
            sheets.append(
                Sheet(
                    title=_DIMENSION_TITLES[name],
                    columns=[
                        Column(_DIMENSION_HEADERS[name], width=34),
                        Column("Số khoản vay", "integer", total=True),
                        Column("Dư nợ gốc", "money", total=True),
                        Column("Tỷ trọng", "percent", total=True),
                    ],
                    rows=rows,
                    **_signed(f"Dư nợ cho vay {_DIMENSION_TITLES[name].lower()}", day),
                    totals_label=TOTALS,
                    chart=Chart(f"Dư nợ gốc {_DIMENSION_TITLES[name].lower()}", columns=(2,), y_title="đồng"),
                )
            )
    flow_rows = [
        [flow.label, flow.disbursed, flow.principal, flow.interest, flow.late_interest, flow.collected]
        for flow in moved
    ]
    sheets.append(
        Sheet(
            title="Giải ngân và thu nợ",
            columns=_FLOW_COLUMNS,
            rows=flow_rows,
            **_signed("Giải ngân và thu nợ theo ngày giá trị", day, start=start),
            totals_label=TOTALS,
            chart=Chart("Giải ngân và thu nợ", columns=(1, 5), y_title="đồng"),
        )
    )
    sheets.append(
        Sheet(
            title="Dự kiến thu nợ",
            columns=_DUE_COLUMNS,
            rows=[[line.label, line.loans, line.principal, line.interest, line.total] for line in due],
            **_signed(
                f"Gốc và lãi đến hạn trong {days} ngày tiếp theo",
                day,
                "Theo lịch trả nợ có hiệu lực đến ngày báo cáo; không gồm nợ đã quá hạn.",
            ),
            totals_label=TOTALS,
            chart=Chart("Gốc và lãi đến hạn", columns=(2, 3), y_title="đồng", stacked=True),
        )
    )
    return sheets


def _portfolio(
    day: date, loans: Q | None, *, start: date | None = None, days: int = 30, weekly: bool = False
):
    start = start or day.replace(day=1)
    summarised = usable(day)
    held = holdings(day, loans=loans, summarised=summarised)
    due = expected(day, days, loans, weekly=weekly, summarised=summarised)
    return portfolio_sheets(held, flows(start, day, loans=loans), due, start=start, days=days)


# --- the month-end trend ------------------------------------------------------------------


def trend_sheets(points: list[MonthEnd], day: date) -> list[Sheet]:
    """Outstanding by debt group at each month end (stacked columns), and PAR (lines)."""
    thresholds = [days for days, _outstanding, _ratio in points[-1].par] if points else []
    with translation.override("vi"):  # the month ends as the sheet's title writes its date
        month_ends = [format_date(point.day) for point in points]
    groups = [
        [month_end, *(point.outstanding[group] for group in GROUPS), point.gross]
        for month_end, point in zip(month_ends, points, strict=True)
    ]
    par = [
        [
            month_end,
            point.gross,
            *(outstanding for _days, outstanding, _ratio in point.par),
            *(ratio for _days, _outstanding, ratio in point.par),
        ]
        for month_end, point in zip(month_ends, points, strict=True)
    ]
    first_ratio = 2 + len(thresholds)
    return [
        _trend_sheet(
            "Dư nợ theo nhóm nợ",
            [*(Column(f"Nhóm {group}", "money") for group in GROUPS), Column("Tổng dư nợ gốc", "money")],
            groups,
            "Dư nợ gốc theo nhóm nợ cuối mỗi tháng (số liệu điều chỉnh theo ngày giá trị)",
            day,
            chart=Chart("Dư nợ gốc theo nhóm nợ", columns=tuple(GROUPS), y_title="đồng", stacked=True),
        ),
        _trend_sheet(
            "PAR theo tháng",
            [
                Column("Tổng dư nợ gốc", "money"),
                *(Column(f"Dư nợ quá hạn trên {days} ngày", "money") for days in thresholds),
                *(Column(f"PAR{days}", "percent") for days in thresholds),
            ],
            par,
            "Danh mục có rủi ro cuối mỗi tháng",
            day,
            chart=Chart(
                "Danh mục có rủi ro (PAR)",
                columns=tuple(range(first_ratio, first_ratio + len(thresholds))),
                line=True,
            ),
        ),
    ]


def _trend_sheet(title: str, columns: list[Column], rows: list, *heading, chart: Chart) -> Sheet:
    """A sheet of the trend: a row per month end, its date first; `heading`: `_signed`'s."""
    month_end = Column("Cuối tháng", width=14)
    return Sheet(title=title, columns=[month_end, *columns], rows=rows, **_signed(*heading), chart=chart)


_RECOVERY_COLUMNS = [
    Column("Số hồ sơ", width=16),
    Column("Số hợp đồng", width=18),
    Column("Bên vay", width=30),
    Column("Ngày xử lý rủi ro", "date"),
    Column("Theo dõi ngoại bảng đến", "date"),
    *summed("Gốc đã xử lý", "Lãi đã xử lý", "Thu hồi trong kỳ", "Thu hồi lũy kế", "Còn theo dõi ngoại bảng"),
]


def recoveries_sheet(lines: list[RecoveryLine], start: date, day: date) -> Sheet:
    rows = (
        [
            line.reference,
            line.contract,
            line.borrower,
            line.written_off_on,
            line.tracked_until,
            line.principal,
            line.interest,
            line.recovered_in_period,
            line.recovered,
            line.off_balance,
        ]
        for line in lines
    )
    return Sheet(
        title="Thu hồi nợ đã xử lý",
        columns=_RECOVERY_COLUMNS,
        rows=rows,
        totals_label=TOTALS,
        **_signed("Báo cáo thu hồi nợ đã xử lý rủi ro", day, start=start),
    )


def _recoveries(day: date, loans: Q | None, *, start: date | None = None) -> list[Sheet]:
    start = start or day.replace(day=1)
    return [recoveries_sheet(recovery_lines(start=start, end=day, loans=loans), start, day)]


def _general_ledger(day: date, loans: Q | None, *, account: str, start: str) -> list[Sheet]:
    """An account's ledger (S03b) from `start` (ISO: the job's parameters are JSON) to `day`."""
    ledger = ledger_stream(code=account, date_from=date.fromisoformat(start), date_to=day)
    return [ledger_sheet(ledger, account_balance(code=account, as_of=day))]


# What `manage.py report NAME` writes, and the pages' .xlsx: each report's sheets as of a date
# for some loans (None: all; a report of the books takes no filter), with the options a report
# takes beyond them (`--from` for the period reports), and its file name.
REPORTS: dict[str, tuple[Callable[..., list[Sheet]], str]] = {
    "aging": (lambda day, loans: aging_sheets(aging(day, loans=loans)), "tuoi-no-qua-han"),
    "arrears": (
        lambda day, loans, days=None: [arrears_sheet(arrears_list(day, loans=loans, days=days), day)],
        "no-qua-han",
    ),
    "classification": (
        lambda day, loans: classification_sheets(debt_classification(day, loans=loans)),
        "phan-loai-no",
    ),
    "portfolio": (_portfolio, "du-no-cho-vay"),
    "trend": (lambda day, loans: trend_sheets(trend(day, loans=loans), day), "xu-huong-du-no"),
    "trial_balance": (
        lambda day, loans, start=None: period_trial_balance_sheets(
            period_trial_balance(start=start or day.replace(day=1), end=day)
        ),
        "bang-can-doi-so-phat-sinh",
    ),
    "recoveries": (_recoveries, "thu-hoi-no-da-xu-ly"),
    "general_ledger": (_general_ledger, "so-cai"),
}
# Written from their page only (a task when long): they take more than a date (an account).
PAGE_ONLY = ("general_ledger",)
# The reports of a period, from a start (default: the first of the date's month) to the date.
PERIOD_REPORTS = ("portfolio", "trial_balance", "recoveries")


def _arrears_rows(day: date, loans: Q | None) -> int:
    """The arrears list's rows, the loans in arrears on `day`, counted without computing them."""
    return in_arrears(day, loans).count()


# How many rows a report's sheets will have, counted cheaply: a long one is written by a task
# (`loans.services.exports`). A report not named here has a few rows.
ROW_COUNTS: dict[str, Callable[[date, Q | None], int]] = {"arrears": _arrears_rows}


# --- the merger report for the board ---------------------------------------------------------

_MERGER_TITLES = {"product": "Theo sản phẩm", "group": "Theo nhóm nợ", "district": "Theo địa bàn"}


def merger_sheets(merger: MergerReport, names: dict[str, str]) -> list[Sheet]:
    """The control accounts at the cut-over (`names`: each account's name), then the borrowers
    and loans brought in by product, debt group and district."""
    day = merger.report.cut_over
    title = f"Báo cáo sáp nhập danh mục cho vay ({merger.batch.source_fund or merger.batch.file_name})"
    with translation.override("vi"):
        controls = Sheet(
            title="Tài khoản kiểm soát",
            columns=[
                Column("Tài khoản", width=12),
                Column("Tên tài khoản", width=34),
                Column("Bảng tính", "money"),
                Column("Các khoản vay", "money"),
                Column("Số dư sổ cái", "money"),
                Column("Chênh lệch", "money"),
            ],
            rows=[
                [line.code, names.get(line.code, ""), line.sheet, line.loans, line.gl, line.difference]
                for line in merger.controls
            ],
            **_signed(title, day, "Số dư Nợ trừ Có."),
        )
        sheets = [controls]
        for name, _label in MERGER_DIMENSIONS:
            sheets.append(
                Sheet(
                    title=_MERGER_TITLES[name],
                    columns=[
                        Column(_MERGER_TITLES[name].removeprefix("Theo ").capitalize(), width=30),
                        Column("Số người vay", "integer"),
                        Column("Số khoản vay", "integer", total=True),
                        Column("Dư nợ gốc", "money", total=True),
                    ],
                    rows=[[ln.label, len(ln.borrowers), ln.loans, ln.outstanding] for ln in merger.by[name]],
                    **_signed(f"{title} — {_MERGER_TITLES[name].lower()}", day),
                    totals_label=TOTALS,
                )
            )
    return sheets

"""The statement (sao kê) and the schedule as .xlsx: Vietnamese headers, numbers with `#,##0`,
a totals row, the header frozen, and the same figures as the sub-ledger and the schedule."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fund import roles
from tests.loans import factories
from tests.loans.conftest import ROW1, START, household_group_loan, move_to, repay
from tests.sheets import until_blank

pytestmark = pytest.mark.django_db

PREAMBLE = 4  # report name, fund, borrower and contract, as-of date; then a blank row
HEADER = PREAMBLE + 2


def workbook(client, user, name, loan):
    client.force_login(user)
    response = client.get(reverse(name, args=[loan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content), data_only=True)


def table(sheet) -> tuple[list, list[tuple], tuple]:
    """The header, the rows and the totals row of a sheet."""
    header = [cell.value for cell in sheet[HEADER]]
    rows = until_blank(list(sheet.iter_rows(min_row=HEADER + 1, values_only=True)))
    return header, rows[:-1], rows[-1]


@pytest.fixture
def repaid_once(loan, staff):
    """Row 1 paid on time, then a part of row 2 paid late (20/03), seen on 20/03."""
    repay(loan, staff, dt.date(2026, 2, 15), ROW1, reference="UNC 1")
    repay(loan, staff, dt.date(2026, 3, 20), D(5_000_000), reference="UNC 2")
    move_to(dt.date(2026, 3, 20))
    return loan


def test_the_statement_lists_the_sub_ledger_with_the_balance_after_each_line(client, staff, repaid_once):
    sheet = workbook(client, staff["officer"], "loans:statement_xlsx", repaid_once).active
    header, rows, totals = table(sheet)
    assert header == [
        "Ngày giá trị",
        "Loại giao dịch",
        "Số tiền giải ngân",
        "Trả gốc",
        "Trả lãi",
        "Trả lãi chậm trả",
        "Trả lãi trên lãi chậm trả",
        "Dư nợ gốc",
        "Số bút toán",
    ]
    assert sheet.freeze_panes == f"A{HEADER + 1}"
    assert sheet.cell(row=1, column=1).value == "Quỹ Hỗ trợ phát triển HTX tỉnh Thái Bình"
    assert sheet.cell(row=2, column=1).value == f"Sao kê khoản vay {repaid_once.reference}"
    # Printed, it ends with the date line and the block the co-op and the fund sign.
    after = [value for row in sheet.iter_rows(min_row=HEADER + 5, values_only=True) for value in row if value]
    assert after[:3] == ["Thái Bình, ngày 20 tháng 03 năm 2026", "Đại diện bên vay", "Đại diện Quỹ"]
    assert sheet.print_title_rows == f"${HEADER}:${HEADER}" and sheet.page_setup.orientation == "landscape"
    assert [row[1] for row in rows] == ["Giải ngân", "Trả nợ", "Trả nợ"]
    assert rows[0][2] == 120_000_000 and rows[0][7] == 120_000_000
    assert rows[1][3:5] == (10_000_000, 1_223_014) and rows[1][7] == 110_000_000
    # 20/03: 5.000.000 pays row 2's late charges first (24.658 and 1.387), then its interest
    # (1.012.603), then 3.961.352 of its principal.
    assert rows[2][3:7] == (3_961_352, 1_012_603, 24_658, 1_387)
    assert rows[2][7] == 110_000_000 - 3_961_352
    entries = list(
        repaid_once.transactions.order_by("value_date", "pk").values_list("journal_entry", flat=True)
    )
    assert len(entries) == 3 and all(row[8] for row in rows)
    # Totals: everything disbursed and paid; the running balance is not summed.
    assert totals[0] == "Tổng cộng"
    assert totals[2:7] == (120_000_000, 13_961_352, 1_223_014 + 1_012_603, 24_658, 1_387)
    assert totals[7] is None
    assert sheet.cell(row=HEADER + 1, column=3).number_format == "#,##0"
    assert sheet.cell(row=HEADER + 1, column=1).number_format == "dd/mm/yyyy"


def test_a_coops_statement_has_no_journal_entries(client, repaid_once, user_with_role):
    coop = user_with_role(roles.COOP_USER, borrower=repaid_once.borrower)
    header, rows, _totals = table(workbook(client, coop, "loans:statement_xlsx", repaid_once).active)
    assert "Số bút toán" not in header and len(header) == 8
    assert len(rows) == 3


def test_the_schedule_says_what_is_paid_and_left_of_each_row(client, staff, repaid_once):
    sheet = workbook(client, staff["officer"], "loans:schedule_xlsx", repaid_once).active
    header, rows, totals = table(sheet)
    assert header[:6] == ["Kỳ", "Ngày đến hạn", "Dư nợ gốc đầu kỳ", "Gốc", "Lãi", "Tổng phải trả"]
    assert header[6:] == ["Đã trả", "Lãi chậm trả còn nợ", "Còn phải trả", "Tình trạng"]
    assert sheet.freeze_panes == f"A{HEADER + 1}"
    assert len(rows) == 12
    assert rows[0][0] == 1 and rows[0][1] == dt.datetime(2026, 2, 15)
    assert rows[0][6] == ROW1 and rows[0][8] == 0 and rows[0][9] == "Đã trả"
    assert rows[1][9] == "Quá hạn" and rows[2][9] == "Chưa đến hạn"
    # Row 2: its interest and late charges paid, 6.038.648 of its principal left.
    assert rows[1][6:9] == (3_961_352 + 1_012_603, 0, 10_000_000 - 3_961_352)
    assert totals[0] == "Tổng cộng" and totals[3] == 120_000_000
    assert totals[6] == ROW1 + 5_000_000 - 24_658 - 1_387
    assert totals[3] + totals[4] == totals[5]
    assert sheet.cell(row=HEADER + 1, column=4).number_format == "#,##0"


@pytest.fixture
def group_loan(staff, bank):
    """A household group's loan of 50 million disbursed on START: 20 million to its first
    household, 30 to its second."""
    return household_group_loan(staff, bank, D(20_000_000), D(30_000_000))[0]


def test_a_group_schedule_has_the_groups_total_then_each_household(client, staff, group_loan):
    book = workbook(client, staff["officer"], "loans:schedule_xlsx", group_loan)
    assert [sheet.title[:4] for sheet in book.worksheets] == ["Cả t", "Hộ 1", "Hộ 2"]
    _header, rows, totals = table(book.worksheets[0])
    household_totals = [table(sheet)[2] for sheet in book.worksheets[1:]]
    assert totals[2] == 50_000_000 == sum(t[3] for t in household_totals)
    assert totals[3] == sum(t[4] for t in household_totals)  # interest, summed by due date
    assert len(rows) == 12


def test_a_group_schedule_counts_a_prepayment_on_an_installment_date_and_a_late_payment(
    client, staff, group_loan, user_with_role
):
    """20 and 30 million over 12 months at 12 %/year from 15/01/2026. On 15/02 the first household
    pays its row 1 and prepays 10 million the same day; the second pays 1 million of its row 1
    five days late. Seen on 20/02, the whole group's rows are both households' rows summed."""
    first, second = group_loan.member_shares.order_by("pk")
    # First: 20.000.000 / 12 = 1.666.666,67 → 1.666.667; interest 20.000.000 × 0,12 × 31/365 =
    # 203.835,62 → 203.836. Row 1 is 1.870.503, then 10.000.000 prepaid (no interest accrued yet).
    repay(group_loan, staff, dt.date(2026, 2, 15), D(11_870_503), share=first)
    # Second: 2.500.000 a month; interest 30.000.000 × 0,12 × 31/365 = 305.753,42 → 305.753.
    # Five days late: 2.500.000 × 18 % × 5/365 = 6.164,38 → 6.164 of late interest and
    # 305.753 × 10 % × 5/365 = 418,84 → 419 on the unpaid interest, then the interest, and
    # 1.000.000 − 6.164 − 419 − 305.753 = 687.664 of principal.
    repay(group_loan, staff, dt.date(2026, 2, 20), D(1_000_000), share=second)
    book = workbook(client, staff["officer"], "loans:schedule_xlsx", group_loan)
    header, rows, totals = table(book.worksheets[0])
    assert header[5:8] == ["Đã trả", "Lãi chậm trả còn nợ", "Còn phải trả"]
    # 15/02: principal 1.666.667 + 10.000.000 + 2.500.000; interest 203.836 + 0 + 305.753;
    # paid 1.870.503 + 10.000.000 + 305.753 + 687.664; left 2.500.000 − 687.664.
    assert rows[0] == (
        dt.datetime(2026, 2, 15),
        50_000_000,
        14_166_667,
        509_589,
        14_676_256,
        12_863_920,
        0,
        1_812_336,
    )
    # 15/03: the first household's 8.333.333 left over 11 rows is 757.575,73 → 757.576 a month;
    # 8.333.333 × 0,12 × 28/365 = 76.712,33 → 76.712 and 27.500.000 × 0,12 × 28/365 = 253.150,68
    # → 253.151 of interest.
    assert rows[1] == (
        dt.datetime(2026, 3, 15),
        50_000_000 - 14_166_667,
        757_576 + 2_500_000,
        76_712 + 253_151,
        3_587_439,
        0,
        0,
        3_587_439,
    )
    assert rows[-1][0] == dt.datetime(2027, 1, 15) and rows[-1][1] == rows[-1][2]  # repaid at maturity
    assert totals[2] == 50_000_000
    # Principal, interest, paid, late charges and left: the households' sheets' totals summed.
    households = [table(sheet)[2] for sheet in book.worksheets[1:]]
    for column, household_column in ((2, 3), (3, 4), (5, 6), (6, 7), (7, 8)):
        assert totals[column] == sum(household[household_column] for household in households)
    # The loan page, an officer's and the co-op's, shows the same whole-group rows.
    coop = user_with_role(roles.COOP_USER, borrower=group_loan.borrower)
    for user in (staff["officer"], coop):
        client.force_login(user)
        page = client.get(reverse("loans:loan_detail", args=[group_loan.pk])).context["group_schedule"]
        assert [
            (line.principal, line.interest, line.paid, line.late_charges, line.left) for line in page.lines
        ] == [tuple(row[2:4]) + tuple(row[5:]) for row in rows]


def test_nothing_to_download_before_the_first_tranche(client, staff):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    client.force_login(staff["officer"])
    for name in ("loans:statement_xlsx", "loans:schedule_xlsx"):
        assert client.get(reverse(name, args=[loan.pk])).status_code == 404

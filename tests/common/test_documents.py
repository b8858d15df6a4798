"""The heading, date line and signature block of the fund's documents, and the print set-up
every exported sheet gets."""

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from common.documents import Issuer, date_line, heading, signatures
from common.xlsx import PORTRAIT_WIDTH, Column, Sheet, workbook_bytes


def issuer_for_tests() -> Issuer:
    return Issuer("Quỹ HTX tỉnh Thái Bình", "Thái Bình", dt.date(2026, 3, 2))


@pytest.fixture(autouse=True)
def the_fund(settings):
    settings.DOCUMENT_ISSUER = "tests.common.test_documents.issuer_for_tests"


def opened(*sheets):
    return load_workbook(io.BytesIO(workbook_bytes(*sheets)), data_only=True)


def test_the_date_line_reads_as_vietnamese_documents_end():
    with translation.override("vi"):
        assert date_line("Thái Bình", dt.date(2026, 1, 5)) == "Thái Bình, ngày 05 tháng 01 năm 2026"
        assert date_line("", None) == "…, ngày … tháng … năm …"


def test_signers_by_kind_of_document_in_vietnamese():
    with translation.override("vi"):
        report = signatures("report")
        assert [title for title, _caption in report.roles] == ["Người lập biểu", "Kế toán trưởng", "Giám đốc"]
        assert report.roles[2][1] == "(Ký, họ tên, đóng dấu)"
        assert report.date_line == "Thái Bình, ngày 02 tháng 03 năm 2026"  # the business date
        assert [t for t, _c in signatures("appraisal").roles] == ["Thẩm định viên", "Người phê duyệt"]
        assert [t for t, _c in signatures("statement").roles] == ["Đại diện bên vay", "Đại diện Quỹ"]


def test_a_heading_names_the_fund_the_period_and_the_business_date():
    with translation.override("vi"):
        made = heading("Sổ cái", as_of=dt.date(2026, 2, 28), start=dt.date(2026, 2, 1), notes=["Ghi chú"])
    assert made.fund == "Quỹ HTX tỉnh Thái Bình"
    assert made.lines == ["Từ ngày 01/02/2026 đến ngày 28/02/2026 (ngày nghiệp vụ 02/03/2026)", "Ghi chú"]


def narrow(**kwargs):
    columns = [Column("Mã", width=10), Column("Số tiền", "money", total=True)]
    rows = [(f"A{n}", n * 1000) for n in range(1, 4)]
    return Sheet(title="Bảng", columns=columns, rows=rows, totals_label="Cộng", **kwargs)


def test_every_sheet_is_set_up_to_print_with_its_header_on_each_page():
    ws = opened(narrow(preamble=["Báo cáo"])).active
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"  # a narrow table
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)  # short: one page
    long = Sheet(title="Dài", columns=[Column("Mã")], rows=[[n] for n in range(60)])
    assert opened(long).active.page_setup.fitToHeight == 0  # long: one page wide, as long as it takes
    assert ws.print_title_rows == "$3:$3"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def test_a_wide_table_prints_landscape_and_wrapped_headers_get_room():
    columns = [Column(f"Một tiêu đề cột khá dài số {n}", "money") for n in range(10)]
    sheet = Sheet(title="Rộng", columns=columns, rows=[[10**9] * 10])
    ws = opened(sheet).active
    widths = [ws.column_dimensions[letter].width for letter in "ABCDEFGHIJ"]
    assert sum(widths) > PORTRAIT_WIDTH
    assert ws.page_setup.orientation == "landscape"
    assert ws.row_dimensions[1].height >= 30  # the headers wrap to two lines or more


def test_columns_are_as_wide_as_their_content():
    sheet = Sheet(
        title="Rộng",
        columns=[Column("Tên"), Column("Số tiền", "money"), Column("Có sẵn", width=33)],
        rows=[["Hợp tác xã Nông nghiệp Dịch vụ Tân Lập", 123_456_789_000, ""], ["x", 1, ""]],
    )
    ws = opened(sheet).active
    assert ws.column_dimensions["A"].width == len("Hợp tác xã Nông nghiệp Dịch vụ Tân Lập") + 2
    assert ws.column_dimensions["B"].width == len("123,456,789,000") + 2
    assert ws.column_dimensions["C"].width == 33  # a width given is kept


def test_a_headed_sheet_starts_with_the_fund_and_the_centred_title_and_ends_signed():
    with translation.override("vi"):
        sheet = narrow(
            heading=heading("Sổ cái", as_of=dt.date(2026, 2, 28), form="Mẫu số S03b-DN"),
            signatures=signatures("report"),
        )
        ws = opened(sheet).active
    assert ws["A1"].value == "Quỹ HTX tỉnh Thái Bình" and ws["A1"].font.bold
    assert ws["B1"].value == "Mẫu số S03b-DN"
    assert ws["A2"].value == "Sổ cái" and ws["A2"].alignment.horizontal == "center"
    assert "A2:B2" in {str(merged) for merged in ws.merged_cells.ranges}
    assert ws["A3"].value == "Tính đến ngày 28/02/2026 (ngày nghiệp vụ 02/03/2026)"
    assert [c.value for c in ws[5]][:2] == ["Mã", "Số tiền"]
    assert ws.print_title_rows == "$5:$5" and ws.freeze_panes == "A6"
    assert [c.value for c in ws[9]][:2] == ["Cộng", 6000]
    cells = {cell.value: cell.coordinate for row in ws.iter_rows(min_row=10) for cell in row if cell.value}
    assert cells["Thái Bình, ngày 02 tháng 03 năm 2026"] == "C11"  # over the last signer
    assert {cells["Người lập biểu"], cells["Kế toán trưởng"], cells["Giám đốc"]} == {"A12", "B12", "C12"}
    assert cells["(Ký, họ tên, đóng dấu)"] == "C13"

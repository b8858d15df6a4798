import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from djmoney.money import Money
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from common.documents import as_of_line
from common.xlsx import Column, InputColumn, Sheet, read_table, workbook_bytes, write_workbook

COLUMNS = [
    Column("Mã", "text"),
    Column("Ngày", "date"),
    Column("Số tiền", "money", total=True),
]


def exported(data_only=True, **kwargs):
    sheet = Sheet(title="Sổ", columns=COLUMNS, **kwargs)
    return load_workbook(io.BytesIO(workbook_bytes(sheet)), data_only=data_only).active


def test_export_keeps_numbers_as_numbers_with_totals_and_a_frozen_header():
    rows = [("A1", dt.date(2026, 1, 5), Money(1_500_000, "VND")), ("A2", dt.date(2026, 2, 1), Decimal(250))]
    ws = exported(rows=rows, preamble=["Báo cáo", "Ngày 31/01/2026"], totals_label="Cộng")
    assert ws["A1"].value == "Báo cáo"
    assert [c.value for c in ws[4]] == ["Mã", "Ngày", "Số tiền"]
    assert ws.freeze_panes == "A5"
    assert ws["C5"].value == 1_500_000 and ws["C5"].number_format == "#,##0"
    assert ws["B5"].value.date() == dt.date(2026, 1, 5)
    assert [c.value for c in ws[7]] == ["Cộng", None, 1_500_250]


def test_totals_are_sums_over_the_rows_with_their_value_cached():
    rows = [("A1", None, 1_500_000), ("A2", None, Decimal(250)), ("A3", None, None)]
    ws = exported(data_only=False, rows=rows, preamble=["Báo cáo"], totals_label="Cộng")
    assert ws["C7"].value == "=SUM(C4:C6)"
    assert ws["C7"].number_format == "#,##0" and ws["C7"].font.bold
    # A reader that does not calculate sees the figure the page shows.
    assert exported(rows=rows, preamble=["Báo cáo"], totals_label="Cộng")["C7"].value == 1_500_250


def test_totals_of_an_empty_table_are_zero_not_a_sum_of_nothing():
    ws = exported(data_only=False, rows=[], totals_label="Cộng")
    assert [c.value for c in ws[2]] == ["Cộng", None, 0]


def test_export_without_preamble_freezes_the_first_row():
    ws = exported(rows=[("x", None, 1)])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 2


def test_export_writes_text_that_looks_like_a_formula_as_text():
    ws = exported(rows=[('=HYPERLINK("http://x.example","bấm")', None, 1)])
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == '=HYPERLINK("http://x.example","bấm")'


def upload(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


INPUT = [
    InputColumn("code", ["Mã", "Code"]),
    InputColumn("amount", ["Số tiền", "Amount"], kind="money"),
    InputColumn("on", ["Ngày", "Date"], kind="date"),
    InputColumn("channel", ["Kênh", "Channel"], choices={"tiền mặt": "cash", "cash": "cash"}),
    InputColumn("note", ["Ghi chú", "Note"], required=False),
]


def test_read_converts_each_cell_by_its_column():
    file = upload(
        [
            ["Code", "amount", "NGÀY", "Kênh"],
            ["HD-1", 1500000, dt.datetime(2026, 3, 1), "Tiền mặt"],
            [None, None, None, None],
            ["HD-2", "2.000.000", "15/03/2026", "cash"],
        ]
    )
    result = read_table(file, INPUT)
    assert result.errors == []
    assert result.rows == [
        (
            2,
            {
                "code": "HD-1",
                "amount": Decimal(1500000),
                "on": dt.date(2026, 3, 1),
                "channel": "cash",
                "note": None,
            },
        ),
        (
            4,
            {
                "code": "HD-2",
                "amount": Decimal(2000000),
                "on": dt.date(2026, 3, 15),
                "channel": "cash",
                "note": None,
            },
        ),
    ]


def test_read_reports_every_bad_cell_with_row_and_column():
    file = upload(
        [
            ["Mã", "Số tiền", "Ngày", "Kênh"],
            ["HD-1", 1500.5, "31/02/2026", "bank"],
            [None, "abc", "01/03/2026", "cash"],
        ]
    )
    result = read_table(file, INPUT)
    found = [(e.row, e.column) for e in result.errors]
    assert found == [(2, "Số tiền"), (2, "Ngày"), (2, "Kênh"), (3, "Mã"), (3, "Số tiền")]
    assert "Row 2, Kênh" in str(result.errors[2])


def test_read_refuses_a_missing_column_and_a_non_workbook():
    missing = read_table(upload([["Mã", "Số tiền"], ["x", 1]]), INPUT)
    assert {e.column for e in missing.errors} == {"Ngày", "Kênh"}
    assert missing.rows == []
    garbage = read_table(io.BytesIO(b"not a workbook"), INPUT)
    assert len(garbage.errors) == 1 and garbage.rows == []
    assert str(garbage.errors[0]) == "This is not an .xlsx workbook."  # no "Row 0"


def test_read_refuses_a_sheet_with_headers_only():
    result = read_table(upload([["Mã", "Số tiền", "Ngày", "Kênh"]]), INPUT)
    assert result.rows == [] and len(result.errors) == 1


# --- the limits every import has -------------------------------------------------------------

HEADER = ["Mã", "Số tiền", "Ngày", "Kênh"]


def rows(count):
    return [HEADER] + [[f"HD-{n}", 1000, "01/03/2026", "cash"] for n in range(count)]


def without_declared_size(file: io.BytesIO) -> io.BytesIO:
    """The same workbook with no <dimension> in its sheet, as some programs write it."""
    source, result = zipfile.ZipFile(file), io.BytesIO()
    with zipfile.ZipFile(result, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(item, data)
    result.seek(0)
    return result


def test_a_sheet_at_the_row_limit_is_read(settings):
    settings.IMPORT_MAX_ROWS = 5
    result = read_table(upload(rows(5)), INPUT)
    assert result.errors == [] and len(result.rows) == 5


def test_a_sheet_over_the_row_limit_is_refused_by_the_size_it_declares(settings):
    settings.IMPORT_MAX_ROWS = 5
    result = read_table(upload(rows(8)), INPUT)
    assert result.rows == []
    assert [str(e) for e in result.errors] == [
        "The sheet has 8 rows; an import takes at most 5. Split the file."
    ]


def test_a_sheet_without_a_declared_size_is_refused_at_the_first_row_over_the_limit(settings, monkeypatch):
    settings.IMPORT_MAX_ROWS = 5
    read = []
    rows_of = ReadOnlyWorksheet._cells_by_row

    def counted(self, *args, **kwargs):
        for row in rows_of(self, *args, **kwargs):
            read.append(row)
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted)
    file = without_declared_size(upload(rows(500)))
    assert load_workbook(file, read_only=True).worksheets[0].max_row is None
    result = read_table(file, INPUT)
    assert result.rows == []
    assert [str(e) for e in result.errors] == [
        "The sheet has more than 5 rows; an import takes at most 5. Split the file."
    ]
    assert len(read) == 1 + 5 + 1  # the header, the rows allowed, the one too many: not the 500


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(settings):
    file = upload(rows(50))
    settings.IMPORT_MAX_BYTES = len(file.getvalue()) - 1
    result = read_table(file, INPUT)
    assert result.rows == [] and len(result.errors) == 1
    assert str(result.errors[0]).startswith(f"The file is {-(-len(file.getvalue()) // 1024)} KB;")


def test_a_file_unpacking_to_more_than_the_limit_is_refused_before_it_is_opened(settings, monkeypatch):
    file = upload(rows(50))
    unpacked = sum(member.file_size for member in zipfile.ZipFile(file).infolist())
    file.seek(0)
    settings.IMPORT_MAX_UNPACKED_BYTES = unpacked
    assert read_table(file, INPUT).errors == []  # at the limit: read
    file.seek(0)
    settings.IMPORT_MAX_UNPACKED_BYTES = unpacked - 1
    opened = []
    monkeypatch.setattr("common.xlsx.load_workbook", lambda *args, **kwargs: opened.append(args))
    result = read_table(file, INPUT)
    assert result.rows == [] and opened == []
    size, limit = -(-unpacked // 1024), (unpacked - 1) // 1024
    assert [str(e) for e in result.errors] == [
        f"The file unpacks to {size} KB; an import takes at most {limit} KB unpacked."
    ]


def test_a_long_write_hears_its_progress_every_so_many_rows_and_at_the_end():
    heard = []
    sheets = [
        Sheet(title=title, columns=COLUMNS[:1], rows=[[n] for n in range(count)])
        for title, count in (("A", 5), ("B", 4))
    ]
    buffer = io.BytesIO()
    assert write_workbook(buffer, *sheets, progress=heard.append, every=3) == 9
    assert heard == [3, 6, 9, 9]  # across the sheets, then once the file is saved
    assert [ws.max_row for ws in load_workbook(buffer).worksheets] == [6, 5]


@pytest.mark.parametrize(
    ("language", "date_format", "title"),
    [("vi", "dd/mm/yyyy", "Tính đến ngày 31/01/2026"), ("en", "dd mmm yyyy", "As of 31 Jan 2026")],
)
def test_dates_in_a_workbook_are_written_as_the_users_language_writes_them(language, date_format, title):
    """One date format per language (issue 20): a date cell shows as the pages write it, and the
    date in the title too."""
    with translation.override(language):
        ws = exported(
            rows=[("A1", dt.date(2026, 1, 5), Decimal(1))], preamble=[as_of_line(dt.date(2026, 1, 31)), ""]
        )
    assert ws["B5"].number_format == date_format
    assert ws["A1"].value == title

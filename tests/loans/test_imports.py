"""Importing repayments from .xlsx: all rows or none, and never the same row twice."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from loans.models import LoanTransaction, Repayment, RepaymentImport
from loans.services.servicing.imports import import_repayments, template_workbook
from tests.loans.conftest import ROW1, ROW2, move_to

HEADER = ["Số hợp đồng", "Ngày trả", "Số tiền", "Hình thức", "Số chứng từ"]


def upload(*rows):
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def later(loan):
    move_to(dt.date(2026, 3, 20))
    return loan


def test_a_good_file_posts_every_row(later, staff):
    number = later.contract.number
    file = upload(
        [number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        [number, "15/03/2026", f"{ROW2:,}".replace(",", "."), "tiền mặt", "PT 7"],
    )
    report = import_repayments(actor=staff["officer"], file=file, file_name="thang3.xlsx")
    assert report.ok, report.errors
    assert [r.amount.amount for r in report.posted] == [ROW1, ROW2]
    assert report.batch.rows == 2 and report.batch.total.amount == ROW1 + ROW2
    assert Repayment.objects.get(reference="PT 7").account.code == "1111"


def test_one_bad_row_posts_nothing_and_says_which(later, staff):
    number = later.contract.number
    file = upload(
        [number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        ["HĐ-KHÔNG-CÓ", dt.date(2026, 2, 16), 1000, "Chuyển khoản", "UNC 2"],
        [number, dt.date(2026, 3, 15), 1500.5, "séc", "UNC 3"],
    )
    report = import_repayments(actor=staff["officer"], file=file, file_name="loi.xlsx")
    assert not report.ok
    assert sorted((e.row, e.column) for e in report.errors) == [
        (3, "Số hợp đồng"),
        (4, "Hình thức"),
        (4, "Số tiền"),
    ]
    assert not Repayment.objects.exists()
    assert not LoanTransaction.objects.filter(kind="repayment").exists()


def test_a_row_the_loan_refuses_rolls_back_the_rows_before_it(later, staff):
    number = later.contract.number
    file = upload(
        [number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        [number, dt.date(2026, 3, 15), 900_000_000, "Chuyển khoản", "UNC 2"],
    )
    report = import_repayments(actor=staff["officer"], file=file, file_name="qua.xlsx")
    assert [(e.row, e.column) for e in report.errors] == [(3, "Số tiền")]
    assert "whole debt" in report.errors[0].message or "toàn bộ" in report.errors[0].message
    assert not Repayment.objects.exists()


def test_the_same_file_twice_posts_nothing_the_second_time(later, staff):
    number = later.contract.number
    rows = [[number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"]]
    first = import_repayments(actor=staff["officer"], file=upload(*rows), file_name="a.xlsx")
    second = import_repayments(actor=staff["officer"], file=upload(*rows), file_name="a.xlsx")
    assert len(first.posted) == 1
    assert second.ok and second.posted == [] and second.skipped == 1 and second.batch is None
    assert Repayment.objects.count() == 1


def test_the_template_has_the_headers_the_import_reads(fund):
    sheet = load_workbook(io.BytesIO(template_workbook())).active
    assert [c.value for c in sheet[1]][:5] == HEADER


def test_a_file_over_the_row_limit_posts_nothing(later, staff, settings):
    settings.IMPORT_MAX_ROWS = 1
    number = later.contract.number
    file = upload(
        [number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        [number, dt.date(2026, 3, 15), int(ROW2), "Chuyển khoản", "UNC 2"],
    )
    report = import_repayments(actor=staff["officer"], file=file, file_name="lon.xlsx")
    assert [str(e) for e in report.errors] == [
        "The sheet has 2 rows; an import takes at most 1. Split the file."
    ]
    assert not Repayment.objects.exists() and not RepaymentImport.objects.exists()

"""The workbooks as an accountant prints them: converted to PDF by LibreOffice (headless), a
statement of 24 rows fits one landscape page, with its heading and signatures on it.
`scripts/test.sh` installs LibreOffice (Debian's libreoffice-calc-nogui) when it is missing;
without it these tests are skipped."""

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.utils import translation

from common.documents import Issuer, heading, signatures
from common.xlsx import Column, Sheet, summed, workbook_bytes
from ledger.reports import ledger_sheet
from ledger.selectors import account_balance, ledger_stream
from tests.ledger.factories import post

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def issuer_for_tests() -> Issuer:
    return Issuer("Quỹ Hỗ trợ phát triển HTX tỉnh Thái Bình", "Thái Bình", dt.date(2026, 3, 2))


@pytest.fixture(autouse=True)
def the_fund(settings):
    settings.DOCUMENT_ISSUER = "tests.printing.test_pdf.issuer_for_tests"


def pdf_pages(content: bytes, tmp_path) -> int:
    source = tmp_path / "book.xlsx"
    source.write_bytes(content)
    # A profile of its own: two conversions at once (pytest -n 2) do not share one.
    profile = f"-env:UserInstallation=file://{tmp_path}/profile"
    subprocess.run(
        [SOFFICE, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = (tmp_path / "book.pdf").read_bytes()
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def statement(rows: int) -> Sheet:
    with translation.override("vi"):
        return Sheet(
            title="Sao kê",
            columns=[
                Column("Ngày giá trị", "date"),
                Column("Loại giao dịch", width=22),
                *summed(
                    "Số tiền giải ngân", "Trả gốc", "Trả lãi", "Trả lãi chậm trả", "Trả lãi trên lãi chậm trả"
                ),
                Column("Dư nợ gốc", "money"),
                Column("Số bút toán", width=14),
            ],
            rows=[
                [
                    dt.date(2026, 1, 1) + dt.timedelta(days=30 * n),
                    "Trả nợ",
                    0,
                    10_000_000,
                    1_223_014,
                    0,
                    0,
                    120_000_000 - n * 10_000_000,
                    f"2026-{n:06d}",
                ]
                for n in range(rows)
            ],
            heading=heading(
                "Sao kê khoản vay HS-2026-000001",
                as_of=dt.date(2026, 3, 2),
                notes=["Bên vay: HTX Nông nghiệp Tân Lập · Hợp đồng số HĐ-01/2026/QHT ngày 05/01/2026"],
            ),
            signatures=signatures("statement"),
            totals_label="Tổng cộng",
        )


def test_a_statement_of_24_rows_prints_on_one_landscape_page(tmp_path):
    assert pdf_pages(workbook_bytes(statement(24)), tmp_path) == 1


@pytest.mark.django_db
def test_a_general_ledger_prints_one_page_wide_and_a_short_one_on_one_page(tmp_path):
    for day in range(1, 29):  # a month of receipts, each against capital
        post(debit="1111", credit="41111", amount=1_000_000 * day, value_date=dt.date(2025, 3, day))
    month = {"code": "1111", "date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 3, 31)}
    closing = account_balance(code="1111", as_of=month["date_to"])
    sheet = ledger_sheet(ledger_stream(**month), closing)
    assert pdf_pages(workbook_bytes(sheet), tmp_path) == 1  # 28 lines, opening, totals, closing, signed

    for day in range(1, 29):  # and three months more: several pages, each one page wide
        for month_number in (4, 5, 6):
            post(debit="1111", credit="41111", amount=day, value_date=dt.date(2025, month_number, day))
    half = {"code": "1111", "date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 6, 30)}
    closing = account_balance(code="1111", as_of=half["date_to"])
    pages = pdf_pages(workbook_bytes(ledger_sheet(ledger_stream(**half), closing)), tmp_path)
    assert 2 <= pages <= 4  # 112 lines down the pages; split in width it would be twice as many
